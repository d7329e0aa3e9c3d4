// Runs one reproduction by id: `pnpm --filter @walkjump/reproductions repro <id> [--quick] [--out DIR]`
// (the facade's `walkjump reproduce <id>` calls this). Every reproduction is a file `src/<id>.ts`
// that exports `meta` and `run`; this runner discovers them, so adding one touches no shared file.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Reproduction } from './lib/common.ts';

const here = dirname(fileURLToPath(import.meta.url));

/** Every reproduction module found in `src/`, loaded. */
export async function listReproductions(): Promise<Reproduction[]> {
  const files = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'run.ts');
  const mods: Reproduction[] = [];
  for (const f of files.sort()) {
    const mod = (await import(pathToFileURL(join(here, f)).href)) as Partial<Reproduction>;
    if (mod.meta && typeof mod.run === 'function') mods.push(mod as Reproduction);
  }
  return mods;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const id = argv.find((a) => !a.startsWith('--'));
  const mods = await listReproductions();
  if (!id || id === 'list') {
    for (const m of mods) console.log(`${m.meta.id.padEnd(28)} ${m.meta.title}`);
    return;
  }
  const mod = mods.find((m) => m.meta.id === id);
  if (!mod) {
    console.error(`walkjump reproduce: unknown id "${id}"; expected one of ${mods.map((m) => m.meta.id).join(', ')}`);
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
