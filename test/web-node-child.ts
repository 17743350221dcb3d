// Loads exported bundles the way a user of plain tfjs would: `@tensorflow/tfjs` and `@fusion/web`, nothing else of
// fusion. Run by web-export.spec.ts as its own process: argv = JSON {bundles: [{url, windows (file of float32), n}], model}.
// Prints JSON: per bundle the probabilities, the stock loader's layer classes, and which fusion modules were loaded.
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { loadBundle } from '@fusion/web';

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]) as { bundles: { url: string; windows: string; n: number }[]; model: string };
  await tf.setBackend('cpu');
  const probs: number[][] = [];
  for (const b of args.bundles) {
    const bundle = await loadBundle(b.url);
    const buf = fs.readFileSync(b.windows);
    probs.push(Array.from(await bundle.predict(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4), b.n)));
    bundle.dispose();
  }
  const stock = await tf.loadLayersModel(args.model);
  const classes = stock.layers.map((l) => l.getClassName());
  stock.dispose();
  const fusionModules = Object.keys(require.cache).filter((k) => /packages[\\/](core|encoders|heads|fusion|sensors|stream|cli)[\\/]/.test(k));
  process.stdout.write(JSON.stringify({ probs, classes, fusionModules, tensors: tf.memory().numTensors }));
}

main().catch((e) => {
  process.stderr.write(String((e as Error).stack ?? e));
  process.exit(1);
});
