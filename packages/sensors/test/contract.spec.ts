import * as path from 'path';
import { describePluginContract } from '@fusion/core/testing';
import { sensorsModule } from '../src';

// The shared plugin contract for every dataset adapter of this package: registration and a strict options schema;
// the synthetic adapter (no files needed) also loads the same recordings twice.
const somewhere = path.join('data', 'recordings');
describePluginContract({ kind: 'dataset', type: 'synthetic', module: sensorsModule, config: { type: 'synthetic', participants: 2, minutes: 1 }, loadFrom: '.' });
describePluginContract({ kind: 'dataset', type: 'kemocon', module: sensorsModule, config: { type: 'kemocon', path: somewhere } });
describePluginContract({ kind: 'dataset', type: 'e4', module: sensorsModule, config: { type: 'e4', path: somewhere } });
describePluginContract({ kind: 'dataset', type: 'stress-predict', module: sensorsModule, config: { type: 'stress-predict', path: somewhere } });
