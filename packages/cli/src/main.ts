import { Command, CommanderError, Option } from 'commander';
import * as fs from 'fs';
import * as path from 'path';
import { IoError, ioErrorOf, OutputTargetError, SpecValidationError } from '@fusion/core';
import { StagedOutput } from '@fusion/runner';
import { benchCommand, BenchCommandOptions } from './commands/bench';
import { pluginsCommand } from './commands/plugins';
import { runCommand } from './commands/run';
import { summaryCommand } from './commands/summary';
import { validateCommand } from './commands/validate';
import { backendOption, maxMemoryOption, parseQueueUrl } from './options';
import { errorReport, Terminal } from './terminal';
import { UsageError } from './usage-error';

/** The version of the installed @fusion/cli package. */
function cliVersion(): string {
  // A run-time path (dist/src -> the package folder), not a source import: the file is outside the compiled tree.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../package.json') as { version: string }).version;
}

/** An example for each command's --help (a test checks every command has one). */
const EXAMPLES: Record<string, string[]> = {
  run: ['fusion-cli run specs/emoheal-quick.json --out runs/quick', 'fusion-cli run --resume runs/quick'],
  worker: ['fusion-cli worker --queue redis://10.0.0.5:6379 --concurrency 1'],
  validate: ['fusion-cli validate specs/tcn-gru.json'],
  summary: ['fusion-cli summary specs/tcn-transformer.json --json'],
  bench: ['fusion-cli bench specs/emoheal.json --steps 20 --backend wasm'],
  stream: ['fusion-cli stream --model runs/emoheal-quick --source replay:recordings/S01@10 --max-pending 256'],
  export: ['fusion-cli export runs/emoheal-quick --out bundle --quantize float16'],
  predict: ['fusion-cli predict runs/emoheal-quick recordings/S01 --out s01-predictions.csv'],
  evaluate: ['fusion-cli evaluate runs/stress-predict new-subjects.json --json'],
  runs: ['fusion-cli runs runs --json'],
  compare: ['fusion-cli compare runs/tcn-gru runs/emoheal --out comparison.html'],
  serve: ['fusion-cli serve bundle --port 8080'],
  plugins: ['fusion-cli plugins --json'],
  'new-plugin': ['fusion-cli new-plugin encoder my-encoder'],
  'test-plugin': ['fusion-cli test-plugin my-encoder'],
};

/** Runs `fn` with `handler` listening to SIGINT and SIGTERM (removed after). */
async function onSignals<T>(handler: () => void, fn: () => Promise<T>): Promise<T> {
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  try {
    return await fn();
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}

/** Exit codes: 0 ok, 1 a named error (bad data, training failure), 2 an invalid spec or usage, 3 a bug, 130 interrupted. */
export const EXIT = { ok: 0, error: 1, usage: 2, bug: 3, interrupted: 130 } as const;

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  let term = new Terminal(argv.includes('--json'));
  let interrupted = false;
  let resumeHint = '';
  const onSigint = (): void => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    term.warn('interrupted: stopping at the next safe point (after the current epoch, or between loading, building and writing); finished folds are kept for --resume (press Ctrl-C again to quit at once).');
  };
  const program = new Command()
    .name('fusion-cli')
    .description('Sensor-fusion emotion recognition from wrist-worn wearables: train and evaluate by subject, stream live.')
    .version(cliVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  program
    .command('run')
    .description('train and evaluate a spec by subject; writes metrics.json, predictions.csv, models/ and spec.json')
    .argument('[spec]', 'JSON graph spec, e.g. specs/emoheal-quick.json')
    .option('-o, --out <dir>', 'output folder (default: the spec\'s output.dir)')
    .option('-w, --workers <n>', 'train folds and ensemble members in N worker processes (default: one per core; 1 = in this process)')
    .option('--resume <dir>', 'continue an interrupted run of this output folder; finished folds/members are not redone')
    .option('--overwrite', 'replace a finished run in the output folder (only a folder fusion made) or discard an interrupted one; default: a new folder beside it')
    .option('-q, --queue <url>', 'put the jobs on a Redis job queue (redis://host:port or rediss://) for `fusion-cli worker` processes on any machines that see the data path', parseQueueUrl)
    .addOption(backendOption('node-gpu, node, wasm or cpu (default: the best that loads)'))
    .option('--cache-dir <dir>', 'where generated datasets are cached', '.fusion-cache')
    .addOption(maxMemoryOption())
    .option('--json', 'print only machine-readable JSON on stdout (a failure: one {"error": ...} line)')
    .action(async (spec: string | undefined, o: { out?: string; backend?: string; json?: boolean; cacheDir?: string; workers?: string; resume?: string; overwrite?: boolean; queue?: string; maxMemory?: number }) => {
      term = new Terminal(Boolean(o.json));
      await onSignals(onSigint, () => runCommand(spec, o, term, () => interrupted, (dir) => (resumeHint = dir)));
    });
  program
    .command('worker')
    .description('train the jobs of `fusion-cli run --queue` runs from a Redis job queue until stopped (start any number, on any machines that see the data path)')
    .addOption(new Option('-q, --queue <url>', 'the Redis URL the coordinator uses, e.g. redis://10.0.0.5:6379').makeOptionMandatory().argParser(parseQueueUrl))
    .option('-c, --concurrency <n>', 'jobs at once in this process (wasm is single-threaded: start more workers instead)', '1')
    .addOption(backendOption('node-gpu, node, wasm or cpu (default: the coordinator\'s)'))
    .option('--cache-dir <dir>', 'where generated datasets are cached (default: the coordinator\'s path)')
    .option('--lock-duration <ms>', 'a job of a worker that died is given to another worker after this long', '30000')
    .option('--stalled-interval <ms>', 'how often to look for jobs of dead workers (default: min(15000, lock duration))')
    .option('--plugins-root <dir>', 'a folder whose plugin modules jobs may load (repeatable; default none: a job naming a plugin elsewhere fails)', (v: string, a: string[] = []) => [...a, v])
    .action(async (o: import('./commands/worker').WorkerCommandOptions) => {
      term = new Terminal(false);
      let signals = 0;
      let stop: (force: boolean) => void = () => undefined;
      const stopped = new Promise<boolean>((resolve) => (stop = resolve));
      const onSignal = (): void => {
        signals++;
        if (signals > 1) process.exit(EXIT.interrupted);
        stop(false);
      };
      await onSignals(onSignal, async () => (await import('./commands/worker')).workerCommand(o, term, stopped));
    });
  program
    .command('validate')
    .description('check a spec against the schema assembled from all registered plugins')
    .argument('<spec>')
    .addOption(maxMemoryOption())
    .option('--json', 'machine-readable output')
    .action((spec: string, o: { json?: boolean; maxMemory?: number }) => validateCommand(spec, o, new Terminal(Boolean(o.json))));
  program
    .command('summary')
    .description('parameters per block, multiply-accumulates per window and weight sizes of a spec\'s model')
    .argument('<spec>')
    .addOption(backendOption('node-gpu, node, wasm or cpu'))
    .addOption(maxMemoryOption())
    .option('--json', 'machine-readable output')
    .action(async (spec: string, o: { json?: boolean; backend?: string; maxMemory?: number }) => summaryCommand(spec, o, new Terminal(Boolean(o.json))));
  program
    .command('bench')
    .description('training and inference speed, memory and tensor leaks of a spec\'s model on synthetic inputs')
    .argument('<spec>')
    .option('--length <n>', 'window length in samples (default: the spec\'s)')
    .option('--batch <n>', 'batch size (default: the spec\'s)')
    .option('--steps <n>', 'timed training steps', '20')
    .addOption(backendOption('node-gpu, node, wasm or cpu'))
    .addOption(maxMemoryOption())
    .option('--json', 'machine-readable output')
    .action(async (spec: string, o: BenchCommandOptions) => benchCommand(spec, o, new Terminal(Boolean(o.json))));
  program
    .command('stream')
    .description('live inference with a run\'s models on replayed, stdin, TCP or WebSocket sensor streams (NDJSON events on stdout)')
    .requiredOption('-m, --model <dir>', 'a `fusion-cli run` output folder (spec.json, models/)')
    .requiredOption('-s, --source <source>', 'replay:<folder>[@speed|@max], stdin, tcp:<port> or ws:<port> (repeatable)', (v: string, a: string[] = []) => [...a, v])
    .option('--dataset <type>', 'the dataset adapter that reads replay recordings (default: the run\'s, then any adapter that recognises the recording)')
    .option('--hop <s>', 'seconds between windows (default: the spec\'s hop)')
    .option('--fold <K>', 'use fold K\'s ensemble members (default: every fold\'s, averaged)')
    .option('--smooth <N>', 'moving average of probabilities over N windows', '1')
    .option('--norm <mode>', 'running (per stream running mean/sd after a warm-up) or recording (replay only: whole-recording statistics, as evaluation)', 'running')
    .option('--warmup <s>', 'seconds of signal before running statistics are used', '60')
    .option('--reorder <s>', 'reorder tolerance: how late a sample may arrive, seconds', '2')
    .option('--max-pending <n>', 'most windows waiting for the model (oldest dropped beyond)', '256')
    .addOption(new Option('--queue <n>', 'deprecated: --max-pending (--queue is a Redis URL in run and worker)').hideHelp())
    .option('--batch <n>', 'most windows per inference call', '64')
    .option('--max-streams <n>', 'most concurrent streams', '1000')
    .option('--idle <s>', 'close a stream and a connection silent for this long (wall seconds; default never)')
    .option('--max-connections <n>', 'most simultaneous tcp/ws connections (further ones refused)', '1024')
    .option('--allow-origin <origin>', 'ws: a browser Origin allowed to connect (repeatable; default none: browser pages are refused)', (v: string, a: string[] = []) => [...a, v])
    .option('--token <secret>', 'tcp/ws: shared token clients must present (default $FUSION_STREAM_TOKEN; none: no token)')
    .addOption(backendOption('node-gpu, node, wasm or cpu'))
    .option('--json', 'also print the summary as a last NDJSON line {"summary":...}')
    .action(async (o: import('./commands/stream').StreamCommandOptions) => (await import('./commands/stream')).streamCommand(o, new Terminal(Boolean(o.json))));
  program
    .command('export')
    .description('a self-describing bundle of a run\'s models for browsers and other tfjs runtimes (model.json + weights, fusion.json)')
    .argument('<run>', 'a finished `fusion-cli run` output folder')
    .requiredOption('-o, --out <dir>', 'bundle folder (new, empty, or an earlier export)')
    .option('--fold <K>', 'export only fold K\'s ensemble members')
    .option('--all-folds', 'export every fold\'s members (the default)')
    .option('--quantize <precision>', 'weights as float16 or uint8 (tfjs manifest quantisation; default float32)')
    .option('--cache-dir <dir>', 'where generated datasets are cached', '.fusion-cache')
    .option('-b, --backend <name>', 'node-gpu, node, wasm or cpu')
    .option('--json', 'machine-readable output')
    .action(async (run: string, o: import('./commands/export').ExportCommandOptions) => (await import('./commands/export')).exportCommand(run, o, new Terminal(Boolean(o.json))));
  program
    .command('serve')
    .description('serve an export bundle with the demo page (live probabilities from a dropped E4 recording or a WebSocket) on localhost')
    .argument('<bundle>', 'a folder written by `fusion-cli export`')
    .option('-p, --port <N>', 'port (0: any free port)', '8080')
    .option('--host <address>', 'address to bind (default 127.0.0.1, this machine only)')
    .option('--json', 'print {"url": ...} when listening')
    .action(async (bundle: string, o: import('./commands/serve').ServeCommandOptions) => (await import('./commands/serve')).serveCommand(bundle, o, new Terminal(Boolean(o.json))));
  // predict and evaluate: a run's models on new recordings (the same options; evaluate's --out is optional).
  for (const [name, description, data, out, commandName] of [
    ['predict', 'class probabilities for every window of new recordings, with a run\'s preprocessing and models (all folds\' members averaged)', 'a dataset spec JSON ({ "type": "e4", "path": "..." }, paths relative to it) or a folder of an E4 export', new Option('-o, --out <csv>', 'the predictions: subject, window_end, pred, p_<class>..., true (when labelled)').makeOptionMandatory(), 'predictCommand'],
    ['evaluate', 'balanced accuracy, macro-F1 and AUROC of a run\'s models on new labelled recordings, next to the majority class', 'a dataset spec JSON with labels, e.g. { "type": "stress-predict", "path": "Raw_data" }', new Option('-o, --out <csv>', 'also write the predictions, and beside them <name>.metrics.json and the report page <name>.html'), 'evaluateCommand'],
  ] as const) {
    program
      .command(name)
      .description(description)
      .argument('<run>', 'a finished `fusion-cli run` output folder, or a bundle (`fusion-cli export`, a run\'s models/fold-K)')
      .argument('<data>', data)
      .addOption(out)
      .option('--fold <K>', 'use only fold K\'s ensemble members')
      .addOption(backendOption('node-gpu, node, wasm or cpu'))
      .option('--cache-dir <dir>', 'where generated datasets are cached', '.fusion-cache')
      .option('--json', 'machine-readable output')
      .action(async (run: string, data: string, o: import('./commands/predict').PredictCommandOptions) => (await import('./commands/predict'))[commandName](run, data, o, new Terminal(Boolean(o.json))));
  }
  program
    .command('runs')
    .description('list the finished runs in a folder: name, date, backend, data, headline metrics and provenance (git commit, fusion version)')
    .argument('[dir]', 'the folder holding run folders', 'runs')
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o: { json?: boolean }) => (await import('./commands/runs')).runsCommand(dir, o, new Terminal(Boolean(o.json))));
  program
    .command('compare')
    .description('metrics of runs side by side, with the paired per-subject difference of balanced accuracy against the first run (mean, bootstrap 95% interval)')
    .argument('<runs...>', 'two or more run folders; the first is the reference')
    .option('-o, --out <file>', 'also write a self-contained HTML comparison page')
    .option('--json', 'machine-readable output')
    .action(async (dirs: string[], o: { json?: boolean; out?: string }) => (await import('./commands/runs')).compareCommand(dirs, o, new Terminal(Boolean(o.json))));
  program
    .command('new-plugin')
    .description('scaffold a plugin: a folder with a working dataset, encoder, fusion or head plugin, its package.json and a spec using it')
    .argument('<kind>', 'dataset, encoder, fusion or head')
    .argument('<name>', 'the plugin\'s "type" in specs (lower-case letters, digits, -); also the folder name')
    .option('--dir <dir>', 'where to write it (default: ./<name>)')
    .option('--json', 'machine-readable output')
    .action(async (kind: string, name: string, o: { dir?: string; json?: boolean }) => (await import('./commands/new-plugin')).newPluginCommand(kind, name, o, new Terminal(Boolean(o.json))));
  program
    .command('test-plugin')
    .description('run a plugin folder\'s contract tests (test/*.spec.js) with the framework\'s mocha, nothing installed in the folder (exit 1 when one fails)')
    .argument('[folder]', 'the plugin folder (package.json, test/*.spec.js), e.g. one `fusion-cli new-plugin` wrote', '.')
    .action(async (folder: string) => (await import('./commands/test-plugin')).testPluginCommand(folder, new Terminal(false)));
  program
    .command('plugins')
    .description('list the registered plugins of every kind')
    .option('--json', 'machine-readable output, with each plugin\'s JSON Schema')
    .action((o: { json?: boolean }) => pluginsCommand(o, new Terminal(Boolean(o.json))));
  for (const c of program.commands) {
    const examples = EXAMPLES[c.name()];
    if (examples) c.addHelpText('after', `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  }
  program.addHelpText('after', `\nExample:\n  $ fusion-cli run specs/emoheal-quick.json\n  $ fusion-cli <command> --help   (each command's options and an example)\n`);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    // Every failure is reported by term.fail: text on stderr, and one {"error": ...} line on stdout with --json.
    if (argv.includes('--json') && !term.json) term = new Terminal(true);
    if (e instanceof CommanderError) {
      code = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      // commander has printed the text already
      if (code !== EXIT.ok) term.fail(errorReport(e, code, 'UsageError', e.message.replace(/^error: /, '')), true);
    } else if (interrupted) {
      code = EXIT.interrupted;
      // Stopped before the partial folder was made (loading, building the model): there is nothing to resume.
      const nothingWritten = resumeHint && !fs.existsSync(StagedOutput.partialDir(path.resolve(resumeHint)));
      term.fail(
        errorReport(e, code, 'InterruptedError', nothingWritten
          ? 'run interrupted before its first job; nothing was written. Earlier results are untouched.'
          : `run interrupted; finished folds and members are saved. Continue with: fusion-cli run --resume ${resumeHint}. Earlier results are untouched.`)
      );
    } else if (e instanceof SpecValidationError || e instanceof UsageError || e instanceof OutputTargetError) {
      code = EXIT.usage;
      term.fail(errorReport(e, code));
    } else if (ioErrorOf(e)) {
      // Named errors, and system errors (ENOSPC, EROFS...) mapped to an IoError with a hint.
      const named = ioErrorOf(e)!;
      code = EXIT.error;
      term.fail(errorReport(named, code, undefined, named instanceof IoError && resumeHint ? named.message.replace('--resume <output folder>', `--resume ${resumeHint}`) : named.message));
    } else {
      code = EXIT.bug;
      term.fail(errorReport(e, code, 'Bug', `unexpected failure (a bug; please report it with the spec): ${(e as Error).stack ?? String(e)}`));
    }
  }
  return code;
}
