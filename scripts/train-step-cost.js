#!/usr/bin/env node
// Load-independent cost of one EmoHEAL training step (BENCHMARKS.md, "Training: kernels, copies and CPU time"):
// kernels (one tf.profile), typed-array copy calls (set and copyWithin), process CPU time per step (user + system,
// median and first quartile; less sensitive to other load than wall time) and a hash of all weights after the
// steps (equal hashes = the same weights bit for bit, to compare two checkouts).
// usage: node scripts/train-step-cost.js [CHECKOUT] [LENGTH] [STEPS]   e.g. node scripts/train-step-cost.js . 160 6
const path = require('path');
const crypto = require('crypto');
const tree = path.resolve(process.argv[2] || path.join(__dirname, '..'));
const length = Number(process.argv[3] || 20);
const steps = Number(process.argv[4] || 20);
process.chdir(tree);
const tf = require(path.join(tree, 'node_modules/@tensorflow/tfjs'));
const core = require(path.join(tree, 'packages/core/dist/src/index.js'));
const { createDefaultContainer } = require(path.join(tree, 'packages/cli/dist/src/container.js'));
const { FlatAdamOptimizer } = require(path.join(tree, 'packages/runner/dist/src/model/flat-adam.js'));

(async () => {
  const container = createDefaultContainer();
  const { spec } = core.loadSpecFile('specs/emoheal.json', container, {});
  await core.selectBackend('wasm');
  const S = spec.sensors.length;
  const C = spec.preprocessing.label.classes.length;
  const batch = 32;
  const model = core.buildModel(spec, core.getRegistries(container), { sensors: spec.sensors, length, classes: C }, spec.seed);
  const optimizer = new FlatAdamOptimizer(spec.training.learningRate);
  const vars = model.trainableWeights.map((w) => w.val);
  const x = tf.randomNormal([batch, length, S], 0, 1, 'float32', new core.Rng(`${spec.seed}/bench`).seed31());
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % C), 'int32'), C);
  const step = () =>
    tf.tidy(() => optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, tf.log(tf.clipByValue(model.apply(x, { training: true }), 1e-7, 1))), true, vars));
  const run = async () => {
    const loss = step();
    await loss.data();
    loss.dispose();
  };
  for (let i = 0; i < 3; i++) await run();
  // Copy calls of one step.
  const proto = Object.getPrototypeOf(Uint8Array.prototype);
  const { set, copyWithin } = proto;
  let copies = 0;
  proto.set = function (...a) {
    copies++;
    return set.apply(this, a);
  };
  proto.copyWithin = function (...a) {
    copies++;
    return copyWithin.apply(this, a);
  };
  await run();
  proto.set = set;
  proto.copyWithin = copyWithin;
  const cpu = [];
  const wall = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    wall.push(performance.now() - t0);
  }
  const q = (a, p) => [...a].sort((u, v) => u - v)[Math.floor(p * a.length)];
  const kernels = (await tf.profile(() => step().dispose())).kernels.length;
  const hash = crypto.createHash('sha256');
  for (const v of vars) hash.update(Buffer.from((await v.data()).buffer));
  console.log(
    JSON.stringify({
      tree,
      length,
      steps,
      kernelsPerStep: kernels,
      copyCallsPerStep: copies,
      cpuMsPerStep: +q(cpu, 0.5).toFixed(1),
      cpuMsPerStepP25: +q(cpu, 0.25).toFixed(1),
      wallMsPerStep: +q(wall, 0.5).toFixed(1),
      weights: hash.digest('hex').slice(0, 16),
    })
  );
})();
