import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DefaultTheme, defineConfigWithTheme, type Plugin } from 'vitepress';

const require = createRequire(import.meta.url);
const vueDir = dirname(require.resolve('vue/package.json'));
const here = dirname(fileURLToPath(import.meta.url));
const docsDir = resolve(here, '../../../docs');

/** Serves and emits tfjs-backend-wasm's binaries under /wasm/ so the demos can run on wasm (SIMD). */
function tfjsWasm(): Plugin {
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
  const files = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
  let ssr = false;
  return {
    name: 'walkjump-tfjs-wasm',
    configResolved(config) {
      ssr = Boolean(config.build.ssr);
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const name = req.url?.split('?')[0]?.split('/wasm/')[1];
        if (name === undefined || !files.includes(name)) return next();
        res.setHeader('Content-Type', 'application/wasm');
        res.end(readFileSync(join(dist, name)));
      });
    },
    generateBundle() {
      // Client build only (the SSR build writes to a temp folder).
      if (ssr) return;
      for (const f of files) this.emitFile({ type: 'asset', fileName: `wasm/${f}`, source: readFileSync(join(dist, f)) });
    },
  };
}

/**
 * The packages import `node:*` modules only dynamically, inside Node-only functions (file I/O,
 * checkpoints, downloads, wasm threads in Node). In the browser bundle those imports resolve to an
 * empty module instead of Vite's externalized-module warning per import.
 */
function nodeBuiltinsStub(): Plugin {
  const prefix = '\0walkjump-node-stub:';
  return {
    name: 'walkjump-node-builtins-stub',
    enforce: 'pre',
    resolveId(id, _importer, opts) {
      return !opts?.ssr && id.startsWith('node:') ? prefix + id : undefined;
    },
    load(id) {
      return id.startsWith(prefix) ? `// ${id.slice(prefix.length)} is not available in the browser\nexport default {};\n` : undefined;
    },
  };
}

/** Sidebar entries for pages that exist (per-package pages are written by the package owners). */
function pages(dir: string, entries: Array<[string, string]>): Array<{ text: string; link: string }> {
  return entries.filter(([file]) => existsSync(join(docsDir, dir, `${file}.md`))).map(([file, text]) => ({ text, link: `/${dir}/${file}` }));
}

const packages: Array<[string, string]> = [
  ['tensor', '@walkjump/tensor'],
  ['empirical-bayes', '@walkjump/empirical-bayes'],
  ['nets', '@walkjump/nets'],
  ['langevin', '@walkjump/langevin'],
  ['manifold', '@walkjump/manifold'],
  ['discrete', '@walkjump/discrete'],
  ['metrics', '@walkjump/metrics'],
  ['datasets', '@walkjump/datasets'],
  ['walkjump', 'walkjump (facade)'],
];

export default defineConfigWithTheme<DefaultTheme.Config & { reproductionPages: string[] }>({
  title: 'walkjump',
  description: 'Learn energies and scores by empirical Bayes, and sample them — in Node and in the browser.',
  srcDir: '../../docs',
  srcExclude: ['examples/**', '**/README.md'],
  outDir: './dist',
  cacheDir: './.vitepress/cache',
  cleanUrls: true,
  lastUpdated: false,
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  markdown: { math: true },
  vite: {
    // The prose lives in /docs, outside this package: resolve vue from here.
    resolve: {
      alias: [{ find: /^vue($|\/)/, replacement: `${vueDir}$1` }],
      // tfjs-core's own ESM gradient registrations instead of the Node bundle (packages/tensor `imports`).
      conditions: ['@walkjump/vite'],
    },
    ssr: { resolve: { conditions: ['@walkjump/vite'], externalConditions: ['@walkjump/vite'] } },
    plugins: [nodeBuiltinsStub(), tfjsWasm()],
    build: { chunkSizeWarningLimit: 4000 },
    server: { fs: { allow: [resolve(here, '../../..')] } },
  },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Concepts', link: '/concepts/' },
      { text: 'Demos', link: '/demos/' },
      { text: 'Reproductions', link: '/reproductions/' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: [
      {
        text: 'Guide',
        items: [
          { text: 'Getting started', link: '/guide/getting-started' },
          { text: 'Packages', link: '/guide/packages' },
          { text: 'Examples', link: '/guide/examples' },
          ...pages('guide', [
            ['empirical-bayes', 'Empirical Bayes'],
            ['nets', 'Networks'],
            ['langevin', 'Langevin & walk-jump'],
            ['manifold', 'Manifolds'],
            ['discrete', 'Discrete'],
            ['metrics', 'Metrics'],
            ['datasets', 'Datasets'],
            ['tensor', 'Tensor'],
          ]),
        ],
      },
      {
        text: 'Concepts',
        items: [
          { text: 'Overview', link: '/concepts/' },
          { text: 'Tweedie / Robbins jump', link: '/concepts/tweedie' },
          { text: 'i-spheres and σc', link: '/concepts/sigma-c' },
          { text: 'M-densities', link: '/concepts/m-densities' },
          { text: 'Walk-jump sampling', link: '/concepts/walk-jump' },
          { text: 'Constrained MCMC', link: '/concepts/constrained-mcmc' },
          { text: 'Binary flips', link: '/concepts/binary-flips' },
          { text: 'Dual score matching', link: '/concepts/dual-score-matching' },
        ],
      },
      {
        text: 'Live demos',
        items: [
          { text: 'Overview', link: '/demos/' },
          { text: 'DEEN + walk-jump', link: '/demos/walk-jump' },
          { text: 'Constrained HMC', link: '/demos/manifold' },
          { text: 'Flip-noise digits', link: '/demos/digits' },
        ],
      },
      {
        text: 'Reproductions',
        items: [
          { text: 'Overview', link: '/reproductions/' },
          { text: 'Results gallery', link: '/reproductions/results' },
          ...pages('reproductions', [
            ['empirical-bayes', 'Empirical Bayes'],
            ['langevin', 'Langevin & walk-jump'],
            ['manifold', 'Manifolds'],
            ['discrete', 'Discrete'],
            ['metrics', 'Metrics'],
          ]),
        ],
      },
      {
        text: 'API reference',
        collapsed: true,
        items: [{ text: 'Overview', link: '/api/' }, ...packages.map(([p, text]) => ({ text, link: `/api/${p}` }))],
      },
    ],
    search: { provider: 'local' },
    // Read by the RepLink component of the reproductions index.
    reproductionPages: ['empirical-bayes', 'langevin', 'manifold', 'discrete', 'metrics', 'nets', 'datasets'].filter((p) =>
      existsSync(join(docsDir, 'reproductions', `${p}.md`)),
    ),
    socialLinks: [{ icon: 'github', link: 'https://github.com/walkjump/walkjump' }],
  },
});
