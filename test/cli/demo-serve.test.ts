import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readEventFile } from '../../functions/adapters/file-event-sink.js';
import { type CliIo, runCli } from '../../functions/cli/run.js';

// `driftgate demo --serve`: the simulation, then one live proposal whose notice links a real server on
// 127.0.0.1 answers; nothing clicks it but this test (as a person would, GET then POST).

let dir: string | undefined;

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Command: demo --serve', () => {
  it('serves the demo store so the live notice approve link works, once; Ctrl-C ends it with exit 0', async () => {
    // Prepare
    dir = path.join(await mkdtemp(path.join(tmpdir(), 'driftgate-demo-serve-')), 'demo');
    let stdout = '';
    let stop: (signal: string) => void = () => undefined;
    const io: CliIo = {
      stdout: (t) => void (stdout += t),
      stderr: () => undefined,
      stdoutIsTTY: false,
      stderrIsTTY: false,
      env: {},
      now: () => new Date(),
      untilStopped: () => new Promise((resolve) => (stop = resolve)),
    };

    // Act
    const running = runCli(['demo', '--dir', dir, '--days', '14', '--serve', '--port', '0'], io);
    for (let i = 0; i < 600 && !/serving the demo store at/.test(stdout); i++) await new Promise((r) => setTimeout(r, 100));
    const approve = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/decide\?token=\S+)$/m.exec(stdout)?.[1] ?? '';
    const before = await readEventFile(path.join(dir, 'events.jsonl'));
    const shown = await fetch(approve);
    const afterGet = await readEventFile(path.join(dir, 'events.jsonl'));
    const token = new URL(approve).searchParams.get('token') ?? '';
    const posted = await fetch(approve, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, action: 'approve' }) });
    const after = await readEventFile(path.join(dir, 'events.jsonl'));
    const index = await (await fetch(new URL('/', approve))).text();
    stop('SIGINT');
    const code = await running;

    // Assess
    expect(stdout).not.toContain('simulated clock');
    expect(approve).not.toBe('');
    expect(shown.status).toBe(200);
    expect(afterGet).toEqual(before);
    expect(posted.status).toBe(200);
    expect(after).toHaveLength(before.length + 1);
    expect(after[after.length - 1].event).toMatchObject({ modelId: 'fraud', reason: 'approved' });
    expect(index).toContain('data-model="fraud"');
    expect(stdout).toMatch(/^fraud: proposal \S+: approved; RetrainRequested retrain-\S+ published$/m);
    expect(code).toBe(0);
    expect(stdout).toContain('stopped (SIGINT)');
  }, 120_000);
});
