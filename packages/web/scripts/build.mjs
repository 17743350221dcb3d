// Builds the browser bundle (dist/fusion-web.min.js, an IIFE exposing `fusionWeb`) and an ES module
// (dist/fusion-web.mjs). Both take TensorFlow.js from the host: the IIFE from the page's global `tf`, the ES module
// from its `@tensorflow/tfjs` import, so the layers register with the same tf instance the page loads models with.
// Run after `tsc -b` (the layer packages are read from their dist/). Fails if anything pulls in a Node built-in.
import * as esbuild from 'esbuild';
import { builtinModules } from 'module';
import * as path from 'path';
import { fileURLToPath } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const TFJS = /^@tensorflow\/tfjs(-core|-layers|-converter|-data|-backend-cpu|-backend-webgl)?$/;

/** Maps every `@tensorflow/tfjs*` import to `target` (the page global, or one external ES import). */
function tfjsFrom(target) {
  return {
    name: 'tfjs-from-host',
    setup(build) {
      build.onResolve({ filter: TFJS }, (args) => (args.namespace === 'tfjs-host' ? { path: args.path, external: true } : { path: args.path, namespace: 'tfjs-host' }));
      build.onLoad({ filter: /.*/, namespace: 'tfjs-host' }, () =>
        target === 'global'
          ? { contents: 'module.exports = globalThis.tf;', loader: 'js' }
          : { contents: "export * from '@tensorflow/tfjs';", loader: 'js' }
      );
    },
  };
}

const common = {
  entryPoints: [path.join(root, 'src', 'index.ts')],
  bundle: true,
  platform: 'browser',
  target: 'es2020',
  logLevel: 'warning',
  metafile: true,
  // A Node built-in reached from the entry is a build error on platform "browser"; listed here for the message.
  external: [],
  legalComments: 'none',
};

const builds = [
  { ...common, format: 'iife', globalName: 'fusionWeb', minify: true, outfile: path.join(root, 'dist', 'fusion-web.min.js'), plugins: [tfjsFrom('global')] },
  { ...common, format: 'esm', outfile: path.join(root, 'dist', 'fusion-web.mjs'), plugins: [tfjsFrom('esm')], external: ['@tensorflow/tfjs'] },
];

const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
for (const b of builds) {
  const result = await esbuild.build(b);
  const leaked = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path)).filter((p) => nodeBuiltins.has(p));
  if (leaked.length) throw new Error(`${b.outfile}: imports Node built-ins ${[...new Set(leaked)].join(', ')}; the web bundle must not.`);
  const bytes = Object.values(result.metafile.outputs)[0].bytes;
  console.log(`${path.relative(process.cwd(), b.outfile)}: ${(bytes / 1024).toFixed(1)} KiB`);
}
