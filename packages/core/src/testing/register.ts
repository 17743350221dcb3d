// Preloaded by `mocha --require <this file>` in a plugin's own folder (the scaffold's `npm test`): the plugin and its
// tests resolve @fusion/core, inversify and @tensorflow/* to the framework's copies, with nothing installed there.
import * as path from 'path';
import { preparePluginModule } from '../plugin-host';

preparePluginModule('the plugin tests', path.join(process.cwd(), 'package.json'));
