import { Observable } from 'rxjs';
import { WebSocketServer } from 'ws';
import type { Line } from '../types';
import { LineSplitter } from './lines';
import type { ServerSourceOptions } from './tcp';

/**
 * NDJSON over WebSocket: each text message holds one or more sample lines. Never completes by itself;
 * unsubscribing closes the server and every connection.
 */
export function wsSource(options: ServerSourceOptions): Observable<Line> {
  return new Observable<Line>((subscriber) => {
    let n = 0;
    const wss = new WebSocketServer({ port: options.port, host: options.host ?? '127.0.0.1', maxPayload: 8 << 20 });
    wss.on('connection', (socket, req) => {
      const id = `ws#${++n} ${req.socket.remoteAddress}:${req.socket.remotePort}`;
      if (wss.clients.size > (options.maxConnections ?? 1024)) {
        options.onConnection?.(`${id}: refused (too many connections)`);
        socket.terminate();
        return;
      }
      options.onConnection?.(`${id}: connected`);
      const split = new LineSplitter(id);
      const emit = (l: Line): void => subscriber.next(l);
      socket.on('message', (data, isBinary) => {
        const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
        split.push(text, emit);
        split.end(emit); // a message is complete: its last line needs no trailing newline
      });
      socket.on('error', (e) => options.onConnection?.(`${id}: ${e.message}`));
      socket.on('close', () => options.onConnection?.(`${id}: closed`));
    });
    wss.on('error', (e) => subscriber.error(e));
    wss.on('listening', () => {
      const a = wss.address();
      options.onListening?.(typeof a === 'object' && a ? a.port : options.port);
    });
    return () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
    };
  });
}
