import * as crypto from 'crypto';
import * as net from 'net';
import { Observable } from 'rxjs';
import { StreamSourceError } from '@fusion/core';
import type { Line } from '../types';
import { LineSplitter } from './lines';

export interface ServerSourceOptions {
  port: number;
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  host?: string;
  /** Called once listening, with the actual port (useful with port 0). */
  onListening?: (port: number) => void;
  /** Connection events for the log (connected, closed, refused, errors). */
  onConnection?: (message: string) => void;
  /** Most simultaneous connections (default 1024); further ones are closed at once. */
  maxConnections?: number;
  /** A connection that sends nothing for this long (wall ms) is closed; default never. */
  idleMs?: number;
  /**
   * Shared secret: a TCP client's first line must be `{"token":"<token>"}`; a WebSocket client sends
   * `Authorization: Bearer <token>` or `?token=<token>` in the URL. Others are refused. Default: no token.
   */
  token?: string;
  /**
   * WebSocket only: the `Origin` header values allowed (e.g. `https://dashboard.example`). A browser always sends
   * one, so by default every browser page is refused; clients without an Origin (CLI tools, devices) are allowed.
   */
  allowOrigins?: readonly string[];
}

/** Compares a presented token with the expected one in constant time (of the hashes). */
export function tokenMatches(expected: string, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const h = (s: string): Buffer => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(h(expected), h(presented));
}

/** The named error for a server that cannot listen (a port in use is the common case). */
export function listenError(kind: 'tcp' | 'ws', port: number, e: NodeJS.ErrnoException): StreamSourceError {
  if (e.code === 'EADDRINUSE') return new StreamSourceError(`port ${port} is in use; choose another with ${kind}:<port> (${kind}:0 picks a free one).`);
  if (e.code === 'EACCES') return new StreamSourceError(`no permission to listen on port ${port}; choose a port above 1023 with ${kind}:<port>.`);
  return new StreamSourceError(`cannot listen on ${kind} port ${port}: ${e.message}.`);
}

/** Checks the server options once, when the source is created. */
export function checkServerOptions(options: ServerSourceOptions): void {
  const max = options.maxConnections;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1)) throw new RangeError(`maxConnections must be an integer >= 1, received ${max}`);
  if (options.idleMs !== undefined && !(options.idleMs > 0)) throw new RangeError(`idleMs must be > 0, received ${options.idleMs}`);
  if (options.token !== undefined && options.token === '') throw new RangeError('token must not be empty');
}

/**
 * NDJSON over TCP: every connection sends sample lines; lines of all connections are merged. Never completes by
 * itself; unsubscribing closes the server and every connection. A connection's failures (a bad token, silence beyond
 * `idleMs`, a reset) close that connection only.
 */
export function tcpSource(options: ServerSourceOptions): Observable<Line> {
  checkServerOptions(options);
  return new Observable<Line>((subscriber) => {
    const sockets = new Set<net.Socket>();
    let n = 0;
    const server = net.createServer((socket) => {
      const id = `tcp#${++n} ${socket.remoteAddress}:${socket.remotePort}`;
      if (sockets.size >= (options.maxConnections ?? 1024)) {
        options.onConnection?.(`${id}: refused (already ${sockets.size} connections, the most --max-connections allows)`);
        socket.destroy();
        return;
      }
      sockets.add(socket);
      options.onConnection?.(`${id}: connected`);
      const split = new LineSplitter(id);
      let authorised = options.token === undefined;
      let closed = false;
      const emit = (l: Line): void => {
        if (closed) return;
        if (authorised) return subscriber.next(l);
        if (l.text.trim() === '') return;
        let presented: unknown;
        try {
          presented = (JSON.parse(l.text) as { token?: unknown })?.token;
        } catch {
          presented = undefined;
        }
        if (tokenMatches(options.token as string, presented)) {
          authorised = true;
          return;
        }
        closed = true;
        options.onConnection?.(`${id}: refused (the first line was not {"token": "..."} with the stream token)`);
        socket.end('{"error":"unauthorized: send {\\"token\\": \\"...\\"} as the first line"}\n', () => socket.destroy());
      };
      socket.setEncoding('utf8');
      if (options.idleMs !== undefined) {
        socket.setTimeout(options.idleMs, () => {
          options.onConnection?.(`${id}: closed after ${options.idleMs! / 1000} s without data (--idle)`);
          closed = true;
          socket.destroy();
        });
      }
      socket.on('data', (d: string) => split.push(d, emit));
      socket.on('end', () => split.end(emit));
      socket.on('error', (e) => options.onConnection?.(`${id}: ${e.message}`));
      socket.on('close', () => {
        sockets.delete(socket);
        options.onConnection?.(`${id}: closed`);
      });
    });
    server.on('error', (e) => subscriber.error(listenError('tcp', options.port, e)));
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      const a = server.address();
      options.onListening?.(typeof a === 'object' && a ? a.port : options.port);
    });
    return () => {
      for (const s of sockets) s.destroy();
      server.close();
    };
  });
}
