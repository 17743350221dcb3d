import type { EpochLog } from '../model/train';

/** Progress events of a run; the CLI turns them into progress bars, tests into arrays. */
export type RunEvent =
  | { type: 'backend'; name: string; threads?: number }
  | { type: 'dataset'; name: string; subjects: number; windows: number; classCounts: Record<string, number>; dropped: Record<string, number> }
  | { type: 'folds'; count: number; members: number; epochs: number }
  | { type: 'fold-start'; fold: number; test: string[]; validation: string[]; trainWindows: number; testWindows: number }
  | { type: 'member-start'; fold: number; member: number }
  | { type: 'epoch'; fold: number; member: number; log: EpochLog; epochs: number }
  | { type: 'member-end'; fold: number; member: number; bestEpoch: number; epochsRun: number }
  | { type: 'fold-trained'; fold: number; models: number }
  | { type: 'fold-end'; fold: number; balancedAccuracy: number; majorityBalancedAccuracy: number }
  | { type: 'warning'; message: string }
  | { type: 'written'; dir: string };

export type Reporter = (event: RunEvent) => void;

export const silentReporter: Reporter = () => undefined;
