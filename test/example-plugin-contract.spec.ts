import * as fs from 'fs';
import * as path from 'path';
import { describePluginContract } from '@fusion/core/testing';
import { ROOT } from './helpers';

// The example third-party plugin (examples/csv-folder-adapter, plain JavaScript) keeps the shared plugin contract:
// registered by its module, a strict options schema, and the same recordings from two loads of its data.
const folder = path.join(ROOT, 'examples', 'csv-folder-adapter');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a plain JavaScript plugin module, loaded as `plugins` entries are
const example = require(path.join(folder, 'index.js'));
const spec = JSON.parse(fs.readFileSync(path.join(folder, 'spec.json'), 'utf8'));
describePluginContract({ kind: 'dataset', type: spec.dataset.type, module: example.default, config: spec.dataset, loadFrom: folder });
