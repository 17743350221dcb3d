import * as fs from 'fs';
import * as path from 'path';
import { loadModel, RunFolderError } from '@fusion/core';
import type { BundleManifest, GraphSpec } from '@fusion/core';
import { FusionBundle, loadMembers } from '@fusion/web';

/** A folder `predict`/`evaluate` read as a bundle: fusion.json here and no run's spec.json (an export, or a run's models/fold-K). */
export function isBundleFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'fusion.json')) && !fs.existsSync(path.join(dir, 'spec.json'));
}

/**
 * The spec a bundle's windows are cut with, from fusion.json alone: its sensors and preprocessing. The model slots
 * are placeholders (the bundle's models are loaded, never built) so the dataset can be checked by the spec validator
 * exactly as with a run's spec.json. Its sensors are the regular ones; event inputs come from `inputs`.
 */
function specOf(m: BundleManifest): Record<string, unknown> {
  // event inputs (ibi) are no slot sensors: predict loads them as the bundle's inputs say (`rates`)
  const events = new Set(m.inputs?.filter((i) => i.kind === 'events').map((i) => i.sensor));
  return {
    name: m.name,
    sensors: m.sensors.filter((s) => !events.has(s)),
    preprocessing: {
      sampleRate: m.sampleRate,
      window: m.window,
      hop: m.hop,
      normalize: m.normalization.mode,
      maxMissing: m.maxMissing,
      label: { ...m.label, classes: m.classes },
      augment: { noise: 0, copies: 0 },
    },
    encoder: { type: 'tcn', channels: [1], kernelSize: 2 },
    fusion: { type: 'concat' },
    head: { type: 'bigru', units: 1 },
    training: { batchSize: 1 },
  };
}

/** A bundle folder's ensemble (fold K's members only with `fold`), with the spec-shaped view `predict` windows by. */
export async function loadBundleFolder(dir: string, fold?: number): Promise<{ bundle: FusionBundle; spec: Partial<GraphSpec> }> {
  const file = path.join(dir, 'fusion.json');
  const fix = 'Give a run folder or a bundle written by `fusion-cli export` (or a run\'s models/fold-K folder).';
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as BundleManifest;
  } catch (e) {
    throw new RunFolderError(`${file}: not valid JSON (${(e as Error).message}). ${fix}`);
  }
  if (manifest?.format !== 'fusion-bundle' || manifest.formatVersion !== 1 || !Array.isArray(manifest.members) || !manifest.members.length)
    throw new RunFolderError(`${file}: not a fusion bundle manifest (format "${manifest?.format}", version ${manifest?.formatVersion}); expected format "fusion-bundle" version 1 with members. ${fix}`);
  let members = manifest.members;
  if (fold !== undefined) {
    members = members.filter((m) => m.fold === fold);
    if (!members.length) throw new RunFolderError(`--fold ${fold}: ${file} holds no member of fold ${fold}; its folds: ${[...new Set(manifest.members.map((m) => m.fold))].join(', ')}.`);
  }
  const models = await loadMembers({ ...manifest, members }, (m) => loadModel(path.dirname(path.resolve(dir, m.path))), (why) => new RunFolderError(`${file}: ${why}`));
  return { bundle: new FusionBundle({ ...manifest, members }, models), spec: specOf(manifest) as Partial<GraphSpec> };
}
