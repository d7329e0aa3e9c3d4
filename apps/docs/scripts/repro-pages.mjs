// Generates docs/reproductions/results.md, a gallery of every reproduction's committed results
// (apps/reproductions/results/<id>/: summary.json and PNGs), with the title and source each script
// declares in its `meta` (apps/reproductions/src/<id>.ts). The PNGs are copied to
// docs/public/reproductions/<id>/. Both outputs are build products (docs/.gitignore).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const resultsDir = join(root, 'apps/reproductions/results');
const srcDir = join(root, 'apps/reproductions/src');
const publicDir = join(root, 'docs/public/reproductions');
const page = join(root, 'docs/reproductions/results.md');

const DOCUMENTS = {
  '000': 'Saremi & Hyvärinen, Neural Empirical Bayes (JMLR 2019)',
  '001': 'Saremi & Srivastava, Multimeasurement Generative Models (ICLR 2022)',
  '002': 'Ross et al., Neural Implicit Manifold Learning (TMLR 2023)',
  '003': 'Bach, slides on sampling by denoising',
  '004': 'Guth, Kadkhodaie & Simoncelli, dual score matching (slides)',
};

/** `meta` of a reproduction script, read from its source (title and source strings). */
function meta(id) {
  const file = join(srcDir, `${id}.ts`);
  if (!existsSync(file)) return {};
  const text = readFileSync(file, 'utf8');
  const block = /export const meta\s*=\s*\{([\s\S]*?)\n\};?/.exec(text)?.[1] ?? '';
  const field = (name) => {
    const m = new RegExp(`${name}:\\s*(['"\`])((?:\\\\.|(?!\\1).)*)\\1`).exec(block);
    return m?.[2]?.replace(/\\(['"`])/g, '$1');
  };
  return { title: field('title'), source: field('source') };
}

const esc = (s) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\$/g, '&#36;').replace(/\{\{/g, '{ {');

rmSync(publicDir, { recursive: true, force: true });
const ids = existsSync(resultsDir)
  ? readdirSync(resultsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(resultsDir, e.name, 'summary.json')))
      .map((e) => e.name)
      .sort()
  : [];
const lines = [
  '# Reproduction results',
  '',
  'Every reproduction whose results are committed in `apps/reproductions/results/`, with its figures',
  'and the raw `summary.json` it wrote. The per-package reproduction pages discuss the numbers beside',
  "the papers'; regenerate one with `pnpm --filter @walkjump/reproductions repro <id>`.",
  '',
];
if (ids.length === 0) lines.push('No reproduction results are committed yet.', '');
for (const id of ids) {
  const m = meta(id);
  const summaryText = readFileSync(join(resultsDir, id, 'summary.json'), 'utf8');
  let summary = {};
  try {
    summary = JSON.parse(summaryText);
  } catch {
    // shown raw below
  }
  const source = m.source ?? (typeof summary.source === 'string' ? summary.source : undefined);
  const doc = source ? DOCUMENTS[source.slice(0, 3)] : undefined;
  lines.push(`## ${esc(id)}`, '');
  if (m.title) lines.push(`**${esc(m.title)}**`, '');
  if (source) lines.push(`Source: ${esc(source)}${doc ? ` — ${esc(doc)}` : ''}.`, '');
  const pngs = readdirSync(join(resultsDir, id))
    .filter((f) => f.endsWith('.png'))
    .sort();
  if (pngs.length > 0) {
    mkdirSync(join(publicDir, id), { recursive: true });
    for (const f of pngs) {
      copyFileSync(join(resultsDir, id, f), join(publicDir, id, f));
      lines.push(`![${esc(id)}: ${esc(f)}](/reproductions/${id}/${f})`, '');
    }
  }
  const shown =
    summaryText.length > 6000
      ? `${summaryText.slice(0, 6000)}\n… (truncated; ${summaryText.length} characters)`
      : summaryText;
  lines.push('<details><summary>summary.json</summary>', '', '```json', shown.trimEnd(), '```', '', '</details>', '');
}
writeFileSync(page, lines.join('\n'));
console.log(`repro-pages: ${ids.length} reproductions → docs/reproductions/results.md`);
