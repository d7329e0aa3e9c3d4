// Generates the API reference pages docs/api/<package>.md from api-extractor's doc model
// (packages/*/temp/<name>.api.json, written by `api-extractor run`, i.e. `pnpm api`). When a doc
// model is missing or older than the package's dist/index.d.ts, api-extractor is run here (as a
// non-local build: it never rewrites a package's committed etc/*.api.md report). The generated
// pages are build output (docs/api/.gitignore); docs/api/index.md is written by hand.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const outDir = join(root, 'docs/api');
const require = createRequire(import.meta.url);

/** [folder under packages/, npm name, one-line description]. */
export const PACKAGES = [
  [
    'tensor',
    '@walkjump/tensor',
    'the floor: second-order-correct gradients, backends, keys, autodiff, numerics, fit, safetensors',
  ],
  ['empirical-bayes', '@walkjump/empirical-bayes', 'Robbins/Tweedie estimators and the losses that learn them'],
  ['nets', '@walkjump/nets', 'networks: MLP, ConvNet, U-Net, ResNet, energy-from-score'],
  ['langevin', '@walkjump/langevin', 'Langevin kernels and the walk-jump driver'],
  ['manifold', '@walkjump/manifold', 'constrained MCMC on implicit manifolds'],
  ['discrete', '@walkjump/discrete', 'binary-flip noise and discrete samplers'],
  ['metrics', '@walkjump/metrics', 'distances between sample sets and MCMC diagnostics'],
  ['datasets', '@walkjump/datasets', 'real and synthetic datasets, loaders, batching'],
  ['walkjump', 'walkjump', 'the facade: quick-start API and CLI'],
];

function docModel(folder, name) {
  const pkgDir = join(root, 'packages', folder);
  const unscoped = name.replace(/^@[^/]+\//, '');
  const file = join(pkgDir, 'temp', `${unscoped}.api.json`);
  const dts = join(pkgDir, 'dist', 'index.d.ts');
  if (!existsSync(dts)) throw new Error(`api-pages: ${dts} is missing; build the packages first (pnpm build)`);
  if (!existsSync(file) || statSync(file).mtimeMs < statSync(dts).mtimeMs) {
    const { Extractor, ExtractorConfig } = require('@microsoft/api-extractor');
    try {
      const config = ExtractorConfig.loadFileAndPrepare(join(pkgDir, 'api-extractor.json'));
      // localBuild: false never writes etc/*.api.md; a drifted report only fails the `api` check.
      Extractor.invoke(config, {
        localBuild: false,
        showVerboseMessages: false,
        messageCallback: (m) => (m.handled = true),
      });
    } catch (e) {
      // A doc model from an earlier run is better than no page; without one, fail the build.
      if (!existsSync(file)) throw e;
      console.warn(
        `api-pages: api-extractor failed for ${name} (${String(e.message).split('\n')[0]}); using an earlier doc model`,
      );
    }
    if (!existsSync(file)) throw new Error(`api-pages: api-extractor did not write ${file}`);
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** TSDoc comment → { summary, params: [[name, text]], returns, remarks, deprecated }. */
function parseDoc(raw) {
  if (!raw) return { summary: '', params: [], returns: '', remarks: '', example: '', deprecated: '' };
  const body = raw
    .replace(/^\s*\/\*\*/, '')
    .replace(/\*\/\s*$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n');
  const out = { summary: '', params: [], returns: '', remarks: '', example: '', deprecated: '' };
  const parts = body.split(/\n(?=@[a-zA-Z]+)|^(?=@[a-zA-Z]+)/);
  for (const part of parts) {
    const m = /^@([a-zA-Z]+)\s*([\s\S]*)$/.exec(part.trim());
    if (!m) {
      out.summary += part.trim();
      continue;
    }
    const [, tag, text] = m;
    if (tag === 'param') {
      const pm = /^(\S+)\s*(?:-\s*)?([\s\S]*)$/.exec(text.trim());
      if (pm) out.params.push([pm[1], pm[2].trim()]);
    } else if (tag === 'returns') out.returns = text.trim();
    else if (tag === 'remarks') out.remarks = text.trim();
    else if (tag === 'example') out.example = text.trim();
    else if (tag === 'deprecated') out.deprecated = text.trim();
  }
  return out;
}

/** TSDoc prose → markdown that neither Vue, markdown-it-attrs nor MathJax will interpret. */
function prose(text) {
  return text
    .replace(/\{@link\s+([^}|\s]+)\s*\|\s*([^}]+)\}/g, '$2')
    .replace(/\{@link\s+([^}\s]+)\s*\}/g, (_, t) => `\`${t.replace(/^[^!]*!/, '')}\``)
    .split(/(`[^`]*`|```[\s\S]*?```)/)
    .map((seg, i) =>
      i % 2 === 1
        ? seg
        : seg
            .replace(/&/g, '&amp;')
            .replace(/</g, '&lt;')
            .replace(/>/g, '&gt;')
            .replace(/\$/g, '&#36;')
            // Braces would be attributes (markdown-it-attrs) or Vue interpolation; _ and * emphasis.
            .replace(/\{/g, '&#123;')
            .replace(/\}/g, '&#125;')
            .replace(/([_*\\])/g, '\\$1'),
    )
    .join('');
}

const signature = (item) =>
  (item.excerptTokens ?? [])
    .map((t) => t.text)
    .join('')
    .replace(/^export declare /, '')
    .replace(/^export /, '')
    .trim();
const slug = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
/** Unique heading ids per page: `checkerboard` (function) and `Checkerboard` (interface) differ. */
const ids = new Map();
let usedIds = new Set();
function anchor(item) {
  if (ids.has(item)) return ids.get(item);
  let id = slug(item.name);
  if (usedIds.has(id)) id = `${id}-${item.kind.toLowerCase()}`;
  for (let i = 2; usedIds.has(id); i++) id = `${slug(item.name)}-${i}`;
  usedIds.add(id);
  ids.set(item, id);
  return id;
}

const KIND_ORDER = ['Function', 'Class', 'Variable', 'Interface', 'TypeAlias', 'Enum', 'Namespace'];
const KIND_TITLE = {
  Function: 'Functions',
  Class: 'Classes',
  Variable: 'Constants',
  Interface: 'Interfaces',
  TypeAlias: 'Types',
  Enum: 'Enums',
  Namespace: 'Namespaces',
};

function renderItem(item, level = 3) {
  const doc = parseDoc(item.docComment);
  const lines = [`${'#'.repeat(level)} ${item.name} {#${anchor(item)}}`, ''];
  if (item.kind === 'Interface' || item.kind === 'Class') {
    const head = signature(item);
    lines.push('```ts', `${head} { … }`, '```', '');
  } else {
    lines.push('```ts', signature(item), '```', '');
  }
  if (doc.deprecated) lines.push(`**Deprecated.** ${prose(doc.deprecated)}`, '');
  if (doc.summary) lines.push(prose(doc.summary), '');
  if (doc.remarks) lines.push(prose(doc.remarks), '');
  if (doc.params.length > 0) {
    lines.push('| parameter | description |', '|---|---|');
    for (const [n, t] of doc.params)
      lines.push(`| \`${n}\` | ${prose(t).replace(/\n+/g, ' ').replace(/\|/g, '\\|')} |`);
    lines.push('');
  }
  if (doc.returns) lines.push(`**Returns:** ${prose(doc.returns)}`, '');
  const members = item.members ?? [];
  if (members.length > 0) {
    lines.push('| member | type | description |', '|---|---|---|');
    for (const m of members) {
      const d = parseDoc(m.docComment);
      const sig = signature(m).replace(/;$/, '').replace(/\s+/g, ' ');
      const text = prose(d.summary).replace(/\n+/g, ' ').replace(/\|/g, '\\|');
      lines.push(
        `| \`${m.name ?? m.kind}\` | <code>${sig.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '&#124;').replace(/\{/g, '&#123;').replace(/\}/g, '&#125;')}</code> | ${text} |`,
      );
    }
    lines.push('');
  }
  if (doc.example) lines.push('**Example**', '', prose(doc.example), '');
  return lines.join('\n');
}

function renderPackage(folder, name, description, model) {
  const entry = model.members?.[0];
  const items = [...(entry?.members ?? [])];
  // Reserve the page title's and the section headings' ids.
  usedIds = new Set([slug(name).replace(/^-+|-+$/g, ''), ...Object.values(KIND_TITLE).map(slug)]);
  const pkgDoc = parseDoc(model.docComment);
  const lines = [
    '---',
    'outline: [2, 3]',
    '---',
    '',
    `# ${name}`,
    '',
    `${description}. ${items.length} exports. Generated from the api-extractor doc model of \`packages/${folder}\`; the reviewed API report is [\`packages/${folder}/etc/${name.replace(/^@[^/]+\//, '')}.api.md\`](https://github.com/walkjump/walkjump/blob/main/packages/${folder}/etc/${name.replace(/^@[^/]+\//, '')}.api.md).`,
    '',
  ];
  if (pkgDoc.summary) lines.push(prose(pkgDoc.summary), '');
  lines.push('```sh', `npm i ${name}`, '```', '');
  const byKind = new Map();
  for (const it of items) {
    const k = KIND_ORDER.includes(it.kind) ? it.kind : 'Variable';
    if (!byKind.has(k)) byKind.set(k, []);
    byKind.get(k).push(it);
  }
  // Index.
  for (const k of KIND_ORDER) {
    const list = byKind.get(k);
    if (!list) continue;
    list.sort((a, b) => a.name.localeCompare(b.name));
    lines.push(`**${KIND_TITLE[k]}:** ${list.map((it) => `[${it.name}](#${anchor(it)})`).join(', ')}`, '');
  }
  lines.push('::: v-pre', '');
  for (const k of KIND_ORDER) {
    const list = byKind.get(k);
    if (!list) continue;
    lines.push(`## ${KIND_TITLE[k]}`, '');
    const seen = new Set();
    for (const it of list) {
      // Overloads share one heading.
      if (seen.has(it.name)) {
        lines.push('```ts', signature(it), '```', '');
        continue;
      }
      seen.add(it.name);
      lines.push(renderItem(it));
    }
  }
  lines.push(':::', '');
  return lines.join('\n');
}

mkdirSync(outDir, { recursive: true });
let total = 0;
for (const [folder, name, description] of PACKAGES) {
  const model = docModel(folder, name);
  const md = renderPackage(folder, name, description, model);
  total += model.members?.[0]?.members?.length ?? 0;
  writeFileSync(join(outDir, `${folder}.md`), md);
}
console.log(`api-pages: ${PACKAGES.length} pages, ${total} exports → docs/api/`);
