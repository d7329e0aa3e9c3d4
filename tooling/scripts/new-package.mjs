// Scaffolds packages/<dir> with the house package shape. Usage: node tooling/scripts/new-package.mjs <dir> <name> "<description>" [--private]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
const [dir, name, description, flag] = process.argv.slice(2);
const isPrivate = flag === '--private';
const root = `packages/${dir}`;
mkdirSync(`${root}/src`, { recursive: true });
mkdirSync(`${root}/etc`, { recursive: true });
mkdirSync(`${root}/bench`, { recursive: true });
const tf = '4.22.0';
const pkg = {
  name,
  version: '0.1.0',
  description,
  license: 'Apache-2.0',
  type: 'module',
  ...(isPrivate ? { private: true } : {}),
  sideEffects: dir === 'tensor' ? ['./dist/index.js', './src/index.ts', './dist/gradients/*.js', './src/gradients/*.ts', './dist/backend/*.js', './src/backend/*.ts'] : false,
  exports: {
    '.': { '@walkjump/source': './src/index.ts', types: './dist/index.d.ts', import: './dist/index.js' },
    './internal/*': null,
    './package.json': './package.json',
  },
  types: './dist/index.d.ts',
  files: ['dist', 'src', '!src/**/*.test.ts', 'README.md'],
  engines: { node: '>=20.19' },
  scripts: {
    build: 'tsc -p tsconfig.build.json',
    typecheck: 'tsc -p tsconfig.json --noEmit',
    ...(isPrivate ? {} : { api: 'api-extractor run', 'api:update': 'api-extractor run --local' }),
    bench: 'node --conditions=@walkjump/source --experimental-strip-types --no-warnings bench/index.ts',
  },
  peerDependencies: { '@tensorflow/tfjs-core': tf },
  dependencies: dir === 'tensor' || isPrivate ? {} : { '@walkjump/tensor': 'workspace:^' },
  devDependencies: { '@tensorflow/tfjs-core': tf },
  repository: { type: 'git', url: 'git+https://github.com/walkjump/walkjump.git', directory: root },
  publishConfig: { access: 'public' },
};
if (!existsSync(`${root}/package.json`)) writeFileSync(`${root}/package.json`, JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(`${root}/tsconfig.json`, JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { noEmit: true, allowImportingTsExtensions: true }, include: ['src', 'bench'] }, null, 2) + '\n');
writeFileSync(`${root}/tsconfig.build.json`, JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { outDir: 'dist', rootDir: 'src', rewriteRelativeImportExtensions: true }, include: ['src'], exclude: ['src/**/*.test.ts', 'src/**/*.stat.test.ts'] }, null, 2) + '\n');
if (!isPrivate) writeFileSync(`${root}/api-extractor.json`, JSON.stringify({
  $schema: 'https://developer.microsoft.com/json-schemas/api-extractor/v7/api-extractor.schema.json',
  extends: '../../tooling/api-extractor.base.json',
  projectFolder: '.',
}, null, 2) + '\n');
console.log('scaffolded', root);
