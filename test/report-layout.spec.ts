import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { Browser, chromium, Page } from 'playwright-core';
import { CHROMIUM, cli, ROOT, skipWithoutChromium, tmpDir, writeSpec } from './helpers';

/**
 * The report pages in headless Chromium: printed, the run specification is never clipped by its on-screen scroll box;
 * on a 375 px phone screen the page itself never scrolls sideways (wide tables scroll inside their own box). The
 * PDF and the screenshots are kept in test/artifacts. Chromium as in web-demo.spec (skipped without it, except under CI).
 */
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');

/** The little of the DOM these page functions use (the tests compile without the DOM library). */
interface El {
  scrollHeight: number;
  clientHeight: number;
  scrollWidth: number;
  clientWidth: number;
  parentElement: El;
  classList: { contains(c: string): boolean };
  getBoundingClientRect(): { right: number };
}
interface Dom {
  document: { documentElement: El; querySelector(q: string): El; querySelectorAll(q: string): ArrayLike<El> };
  getComputedStyle(e: El): { maxHeight: string; overflowX: string };
}

describe('report pages print whole and fit a narrow screen (headless Chromium)', function () {
  this.timeout(300000);
  let dir: string;
  let browser: Browser | undefined;
  let pages: Record<string, string>;

  before(async function () {
    skipWithoutChromium(this);
    dir = tmpDir('fusion-report-layout-');
    // a long subject list makes the fold table wider than a phone; the spec is longer than its on-screen box
    const r = cli(['run', writeSpec(dir, 'report-layout', { name: 'report-layout', training: { epochs: 1, batchSize: 32, learningRate: 0.01, patience: 1, ensemble: 1 } }), '--out', 'run', '--workers', '1', '--json'], dir);
    expect(r.status, r.stderr).to.equal(0);
    fs.writeFileSync(path.join(dir, 'new.json'), JSON.stringify({ type: 'synthetic', participants: 2, minutes: 3, effect: 1, seed: 11 }));
    const e = cli(['evaluate', 'run', 'new.json', '--out', 'eval/new.csv', '--json'], dir);
    expect(e.status, e.stderr).to.equal(0);
    pages = { report: path.join(dir, 'run', 'report.html'), evaluation: path.join(dir, 'eval', 'new.html') };
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function open(file: string, width: number): Promise<Page> {
    const page = await browser!.newPage({ viewport: { width, height: 800 } });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return page;
  }

  /** The spec box: how much it holds and shows, and its max-height. */
  const specBox = (page: Page): Promise<{ scroll: number; client: number; maxHeight: string }> =>
    page.evaluate(() => {
      const g = globalThis as unknown as Dom;
      const pre = g.document.querySelector('#spec pre');
      return { scroll: pre.scrollHeight, client: pre.clientHeight, maxHeight: g.getComputedStyle(pre).maxHeight };
    });

  it('printed, the run specification is shown whole (on screen it scrolls in its box); PDF kept', async () => {
    const page = await open(pages.report, 1000);
    try {
      const screen = await specBox(page);
      expect(screen.scroll, 'on screen the long spec scrolls inside its box').to.be.greaterThan(screen.client + 10);
      await page.emulateMedia({ media: 'print' });
      const printed = await specBox(page);
      expect(printed.maxHeight).to.equal('none');
      expect(printed.scroll, 'printed spec box clipped').to.be.at.most(printed.client + 1);
      // nothing else is clipped sideways on A4 either
      await page.setViewportSize({ width: 794, height: 1123 });
      const fits = await page.evaluate(() => {
        const root = (globalThis as unknown as Dom).document.documentElement;
        return root.scrollWidth <= root.clientWidth;
      });
      expect(fits, 'page wider than A4 when printed').to.equal(true);
      const pdf = await page.pdf({ format: 'A4', printBackground: true, path: path.join(ARTIFACTS, 'report-print.pdf') });
      expect(pdf.subarray(0, 5).toString()).to.equal('%PDF-');
      await page.screenshot({ path: path.join(ARTIFACTS, 'report-print.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  for (const which of ['report', 'evaluation'] as const) {
    it(`on a 375 px screen the ${which} page does not scroll sideways; its tables scroll inside their own box`, async () => {
      const page = await open(pages[which], 375);
      try {
        const layout = await page.evaluate(() => {
          const g = globalThis as unknown as Dom;
          return {
            scrollWidth: g.document.documentElement.scrollWidth,
            clientWidth: g.document.documentElement.clientWidth,
            tables: Array.from(g.document.querySelectorAll('table')).map((t) => {
              const box = t.parentElement;
              return { boxed: box.classList.contains('scroll'), overflowX: g.getComputedStyle(box).overflowX, boxRight: box.getBoundingClientRect().right, wide: t.scrollWidth > box.clientWidth };
            }),
          };
        });
        expect(layout.scrollWidth, 'page scrolls sideways').to.be.at.most(layout.clientWidth);
        expect(layout.tables.length).to.be.greaterThan(0);
        for (const t of layout.tables) {
          expect(t.boxed, 'table in a .scroll box').to.equal(true);
          expect(t.overflowX).to.equal('auto');
          expect(t.boxRight).to.be.at.most(layout.clientWidth);
        }
        if (which === 'report') expect(layout.tables.some((t) => t.wide), 'the fold table is wider than a phone (what this test is about)').to.equal(true);
        await page.screenshot({ path: path.join(ARTIFACTS, `${which}-375px.png`), fullPage: true });
      } finally {
        await page.close();
      }
    });
  }
});
