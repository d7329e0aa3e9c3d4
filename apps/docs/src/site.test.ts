// Browser tests of the built docs site (apps/docs/dist, built by `pnpm test`'s build step or
// `pnpm --filter @walkjump/docs build`): a tiny static server, Debian's Chromium driven by
// playwright-core, every page loaded with no console errors, each live demo run until samples
// appear, screenshots saved to artifacts/screenshots/. Skips only when Chromium or the built site
// is missing outside CI; in CI (CI set) a missing Chromium or site is a failure.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dist = join(root, 'apps/docs/dist');
const shots = join(root, 'artifacts/screenshots');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
const haveChromium = existsSync(chromiumPath);
const haveSite = existsSync(join(dist, 'index.html'));
const run = (haveChromium && haveSite) || inCi;
if (!run) {
  console.warn(
    `apps/docs browser tests skipped: ${haveChromium ? '' : `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`}${!haveChromium && !haveSite ? '; ' : ''}${haveSite ? '' : 'the site is not built (pnpm --filter @walkjump/docs build)'}`,
  );
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain',
};

/** Serves `dist` the way a static host does with VitePress's clean URLs (/a/b → a/b.html). */
function serve(): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const base = resolve(dist, `.${path}`);
    const candidates = [base, `${base}.html`, join(base, 'index.html')];
    const file = base.startsWith(dist) ? candidates.find((f) => existsSync(f) && statSync(f).isFile()) : undefined;
    if (file === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/html' });
      res.end(existsSync(join(dist, '404.html')) ? readFileSync(join(dist, '404.html')) : 'not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

/** Every page of the built site as a clean URL path. */
function sitePages(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory() && e.name !== 'assets' && e.name !== 'wasm') walk(p);
      else if (e.isFile() && e.name.endsWith('.html') && p !== join(dist, '404.html')) {
        const rel = relative(dist, p)
          .split(sep)
          .join('/')
          .replace(/\.html$/, '');
        out.push(`/${rel === 'index' ? '' : rel.replace(/(^|\/)index$/, '/')}`);
      }
    }
  };
  walk(dist);
  return out.sort();
}

/** Collects console errors, uncaught exceptions and failed requests of a page. */
function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    // Navigating away cancels the previous page's pending requests; that is not a site error.
    if (!/ERR_ABORTED/.test(r.failure()?.errorText ?? ''))
      errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  return errors;
}

describe.skipIf(!run)('docs site in Chromium', () => {
  let server: Server | undefined;
  let browser: Browser | undefined;
  let origin = '';

  beforeAll(async () => {
    expect(
      haveChromium,
      `Chromium is missing at ${chromiumPath}: .ci/run installs it with apt-get install chromium`,
    ).toBe(true);
    expect(
      haveSite,
      `the docs site is not built: ${dist}/index.html is missing (pnpm --filter @walkjump/docs build)`,
    ).toBe(true);
    mkdirSync(shots, { recursive: true });
    server = await serve();
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((ok) => (server ? server.close(() => ok()) : ok()));
  });

  it('loads every page without console errors', async () => {
    const pages = sitePages();
    expect(pages.length).toBeGreaterThan(10);
    const failures: string[] = [];
    const queue = [...pages];
    const t0 = Date.now();
    // A few tabs at once: the pages are independent and most of the time is spent waiting.
    const worker = async (): Promise<void> => {
      const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
      const errors = watch(page);
      for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
        errors.length = 0;
        const res = await page.goto(origin + p, { waitUntil: 'load' });
        if (!res?.ok()) failures.push(`${p}: HTTP ${res?.status()}`);
        // Let the client hydrate and fetch its lazy chunks (and the demos start) before judging the console.
        await page.waitForLoadState('networkidle', { timeout: 20_000 });
        if (!(await page.locator('h1').first().isVisible())) failures.push(`${p}: no visible h1`);
        for (const e of errors) failures.push(`${p}: ${e}`);
      }
      await page.close();
    };
    await Promise.all([worker(), worker(), worker()]);
    console.log(`loaded ${pages.length} pages in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    for (const [p, file] of [
      ['/', 'home.png'],
      ['/concepts/tweedie', 'concepts-tweedie.png'],
      ['/api/langevin', 'api-langevin.png'],
    ] as const) {
      await page.goto(origin + p, { waitUntil: 'load' });
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(shots, file) });
    }
    await page.close();
    expect(failures, failures.join('\n')).toEqual([]);
  }, 80_000);

  const demos = [
    // The DEEN demo trains first: a short budget here (the page's default is 600 steps).
    { name: 'walk-jump', path: '/demos/walk-jump?steps=80', minSamples: 600 },
    { name: 'manifold', path: '/demos/manifold', minSamples: 64 },
    { name: 'digits', path: '/demos/digits', minSamples: 16 },
  ];
  const timings: Record<string, Record<string, string>> = {};

  for (const d of demos) {
    it(`runs the ${d.name} demo until samples appear`, async () => {
      const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 1000 } });
      const errors = watch(page);
      const t0 = Date.now();
      await page.goto(origin + d.path, { waitUntil: 'load' });
      const sel = `[data-demo="${d.name}"]`;
      await page.waitForFunction(
        ([s, n]) => Number(document.querySelector(s as string)?.getAttribute('data-samples') ?? 0) >= (n as number),
        [sel, d.minSamples],
        { timeout: 45_000, polling: 200 },
      );
      const firstMs = Date.now() - t0;
      if (d.name === 'walk-jump') {
        // The sampler controls restart the chains on the trained energy, without retraining.
        await page.locator(`${sel} select`).selectOption('ula');
        await page.waitForFunction(
          ([s]) => {
            const e = document.querySelector(s as string);
            return e?.getAttribute('data-sampler') === 'ula' && Number(e.getAttribute('data-samples')) > 0;
          },
          [sel],
          { timeout: 20_000, polling: 100 },
        );
      }
      await page.waitForTimeout(2000);
      const el = page.locator(sel);
      // Memory stays flat while sampling: the live tfjs tensor count does not grow from frame to frame.
      const tensorsBefore = Number(await el.getAttribute('data-tensors'));
      await page.waitForTimeout(1500);
      const tensorsAfter = Number(await el.getAttribute('data-tensors'));
      const attrs = await el.evaluate((e) =>
        Object.fromEntries(
          Array.from(e.attributes)
            .filter((a) => a.name.startsWith('data-'))
            .map((a) => [a.name, a.value]),
        ),
      );
      timings[d.name] = { ...attrs, 'ms-to-first-samples': String(firstMs) };
      await el.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(shots, `demo-${d.name}.png`), fullPage: true });
      await page.close();
      expect(attrs['data-phase']).toBe('sampling');
      expect(Number(attrs['data-samples'])).toBeGreaterThan(d.minSamples);
      expect(errors, errors.join('\n')).toEqual([]);
      expect(tensorsBefore).toBeGreaterThan(0);
      expect(tensorsAfter, 'live tfjs tensors while sampling').toBe(tensorsBefore);
      if (d.name === 'digits')
        expect(Number(attrs['data-denoised-error'])).toBeLessThan(Number(attrs['data-noisy-error']));
      if (d.name === 'manifold') expect(Number(attrs['data-acceptance'])).toBeGreaterThan(0.3);
      writeFileSync(join(shots, 'demo-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
      console.log(`demo ${d.name}: ${JSON.stringify(timings[d.name])}`);
    }, 60_000);
  }
});
