/**
 * The Lambda runtime's Node (24, nodejs24.x) for tests that run bundles: the path the global setup put in
 * DRIFTGATE_NODE24 (scripts/ensure-node24.sh installs it from the npm registry), or the script's answer
 * when a test file runs without the global setup.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './moto.js';

/** Environment variable holding the path of the Node 24 binary. */
export const NODE24_ENV = 'DRIFTGATE_NODE24';

/** Path of the Node 24 binary (installed on first use). */
export function node24Path(): string {
  const given = process.env[NODE24_ENV];
  if (given !== undefined && given !== '') return given;
  const path = execFileSync('bash', [join(repoRoot, 'scripts', 'ensure-node24.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  process.env[NODE24_ENV] = path;
  return path;
}

/** The Node binaries bundles are run on: this Node (20, as the tests run) and the runtime's (24), each with a label. */
export function bundleRuntimes(): [label: string, node: string][] {
  return [
    [`Node ${process.versions.node.split('.')[0]}`, process.execPath],
    ['Node 24', node24Path()],
  ];
}
