import 'reflect-metadata';
import * as tf from '@tensorflow/tfjs';

/** The TensorFlow.js instance fusion runs on: plugins build their layers with it (never with a copy of their own). */
export { tf };

export * from './errors';
export * from './io-errors';
export * from './random';
export * from './data';
export * from './spec';
export * from './plugins';
export * from './registry';
export * from './container';
export * from './plugin-guard';
export * from './schema';
export * from './sweep';
export * from './backend';
export * from './preprocess/resample';
export * from './preprocess/normalize';
export * from './preprocess/labels';
export * from './preprocess/windows';
export * from './preprocess/augment';
export * from './layers';
export { repositoryRoot, requireData } from './require-data';
export * from './model/select-sensor';
export * from './model/build-model';
export * from './model/graph';
export * from './model/model-io';
export * from './spec-file';
export * from './file-kind';
export * from './model/summary';
export * from './model/macs';
export * from './model/memory';
export * from './model/outputs';
export * from './preprocess/output-labels';
export * from './model/infer';
export * from './export';
export * from './plugin-host';
