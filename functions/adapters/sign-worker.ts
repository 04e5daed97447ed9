/**
 * The entry of one sign worker thread (started by worker-pool.ts, never imported). It answers one task at a
 * time: `units` (open a file, list its row groups / record batches) and `sign` (sign units [start, end) of a
 * file with signSources and send the partial signature back, with a progress message after each batch).
 * parquet-wasm is loaded here, in the worker, without the host's queueMicrotask wrapper: an asynchronous wasm
 * panic is an uncaught exception that ends this thread only, and the pool fails its task and replaces it.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { openBatchFile } from './columnar-reader.js';
import { fileByteSource } from './file-byte-source.js';
import { containPanicsInProcess } from './parquet-wasm-host.js';
import { signSources } from './sign-sources.js';
import { serializeError, type WorkerReply, type WorkerTask } from './worker-pool.js';

if (isMainThread || parentPort === null) throw new Error('sign-worker runs as a worker thread: worker-pool.ts starts it');
containPanicsInProcess(false);
const port = parentPort;

async function handle(task: WorkerTask): Promise<WorkerReply> {
  const source = await fileByteSource(task.path);
  if (task.type === 'units') {
    const file = await openBatchFile(source, task.reader);
    return { type: 'done', id: task.id, value: { byteLength: source.byteLength, format: file.format, rowCount: file.rowCount, units: (await file.units()) ?? null } };
  }
  const signature = await signSources([source], {
    ...task.options,
    ...(task.reader ? { reader: task.reader } : {}),
    ...(task.range ? { range: task.range } : {}),
    onProgress: (progress) => port.postMessage({ type: 'progress', id: task.id, rowsDone: progress.rowsDone } satisfies WorkerReply),
  });
  return { type: 'done', id: task.id, value: signature };
}

port.on('message', (task: WorkerTask) => {
  handle(task).then(
    (reply) => port.postMessage(reply),
    (error: unknown) => port.postMessage({ type: 'failed', id: task.id, error: serializeError(error) } satisfies WorkerReply),
  );
});
port.postMessage({ type: 'ready' } satisfies WorkerReply);
