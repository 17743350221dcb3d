export { ACC_COUNTS_PER_G, E4_FILES, E4_SENSORS, E4ExportOptions, isE4Export, readE4Export, readE4Folder, readE4Ibi, readE4Signal } from './e4-reader';
export {
  ANNOTATION_STEP_S,
  Annotator,
  ANNOTATORS,
  E4_NOMINAL_RATES,
  KEMOCON_TARGETS,
  KEmoConOptions,
  KEmoConSubject,
  readKEmoCon,
  readKEmoConAnnotations,
  readKEmoConIbi,
  readKEmoConParticipant,
  readKEmoConSignal,
  readKEmoConSubjects,
} from './kemocon-reader';
export {
  generateSynthetic,
  resolveSyntheticOptions,
  ResolvedSyntheticOptions,
  SYNTHETIC_DEFAULTS,
  SYNTHETIC_MANIFEST,
  SYNTHETIC_VERSION,
  syntheticCacheName,
  SyntheticOptions,
  SyntheticResult,
  writeSyntheticFiles,
} from './synthetic';
export { e4Adapter, E4Config, kemoconAdapter, KEmoConConfig, sensorsModule, syntheticAdapter, SyntheticConfig } from './sensors-module';
