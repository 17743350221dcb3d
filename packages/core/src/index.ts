import 'reflect-metadata';

export * from './errors';
export * from './random';
export * from './data';
export * from './spec';
export * from './plugins';
export * from './registry';
export * from './container';
export * from './schema';
export * from './backend';
export * from './preprocess/resample';
export * from './preprocess/normalize';
export * from './preprocess/labels';
export * from './preprocess/windows';
export * from './preprocess/augment';
export * from './preprocess/sliding-window';
export * from './layers';
