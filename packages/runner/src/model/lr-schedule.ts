import type { LrScheduleSpec } from '@fusion/core';

/**
 * The learning rate of epoch `epoch` (1-based) of `epochs` under `training.lrSchedule`, from the base `learningRate`
 * (L). Warm-up (W = warmupEpochs > 0): epoch e <= W uses L * e / W. After it, with t = e - W - 1 epochs done:
 * - cosine: min + (L - min) * (1 + cos(pi * t / max(1, epochs - W - 1))) / 2 (L at the first epoch after warm-up,
 *   `minLearningRate` at the last);
 * - step: L * factor ^ floor(t / every).
 * No schedule: L every epoch. `training.reduceLrOnPlateau` multiplies the scheduled rate by its factor at each plateau.
 */
export function scheduledLearningRate(schedule: LrScheduleSpec | undefined, learningRate: number, epoch: number, epochs: number): number {
  if (!schedule) return learningRate;
  const warmup = schedule.warmupEpochs ?? 0;
  if (epoch <= warmup) return (learningRate * epoch) / warmup;
  const t = epoch - warmup - 1;
  if (schedule.type === 'step') return learningRate * Math.pow(schedule.factor, Math.floor(t / schedule.every));
  const min = schedule.minLearningRate ?? 0;
  return min + ((learningRate - min) * (1 + Math.cos((Math.PI * t) / Math.max(1, epochs - warmup - 1)))) / 2;
}
