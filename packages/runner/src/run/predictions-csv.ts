/**
 * predictions.csv, the run's per-window test predictions: the one writer and the one reader of its format.
 *
 *   fold,subject,window_end,true,pred,p_<class>...,majority_pred,class_ratio_pred,features_pred,features_p_<class>...
 *
 * `fold` is 1-based; `true` and the `*_pred` columns are class indices; `p_<class>` is the model's (ensemble mean)
 * probability and `features_p_<class>` the feature baseline's, in class order. Probabilities are written at full
 * precision (the shortest text that reads back as the same number), so every metric of metrics.json can be
 * recomputed exactly from the file. Subjects are quoted as RFC 4180 says when they hold a comma, quote or newline.
 */

export interface PredictionRow {
  /** 1-based fold. */
  fold: number;
  subject: string;
  windowEnd: number;
  trueClass: number;
  pred: number;
  /** p_<class> for every class, in class order. */
  probs: number[];
  /** The baselines' predicted classes (majority_pred, class_ratio_pred, features_pred), when the file has them. */
  baselinePreds?: { majority: number; classRatio: number; features?: number };
  /** features_p_<class> (the feature baseline's probabilities) when the file has them. */
  featureProbs?: number[];
}

/** The header line (without a newline). */
export function predictionsHeader(classes: readonly string[]): string {
  const p = (prefix: string): string => classes.map((c) => `${prefix}${c}`).join(',');
  return `fold,subject,window_end,true,pred,${p('p_')},majority_pred,class_ratio_pred,features_pred,${p('features_p_')}`;
}

/** One line (without a newline) of a row that has every column (baseline predictions and feature probabilities). */
export function formatPredictionRow(r: PredictionRow): string {
  const b = r.baselinePreds;
  if (!b || b.features === undefined || !r.featureProbs) throw new Error('a predictions.csv row needs the baselines\' predictions and the feature probabilities');
  const probs = (a: readonly number[]): string => a.map((x) => String(x)).join(',');
  return `${r.fold},${csvCell(r.subject)},${r.windowEnd.toFixed(3)},${r.trueClass},${r.pred},${probs(r.probs)},${b.majority},${b.classRatio},${b.features},${probs(r.featureProbs)}`;
}

/** The whole file: header and rows, newline-terminated. */
export function formatPredictionsCsv(classes: readonly string[], rows: Iterable<PredictionRow>): string {
  const lines = [predictionsHeader(classes)];
  for (const r of rows) lines.push(formatPredictionRow(r));
  return lines.join('\n') + '\n';
}

/** A CSV cell: quoted (doubling quotes) when it holds a comma, a quote or a newline. */
export function csvCell(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Splits one CSV line (RFC 4180 quoting: "a ""b""" is a "b"). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  cells.push(cur);
  return cells;
}

/**
 * Parses predictions.csv. Columns are found by name, so files of older runs (without the feature baseline) and extra
 * columns are read too. Returns [] for empty text; throws on a missing required column.
 */
export function parsePredictionsCsv(text: string, classes: readonly string[]): PredictionRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  if (!lines.length) return [];
  const header = splitCsvLine(lines[0]);
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`predictions.csv has no "${name}" column (columns: ${header.join(', ')})`);
    return i;
  };
  const iFold = col('fold');
  const iSubject = col('subject');
  const iEnd = col('window_end');
  const iTrue = col('true');
  const iPred = col('pred');
  const iProbs = classes.map((c) => col(`p_${c}`));
  const iMajority = header.indexOf('majority_pred');
  const iRatio = header.indexOf('class_ratio_pred');
  const iFeaturesPred = header.indexOf('features_pred');
  const iFeature = classes.map((c) => header.indexOf(`features_p_${c}`));
  const hasFeatures = iFeature.every((i) => i >= 0);
  return lines.slice(1).map((line) => {
    const cells = splitCsvLine(line);
    return {
      fold: Number(cells[iFold]),
      subject: cells[iSubject],
      windowEnd: Number(cells[iEnd]),
      trueClass: Number(cells[iTrue]),
      pred: Number(cells[iPred]),
      probs: iProbs.map((i) => Number(cells[i])),
      ...(iMajority >= 0 && iRatio >= 0
        ? { baselinePreds: { majority: Number(cells[iMajority]), classRatio: Number(cells[iRatio]), ...(iFeaturesPred >= 0 ? { features: Number(cells[iFeaturesPred]) } : {}) } }
        : {}),
      ...(hasFeatures ? { featureProbs: iFeature.map((i) => Number(cells[i])) } : {}),
    };
  });
}
