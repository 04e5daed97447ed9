/**
 * Run the real CLI (`bin/driftgate.js`) in a child process, as a user would, and collect its exit code
 * and output (a non-zero exit is an outcome, not an error).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './moto.js';

const run = promisify(execFile);

/** What one CLI run did. */
export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `driftgate ...args` from the repository root with `env` added to this process's environment. */
export async function runCliProcess(args: readonly string[], env: Record<string, string> = {}): Promise<CliOutcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'bin', 'driftgate.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, DRIFTGATE_DEBUG: '', ...env },
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
