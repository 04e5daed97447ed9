import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidInputError } from '../core/errors.js';

/**
 * A real node:http server in front of a Lambda function-URL handler: each request becomes a payload 2.0
 * event (the shape the decision function gets behind its URL), the handler's answer becomes the response.
 * So the local server runs exactly the code the function URL runs, with whatever routes it has.
 */

/** The part of a function-URL answer the server writes back. */
export interface FunctionUrlResponse {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** A function-URL handler: a payload 2.0 event in, a response out. */
export type FunctionUrlHandler = (event: unknown) => Promise<FunctionUrlResponse>;

/** What the server needs. */
export interface FunctionUrlServerOptions {
  readonly host: string;
  readonly port: number;
  /**
   * Bodies are read up to this many bytes plus one, then the rest is dropped: the handler sees a body over
   * its own limit and refuses it (413) without the server holding a flood in memory.
   * @default 8192
   */
  readonly maxBodyBytes?: number;
  /** Called when the handler itself throws (the client gets a bare 500). @default none */
  readonly onError?: (error: unknown) => void;
}

/** A listening server. */
export interface RunningServer {
  /** `http://host:port` as bound (the real port when 0 was asked). */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** Read a request body, keeping at most `limit` bytes (enough to know it is too large). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    if (size < limit) chunks.push(buffer.subarray(0, limit - size));
    size += buffer.length;
  }
  return Buffer.concat(chunks);
}

/** One request as a function URL (payload format 2.0) would give it to the function. */
export function functionUrlEvent(req: IncomingMessage, body: Buffer, host: string): Record<string, unknown> {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of url.searchParams) queryStringParameters[name] = queryStringParameters[name] === undefined ? value : `${queryStringParameters[name]},${value}`;
  const rawQueryString = url.search.startsWith('?') ? url.search.slice(1) : '';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString,
    headers,
    ...(rawQueryString !== '' ? { queryStringParameters } : {}),
    ...(body.length > 0 ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
    requestContext: {
      domainName: headers.host ?? host,
      http: {
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? 'unknown',
        userAgent: headers['user-agent'] ?? '',
      },
    },
  };
}

function write(res: ServerResponse, answer: FunctionUrlResponse): void {
  const body = answer.body === undefined ? Buffer.alloc(0) : Buffer.from(answer.body, answer.isBase64Encoded === true ? 'base64' : 'utf8');
  res.writeHead(answer.statusCode, { ...(answer.headers ?? {}), 'content-length': String(body.length) });
  res.end(body);
}

/**
 * Start the server; a port in use or an address that cannot be bound is an InvalidInputError naming it.
 * @example
 * const running = await serveFunctionUrl(makeDecideHandler(deps), { host: '127.0.0.1', port: 8787 });
 */
export async function serveFunctionUrl(handler: FunctionUrlHandler, options: FunctionUrlServerOptions): Promise<RunningServer> {
  const limit = (options.maxBodyBytes ?? 8192) + 1;
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req, limit);
        write(res, await handler(functionUrlEvent(req, body, `${options.host}:${options.port}`)));
      } catch (error) {
        options.onError?.(error);
        if (!res.headersSent) write(res, { statusCode: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'internal error\n' });
        else res.destroy();
      }
    })();
  });
  // A slow client cannot hold a connection open for ever.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const where = `${options.host}:${options.port}`;
      const why =
        error.code === 'EADDRINUSE'
          ? 'the port is already in use (another driftgate serve/watch, or another program); pick another with --port'
          : error.code === 'EADDRNOTAVAIL'
            ? 'this machine has no such address; use 127.0.0.1 or one of its own addresses'
            : error.code === 'EACCES'
              ? 'permission denied (ports below 1024 need privileges)'
              : `cannot listen: ${error.code ?? error.message}`;
      reject(new InvalidInputError(`--host/--port ${where}`, why, { cause: error }));
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
