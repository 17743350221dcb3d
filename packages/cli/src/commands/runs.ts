import Table from 'cli-table3';
import * as fs from 'fs';
import * as path from 'path';
import { OutputError } from '@fusion/core';
import { formatPValue, pairedStatistics } from '@fusion/runner';
import type { PairedStatistics, RunMetrics } from '@fusion/runner';
import { UsageError } from '../usage-error';
import type { Terminal } from '../terminal';

/** A finished run folder and its metrics.json. */
interface RunFolder {
  dir: string;
  metrics: RunMetrics;
}

function readRun(dir: string): RunFolder {
  const file = path.join(dir, 'metrics.json');
  if (!fs.existsSync(file)) throw new UsageError(`${dir} is not a finished run folder: it has no metrics.json. Give a folder written by fusion-cli run (list them with fusion-cli runs).`);
  try {
    return { dir, metrics: JSON.parse(fs.readFileSync(file, 'utf8')) as RunMetrics };
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${(e as Error).message}); the run folder is damaged. Run the spec again.`);
  }
}

const num = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const fmt = (v: number | null | undefined, d = 3): string => (num(v) === null ? 'n/a' : (v as number).toFixed(d));

/** What `runs` shows of a run, and `compare` side by side. */
function headline(r: RunFolder): Record<string, unknown> {
  const m = r.metrics;
  return {
    run: path.basename(r.dir),
    dir: r.dir,
    name: m.name,
    createdAt: m.createdAt,
    backend: m.backend,
    data: m.dataset?.name ?? null,
    subjects: m.dataset?.subjects ?? null,
    balancedAccuracy: num(m.summary?.model?.balancedAccuracy),
    macroF1: num(m.summary?.model?.macroF1),
    auroc: num(m.summary?.model?.auroc),
    featureBaselineBalancedAccuracy: num(m.summary?.baselines?.features?.balancedAccuracy),
    majorityBalancedAccuracy: num(m.summary?.baselines?.majority?.balancedAccuracy),
    gitCommit: m.provenance?.gitCommit ?? null,
    gitDirty: m.provenance?.gitDirty ?? null,
    fusionVersion: m.provenance?.packages?.['@fusion/core'] ?? null,
    dataFiles: m.provenance?.data?.files?.length ?? null,
  };
}

function commitOf(h: Record<string, unknown>): string {
  return typeof h.gitCommit === 'string' ? `${h.gitCommit.slice(0, 10)}${h.gitDirty ? '+' : ''}` : '-';
}

/** `fusion-cli runs [dir]`: the finished runs in a folder (default ./runs), newest first. */
export function runsCommand(dirArg: string | undefined, o: { json?: boolean }, term: Terminal): void {
  const dir = path.resolve(dirArg ?? 'runs');
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new OutputError(`runs folder not found: ${dir}. Give the folder your runs are written to (fusion-cli runs <dir>; default ./runs).`);
  const runs = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && fs.existsSync(path.join(dir, d.name, 'metrics.json')))
    .map((d) => {
      try {
        return headline(readRun(path.join(dir, d.name)));
      } catch {
        return undefined; // a damaged metrics.json: not listed
      }
    })
    .filter((h): h is Record<string, unknown> => h !== undefined)
    .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
  if (o.json) return term.printJson({ dir, runs });
  if (!runs.length) return term.result(`no finished runs in ${dir}`);
  const t = new Table({ head: ['run', 'date', 'backend', 'data', 'bal. acc.', 'AUROC', 'feature baseline bal. acc.', 'git commit', 'fusion'], style: { head: [], border: [] } });
  for (const h of runs)
    t.push([String(h.run), String(h.createdAt ?? '').replace('T', ' ').slice(0, 16), String(h.backend), String(h.data), fmt(h.balancedAccuracy as number), fmt(h.auroc as number), fmt(h.featureBaselineBalancedAccuracy as number), commitOf(h), String(h.fusionVersion ?? '-')]);
  term.result(`${runs.length} run${runs.length > 1 ? 's' : ''} in ${dir}\n${t.toString()}\n(git commit: + had uncommitted changes)`);
}

/** The paired per-subject difference of balanced accuracy (run minus reference), over subjects both runs tested. */
export interface PairedDifference extends PairedStatistics {
  run: string;
  reference: string;
}

/** Mean, seeded percentile bootstrap 95% interval (2000 resamples) and Wilcoxon signed-rank p: @fusion/core's paired statistics. */
export function pairedDifference(run: RunFolder, ref: RunFolder, resamples = 2000): PairedDifference {
  const ba = (r: RunFolder): Record<string, number> => Object.fromEntries(Object.entries(r.metrics.perSubject ?? {}).map(([s, v]) => [s, v.model.balancedAccuracy]));
  return { run: path.basename(run.dir), reference: path.basename(ref.dir), ...pairedStatistics(ba(run), ba(ref), { seed: 'fusion-compare', resamples }) };
}

const COLUMNS: [string, string][] = [
  ['balancedAccuracy', 'balanced acc.'],
  ['macroF1', 'macro-F1'],
  ['auroc', 'AUROC'],
  ['featureBaselineBalancedAccuracy', 'feature baseline bal. acc.'],
  ['majorityBalancedAccuracy', 'majority bal. acc.'],
];

function esc(s: unknown): string {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** A self-contained HTML page (no scripts, no external files): metrics side by side and the paired differences. */
function comparisonPage(rows: Record<string, unknown>[], diffs: PairedDifference[]): string {
  const metricRows = rows
    .map((h) => `<tr><td>${esc(h.run)}</td><td>${esc(h.data)}</td><td>${esc(h.backend)}</td>${COLUMNS.map(([k]) => `<td>${fmt(h[k] as number)}</td>`).join('')}<td><code>${esc(commitOf(h))}</code></td></tr>`)
    .join('\n');
  const diffRows = diffs
    .map((d) => `<tr><td>${esc(d.run)} − ${esc(d.reference)}</td><td>${d.subjects}</td><td>${fmt(d.mean)}</td><td>${d.ci95 ? `${fmt(d.ci95[0])} to ${fmt(d.ci95[1])}` : 'n/a'}</td><td>${formatPValue(d.wilcoxon?.p)}</td></tr>`)
    .join('\n');
  const bars = diffs
    .map((d) => {
      const subjects = Object.keys(d.perSubject);
      const w = 420;
      const rowH = 16;
      const x = (v: number): number => w / 2 + (v * w) / 2;
      const body = subjects
        .map((s, i) => {
          const v = d.perSubject[s];
          const x0 = Math.min(x(0), x(v));
          return `<text x="0" y="${i * rowH + 12}" font-size="11">${esc(s)}</text><rect x="${80 + x0}" y="${i * rowH + 3}" width="${Math.max(1, Math.abs(x(v) - x(0)))}" height="10" fill="${v >= 0 ? '#2a7' : '#c44'}"><title>${esc(s)}: ${fmt(v)}</title></rect>`;
        })
        .join('');
      return `<h3>${esc(d.run)} − ${esc(d.reference)}: balanced accuracy per subject</h3><svg width="${w + 100}" height="${subjects.length * rowH + 6}" role="img">${body}<line x1="${80 + x(0)}" x2="${80 + x(0)}" y1="0" y2="${subjects.length * rowH + 6}" stroke="#333"/></svg>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fusion: run comparison</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}td:first-child,th:first-child{text-align:left}</style></head>
<body><h1>Run comparison</h1>
<h2>Metrics (mean over folds)</h2>
<table><tr><th>run</th><th>data</th><th>backend</th>${COLUMNS.map(([, l]) => `<th>${esc(l)}</th>`).join('')}<th>git commit</th></tr>
${metricRows}</table>
<h2>Paired difference of balanced accuracy (per subject, against the first run)</h2>
<p>Mean over the subjects both runs tested, with a percentile bootstrap 95% interval over subjects (2000 resamples, seeded) and the two-sided Wilcoxon signed-rank p.</p>
<table><tr><th>runs</th><th>subjects</th><th>mean difference</th><th>95% interval</th><th>Wilcoxon p</th></tr>
${diffRows}</table>
${bars}
</body></html>
`;
}

/** `fusion-cli compare <run> <run>...`: metrics side by side, each later run's paired difference against the first. */
export function compareCommand(dirs: string[], o: { json?: boolean; out?: string }, term: Terminal): void {
  if (dirs.length < 2) throw new UsageError(`compare needs at least two run folders, received ${dirs.length}.`);
  const runs = dirs.map((d) => readRun(path.resolve(d)));
  const rows = runs.map(headline);
  const diffs = runs.slice(1).map((r) => pairedDifference(r, runs[0]));
  if (o.out) {
    const file = path.resolve(o.out);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, comparisonPage(rows, diffs));
    fs.renameSync(tmp, file);
  }
  if (o.json) return term.printJson({ runs: rows, pairedBalancedAccuracy: diffs, ...(o.out ? { page: path.resolve(o.out) } : {}) });
  const t = new Table({ head: ['', ...rows.map((h) => String(h.run))], style: { head: [], border: [] } });
  t.push(['data', ...rows.map((h) => String(h.data))], ['backend', ...rows.map((h) => String(h.backend))]);
  for (const [k, l] of COLUMNS) t.push([l, ...rows.map((h) => fmt(h[k] as number))]);
  t.push(['git commit', ...rows.map(commitOf)]);
  const lines = diffs.map((d) =>
    d.mean === null
      ? `${d.run} − ${d.reference}: no subject was tested by both runs.`
      : `${d.run} − ${d.reference}: balanced accuracy ${d.mean >= 0 ? '+' : ''}${fmt(d.mean)} per subject (95% bootstrap interval ${fmt(d.ci95![0])} to ${fmt(d.ci95![1])}, Wilcoxon p ${formatPValue(d.wilcoxon?.p)}, ${d.subjects} subjects in both)`
  );
  term.result(`${t.toString()}\n${lines.join('\n')}${o.out ? `\nwritten: ${path.relative(process.cwd(), path.resolve(o.out))}` : ''}`);
}
