import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { DataFormatError, Dataset, DatasetError, LoadContext } from '@fusion/core';
import { e4Adapter, readKEmoCon, readKEmoConAnnotations, readKEmoConSubjects, readStressPredict, writeSyntheticFiles } from '../src';
import { STRESS_PREDICT, thrown, tmpDir } from './helpers';
import { requireData } from '@fusion/core';

/**
 * The same data twice is named, never silently on both sides of a fold: a repeated index row or two folders for one
 * subject id are errors; identical recordings under two subject names are a warning (test fixtures copy files on purpose).
 */
describe('duplicated input', () => {
  let dir: string;
  before(() => (dir = tmpDir()));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const exportFiles = (d: string, hr: number[]): void => {
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'HR.csv'), `1644226061\n1\n${hr.join('\n')}\n`);
  };

  it('E4 dataset: one export copied under a second subject name is a warning naming both', async () => {
    const root = path.join(dir, 'e4');
    exportFiles(path.join(root, 'anna'), [70, 71, 72]);
    exportFiles(path.join(root, 'bert'), [80, 81, 82]);
    fs.cpSync(path.join(root, 'anna'), path.join(root, 'copy-of-anna'), { recursive: true });
    const load = (): Promise<Dataset> => e4Adapter.load({ type: 'e4', path: root }, { baseDir: dir, sensors: ['hr'] } as unknown as LoadContext);
    const ds = await load();
    expect(ds.warnings.join('\n')).to.contain('the same recording appears under more than one subject').and.contain('anna (').and.contain('copy-of-anna (');
    expect(ds.warnings.join('\n')).to.not.contain('bert');
    fs.rmSync(path.join(root, 'copy-of-anna'), { recursive: true });
    expect((await load()).warnings).to.deep.equal([]);
  });

  it('Stress-Predict: two folders naming one subject (S1 and S01) are refused', () => {
    const root = path.join(dir, 'sp-names');
    exportFiles(path.join(root, 'S01'), [70]);
    exportFiles(path.join(root, 'S1'), [70]);
    const e = thrown(() => readStressPredict(root, { sensors: ['hr'] }));
    expect(e).to.be.instanceOf(DatasetError);
    expect(e.message).to.contain(path.join(root, 'S01')).and.contain(path.join(root, 'S1')).and.contain('the same subject S01');
  });

  it('Stress-Predict: a real subject copied as another subject is named in a warning', function () {
    const stressPredict = requireData(this, ...STRESS_PREDICT);
    const root = path.join(dir, 'sp-copy');
    for (const s of ['S01', 'S40']) {
      fs.mkdirSync(path.join(root, s), { recursive: true });
      for (const f of ['HR.csv', 'EDA.csv']) fs.copyFileSync(path.join(stressPredict, 'S01', f), path.join(root, s, f));
      fs.copyFileSync(path.join(stressPredict, 'S01', 'tags_S01.csv'), path.join(root, s, `tags_${s}.csv`));
    }
    const w = readStressPredict(root, { sensors: ['hr', 'eda'] }).warnings.join('\n');
    expect(w).to.contain('the same recording appears under more than one subject').and.contain('S01 (').and.contain('S40 (');
  });

  it('K-EmoCon: a participant row repeated in subjects.csv, an interval repeated in an annotation file', () => {
    const f = path.join(dir, 'subjects.csv');
    fs.writeFileSync(f, 'pid,initTime,startTime,endTime\n1,1544000000000,1544000060000,1544000660000\n2,1544100000000,1544100060000,1544100660000\n1,1544000000000,1544000060000,1544000660000\n');
    const e = thrown(() => readKEmoConSubjects(f));
    expect(e).to.be.instanceOf(DataFormatError);
    expect(e.message).to.contain(`${f}:4:`).and.contain('participant 1 is listed again (first on line 2)');
    const a = path.join(dir, 'P1.external.csv');
    fs.writeFileSync(a, 'seconds,arousal,valence\n5,3,3\n10,2,4\n10,2,4\n');
    const g = thrown(() => readKEmoConAnnotations(a, 1544000060000));
    expect(g).to.be.instanceOf(DataFormatError);
    expect(g.message).to.contain(`${a}:4:`).and.contain('seconds 10 is listed again (first on line 3)');
  });

  it('K-EmoCon: one participant\'s signal files copied into another participant\'s folder are named in a warning', () => {
    const root = path.join(dir, 'kemocon');
    writeSyntheticFiles(root, { participants: 3, minutes: 1, seed: 4 });
    const before = readKEmoCon(root, { sensors: ['hr', 'eda'] });
    expect(before.recordings).to.have.length(3);
    expect(before.warnings.join('\n')).to.not.contain('the same recording');
    // participant 3's folder now holds participant 2's files (the debate times differ, the samples do not)
    for (const f of fs.readdirSync(path.join(root, 'e4_data', '2'))) fs.copyFileSync(path.join(root, 'e4_data', '2', f), path.join(root, 'e4_data', '3', f));
    const w = readKEmoCon(root, { sensors: ['hr', 'eda'] }).warnings.join('\n');
    expect(w).to.contain('2 (').and.contain('3 (').and.contain('the same recording appears under more than one subject');
  });
});
