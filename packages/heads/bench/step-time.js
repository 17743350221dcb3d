// Measures ms per training step of tcn(25,25,25) per sensor + concat + bigru(64) + softmax (EmoHEAL-sized),
// batch 32, 5 sensors. Usage: node packages/heads/bench/step-time.js [backend=wasm] [length=20] [steps=20] [stride=1]
// Not a test: build first (npx tsc -b packages/encoders packages/fusion packages/heads).
const path = require('path');
const tf = require('@tensorflow/tfjs');
const { tcnEncoder } = require('@fusion/encoders');
const { concatFusion } = require('@fusion/fusion');
const { bigruHead } = require('@fusion/heads');

async function main() {
  const [backend = 'wasm', lenArg = '20', stepsArg = '20', strideArg = '1'] = process.argv.slice(2);
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
  }
  await tf.setBackend(backend);
  await tf.ready();
  const S = 5, T = Number(lenArg), B = 32, steps = Number(stepsArg), stride = Number(strideArg);
  let seed = 1, n = 0;
  const ctx = { sensors: ['a', 'b', 'c', 'd', 'e'], length: T, classes: 2, nextSeed: () => seed++, name: (p) => `${p}_${++n}` };
  const input = tf.input({ shape: [T, S, 1] });
  let x = tcnEncoder.apply(input, { type: 'tcn', channels: [25, 25, 25], kernelSize: 2, dropout: 0.2, stride }, ctx);
  x = concatFusion.apply(x, { type: 'concat' }, ctx);
  x = bigruHead.apply(x, { type: 'bigru', units: 64 }, ctx);
  const out = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(x);
  const model = tf.model({ inputs: input, outputs: out });
  const params = model.countParams();
  const xs = tf.randomNormal([B, T, S, 1], 0, 1, 'float32', 3);
  const ys = tf.oneHot(tf.tensor1d(Array.from({ length: B }, (_, i) => i % 2), 'int32'), 2);
  const opt = tf.train.adam(5e-4);
  const step = () =>
    tf.tidy(() => opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true })), true).dataSync()[0]);
  for (let i = 0; i < 3; i++) step();
  const prof = await tf.profile(() => { step(); });
  const t0 = process.hrtime.bigint();
  let loss = 0;
  for (let i = 0; i < steps; i++) loss = step();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / steps;
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) tf.tidy(() => model.predict(xs).dataSync());
  const inferMs = Number(process.hrtime.bigint() - t1) / 1e6 / steps;
  console.log(JSON.stringify({ backend: tf.getBackend(), batch: B, sensors: S, length: T, stride, params,
    kernelsPerStep: prof.kernels.length, msPerTrainStep: +ms.toFixed(1), windowsPerSecond: Math.round((1000 * B) / ms),
    msPerPredictBatch: +inferMs.toFixed(1), loss: +loss.toFixed(4), numTensors: tf.memory().numTensors }));
}
main().catch((e) => { console.error(e); process.exit(1); });
