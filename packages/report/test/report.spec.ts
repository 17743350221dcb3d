import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Rng } from '@fusion/core';
import { auc, StagedOutput } from '@fusion/runner';
import { escapeHtml, parsePredictionsCsv, pooledRocSpec, renderReportHtml, rocCurve, rocCurves, splitCsvLine, writeReport } from '../src';
import { makeFixture } from './fixture';

const EVIL = '<script>alert("x")</script>&\'';

/** The chart figures of a report: id and inner SVG. */
function charts(html: string): { id: string; svg: string }[] {
  const out: { id: string; svg: string }[] = [];
  const re = /<figure class="chart" id="([^"]*)"[^>]*>([\s\S]*?)<\/figure>/g;
  for (let m = re.exec(html); m; m = re.exec(html)) out.push({ id: m[1], svg: m[2] });
  return out;
}

/** Marks with geometry: a path with a non-empty d, or a rect / line with a size. */
function markCount(svg: string): number {
  const paths = (svg.match(/<path[^>]*\sd="M[^"]+"/g) ?? []).length;
  const rects = (svg.match(/<rect[^>]*\swidth="[1-9][^"]*"[^>]*\sheight="[1-9]/g) ?? []).length;
  const lines = (svg.match(/<line[^>]*x2="[^"]*"/g) ?? []).length;
  return paths + rects + lines;
}

/** Anything that would make the page fetch: scripts, links, src/href attributes, CSS imports or url(). */
export function externalReferences(html: string): string[] {
  const found: string[] = [];
  for (const re of [/<script\b/gi, /<link\b/gi, /<iframe\b/gi, /<img\b/gi, /<object\b/gi, /<embed\b/gi, /\s(src|href|xlink:href|srcset|action|poster)\s*=/gi, /@import/gi, /url\s*\(\s*(?!['"]?#)/gi]) {
    for (const m of html.match(re) ?? []) found.push(m);
  }
  // url(#id) (an SVG gradient within the page) is fine; http(s) may only appear as SVG namespace names (never fetched)
  const withoutNs = html.replace(/xmlns(:xlink)?="http:\/\/www\.w3\.org\/[^"]*"/g, '');
  for (const m of withoutNs.match(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi) ?? []) found.push(m);
  return found;
}

describe('report', function () {
  this.timeout(120000);

  describe('predictions and ROC', () => {
    it('splits quoted CSV cells', () => {
      expect(splitCsvLine('1,"a,b","say ""hi""",3')).to.deep.equal(['1', 'a,b', 'say "hi"', '3']);
    });

    it('parses predictions.csv by column name', () => {
      const rows = parsePredictionsCsv('fold,subject,window_end,true,pred,p_low,p_high,majority_pred,class_ratio_pred\n2,"S,1",10.000,1,0,0.7,0.3,0,1\n', ['low', 'high']);
      expect(rows).to.deep.equal([{ fold: 2, subject: 'S,1', windowEnd: 10, trueClass: 1, pred: 0, probs: [0.7, 0.3], baselinePreds: { majority: 0, classRatio: 1 } }]);
      expect(() => parsePredictionsCsv('fold,subject\n1,a\n', ['low', 'high'])).to.throw(/window_end/);
      expect(parsePredictionsCsv('', ['a'])).to.deep.equal([]);
      const withFeatures = parsePredictionsCsv('fold,subject,window_end,true,pred,p_low,p_high,features_pred,features_p_low,features_p_high\n1,a,5,1,1,0.4,0.6,0,0.8,0.2\n', ['low', 'high']);
      expect(withFeatures[0].featureProbs).to.deep.equal([0.8, 0.2]);
    });

    it('draws the feature baseline\'s ROC beside the model\'s when predictions.csv has its probabilities', () => {
      const rows = [0, 1, 0, 1].map((y, i) => ({ fold: 1, subject: 's', windowEnd: i, trueClass: y, pred: y, probs: [1 - 0.2 * i, 0.2 * i], featureProbs: [0.5, i % 2 ? 0.6 : 0.4] }));
      const spec = pooledRocSpec(rows, ['low', 'high']) as { data: { values: { curve: string }[] } };
      const names = new Set(spec.data.values.map((v) => v.curve));
      expect([...names].some((n) => n.startsWith('feature baseline'))).to.equal(true);
      expect([...names].some((n) => n.startsWith('model: high'))).to.equal(true);
    });

    it('computes ROC curves whose area matches the rank statistic, from (0,0) to (1,1)', () => {
      const rng = new Rng('roc');
      const pos = Array.from({ length: 300 }, () => rng.next() < 0.4);
      const scores = pos.map((p) => Math.round((rng.normal() + (p ? 0.8 : 0)) * 10) / 10); // with ties
      const r = rocCurve(scores, pos)!;
      expect(r.auc).to.equal(auc(scores, pos));
      // the curve drawn is the one whose area is reported (trapezoids; ties make one diagonal step)
      let area = 0;
      for (let i = 1; i < r.points.length; i++) area += (r.points[i].fpr - r.points[i - 1].fpr) * ((r.points[i].tpr + r.points[i - 1].tpr) / 2);
      expect(r.points.length, 'not thinned').to.be.below(400);
      expect(area).to.be.closeTo(r.auc, 1e-9);
      expect(r.points[0]).to.deep.equal({ fpr: 0, tpr: 0 });
      expect(r.points[r.points.length - 1]).to.deep.equal({ fpr: 1, tpr: 1 });
      expect(rocCurve([0.1, 0.9, 0.8], [false, true, true])!.auc).to.equal(1);
      expect(rocCurve([0.1, 0.2], [true, true])).to.equal(undefined);
    });

    it('uses the positive class for binary and one-vs-rest for more classes', () => {
      const { csv } = makeFixture({ classes: ['a', 'b', 'c'] });
      const rows = parsePredictionsCsv(csv, ['a', 'b', 'c']);
      expect(rocCurves(rows, ['a', 'b', 'c']).map((c) => c.name)).to.deep.equal(['a vs rest', 'b vs rest', 'c vs rest']);
      const bin = makeFixture();
      expect(rocCurves(parsePredictionsCsv(bin.csv, ['low', 'high']), ['low', 'high']).map((c) => c.name)).to.deep.equal(['high (positive class)']);
    });
  });

  describe('renderReportHtml', () => {
    let html: string;
    const fx = makeFixture({ features: true, subjects: ['S1', 'S2', 'S3', EVIL, 'S5', 'S6'], name: `run ${EVIL}` });

    before(async () => {
      html = await renderReportHtml(fx.metrics, fx.csv, fx.spec);
    });

    it('is a self-contained page with no external references', () => {
      expect(html.startsWith('<!DOCTYPE html>')).to.equal(true);
      expect(externalReferences(html)).to.deep.equal([]);
      expect(html).to.include("Content-Security-Policy\" content=\"default-src 'none'");
    });

    it('holds every chart as an inline SVG with marks', () => {
      const found = charts(html);
      expect(found.map((c) => c.id)).to.deep.equal([
        'chart-summary',
        'chart-loss',
        'chart-val-ba',
        'chart-confusion-pooled',
        'chart-confusion-folds',
        'chart-subjects',
        'chart-roc-pooled',
        'chart-roc-folds',
      ]);
      expect((html.match(/<svg\b/g) ?? []).length).to.equal(found.length);
      for (const c of found) {
        expect(c.svg, c.id).to.match(/^<svg [^>]*width="\d+"/);
        expect(markCount(c.svg), `${c.id} marks`).to.be.greaterThan(3);
      }
    });

    it('escapes every inserted text (run name, subject names, warnings, spec)', () => {
      expect(html).to.not.match(/<script/i);
      expect(html).to.include('run &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;');
      expect(html).to.include('one warning &lt;b&gt;with markup&lt;/b&gt;');
      expect(html).to.not.include('<b>with markup');
      expect(escapeHtml(`<a href="x">'&'</a>`)).to.equal('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    });

    it('has the header facts, the summary table with every baseline and the honest framing', () => {
      for (const t of ['fake dataset', 'tensorflow', '2025-03-01 12:34:56 UTC', '12 min 34 s', '2,034', 'group-kfold (k=3)', 'in-process · 6 job(s) (1 resumed)', 'Seed', 'Windows', 'Subjects']) expect(html, t).to.include(t);
      expect(html).to.include(`low: ${fx.metrics.dataset.classCounts.low} (`);
      const table = html.slice(html.indexOf('<table class="summary">'), html.indexOf('</table>'));
      for (const t of ['Model', 'Majority class', 'Class ratio (random)', 'Feature baseline', 'Balanced accuracy', 'Macro-F1', 'AUROC', 'Accuracy']) expect(table, t).to.include(t);
      expect(table).to.include(fx.metrics.summary.model.balancedAccuracy.toFixed(3));
      const framing = /<p class="framing">([\s\S]*?)<\/p>/.exec(html)![1];
      expect(framing).to.include('scores 0.5');
      const margin = fx.metrics.summary.model.balancedAccuracy - fx.metrics.summary.baselines.majority.balancedAccuracy;
      expect(framing).to.include(`margin of +${margin.toFixed(3)}`);
      expect(framing).to.include('feature baseline');
    });

    it('pairs the model with the feature baseline per subject: mean difference, bootstrap interval, Wilcoxon p', () => {
      const c = fx.metrics.summary.comparisons!.featureBaseline;
      const table = html.slice(html.indexOf('<table class="paired">'));
      const body = table.slice(0, table.indexOf('</table>'));
      const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`;
      expect(body).to.include('Model − feature baseline').and.include('Wilcoxon p').and.include('95% bootstrap interval');
      expect(body).to.include(`<th scope="row">balanced accuracy</th><td class="num">${signed(c.balancedAccuracy.mean!)}</td><td class="num">${signed(c.balancedAccuracy.ci95![0])} to ${signed(c.balancedAccuracy.ci95![1])}</td>`);
      expect(body).to.include(`(${c.balancedAccuracy.wilcoxon!.method})`).and.include(`<td class="num">${c.auroc.subjects}</td>`);
      expect(html).to.match(/feature baseline (on unseen subjects|is not distinguishable|lies (above|below) zero, but the Wilcoxon)/);
    });

    it('leaves out the pooled cells of the label-only baselines, with the reason', () => {
      const table = html.slice(html.indexOf('<table class="summary">'), html.indexOf('</table>'));
      const row = (label: string): string => table.slice(table.indexOf(label), table.indexOf('</tr>', table.indexOf(label)));
      for (const label of ['Majority class', 'Class ratio (random)']) expect((row(label).match(/–\*/g) ?? []).length, label).to.equal(2);
      expect(row('Feature baseline')).to.not.include('–*');
      expect(html).to.include('id="pooled-note"');
      expect(html).to.include('values below chance');
    });

    it('shows the spec as pretty JSON and the backend', () => {
      expect(html).to.include('<pre>{\n  &quot;name&quot;: &quot;run &lt;script&gt;');
      expect(html).to.match(/Backend: <strong>tensorflow<\/strong>/);
    });
  });

  it('says when the model does not beat the majority baseline', async () => {
    const fx = makeFixture({ skill: -5 });
    const html = await renderReportHtml(fx.metrics, fx.csv, fx.spec);
    expect(html).to.include('does not beat the majority baseline');
  });

  it('renders three classes (one-vs-rest ROC, 3x3 confusion)', async () => {
    const fx = makeFixture({ classes: ['calm', 'neutral', 'stressed'], folds: 2, subjects: ['a', 'b', 'c', 'd'] });
    const html = await renderReportHtml(fx.metrics, fx.csv, JSON.stringify(fx.spec));
    expect(html).to.include('1/3');
    const roc = charts(html).find((c) => c.id === 'chart-roc-pooled')!;
    for (const c of ['calm vs rest', 'neutral vs rest', 'stressed vs rest']) expect(roc.svg).to.include(c);
    expect(externalReferences(html)).to.deep.equal([]);
  });

  it('leaves out the ROC curves, with a note, without predictions', async () => {
    const fx = makeFixture();
    const html = await renderReportHtml(fx.metrics, '', fx.spec);
    expect(charts(html).map((c) => c.id)).to.not.include('chart-roc-pooled');
    expect(html).to.include('No ROC curves');
  });

  it('writeReport writes report.html into the staged run folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-'));
    const out = new StagedOutput(path.join(dir, 'run'));
    try {
      const fx = makeFixture();
      out.writeJson('spec.json', fx.spec);
      out.writeText('predictions.csv', fx.csv);
      await writeReport(fx.metrics, out);
      const html = fs.readFileSync(out.path('report.html'), 'utf8');
      expect(charts(html)).to.have.length(8);
      expect(html).to.include('&quot;sensors&quot;');
    } finally {
      out.discard();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
