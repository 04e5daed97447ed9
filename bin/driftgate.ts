#!/usr/bin/env node
/**
 * driftgate CLI entry: the same engine as the Lambdas, on local files (see `driftgate --help`).
 * Everything lives in functions/service/cli-run.ts; this file only wires the process in.
 */
import { processIo, runCli } from '../functions/cli/run.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());
