import * as net from 'net';
import { Observable } from 'rxjs';
import type { Line } from '../types';
import { LineSplitter } from './lines';

export interface ServerSourceOptions {
  port: number;
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  host?: string;
  /** Called once listening, with the actual port (useful with port 0). */
  onListening?: (port: number) => void;
  /** Connection events for the log (connected, closed, errors). */
  onConnection?: (message: string) => void;
  /** Most simultaneous connections (default 1024); further ones are closed at once. */
  maxConnections?: number;
}

/**
 * NDJSON over TCP: every connection sends sample lines; lines of all connections are merged. Never completes by
 * itself; unsubscribing closes the server and every connection.
 */
export function tcpSource(options: ServerSourceOptions): Observable<Line> {
  return new Observable<Line>((subscriber) => {
    const sockets = new Set<net.Socket>();
    let n = 0;
    const server = net.createServer((socket) => {
      const id = `tcp#${++n} ${socket.remoteAddress}:${socket.remotePort}`;
      if (sockets.size >= (options.maxConnections ?? 1024)) {
        options.onConnection?.(`${id}: refused (too many connections)`);
        socket.destroy();
        return;
      }
      sockets.add(socket);
      options.onConnection?.(`${id}: connected`);
      const split = new LineSplitter(id);
      const emit = (l: Line): void => subscriber.next(l);
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => split.push(d, emit));
      socket.on('end', () => split.end(emit));
      socket.on('error', (e) => options.onConnection?.(`${id}: ${e.message}`));
      socket.on('close', () => {
        sockets.delete(socket);
        options.onConnection?.(`${id}: closed`);
      });
    });
    server.on('error', (e) => subscriber.error(e));
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
