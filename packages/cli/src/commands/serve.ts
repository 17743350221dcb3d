import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { OutputError, RunFolderError } from '@fusion/core';
import { UsageError } from '../usage-error';
import type { Terminal } from '../terminal';

export interface ServeCommandOptions {
  port?: string;
  host?: string;
  json?: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

/** Folder of a package's file (resolved from this CLI's node_modules). */
function packageDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

/**
 * The served tree: `/` the demo page (index.html, demo.js), `/bundle/` the bundle, and the scripts the page loads
 * (`/fusion-web.min.js`, `/tf.min.js`, `/tf-backend-wasm.min.js` and its `.wasm` files). Anything else is 404.
 */
export function servedRoutes(bundleDir: string): { prefix: string; dir: string; only?: RegExp }[] {
  const web = packageDir('@fusion/web');
  return [
    { prefix: '/bundle/', dir: bundleDir },
    { prefix: '/', dir: path.join(web, 'dist'), only: /^fusion-web\.min\.js$/ },
    { prefix: '/', dir: path.join(packageDir('@tensorflow/tfjs'), 'dist'), only: /^tf\.min\.js$/ },
    { prefix: '/', dir: path.join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist'), only: /^(tf-backend-wasm\.min\.js|tfjs-backend-wasm(-simd|-threaded-simd)?\.wasm)$/ },
    { prefix: '/', dir: path.join(web, 'demo'), only: /^(index\.html|demo\.js)$/ },
  ];
}

/** The file a request path maps to, or undefined (404). Paths that leave their folder (.., encoded or not) are refused. */
export function resolveRequest(routes: ReturnType<typeof servedRoutes>, urlPath: string): string | undefined {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (rel.includes('\0') || rel.includes('\\')) return undefined;
  if (rel === '/') rel = '/index.html';
  for (const r of routes) {
    if (!rel.startsWith(r.prefix)) continue;
    const sub = rel.slice(r.prefix.length);
    if (r.only && !r.only.test(sub)) continue;
    const file = path.resolve(r.dir, '.' + path.posix.normalize('/' + sub));
    if (file !== r.dir && !file.startsWith(r.dir + path.sep)) return undefined;
    if (sub.split('/').includes('..')) return undefined;
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return file;
  }
  return undefined;
}

/** `fusion-cli serve <bundle>`: the demo page, the bundle and the scripts on a local http server (127.0.0.1 by default). */
export async function serveCommand(bundle: string, opts: ServeCommandOptions, term: Terminal): Promise<void> {
  const port = opts.port === undefined ? 8080 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535 (0: any free port), received "${opts.port}".`);
  const bundleDir = path.resolve(bundle);
  const manifest = path.join(bundleDir, 'fusion.json');
  if (!fs.existsSync(manifest)) throw new RunFolderError(`${manifest} not found: ${bundle} is not an export bundle. Give the folder written by \`fusion-cli export <run> --out <dir>\`.`);
  const routes = servedRoutes(bundleDir);
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      res.end();
      return;
    }
    const file = resolveRequest(routes, new URL(req.url ?? '/', 'http://localhost').pathname);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    if (method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new OutputError(e.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use; give another with --port N (0: any free port).` : `cannot listen on ${host}:${port}: ${e.message}`))
    );
    server.listen(port, host, resolve);
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/`;
  if (opts.json) term.printJson({ url, bundle: bundleDir });
  else term.result(`serving ${path.relative(process.cwd(), bundleDir) || '.'} with the demo page at ${url} (Ctrl-C stops)`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
