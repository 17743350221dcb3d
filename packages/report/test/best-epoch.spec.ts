import { expect } from 'chai';
import { renderReportHtml } from '../src';
import { lossSpec } from '../src/charts';
import { makeFixture } from './fixture';

describe('report: learning curves mark the best epoch; window counts say what they include', () => {
  it('the loss chart has a best-epoch marker layer on each member\'s best epoch of the validation curve', () => {
    const fx = makeFixture();
    const spec = lossSpec(fx.metrics) as { data: { values: { fold: number; member: string; epoch: number; series: string; best?: boolean }[] }; spec: { layer: { transform?: { filter: string }[]; mark: { shape?: string } }[] } };
    const marker = spec.spec.layer.find((l) => l.transform?.[0]?.filter === 'datum.best === true');
    expect(marker?.mark.shape).to.equal('diamond');
    const best = spec.data.values.filter((v) => v.best);
    const members = fx.metrics.folds.flatMap((f) => f.members.map((m) => ({ fold: f.index, member: `member ${m.member}`, epoch: m.bestEpoch })));
    expect(best.map((v) => ({ fold: v.fold, member: v.member, epoch: v.epoch }))).to.deep.equal(members);
    expect(best.every((v) => v.series === 'validation')).to.equal(true);
  });

  it('the fold table says the training-window count includes augmented copies', async () => {
    const fx = makeFixture();
    const html = await renderReportHtml(fx.metrics, fx.csv, fx.spec);
    expect(html).to.contain('train includes augmented copies').and.contain('best epoch of each member');
  });
});
