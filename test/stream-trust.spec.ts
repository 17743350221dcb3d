import { expect } from 'chai';
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import WebSocket from 'ws';
import { requireData } from '@fusion/core';
import { CLI, cli, tmpDir, trainTiny } from './helpers';
import { lines, T0, waitFor } from './stream-helpers';

interface Server {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
  port: (kind: 'tcp' | 'ws') => number;
}

/** Starts `fusion-cli stream` with `args` and waits until every tcp/ws source listens. */
async function startServer(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Server> {
  const child = spawn(process.execPath, [CLI, 'stream', ...args], { cwd: dir, env: { ...process.env, FORCE_COLOR: '0', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const kinds = args.filter((a) => /^(tcp|ws):/.test(a)).map((a) => a.split(':')[0]);
  await waitFor(() => kinds.every((k) => new RegExp(`listening on ${k} 127\\.0\\.0\\.1:\\d+`).test(stderr)) || child.exitCode !== null, 'the servers to listen');
  const port = (k: string): number => Number(new RegExp(`listening on ${k} 127\\.0\\.0\\.1:(\\d+)`).exec(stderr)?.[1]);
  return { child, out: () => stdout, err: () => stderr, exited, port };
}

/** A TCP client: connects, sends `text` (optionally in pieces), keeps what the server answers; resolves at close. */
function tcpClient(port: number): { sock: net.Socket; received: () => string; closed: Promise<void> } {
  const sock = net.connect(port, '127.0.0.1');
  let got = '';
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => (got += d));
  sock.on('error', () => undefined); // a reset by the server is what some tests expect
  const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
  return { sock, received: () => got, closed };
}

/** Opens a WebSocket and resolves with 'open' or the HTTP status of the refused upgrade. */
function wsOutcome(url: string, headers: Record<string, string> = {}): Promise<{ status: 'open' | number; ws: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => resolve({ status: 'open', ws }));
    ws.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0, ws }));
    ws.on('error', () => undefined);
  });
}

function events(stdout: string): { stream?: string; probs?: Record<string, number>; windowEnd?: number; summary?: Record<string, number> }[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

describe('fusion-cli stream: untrusted clients and replay speed (end to end, real processes and sockets)', function () {
  this.timeout(180000);
  let dir: string;
  let run: string;
  const children: ChildProcessWithoutNullStreams[] = [];
  before(() => {
    dir = tmpDir('fusion-stream-trust-');
    run = trainTiny(dir, 'tiny');
  });
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replay @50 gives the predictions of @max (event time, not arrival time)', function () {
    const s02 = requireData(this, 'stress-predict', 'Raw_data', 'S02');
    // a 2-minute cut of a real recording: the model's sensors only
    const cut = path.join(dir, 'cut', 'S02');
    fs.mkdirSync(cut, { recursive: true });
    for (const f of ['HR.csv', 'EDA.csv', 'BVP.csv']) {
      const rows = fs.readFileSync(path.join(s02, f), 'utf8').split('\n');
      fs.writeFileSync(path.join(cut, f), rows.slice(0, 2 + 120 * Number(rows[1])).join('\n') + '\n');
    }
    const replay = (speed: string): { predictions: string[]; skippedBy: unknown } => {
      const r = cli(['stream', '--model', run, '--source', `replay:${cut}@${speed}`, '--warmup', '0', '--json'], dir, 120000);
      expect(r.status, r.stderr).to.equal(0);
      const all = events(r.stdout);
      const predictions = all.filter((e) => e.probs).map((e) => `${e.windowEnd} ${e.probs?.low.toFixed(6)} ${e.probs?.high.toFixed(6)}`);
      return { predictions, skippedBy: all[all.length - 1].summary?.skippedBy };
    };
    const atMax = replay('max');
    expect(atMax.predictions.length).to.be.greaterThan(15);
    // before the fix every window at a finite speed was skipped as "missing"
    expect(replay('50')).to.deep.equal(atMax);
  });

  it('a port in use exits 1 naming the port and how to choose another', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      for (const kind of ['tcp', 'ws']) {
        const r = cli(['stream', '--model', run, '--source', `${kind}:${port}`], dir, 60000);
        expect(r.status, r.stderr).to.equal(1);
        expect(r.stderr).to.contain(`port ${port} is in use; choose another with ${kind}:<port>`);
      }
    } finally {
      blocker.close();
    }
  });

  it('one TCP client sending garbage, absurd values and a huge line ends neither the server nor the other client\'s stream', async () => {
    const s = await startServer(dir, ['--model', run, '--source', 'tcp:0', '--warmup', '0', '--reorder', '0.5', '--json']);
    children.push(s.child);
    const port = s.port('tcp');
    const good = tcpClient(port);
    const bad = tcpClient(port);
    const goodLines = lines('good', 0, 30);
    const badLines = [
      'garbage',
      '{"stream":"bad","sensor":"eda","t0":1700000000,"fs":4,"values":[1, 2, 250, 1]}',
      '{"stream":"bad","sensor":"hr","t":1e15,"values":[70]}',
      '{"stream":"bad","sensor":"bvp","t0":1700000000,"fs":1e9,"values":[1,2]}',
      '{"stream":"good","sensor":"temp","t":1700000001,"values":[80]}',
      'x'.repeat(3 << 20),
      ...lines('bad', 0, 3).map((l) => l.replace('"values":[', '"values":[1e30,')),
      '{"stream":"bad","sensor":"hr","t":1700000001,"values":[70]}',
    ];
    // interleave the two clients, the bad one first
    for (let i = 0; i < Math.max(goodLines.length, badLines.length); i += 10) {
      if (i < badLines.length) bad.sock.write(badLines.slice(i, i + 10).join('\n') + '\n');
      good.sock.write(goodLines.slice(i, i + 10).join('\n') + '\n');
      await new Promise((r) => setTimeout(r, 5));
    }
    bad.sock.end();
    good.sock.end();
    await Promise.all([good.closed, bad.closed]);
    await waitFor(() => events(s.out()).filter((e) => e.stream === 'good' && e.probs).length >= 4, 'windows of the good stream');
    expect(s.child.exitCode, 'the server still runs').to.equal(null);
    // a client connecting after all that is still served
    const later = tcpClient(port);
    later.sock.end(lines('later', 0, 12).join('\n') + '\n');
    await later.closed;
    await waitFor(() => events(s.out()).some((e) => e.stream === 'later' && e.probs), 'windows of a later client');
    s.child.kill('SIGINT');
    expect(await s.exited, s.err()).to.equal(0);
    const all = events(s.out());
    const summary = all[all.length - 1].summary as Record<string, number>;
    expect(summary.malformed, s.err()).to.be.at.least(8);
    expect(summary.failedStreams).to.equal(0);
    expect(all.filter((e) => e.stream === 'good' && e.probs).map((e) => (e.windowEnd as number) - T0)).to.include.members([5, 10, 15, 20, 25]);
    expect(s.err()).to.contain('outside the plausible 0..100 uS').and.contain('time 1000000000000000 is outside 2000-2100');
    expect(s.err()).to.contain('the bvp sample rate 1000000000 Hz is not near').and.contain('temp value 80 is outside');
    expect(s.err()).to.match(/line longer than \d+ characters/);
  });

  it('token, Origin allow list, idle connections and the connection limit (tcp and ws)', async () => {
    const s = await startServer(
      dir,
      ['--model', run, '--source', 'tcp:0', '--source', 'ws:0', '--warmup', '0', '--idle', '2', '--max-connections', '2', '--allow-origin', 'https://ok.example'],
      { FUSION_STREAM_TOKEN: 's3cret' }
    );
    children.push(s.child);
    const tcp = s.port('tcp');
    const ws = `ws://127.0.0.1:${s.port('ws')}`;
    expect(s.err()).to.contain('(token required)');

    // tcp: no token, a wrong token -> an error line and the connection closed; the right token -> served
    for (const first of ['{"stream":"x","sensor":"hr","t":1700000000,"values":[70]}', '{"token":"wrong"}']) {
      const c = tcpClient(tcp);
      c.sock.write(first + '\n');
      await c.closed;
      expect(c.received()).to.contain('unauthorized');
    }
    const ok = tcpClient(tcp);
    ok.sock.end(['{"token":"s3cret"}', ...lines('tok', 0, 12)].join('\n') + '\n');
    await ok.closed;
    await waitFor(() => events(s.out()).some((e) => e.stream === 'tok' && e.probs), 'windows of the client with the token');
    expect(s.err()).to.match(/refused \(the first line was not \{"token": "\.\.\."\}/);

    // ws: no token 401, Bearer header or ?token= open, a browser Origin not listed 403, a listed one open
    expect((await wsOutcome(ws)).status).to.equal(401);
    const opened: WebSocket[] = [];
    const bearer = await wsOutcome(ws, { Authorization: 'Bearer s3cret' });
    expect(bearer.status).to.equal('open');
    opened.push(bearer.ws);
    expect((await wsOutcome(`${ws}/?token=s3cret`, { Origin: 'https://evil.example' })).status).to.equal(403);
    const listed = await wsOutcome(`${ws}/?token=s3cret`, { Origin: 'https://ok.example' });
    expect(listed.status).to.equal('open');
    opened.push(listed.ws);
    // two ws connections are open: a third is refused by --max-connections 2
    expect((await wsOutcome(`${ws}/?token=s3cret`)).status).to.equal(503);
    // silent connections are closed by --idle (2 s) on both servers
    const silentTcp = tcpClient(tcp);
    await Promise.all([silentTcp.closed, ...opened.map((w) => new Promise((r) => (w.readyState === WebSocket.CLOSED ? r(undefined) : w.on('close', r))))]);
    expect(s.err()).to.match(/tcp#\d+ [^ ]+: closed after 2 s without data \(--idle\)/).and.match(/ws#\d+ [^ ]+: closed after 2 s without data/);
    s.child.kill('SIGINT');
    expect(await s.exited, s.err()).to.equal(0);
  });

  it('tcp --max-connections refuses connections beyond the limit', async () => {
    const s = await startServer(dir, ['--model', run, '--source', 'tcp:0', '--max-connections', '1']);
    children.push(s.child);
    const first = tcpClient(s.port('tcp'));
    await new Promise<void>((resolve) => first.sock.on('connect', () => resolve()));
    await waitFor(() => /tcp#1 [^ ]+: connected/.test(s.err()), 'the first connection');
    const second = tcpClient(s.port('tcp'));
    await second.closed;
    expect(s.err()).to.match(/tcp#2 [^ ]+: refused \(already 1 connections/);
    first.sock.end();
    await first.closed;
    s.child.kill('SIGINT');
    expect(await s.exited, s.err()).to.equal(0);
  });
});
