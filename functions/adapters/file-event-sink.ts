import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AdapterError } from '../core/errors.js';
import type { EventSink, RetrainRequested } from '../core/ports.js';

/**
 * The embedded default event sink: appends each RetrainRequested event as one JSON line
 * (`{ messageId, event }`) to a file, e.g. `<dir>/events.jsonl`.
 */
export class FileEventSink implements EventSink {
  constructor(readonly file: string) {}

  async publish(event: RetrainRequested): Promise<{ messageId: string }> {
    const messageId = randomUUID();
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      // One appendFile call per line: O_APPEND keeps concurrent lines whole.
      await fs.appendFile(this.file, `${JSON.stringify({ messageId, event })}\n`);
    } catch (err) {
      throw new AdapterError('event-file', `append ${this.file}`, { cause: err });
    }
    return { messageId };
  }
}

/** Read back the events of a FileEventSink file (empty when it does not exist). */
export async function readEventFile(file: string): Promise<{ messageId: string; event: RetrainRequested }[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw new AdapterError('event-file', `read ${file}`, { cause: err });
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { messageId: string; event: RetrainRequested });
}
