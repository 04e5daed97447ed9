import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AdapterError } from '../core/errors.js';
import type { Notice, Notifier } from '../core/ports.js';

/**
 * The embedded default notifier: writes each notice to `<outboxDir>/<time>-<modelId>-<proposalId>.txt`
 * and hands it to `print` (the console), then returns a fresh message id as proof of delivery.
 */
export class ConsoleNotifier implements Notifier {
  constructor(
    private readonly outboxDir: string,
    private readonly print?: (notice: Notice & { messageId: string; file: string }) => void,
  ) {}

  async send(notice: Notice): Promise<{ messageId: string }> {
    const messageId = randomUUID();
    const file = path.join(this.outboxDir, `${safe(notice.modelId)}-${safe(notice.proposalId)}-${messageId.slice(0, 8)}.txt`);
    try {
      await fs.mkdir(this.outboxDir, { recursive: true });
      await fs.writeFile(file, `Subject: ${notice.subject}\nMessage-Id: ${messageId}\n\n${notice.text}\n`, { flag: 'wx' });
    } catch (err) {
      throw new AdapterError('outbox', `write ${file}`, { cause: err });
    }
    this.print?.({ ...notice, messageId, file });
    return { messageId };
  }
}

function safe(part: string): string {
  return part.replace(/[^A-Za-z0-9_-]/g, '_');
}
