import * as cliProgress from 'cli-progress';
import Table from 'cli-table3';
import { DataFormatError, DatasetError, InterruptedError, ModelTooLargeError, OutputError, SpecValidationError, UnknownPluginError } from '@fusion/core';
import type { SpecIssue } from '@fusion/core';
import { COMPARISON_COLUMNS, comparisonRows, comparisonVerdict, predictionsFile } from '@fusion/runner';
import type { MetricSummary, RunEvent, RunMetrics } from '@fusion/runner';

/** What a failed command reports: as text on stderr, and as `{"error": ...}` on stdout with `--json`. */
export interface ErrorReport {
  /** The error's class name (SpecValidationError, DataFormatError, UsageError, ...), or Bug. */
  code: string;
  exitCode: number;
  /** JSON pointer into the spec of the first issue (spec errors). */
  path?: string;
  /** Every issue of a spec error, with its path. */
  issues?: SpecIssue[];
  /** The file the error is about, and the 1-based line where known. */
  file?: string;
  line?: number;
  message: string;
  /** What to do about it. */
  hint: string;
}

/** The report of an error `e` that ends the command with `exitCode` (`code` overrides the class name). */
export function errorReport(e: unknown, exitCode: number, code?: string, message?: string): ErrorReport {
  const err = e instanceof Error ? e : new Error(String(e));
  const r: ErrorReport = { code: code ?? err.name, exitCode, message: message ?? err.message, hint: 'see the message.' };
  if (e instanceof SpecValidationError) {
    r.path = e.issues[0]?.path ?? '';
    r.issues = e.issues;
    if (e.file !== undefined) r.file = e.file;
    const line = /\(line (\d+), column \d+\)|\(line (\d+);/.exec(e.issues[0]?.message ?? '');
    if (line) r.line = Number(line[1] ?? line[2]);
    r.hint =
      e instanceof ModelTooLargeError
        ? 'make the model or the batch smaller, or raise the limit (training.maxMemoryMB, --max-memory, FUSION_MAX_MEMORY_MB).'
        : 'fix the spec at the JSON path(s) given; `fusion-cli validate <spec>` checks a spec without running it.';
  } else if (e instanceof DataFormatError) {
    r.file = e.file;
    if (e.line !== undefined) r.line = e.line;
    r.hint = 'fix the file at the line given, or leave it out of the dataset.';
  } else if (e instanceof DatasetError) {
    r.hint = 'fix the dataset path in the spec (relative to the spec file) or the dataset folder it names.';
  } else if (e instanceof OutputError) {
    r.hint = 'choose another output folder (--out) or make this one writable.';
  } else if (e instanceof UnknownPluginError) {
    r.hint = 'fix the "type", or load the plugin that provides it with "plugins".';
  } else if (e instanceof InterruptedError || code === 'InterruptedError') {
    r.hint = 'continue with fusion-cli run --resume <output folder>.';
  } else if (code === 'UsageError' || err.name === 'UsageError') {
    r.hint = 'see fusion-cli <command> --help.';
  } else if (code === 'Bug') {
    r.hint = 'this is a bug in fusion: please report it with the spec and this message.';
  }
  return r;
}

/**
 * The one place that writes to the terminal. Progress goes to stderr (a bar on a TTY, one line per fold otherwise),
 * results to stdout; with `json` only machine-readable output reaches stdout and progress is silent.
 */
export class Terminal {
  private bar: cliProgress.SingleBar | undefined;
  private total = 0;
  private done = 0;
  private epochs = 0;
  private members = 0;

  constructor(readonly json: boolean, private readonly out: NodeJS.WriteStream = process.stdout, private readonly err: NodeJS.WriteStream = process.stderr) {}

  info(line: string): void {
    if (!this.json) this.err.write(line + '\n');
  }

  warn(line: string): void {
    this.stopBar();
    this.err.write(`warning: ${line}\n`);
  }

  error(line: string): void {
    this.stopBar();
    this.err.write(`error: ${line}\n`);
  }

  /**
   * The one place a failed command is reported: the message on stderr (unless already printed there, as commander
   * does for usage errors) and, in json mode, one line `{"error": {...}}` on stdout.
   */
  fail(report: ErrorReport, printed = false): void {
    if (!printed) this.error(report.message);
    else this.stopBar();
    if (this.json) this.out.write(JSON.stringify({ error: report }) + '\n');
  }

  /** Writes a result to stdout (JSON when in json mode). */
  result(text: string): void {
    this.out.write(text.endsWith('\n') ? text : text + '\n');
  }

  printJson(value: unknown): void {
    this.out.write(JSON.stringify(value, null, 2) + '\n');
  }

  onRunEvent = (e: RunEvent): void => {
    if (e.type === 'warning') return this.warn(e.message);
    if (this.json) return;
    switch (e.type) {
      case 'backend':
        this.info(`backend: ${e.name}${e.threads ? ` (${e.threads} thread${e.threads > 1 ? 's' : ''})` : ''}`);
        break;
      case 'dataset':
        this.info(
          `dataset: ${e.name}: ${e.subjects} subjects, ${e.windows} windows (${Object.entries(e.classCounts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}); dropped ${Object.entries(e.dropped)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`
        );
        break;
      case 'folds':
        this.total = e.count * e.members * e.epochs;
        this.epochs = e.epochs;
        this.members = e.members;
        this.info(`evaluation: ${e.count} folds by subject x ${e.members} model${e.members > 1 ? 's' : ''}, up to ${e.epochs} epochs each`);
        if (this.err.isTTY) {
          this.bar = new cliProgress.SingleBar(
            { format: 'training |{bar}| {percentage}% | fold {fold} member {member} epoch {epoch} | loss {loss} | val bal.acc {vba} | eta {eta_formatted}', hideCursor: true, stream: this.err },
            cliProgress.Presets.shades_classic
          );
          this.bar.start(this.total, 0, { fold: '-', member: '-', epoch: '-', loss: '-', vba: '-' });
        }
        break;
      // Without a terminal (CI logs, nohup, | tee): one line as each fold and member starts and ends.
      case 'fold-start':
        if (!this.bar)
          this.info(
            `fold ${e.fold + 1}: started: test ${e.test.join(', ')} (${e.testWindows} windows), validation ${e.validation.join(', ') || '(none)'}, ${e.trainWindows} training windows (augmented copies included)`
          );
        break;
      case 'member-start':
        if (!this.bar && this.members > 1) this.info(`fold ${e.fold + 1} member ${e.member + 1}: training`);
        break;
      case 'fold-trained':
        if (!this.bar) this.info(`fold ${e.fold + 1}: done (${e.models} model${e.models > 1 ? 's' : ''} trained)`);
        break;
      case 'epoch':
        this.done++;
        this.bar?.update(this.done, {
          fold: e.fold + 1,
          member: e.member + 1,
          epoch: e.log.epoch,
          loss: e.log.loss.toFixed(4),
          vba: e.log.valBalancedAccuracy === undefined ? '-' : e.log.valBalancedAccuracy.toFixed(3),
        });
        break;
      case 'member-end':
        // Early stopping skips epochs: move the bar to where this member's budget ends.
        this.done += this.epochs - e.epochsRun;
        this.bar?.update(this.done);
        if (!this.bar) this.info(`fold ${e.fold + 1} member ${e.member + 1}: done after ${e.epochsRun} epoch${e.epochsRun > 1 ? 's' : ''} (best epoch ${e.bestEpoch})`);
        break;
      case 'fold-end':
        if (!this.bar) this.info(`fold ${e.fold + 1}: evaluated: balanced accuracy ${e.balancedAccuracy.toFixed(3)} (majority baseline ${e.majorityBalancedAccuracy.toFixed(3)})`);
        break;
      case 'written':
        this.stopBar();
        break;
      default:
        break;
    }
  };

  stopBar(): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = undefined;
    }
  }

  /** The final table: model next to the baselines, mean ± sd over folds. */
  printSummary(m: RunMetrics, outDir: string): void {
    const fmt = (v: number | null, s: number | null): string => (v === null || !Number.isFinite(v) ? 'n/a' : `${v.toFixed(3)} ± ${(s ?? 0).toFixed(3)}`);
    const row = (name: string, x: MetricSummary): string[] => [
      name,
      fmt(x.accuracy, x.sd.accuracy),
      fmt(x.balancedAccuracy, x.sd.balancedAccuracy),
      fmt(x.macroF1, x.sd.macroF1),
      fmt(x.auroc, x.sd.auroc),
    ];
    const tableOf = (summary: RunMetrics['summary']): string => {
      const table = new Table({ head: ['', 'accuracy', 'balanced acc.', 'macro-F1', 'AUROC'], style: { head: [], border: [] } });
      table.push(row(m.name, summary.model), row('majority baseline', summary.baselines.majority), row('class-ratio baseline', summary.baselines.classRatio));
      if (summary.baselines.features) table.push(row('feature baseline (logistic)', summary.baselines.features));
      return table.toString();
    };
    // Several outputs: a table per output (its label and classes above it), predictions-<output>.csv beside predictions.csv.
    const outputs = Object.entries(m.outputs ?? {});
    const tables = outputs.length ? outputs.map(([name, o]) => `output ${name} (label ${o.label}: ${o.classes.join(', ')})\n${tableOf(o.summary)}`).join('\n') : tableOf(m.summary);
    const cmp = m.summary.comparisons?.featureBaseline;
    const paired = cmp ? new Table({ head: ['model − feature baseline, per subject', ...COMPARISON_COLUMNS], style: { head: [], border: [] } }) : undefined;
    if (cmp && paired) paired.push(...comparisonRows(cmp));
    // Personalisation (evaluation.calibration): its own table, never mixed with the subject-independent rows above.
    const perso = new Table({ head: ['personalised (per-subject threshold)', 'accuracy', 'balanced acc.', 'macro-F1', 'AUROC', 'windows'], style: { head: [], border: [] } });
    for (const p of m.summary.personalised ?? []) {
      perso.push([...row(`first ${p.minutes} min: adapted (${p.adaptedSubjects} subj.)`, p.model), String(p.testWindows)], [...row('  same windows, not adapted', p.subjectIndependent), String(p.testWindows)]);
    }
    const persoText = m.summary.personalised?.length ? `\neach test subject's first N minutes calibrate it and are left out of its scored windows:\n${perso.toString()}` : '';
    this.result(
      `\n${m.name}: ${m.folds.length} folds by subject (${m.evaluation.type}), ${m.dataset.windows} windows, ${m.parameters.total} parameters, backend ${m.backend}, seed ${m.seed}\n` +
        tables +
        (cmp && paired ? `\n${paired.toString()}\n${comparisonVerdict(cmp, 'feature baseline')}` : '') +
        persoText +
        `\nmean ± sd over folds; AUROC over ${m.summary.model.folds.auroc} fold(s) with both classes.\nwritten: ${outDir}/ (report.html, metrics.json, predictions.csv${outputs.slice(1).map(([n]) => `, ${predictionsFile(n, false)}`).join('')}, spec.json, models/)\n`
    );
  }
}

