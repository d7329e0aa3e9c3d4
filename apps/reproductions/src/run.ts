// Runs one reproduction by id: `pnpm --filter @walkjump/reproductions repro <id> [--quick] [--out DIR]`
// (the facade's `walkjump reproduce <id>` calls this). Every reproduction is a file `src/<id>.ts`
// that exports `meta` and `run`; this runner discovers them, so adding one touches no shared file.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Reproduction } from './lib/common.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** What `list` shows, read from a module's source text (`export const meta = { id, title, source }`). */
export interface ReproductionEntry {
  id: string;
  title: string;
  source: string;
  file: string;
}

const field = (text: string, name: string): string | undefined =>
  new RegExp(`\\b${name}:\\s*(['"\`])((?:(?!\\1).)*)\\1`).exec(text)?.[2];

/**
 * Every reproduction in `src/`: the files that declare `export const meta` and `export async function
 * run`. Found without importing them (importing loads tfjs and every package, seconds per file).
 */
export function listReproductions(): ReproductionEntry[] {
  const out: ReproductionEntry[] = [];
  for (const f of readdirSync(here).sort()) {
    if (!f.endsWith('.ts') || f.endsWith('.test.ts') || f === 'run.ts') continue;
    const text = readFileSync(join(here, f), 'utf8');
    const at = text.indexOf('export const meta');
    if (at < 0 || !/export (async )?function run\b|export const run\b/.test(text)) continue;
    const block = text.slice(at, text.indexOf('}', at) + 1);
    const id = field(block, 'id');
    if (id === undefined) continue;
    out.push({ id, title: field(block, 'title') ?? '', source: field(block, 'source') ?? '', file: f });
  }
  return out;
}

/** Imports the reproduction `id` (undefined when there is none). */
export async function loadReproduction(id: string): Promise<Reproduction | undefined> {
  const entry = listReproductions().find((e) => e.id === id);
  if (entry === undefined) return undefined;
  const mod = (await import(pathToFileURL(join(here, entry.file)).href)) as Partial<Reproduction>;
  return mod.meta && typeof mod.run === 'function' ? (mod as Reproduction) : undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const id = argv.find((a) => !a.startsWith('--'));
  const entries = listReproductions();
  if (!id || id === 'list') {
    for (const e of entries) console.log(`${e.id.padEnd(28)} ${e.title}  [${e.source}]`);
    return;
  }
  const mod = await loadReproduction(id);
  if (!mod) {
    console.error(`walkjump reproduce: unknown id "${id}"; expected one of ${entries.map((e) => e.id).join(', ')}`);
    process.exit(2);
  }
  const outIdx = argv.indexOf('--out');
  const out = resolve(outIdx >= 0 && argv[outIdx + 1] ? (argv[outIdx + 1] as string) : join(here, '..', 'results', id));
  await mod.run({ out, quick: argv.includes('--quick'), argv });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
