// tfjs-core ships its gradient registrations only as ESM files inside a package that Node treats as
// CommonJS, so `import '@tensorflow/tfjs-core/dist/register_all_gradients.js'` fails in plain Node.
// We bundle that module into dist/gradients/stock.js with @tensorflow/tfjs-core itself kept
// external: the bundled op helpers reach the one global engine and registries (tfjs keeps them on
// the global object and duck-types `instanceof Tensor`), so nothing is duplicated but code.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const core = dirname(require.resolve('@tensorflow/tfjs-core/package.json'));
await build({
  entryPoints: [join(core, 'dist/register_all_gradients.js')],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  outfile: 'dist/gradients/stock.js',
  logLevel: 'warning',
  plugins: [
    {
      name: 'tfjs-core-external',
      setup(b) {
        // Relative imports that land in tfjs-core's public entry are redirected to the package itself.
        b.onResolve({ filter: /^(\.\.?\/)+(index|base)(\.js)?$/ }, () => ({ path: '@tensorflow/tfjs-core', external: true }));
      },
    },
  ],
});
console.log('bundled tfjs-core gradients into dist/gradients/stock.js');
