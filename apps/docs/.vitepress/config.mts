import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { defineConfig } from 'vitepress';

const require = createRequire(import.meta.url);
const vueDir = dirname(require.resolve('vue/package.json'));

export default defineConfig({
  title: 'walkjump',
  description: 'Learn energies and scores by empirical Bayes, and sample them — in Node and in the browser.',
  srcDir: '../../docs',
  outDir: './dist',
  cacheDir: './.vitepress/cache',
  cleanUrls: true,
  // The prose lives in /docs, outside this package: resolve vue from here.
  vite: { resolve: { alias: [{ find: /^vue($|\/)/, replacement: `${vueDir}$1` }] } },
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Packages', link: '/guide/packages' },
    ],
    sidebar: [
      {
        text: 'Guide',
        items: [
          { text: 'Getting started', link: '/guide/getting-started' },
          { text: 'Packages', link: '/guide/packages' },
        ],
      },
    ],
  },
});
