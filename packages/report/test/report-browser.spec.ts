import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { chromium } from 'playwright-core';
import { renderReportHtml } from '../src';
import { makeFixture } from './fixture';

/**
 * Opens a rendered report in headless Chromium from a file:// URL with the network blocked, checks that every chart
 * is drawn, and saves a screenshot to <os.tmpdir()>/fusion-report.png (to look at). Chromium is the Debian package:
 *   apt-get update && apt-get install -y chromium
 * found on PATH (or at env CHROMIUM_PATH). Without it the test is skipped, except under CI (env CI set), where it fails.
 */
const CHROMIUM =
  process.env.CHROMIUM_PATH ??
  (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, 'chromium'))
    .find((file) => fs.existsSync(file)) ??
  'chromium';
const SCREENSHOT = path.join(os.tmpdir(), 'fusion-report.png');

describe('report in headless Chromium', function () {
  this.timeout(120000);
  let dir: string;

  before(function () {
    if (!fs.existsSync(CHROMIUM)) {
      const notice = `Chromium not found (${CHROMIUM}, searched on PATH) (install it with: apt-get update && apt-get install -y chromium)`;
      if (process.env.CI) throw new Error(`${notice}; the browser test may not be skipped under CI.`);
      console.warn(`    SKIPPED: ${notice}`);
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-browser-'));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens offline and draws every chart', async () => {
    const fx = makeFixture({ features: true, subjects: ['S1', 'S2', 'S3', 'S4', 'S5', 'S6', 'S7', 'S8'], folds: 4, members: 3, epochs: 10 });
    const file = path.join(dir, 'report.html');
    fs.writeFileSync(file, await renderReportHtml(fx.metrics, fx.csv, fx.spec));

    const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1240, height: 900 },
    });
    try {
      const attempted: string[] = [];
      const requested: string[] = [];
      const consoleProblems: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        attempted.push(url);
        return route.abort();
      });
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('request', (r) => requested.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') consoleProblems.push(m.text());
      });
      page.on('pageerror', (e) => consoleProblems.push(e.message));
      const url = pathToFileURL(file).href;
      await page.goto(url, { waitUntil: 'load' });

      const figures = await page.$$eval('figure.chart', (els) =>
        els.map((el) => {
          const svg = el.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          const marks = svg ? Array.from(svg.querySelectorAll('path, rect, line')).filter((m) => {
            const b = (m as unknown as { getBBox(): { width: number; height: number } }).getBBox();
            return b.width > 0 || b.height > 0;
          }).length : 0;
          return { id: el.id, width: box?.width ?? 0, height: box?.height ?? 0, marks };
        })
      );
      expect(figures.map((f) => f.id)).to.have.length(8);
      for (const f of figures) {
        expect(f.width, `${f.id} width`).to.be.greaterThan(50);
        expect(f.height, `${f.id} height`).to.be.greaterThan(50);
        expect(f.marks, `${f.id} marks`).to.be.greaterThan(3);
      }
      const title = await page.title();
      expect(title).to.include('fixture-run');

      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(fs.statSync(SCREENSHOT).size).to.be.greaterThan(10000);

      expect(attempted, 'network requests attempted').to.deep.equal([]);
      expect(requested, 'only the report itself is loaded').to.deep.equal([url]);
      expect(consoleProblems, 'console errors / warnings').to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});
