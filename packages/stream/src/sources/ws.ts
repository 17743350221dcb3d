import type { IncomingMessage } from 'http';
import { Observable } from 'rxjs';
import { WebSocketServer } from 'ws';
import type { Line } from '../types';
import { LineSplitter } from './lines';
import { checkServerOptions, listenError, ServerSourceOptions, tokenMatches } from './tcp';

/** The token a WebSocket upgrade request presents: `Authorization: Bearer <t>` or `?token=<t>`. */
function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
  if (m) return m[1];
  try {
    return new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * NDJSON over WebSocket: each text message holds one or more sample lines. Never completes by itself;
 * unsubscribing closes the server and every connection. The upgrade is refused (403) for a browser `Origin` not in
 * `allowOrigins` and (401) without the `token`; too many connections get 503.
 */
export function wsSource(options: ServerSourceOptions): Observable<Line> {
  checkServerOptions(options);
  const allowed = new Set(options.allowOrigins ?? []);
  return new Observable<Line>((subscriber) => {
    let n = 0;
    const wss = new WebSocketServer({
      port: options.port,
      host: options.host ?? '127.0.0.1',
      maxPayload: 8 << 20,
      verifyClient: (info: { origin: string; req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
        const from = `ws ${info.req.socket.remoteAddress}:${info.req.socket.remotePort}`;
        // Browsers always send Origin; tools and devices usually do not. Any page could otherwise feed the model.
        if (info.origin && !allowed.has(info.origin)) {
          options.onConnection?.(`${from}: refused (Origin ${info.origin} is not allowed; add it with --allow-origin)`);
          return done(false, 403, 'Origin not allowed');
        }
        if (options.token !== undefined && !tokenMatches(options.token, presentedToken(info.req))) {
          options.onConnection?.(`${from}: refused (missing or wrong token)`);
          return done(false, 401, 'Unauthorized');
        }
        if (wss.clients.size >= (options.maxConnections ?? 1024)) {
          options.onConnection?.(`${from}: refused (already ${wss.clients.size} connections, the most --max-connections allows)`);
          return done(false, 503, 'Too many connections');
        }
        done(true);
      },
    });
    wss.on('connection', (socket, req) => {
      const id = `ws#${++n} ${req.socket.remoteAddress}:${req.socket.remotePort}`;
      options.onConnection?.(`${id}: connected`);
      const split = new LineSplitter(id);
      const emit = (l: Line): void => subscriber.next(l);
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        if (options.idleMs === undefined) return;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          options.onConnection?.(`${id}: closed after ${options.idleMs! / 1000} s without data (--idle)`);
          socket.terminate();
        }, options.idleMs);
      };
      arm();
      socket.on('message', (data, isBinary) => {
        arm();
        const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
        split.push(text, emit);
        split.end(emit); // a message is complete: its last line needs no trailing newline
      });
      socket.on('error', (e) => options.onConnection?.(`${id}: ${e.message}`));
      socket.on('close', () => {
        if (timer) clearTimeout(timer);
        options.onConnection?.(`${id}: closed`);
      });
    });
    wss.on('error', (e) => subscriber.error(listenError('ws', options.port, e as NodeJS.ErrnoException)));
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
