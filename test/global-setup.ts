/**
 * Runs once before any test: makes the project's Python venv (moto server, pyarrow, scipy — test-only
 * tools), finds a browser and installs the Lambda runtime's Node 24 (the bundled handlers run on it as
 * well as on this Node), so a fresh clone's first `npm test` passes. Install output goes to
 * test-artifacts/setup.log; the test output gets one line per thing installed.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const log = join(root, 'test-artifacts', 'setup.log');
const python = join(root, '.venv', 'bin', 'python');

/** Browsers tried in order after `CHROMIUM_PATH`: Debian's and other common package locations. */
const BROWSERS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Run a setup step with its output in the log; returns its stdout. */
function run(what: string, command: string, args: readonly string[]): string {
  appendFileSync(log, `\n== ${what}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', timeout: 900_000 });
  appendFileSync(log, `${result.stdout ?? ''}${result.stderr ?? ''}`);
  if (result.status !== 0) throw new Error(`test setup: ${what} failed (exit ${result.status ?? result.signal}); see ${log}`);
  return result.stdout ?? '';
}

/** The Node 24 binary under .cache/node24 when scripts/ensure-node24.sh installed it already. */
function node24Ready(): string | undefined {
  const result = spawnSync('bash', [join(root, 'scripts', 'ensure-node24.sh')], { cwd: root, encoding: 'utf8', env: { ...process.env, DRIFTGATE_NODE24_CHECK_ONLY: '1' } });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

function venvReady(): boolean {
  return existsSync(python) && spawnSync(python, ['-c', 'import moto.server, pyarrow, scipy'], { stdio: 'ignore' }).status === 0;
}

function browser(): string | undefined {
  const wanted = process.env.CHROMIUM_PATH;
  if (wanted !== undefined && wanted !== '') {
    if (!existsSync(wanted)) throw new Error(`test setup: CHROMIUM_PATH=${wanted} does not exist`);
    return wanted;
  }
  return BROWSERS.find((p) => existsSync(p));
}

/** vitest global setup. */
export default function setup(): void {
  mkdirSync(join(root, 'test-artifacts'), { recursive: true });
  if (!venvReady()) {
    console.log(`test setup: creating .venv with the test-only Python tools (log: ${log})`);
    run('python venv', 'bash', [join(root, 'scripts', 'ensure-moto.sh')]);
  }
  let found = browser();
  if (found === undefined) {
    console.log(`test setup: installing chromium for the browser tests (log: ${log})`);
    run('chromium', 'bash', [join(root, 'scripts', 'ensure-chromium.sh')]);
    found = browser();
    if (found === undefined) throw new Error(`test setup: no browser after installing chromium; set CHROMIUM_PATH (see ${log})`);
  }
  let node24 = node24Ready();
  if (node24 === undefined) {
    console.log(`test setup: installing Node 24 (the Lambda runtime) from the npm registry into .cache/node24 (log: ${log})`);
    node24 = run('node 24', 'bash', [join(root, 'scripts', 'ensure-node24.sh')]).trim();
  }
  // Test workers start after this and inherit the environment.
  process.env.CHROMIUM_PATH = found;
  process.env.DRIFTGATE_NODE24 = node24;
}
