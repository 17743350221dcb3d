#!/usr/bin/env node
// The installed command. A plain file that exists before the TypeScript build, so npm links it on a fresh install
// (npm links bins before the root `prepare` script builds dist/).
require('../dist/src/bin.js');
