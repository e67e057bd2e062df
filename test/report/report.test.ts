/**
 * The HTML report, opened in a real headless Chromium: every plot must have drawn (Plotly's SVG;
 * the parallel-coordinates lines are WebGL, so its canvas must hold pixels), nothing may load from
 * the network, and a screenshot is taken.
 *
 * Needs Debian's Chromium: `bash scripts/ensure-chromium.sh` installs it (VIBEOPT_CHROMIUM points
 * elsewhere). Without it this test FAILS, on purpose: a skipped screenshot test proves nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { reportCommand } from '../../src/cli/report';
import type { CommandIO } from '../../src/cli/analyze';
import { REPORT_PLOT_IDS, inlineScript, jsonForScript } from '../../src/report';
import { tempDir } from '../helpers/tmp';
import { writePipelineResults } from '../helpers/results';

// The page's globals, typed just enough for the page.evaluate callbacks below (the project compiles
// without the DOM lib; these declarations are local to this module).
interface PageElement {
  id: string;
  width: number;
  height: number;
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { length: number };
  getBoundingClientRect(): { width: number; height: number };
  getContext(kind: '2d'): { drawImage(c: PageElement, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { length: number };
  createElement(tag: 'canvas'): PageElement;
  body: { innerText: string };
};
declare const window: { __reportReady?: boolean; __xss?: number };

const CHROMIUM = process.env.VIBEOPT_CHROMIUM ?? '/usr/bin/chromium';
const HOSTILE = '</script><script>window.__xss = 1</script><!--';

function quietIO(): CommandIO & { err: () => string } {
  let err = '';
  return { stdout: () => undefined, stderr: (t) => void (err += t), err: () => err };
}

test('embedded JSON and inlined scripts cannot close their <script> element', () => {
  const text = jsonForScript({ a: HOSTILE, b: '\u2028&' });
  assert.ok(!/<\/script/i.test(text) && !text.includes('<!--'));
  assert.deepEqual(JSON.parse(text), { a: HOSTILE, b: '\u2028&' });
  const js = inlineScript('var s = "</SCRIPT><!-- x";');
  assert.ok(!/<\/script/i.test(js) && !js.includes('<!--'));
  // The escaped script still means the same string.
  assert.equal(new Function(`${js} return s;`)(), '</SCRIPT><!-- x');
});

test('report: every plot renders in headless Chromium; offline; screenshot', { timeout: 120_000 }, async () => {
  try {
    accessSync(CHROMIUM, constants.X_OK);
  } catch {
    assert.fail(`Chromium not found at ${CHROMIUM}. Install it with: bash scripts/ensure-chromium.sh (or set VIBEOPT_CHROMIUM to a Chromium binary).`);
  }
  const root = tempDir('vibeopt-report-');
  const dir = writePipelineResults(root, { trialsPerStage: [10, 6] });
  // A hostile trial id must come out as text, not as markup or script.
  const hostileDir = path.join(dir, 'stage2', 'stage2-trial-003');
  const results = JSON.parse(readFileSync(path.join(hostileDir, 'results.json'), 'utf8'));
  writeFileSync(path.join(hostileDir, 'results.json'), JSON.stringify({ ...results, experiment_id: `hostile ${HOSTILE}` }));
  // Stage 2 without its results_summary.json: statuses then come from the trials' own files.
  renameSync(path.join(dir, 'stage2', 'results_summary.json'), path.join(dir, 'stage2', 'results_summary.json.bak'));

  const out = path.join(root, 'report.html');
  const io = quietIO();
  assert.equal(await reportCommand({ dir, out }, io), 0, io.err());
  const html = readFileSync(out, 'utf8');
  assert.ok(!/<script[^>]*\ssrc=/i.test(html), 'no external script');
  assert.ok(!/<link[^>]*\shref=/i.test(html), 'no external stylesheet');
  assert.ok(html.length > 1_000_000, 'Plotly is inlined');

  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--enable-unsafe-swiftshader'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('request', (r) => void (!r.url().startsWith('file:') && !r.url().startsWith('data:') && requests.push(r.url())));
    await page.goto(`file://${out}`);
    await page.waitForFunction(() => window.__reportReady === true, null, { timeout: 60_000 });

    const plots = await page.evaluate((ids) =>
      ids.map((id) => {
        const el = document.getElementById(id);
        const svg = el?.querySelector('svg.main-svg');
        const box = svg?.getBoundingClientRect();
        const drawn = el ? el.querySelectorAll('svg.main-svg path, svg.main-svg rect, svg.main-svg text').length : 0;
        // WebGL canvases (parcoords): copy onto a 2D canvas and count painted pixels.
        let canvasPixels = 0;
        for (const c of el ? [...el.querySelectorAll('canvas')] : []) {
          const o = document.createElement('canvas');
          o.width = c.width;
          o.height = c.height;
          const ctx = o.getContext('2d');
          if (!ctx || !c.width || !c.height) continue;
          ctx.drawImage(c, 0, 0);
          const px = ctx.getImageData(0, 0, o.width, o.height).data;
          for (let i = 3; i < px.length; i += 4) if ((px[i] as number) > 0) canvasPixels++;
        }
        return { id, exists: !!el, rendered: el?.getAttribute('data-rendered'), error: el?.getAttribute('data-error'), width: box?.width ?? 0, height: box?.height ?? 0, drawn, canvasPixels };
      }), [...REPORT_PLOT_IDS]);
    for (const p of plots) {
      assert.ok(p.exists, `${p.id}: container missing (a "Nothing to plot" placeholder instead?)`);
      assert.equal(p.error, null, `${p.id}: ${p.error}`);
      assert.equal(p.rendered, 'true', `${p.id} did not finish rendering`);
      assert.ok(p.width > 300 && p.height > 200, `${p.id}: svg is ${p.width}×${p.height}`);
      assert.ok(p.drawn > 10, `${p.id}: only ${p.drawn} svg elements`);
    }
    const par = plots.find((p) => p.id === 'plot-parcoords');
    assert.ok((par?.canvasPixels ?? 0) > 1000, `parcoords canvas has ${par?.canvasPixels} painted pixels`);

    // Counted marks: the history plot has a point per succeeded trial; the OOM map shows OOMs.
    const counts = await page.evaluate(() => ({
      points: document.querySelectorAll('#plot-history .scatterlayer .trace:first-child .point').length,
      oomText: [...document.querySelectorAll('#plot-feasibility text')].map((t) => t.textContent ?? '').filter((t) => / [1-9]\d* OOM/.test(t)).length,
      xss: window.__xss,
      hostileText: document.body.innerText.includes('hostile </script><script>'),
    }));
    assert.ok(counts.points >= 5, `history shows ${counts.points} points for stage1`);
    assert.ok(counts.oomText >= 1, 'the feasibility map shows OOM cells');
    assert.equal(counts.xss, undefined, 'a trial id ran as script');
    assert.ok(counts.hostileText, 'the hostile trial id is shown as text');
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [], 'the page fetched something from the network');

    const shot = path.join(root, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    const size = statSync(shot).size;
    assert.ok(size > 100_000, `screenshot is only ${size} bytes`);
    if (process.env.VIBEOPT_KEEP_SCREENSHOT) writeFileSync(process.env.VIBEOPT_KEEP_SCREENSHOT, readFileSync(shot));
  } finally {
    await browser?.close();
  }
});
