import { expect } from 'chai';
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import WebSocket from 'ws';
import { CLI, tmpDir, trainTiny } from './helpers';
import { lines, T0, waitFor } from './stream-helpers';

function sendTcp(port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.end(text));
    sock.on('close', () => resolve());
    sock.on('error', reject);
  });
}

describe('fusion-cli stream: TCP and WebSocket clients (end to end, real process)', function () {
  this.timeout(120000);
  let dir: string;
  let run: string;
  let child: ChildProcessWithoutNullStreams | undefined;
  before(() => {
    dir = tmpDir('fusion-stream-net-');
    run = trainTiny(dir, 'tiny');
  });
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves two concurrent streams over TCP and WebSocket, survives a malformed line, a duplicate and a reconnect, and stops on SIGINT with a summary', async () => {
    const c = spawn(process.execPath, [CLI, 'stream', '--model', run, '--source', 'tcp:0', '--source', 'ws:0', '--warmup', '0', '--reorder', '0.5', '--json'], {
      cwd: dir,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    child = c;
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => c.on('exit', (code) => resolve(code)));
    await waitFor(() => /listening on tcp 127\.0\.0\.1:\d+/.test(stderr) && /listening on ws 127\.0\.0\.1:\d+/.test(stderr), 'both servers to listen');
    const tcpPort = Number(/listening on tcp 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1]);
    const wsPort = Number(/listening on ws 127\.0\.0\.1:(\d+)/.exec(stderr)?.[1]);

    // WebSocket device: 20 s of data, two seconds per message
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}`);
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve());
      ws.on('error', reject);
    });
    const wsLines = lines('dev-ws', 0, 20);
    const wsDone = (async (): Promise<void> => {
      for (let i = 0; i < wsLines.length; i += 6) {
        ws.send(wsLines.slice(i, i + 6).join('\n'));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();

    // TCP device: 12 s, a malformed line and a repeated line, disconnect; then reconnect with the next 12 s
    const first = lines('dev-tcp', 0, 12);
    first.splice(9, 0, 'this is not json', first[8]);
    await sendTcp(tcpPort, first.join('\n') + '\n');
    await sendTcp(tcpPort, lines('dev-tcp', 12, 24).join('\n') + '\n');
    await wsDone;

    const events = (): { stream?: string; probs?: Record<string, number>; windowEnd?: number }[] =>
      stdout
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l));
    await waitFor(() => ['dev-tcp', 'dev-ws'].every((s) => events().some((e) => e.stream === s && e.probs)), 'events of both streams');
    ws.close();
    c.kill('SIGINT');
    const code = await exited;
    expect(code, stderr).to.equal(0);
    const all = events();
    const summary = (all[all.length - 1] as { summary?: Record<string, number> }).summary;
    expect(summary, 'last stdout line is the summary').to.be.an('object');
    expect(summary?.streams).to.equal(2);
    expect(summary?.malformed).to.equal(1);
    expect(summary?.duplicates).to.be.greaterThan(0);
    expect(summary?.dropped).to.equal(0);
    expect(stderr).to.match(/malformed line tcp#1 [^ ]+ line 10: not JSON/);
    expect(stderr).to.contain('summary:');
    const ends = (s: string): number[] => all.filter((e) => e.stream === s && e.probs).map((e) => (e.windowEnd as number) - T0);
    // the TCP stream continues across the reconnect: windows on both sides of it
    expect(ends('dev-tcp')).to.include.members([5, 10, 15, 20]);
    expect(ends('dev-ws')).to.include.members([5, 10, 15]);
    expect(summary?.predicted).to.equal(ends('dev-tcp').length + ends('dev-ws').length);
    for (const e of all.filter((x) => x.probs)) expect((e.probs as Record<string, number>).low + (e.probs as Record<string, number>).high).to.be.closeTo(1, 1e-5);
  });
});
