import { expect } from 'chai';
import { cli, suiteDir } from './helpers';

describe('fusion-cli --help and option names (real processes)', function () {
  this.timeout(120000);
  const folder = suiteDir('fusion-help-');

  it('every command\'s --help ends with an Example line', () => {
    const dir = folder();
    const main = cli(['--help'], dir);
    expect(main.status).to.equal(0);
    const section = main.stdout.split('Commands:')[1];
    const commands = [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    expect(commands).to.include.members(['run', 'stream', 'predict', 'evaluate', 'runs', 'compare']);
    for (const c of commands) {
      const r = cli([c, '--help'], dir);
      expect(r.status, c).to.equal(0);
      expect(r.stdout, c).to.match(/^Examples?:\n {2}\$ fusion-cli /m);
      expect(r.stdout, c).to.contain(`$ fusion-cli ${c} `);
    }
  });

  it('stream: the buffer is --max-pending (--queue is a Redis URL elsewhere); --queue still works, hidden, with a warning', () => {
    const dir = folder();
    const help = cli(['stream', '--help'], dir).stdout;
    expect(help).to.contain('--max-pending <n>');
    expect(help).to.not.contain('--queue');
    const bad = cli(['stream', '--model', 'nowhere', '--source', 'stdin', '--max-pending', '0'], dir);
    expect(bad.status).to.equal(2);
    expect(bad.stderr).to.contain('--max-pending');
    const old = cli(['stream', '--model', 'nowhere', '--source', 'stdin', '--queue', '0'], dir);
    expect(old.status).to.equal(2);
    expect(old.stderr).to.contain('warning: --queue on stream is deprecated').and.contain('--max-pending');
  });
});
