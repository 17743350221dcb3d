// The fusion demo page: loads the bundle served beside it (bundle/fusion.json) and shows the probability of the
// last class over time as windows arrive, from dropped E4 files or a WebSocket of NDJSON sample lines. The windows
// come from @fusion/web's live operators, the same as `fusion-cli stream`. ?backend=wasm|cpu|webgl picks the
// tfjs backend (default cpu). The results are kept in window.fusionDemo for scripts and tests.
/* global tf, fusionWeb */
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  // warmupSeconds: seconds of a live stream before its running statistics are trusted (undefined: 60, as the CLI)
  const demo = (window.fusionDemo = { warmupSeconds: undefined, ready: false, events: [], skipped: 0, done: false, error: null, bundle: null });
  const status = (text) => ($('status').textContent = text);

  // --- chart: probability of the last class against window end time (seconds from the first window)
  const svg = $('chart');
  const W = 800, H = 260, PAD = 36;
  function draw() {
    const ev = demo.events;
    const cls = demo.bundle ? demo.bundle.classes[demo.bundle.classes.length - 1] : '';
    const t0 = ev.length ? ev[0].windowEnd : 0;
    const t1 = ev.length > 1 ? ev[ev.length - 1].windowEnd : t0 + 1;
    const x = (t) => PAD + ((t - t0) / (t1 - t0 || 1)) * (W - 2 * PAD);
    const y = (p) => H - PAD - p * (H - 2 * PAD);
    const pts = ev.map((e) => `${x(e.windowEnd).toFixed(1)},${y(e.probs[cls]).toFixed(1)}`).join(' ');
    svg.innerHTML =
      `<line x1="${PAD}" y1="${y(0)}" x2="${W - PAD}" y2="${y(0)}" stroke="#999"/>` +
      `<line x1="${PAD}" y1="${y(0)}" x2="${PAD}" y2="${y(1)}" stroke="#999"/>` +
      `<line x1="${PAD}" y1="${y(0.5)}" x2="${W - PAD}" y2="${y(0.5)}" stroke="#ddd" stroke-dasharray="4 4"/>` +
      `<text x="4" y="${y(1) + 4}" font-size="11">1</text><text x="4" y="${y(0) + 4}" font-size="11">0</text>` +
      `<text x="${PAD}" y="16" font-size="12">p(${cls}) per window</text>` +
      `<text x="${W - PAD}" y="${H - 8}" font-size="11" text-anchor="end">${(t1 - t0).toFixed(0)} s</text>` +
      (pts ? `<polyline fill="none" stroke="#06c" stroke-width="1.5" points="${pts}"/>` : '');
  }

  function consume(events$, what) {
    demo.events = [];
    demo.skipped = 0;
    demo.done = false;
    demo.error = null;
    draw();
    status(`${what}: running`);
    let last = 0;
    events$.subscribe({
      next(e) {
        if (e.skipped) demo.skipped++;
        else demo.events.push(e);
        if (performance.now() - last > 100) {
          last = performance.now();
          draw();
          status(`${what}: ${demo.events.length} windows, ${demo.skipped} skipped`);
        }
      },
      error(e) {
        demo.error = String(e && e.message ? e.message : e);
        status(`${what}: error: ${demo.error}`);
      },
      complete() {
        draw();
        demo.done = true;
        status(`${what}: done, ${demo.events.length} windows, ${demo.skipped} skipped`);
      },
    });
  }

  async function readDropped(fileList) {
    const files = await Promise.all(Array.from(fileList).map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
    try {
      const rec = fusionWeb.readE4Files(files, demo.bundle.sensors, 'recording');
      const norm = $('norm-recording').checked ? 'recording' : 'running';
      consume(fusionWeb.replayRecording(demo.bundle, rec, norm), `recording (${files.length} files, norm ${norm})`);
    } catch (e) {
      demo.error = e.message;
      status(`error: ${e.message}`);
    }
  }

  async function start() {
    const backend = new URLSearchParams(location.search).get('backend') || 'cpu';
    if (backend === 'wasm') tf.wasm.setWasmPaths(new URL('./', location.href).href);
    await tf.setBackend(backend);
    await tf.ready();
    const bundle = (demo.bundle = await fusionWeb.loadBundle(new URL('bundle/', location.href).href));
    const m = bundle.manifest;
    $('model').textContent =
      `${m.name}: ${m.inputs ? m.inputs.map((i) => `${i.name} at ${i.rate} Hz`).join(', ') : `${m.sensors.join(', ')} at ${m.sampleRate} Hz`}, window ${m.window} s, hop ${m.hop} s, ` +
      `classes ${m.outputs ? m.outputs.map((o) => `${o.name} ${o.classes.join('/')}`).join(', ') : m.classes.join('/')}, ` +
      `${m.members.length} member(s), ${m.precision}, backend ${tf.getBackend()}`;
    draw();
    demo.ready = true;
    status('ready: drop a recording or connect a WebSocket');
    $('files').addEventListener('change', (e) => readDropped(e.target.files));
    const drop = $('drop');
    drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('over'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('over');
      readDropped(e.dataTransfer.files);
    });
    $('ws-connect').addEventListener('click', () => {
      const url = $('ws-url').value.trim();
      consume(fusionWeb.livePredictions(bundle, fusionWeb.webSocketChunks(url), { norm: 'running', warmupSeconds: demo.warmupSeconds }), `WebSocket ${url}`);
    });
  }
  start().catch((e) => {
    demo.error = String(e && e.message ? e.message : e);
    status(`error: ${demo.error}`);
  });
})();
