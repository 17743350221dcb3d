import { expect } from 'chai';
import * as net from 'net';
import { FusionError, isPermanentError, SpecValidationError, TrainingError } from '@fusion/core';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { canonicalJson, connectionOf, decodeError, encodeError, probeRedis, queueJobId, redactUrl, runIdOf, safeResultDir } from '../src';

describe('queue protocol', () => {
  it('canonical JSON ignores key order; run ids are stable per spec, base folder and output folder', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] })).to.equal(canonicalJson({ a: [{ x: 1, y: 2 }], b: 1 }));
    const spec = { name: 'tiny', seed: 5, training: { epochs: 2, learningRate: 0.01 } };
    const same = { training: { learningRate: 0.01, epochs: 2 }, seed: 5, name: 'tiny' };
    expect(runIdOf(spec, '/data', '/runs/a')).to.equal(runIdOf(same, '/data', '/runs/a'));
    expect(runIdOf(spec, '/data', '/runs/a')).to.match(/^tiny-[0-9a-f]{16}$/);
    expect(runIdOf(spec, '/data', '/runs/b')).to.not.equal(runIdOf(spec, '/data', '/runs/a'));
    const other = { ...spec, seed: 6 };
    expect(runIdOf(other, '/data', '/runs/a')).to.not.equal(runIdOf(spec, '/data', '/runs/a'));
    expect(queueJobId(runIdOf(spec, '/d', '/o'), 'point-1-fold-2-member-1')).to.not.contain(':');
  });

  it('errors travel as "[Name] message": data, spec and training errors are permanent, others are retried', () => {
    const t = new TrainingError('fold 1: the training loss is NaN');
    expect(isPermanentError(t)).to.equal(true);
    expect(isPermanentError(new SpecValidationError('x.json', [{ path: '/a', message: 'bad' }]))).to.equal(true);
    expect(isPermanentError(new Error('ECONNRESET'))).to.equal(false);
    expect(isPermanentError(new FusionError('a worker process exited'))).to.equal(false);
    const back = decodeError(encodeError(t), 'fold-1-member-1', 1);
    expect(back.name).to.equal('TrainingError');
    expect(back).to.be.instanceOf(FusionError);
    expect(back.message).to.equal(t.message);
    const other = decodeError(encodeError(new Error('boom')), 'fold-1-member-1', 3);
    expect(other.message).to.contain('after 3 attempts').and.contain('boom');
    expect(decodeError('job stalled more than allowable limit', 'j', 3).message).to.contain('stalled more than allowable limit');
  });

  it('parses Redis URLs and hides passwords', () => {
    expect(connectionOf('redis://10.0.0.5:6380/2')).to.include({ host: '10.0.0.5', port: 6380, db: 2 });
    expect(connectionOf('redis://:s3cret@h')).to.include({ host: 'h', port: 6379, password: 's3cret' });
    expect(connectionOf('rediss://h:1')).to.have.property('tls');
    expect(() => connectionOf('http://h:1')).to.throw(FusionError, /redis:\/\//);
    expect(() => connectionOf('not a url')).to.throw(FusionError, /Redis URL/);
    expect(redactUrl('redis://u:s3cret@h:1')).to.not.contain('s3cret');
  });

  it('passes percent-encoded user names and passwords, IPv6 hosts and rediss:// (TLS with the host name) to ioredis', () => {
    expect(connectionOf(`redis://alice:${encodeURIComponent('p@ss w:rd/%')}@10.0.0.5:6380`)).to.include({ username: 'alice', password: 'p@ss w:rd/%', host: '10.0.0.5', port: 6380 });
    expect(connectionOf('redis://[::1]:6390')).to.include({ host: '::1', port: 6390 });
    expect(connectionOf('rediss://:pw@redis.example.org:6380')).to.deep.include({ host: 'redis.example.org', password: 'pw', tls: { servername: 'redis.example.org' } });
    expect(connectionOf('rediss://127.0.0.1')).to.deep.include({ tls: {} });
    expect(redactUrl(`rediss://:${encodeURIComponent('p@ss w:rd')}@h:1`)).to.not.contain('p%40ss');
  });

  it('returned files may land only inside the run folder: no .., no absolute path, no symbolic link out, plain names', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-safe-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'fusion-outside-'));
    try {
      const fail = (why: string): Error => new Error(why);
      expect(safeResultDir(root, path.join('models', 'fold-1', 'member-1'), ['model.json', 'weights.bin'], fail)).to.equal(path.join(root, 'models', 'fold-1', 'member-1'));
      expect(() => safeResultDir(root, '../x', ['model.json'], fail)).to.throw(/not a plain relative path/);
      expect(() => safeResultDir(root, 'models/../../x', ['model.json'], fail)).to.throw(/not a plain relative path/);
      expect(() => safeResultDir(root, outside, ['model.json'], fail)).to.throw(/not a plain relative path/);
      expect(() => safeResultDir(root, 'models/a', ['../model.json'], fail)).to.throw(/not a plain file name/);
      expect(() => safeResultDir(root, 'models/a', ['..'], fail)).to.throw(/not a plain file name/);
      fs.symlinkSync(outside, path.join(root, 'link'));
      expect(() => safeResultDir(root, 'link/member-1', ['model.json'], fail)).to.throw(/symbolic link/);
      fs.symlinkSync(path.join(outside, 'target'), path.join(root, 'models', 'fold-1', 'member-1', 'model.json'));
      expect(() => safeResultDir(root, path.join('models', 'fold-1', 'member-1'), ['model.json'], fail)).to.throw(/symbolic link/);
      expect(fs.readdirSync(outside)).to.deep.equal([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('an unreachable Redis is a named error at once', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    let err: unknown;
    try {
      await probeRedis(`redis://127.0.0.1:${port}`, 3000);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(FusionError);
    expect((err as Error).message).to.contain('cannot reach Redis');
  });
});
