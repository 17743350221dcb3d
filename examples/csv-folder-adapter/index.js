// An example third-party plugin: a dataset adapter for a folder of per-subject CSV files
// (`<subject>.csv` with a header `time,hr,eda,stress`; time in seconds at a regular rate, stress 0/1).
// It is plain JavaScript, is loaded by the spec's "plugins" list, and needs no change to any fusion package.
const fs = require('fs');
const path = require('path');
const { ContainerModule } = require('inversify');
const { parse } = require('csv-parse/sync');
const { DatasetAdapterContribution, DataFormatError, DatasetError } = require('@fusion/core');

const HEADER = ['time', 'hr', 'eda', 'stress'];

function readSubject(file) {
  const text = fs.readFileSync(file, 'utf8');
  let rows;
  try {
    rows = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true });
  } catch (e) {
    throw new DataFormatError(file, e.lines, `not valid CSV: ${e.message}`);
  }
  if (rows.length < 3) throw new DataFormatError(file, rows.length + 1, `expected a header and at least 2 rows, found ${rows.length} row(s).`);
  if (rows[0].join(',') !== HEADER.join(',')) {
    throw new DataFormatError(file, 1, `header is "${rows[0].join(',')}", expected "${HEADER.join(',')}".`);
  }
  const n = rows.length - 1;
  const t = new Float64Array(n);
  const hr = new Float32Array(n);
  const eda = new Float32Array(n);
  const stress = new Float32Array(n);
  rows.slice(1).forEach((r, i) => {
    const line = i + 2;
    if (r.length !== 4) throw new DataFormatError(file, line, `expected 4 columns, found ${r.length}.`);
    const v = r.map(Number);
    v.forEach((x, c) => {
      // Number('') is 0 and 1e308 overflows float32: both are bad cells, not values.
      if (r[c] === '' || !Number.isFinite(x) || Math.abs(x) > 3.4e38) {
        throw new DataFormatError(file, line, `column "${HEADER[c]}" is "${r[c]}", expected a finite number within float32 range.`);
      }
    });
    if (i > 0 && !(v[0] > t[i - 1])) throw new DataFormatError(file, line, `time ${v[0]} does not increase (previous row: ${t[i - 1]}); rows must be in time order without repeats.`);
    [t[i], hr[i], eda[i], stress[i]] = v;
  });
  const dt = (t[n - 1] - t[0]) / (n - 1);
  if (!(dt > 0)) throw new DataFormatError(file, 3, `time does not increase (step ${dt} s).`);
  const fs_ = 1 / dt;
  const labels = [];
  for (let i = 0; i < n; i++) {
    const last = labels[labels.length - 1];
    if (last && last.values.stress === stress[i]) last.end = t[i] + dt;
    else labels.push({ start: t[i], end: t[i] + dt, values: { stress: stress[i] } });
  }
  return {
    subject: path.basename(file, '.csv'),
    source: file,
    signals: { hr: { t0: t[0], fs: fs_, channels: 1, data: hr, source: file }, eda: { t0: t[0], fs: fs_, channels: 1, data: eda, source: file } },
    labels,
  };
}

const csvFolderAdapter = {
  type: 'csv-folder',
  description: 'a folder of <subject>.csv files with columns time,hr,eda,stress (example third-party plugin)',
  sensors: ['hr', 'eda'],
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['type', 'path'],
    properties: { type: { const: 'csv-folder' }, path: { type: 'string', minLength: 1 } },
  },
  async load(config, ctx) {
    const dir = path.resolve(ctx.baseDir, config.path);
    if (!fs.existsSync(dir)) throw new DatasetError(`dataset folder not found: ${dir} (from "path": "${config.path}"). Fix the path in the spec.`);
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.csv')).sort();
    if (!files.length) throw new DatasetError(`no .csv files in ${dir}.`);
    return { name: `csv-folder:${config.path}`, recordings: files.map((f) => readSubject(path.join(dir, f))), warnings: [] };
  },
};

module.exports.csvFolderAdapter = csvFolderAdapter;
module.exports.default = new ContainerModule((bind) => {
  bind(DatasetAdapterContribution).toConstantValue(csvFolderAdapter);
});
