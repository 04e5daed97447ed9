/**
 * `driftgate watch`: a folder watcher and a check timer over one local store.
 *
 * When a file is complete (the rule, documented in the README):
 * - the folder is scanned every SCAN_MS (polling works the same on every OS and on network folders,
 *   where fs.watch events are unreliable);
 * - a file is taken once its size and mtime are unchanged for `settleMs` (size-stable rule);
 * - a name starting with "." or "_" or ending in .tmp / .part / .partial / .crdownload / .inprogress is
 *   never read: a writer that writes under such a name and renames in place is taken at the rename.
 *
 * Never the same file twice: a batch is named by the sha256 of its content in the store, so a restart, a
 * second watcher on the same store, or the same bytes under another name finds it already ingested. A file
 * that fails (corrupt, half-written past the settle time) is logged once with its name and reason and taken
 * again only if it changes. Files in PATH go to the chosen model; files in PATH/<modelId>/ to that model.
 * Due checks run every `everySeconds`, the first one after the files present at start have settled.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ModelConfig } from '../core/lifecycle/config.js';
import type { IngestOutcome } from '../core/lifecycle/types.js';
import type { LocalProduct } from './local-product.js';
import { checkDueLines, ingestLine, problemLine } from './local-output.js';

/** How often the folder is scanned. */
export const SCAN_MS = 250;

/** Names a writer uses while a file is not finished. */
const PARTIAL_NAME = /(^[._])|(\.(tmp|part|partial|crdownload|inprogress|swp)$)/i;

/** What the watcher needs. */
export interface FolderWatcherOptions {
  readonly local: LocalProduct;
  readonly batches: string;
  readonly model?: string;
  readonly settleMs: number;
  readonly everySeconds: number;
  readonly now: () => Date;
  readonly ingestFile: (local: LocalProduct, file: string, config: ModelConfig, now: Date) => Promise<IngestOutcome & { key: string }>;
  readonly modelFor: (local: LocalProduct, model: string | undefined) => Promise<ModelConfig>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

interface Seen {
  size: number;
  mtimeMs: number;
  stableSince: number;
  done: boolean;
}

/** Watches a folder and runs the due checks on a timer; see the module comment. */
export class FolderWatcher {
  readonly batches: string;
  private readonly seen = new Map<string, Seen>();
  private scanTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();
  private checking: Promise<void> = Promise.resolve();
  private stopped = false;
  private reportedFolderError = false;

  constructor(private readonly options: FolderWatcherOptions) {
    this.batches = options.batches;
  }

  /** Start scanning and checking (the first check after one settle period). */
  async start(): Promise<void> {
    const tickScan = (): void => {
      if (this.stopped) return;
      this.scanning = this.scan().finally(() => {
        if (!this.stopped) this.scanTimer = setTimeout(tickScan, SCAN_MS);
      });
    };
    const tickCheck = (): void => {
      if (this.stopped) return;
      this.checking = this.check().finally(() => {
        if (!this.stopped) this.checkTimer = setTimeout(tickCheck, this.options.everySeconds * 1000);
      });
    };
    tickScan();
    // The first check waits until the files already in the folder have settled and been ingested, so a
    // restart after downtime checks them rather than finding no data.
    this.checkTimer = setTimeout(tickCheck, this.options.settleMs + 2 * SCAN_MS);
  }

  /** Stop the timers and wait for the scan and check in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.scanTimer);
    clearTimeout(this.checkTimer);
    await Promise.allSettled([this.scanning, this.checking]);
  }

  /** The files of the folder with the model each belongs to (undefined: the default model). */
  private async listFiles(): Promise<{ file: string; model: string | undefined }[]> {
    const found: { file: string; model: string | undefined }[] = [];
    const entries = await fs.readdir(this.batches, { withFileTypes: true });
    for (const entry of entries) {
      if (PARTIAL_NAME.test(entry.name)) continue;
      const full = path.join(this.batches, entry.name);
      if (entry.isFile()) found.push({ file: full, model: this.options.model });
      else if (entry.isDirectory()) {
        const inner = await fs.readdir(full, { withFileTypes: true }).catch(() => []);
        for (const f of inner) if (f.isFile() && !PARTIAL_NAME.test(f.name)) found.push({ file: path.join(full, f.name), model: entry.name });
      }
    }
    return found.sort((a, b) => (a.file < b.file ? -1 : 1));
  }

  private async scan(): Promise<void> {
    let files;
    try {
      files = await this.listFiles();
      this.reportedFolderError = false;
    } catch (error) {
      if (!this.reportedFolderError) this.options.err(problemLine(error, this.batches));
      this.reportedFolderError = true;
      return;
    }
    const now = Date.now();
    for (const { file, model } of files) {
      if (this.stopped) return;
      const info = await fs.stat(file).catch(() => undefined);
      if (info === undefined) {
        this.seen.delete(file);
        continue;
      }
      const prior = this.seen.get(file);
      if (prior === undefined || prior.size !== info.size || prior.mtimeMs !== info.mtimeMs) {
        this.seen.set(file, { size: info.size, mtimeMs: info.mtimeMs, stableSince: now, done: false });
        continue;
      }
      if (prior.done || now - prior.stableSince < this.options.settleMs) continue;
      prior.done = true;
      await this.ingest(file, model);
    }
  }

  private async ingest(file: string, model: string | undefined): Promise<void> {
    try {
      const config = await this.options.modelFor(this.options.local, model);
      const outcome = await this.options.ingestFile(this.options.local, file, config, this.options.now());
      // A file found again after a restart (or by a second watcher) is no news.
      if (outcome.status !== 'duplicate') this.options.out(ingestLine(file, outcome));
    } catch (error) {
      this.options.err(problemLine(error, file));
    }
  }

  private async check(): Promise<void> {
    try {
      const outcome = await this.options.local.lifecycle.checkDue(this.options.now());
      for (const line of checkDueLines(outcome).filter((l) => !l.endsWith(': not due'))) this.options.out(line);
      for (const m of outcome.models) if (m.error !== undefined) this.options.err(`driftgate: model ${m.modelId}: ${m.error.split('\n').join(' ')}`);
    } catch (error) {
      this.options.err(problemLine(error));
    }
  }
}
