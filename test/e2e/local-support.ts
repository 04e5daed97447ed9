/**
 * Shared set-up of the local-product tests: real Parquet files written by pyarrow (test/e2e/make-batches.py),
 * a real local store made by the CLI's own verbs (init, ingest, run) in-process, and the notice's links.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliIo, runCli } from '../../functions/cli/run.js';
import { venvPython } from '../support/moto.js';

const MAKE_BATCHES = fileURLToPath(new URL('./make-batches.py', import.meta.url));

/** What one in-process CLI run printed. */
export interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the CLI in-process with a captured io and a fixed clock. */
export async function cli(args: readonly string[], now: Date = new Date()): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), stdoutIsTTY: false, stderrIsTTY: false, env: {}, now: () => now };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** Write the pyarrow batches into a fresh folder: reference, drift-1, drift-2, corrupt (.parquet). */
export async function pyarrowBatches(): Promise<string> {
  // .venv (pyarrow) is made by test/global-setup.ts before any test.
  const dir = await mkdtemp(path.join(tmpdir(), 'driftgate-local-batches-'));
  execFileSync(venvPython, [MAKE_BATCHES, dir], { stdio: 'ignore', timeout: 120_000 });
  return dir;
}

/** The links of a notice written by the outbox notifier. */
export interface NoticeLinks {
  readonly file: string;
  readonly text: string;
  readonly approve: string;
  readonly reject: string;
  readonly snooze: string;
  readonly report: string;
}

/** The store's one notice (the outbox notifier's file) and its links. */
export async function onlyNotice(store: string): Promise<NoticeLinks> {
  const files = await readdir(path.join(store, 'outbox'));
  if (files.length !== 1) throw new Error(`expected one notice in the outbox, found ${files.length}`);
  const file = path.join(store, 'outbox', files[0]);
  const text = await readFile(file, 'utf8');
  const link = (label: string): string => {
    const m = new RegExp(`^${label}: (\\S+)$`, 'm').exec(text);
    if (!m) throw new Error(`no "${label}" link in ${file}`);
    return m[1];
  };
  return { file, text, approve: link('Approve retraining'), reject: link('Reject'), snooze: link('Snooze'), report: link('Report') };
}

/** A link moved to another server (the path and query kept). */
export function on(base: string, link: string): string {
  const u = new URL(link);
  return `${base}${u.pathname}${u.search}`;
}

/** A drifting model in a fresh store: init on the reference, two drifted batches ingested, one run that opens a proposal. */
export async function driftingStore(batches: string): Promise<{ store: string; runAt: Date }> {
  const store = path.join(await mkdtemp(path.join(tmpdir(), 'driftgate-local-store-')), 'store');
  // In the recent past, so the run at initAt + 2h (the first check is due 1h after init) is before now.
  const initAt = new Date(Date.now() - 3 * 3_600_000);
  const init = await cli(['init', '--store', store, '--model', 'fraud', path.join(batches, 'reference.parquet')], initAt);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  const ingest = await cli(['ingest', '--store', store, path.join(batches, 'drift-1.parquet'), path.join(batches, 'drift-2.parquet')], initAt);
  if (ingest.code !== 0) throw new Error(`ingest failed: ${ingest.stderr}`);
  const runAt = new Date(initAt.getTime() + 2 * 3_600_000);
  const run = await cli(['run', '--store', store, '--now', runAt.toISOString()], runAt);
  if (run.code !== 0 || !/retrain proposal/.test(run.stdout)) throw new Error(`run opened no proposal:\n${run.stdout}\n${run.stderr}`);
  return { store, runAt };
}

/** A digest of every file under a folder (names and contents), to prove a request changed nothing. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out[path.relative(dir, full)] = createHash('sha256').update(await readFile(full)).digest('hex');
    }
  };
  await walk(dir);
  return out;
}
