import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ValueError } from '@walkjump/tensor';

/**
 * Creates the run folder (and parents) and proves it writable by writing and removing a probe
 * file; throws {@link ValueError} naming the folder and the system's reason otherwise.
 */
export function ensureWritableDir(dir: string, what = 'out'): void {
  try {
    // Create one level at a time: Node's recursive mkdir can spin forever on pseudo file systems
    // such as /proc, where mkdir fails with ENOENT even though the parent exists.
    const missing: string[] = [];
    let p = resolve(dir);
    while (!existsSync(p)) {
      missing.push(p);
      const parent = dirname(p);
      if (parent === p) break;
      p = parent;
    }
    if (!statSync(p).isDirectory()) throw Object.assign(new Error(`${p} is not a folder`), { code: 'ENOTDIR' });
    for (const m of missing.reverse()) mkdirSync(m);
    accessSync(dir, constants.W_OK);
    const probe = join(dir, `.probe-${randomBytes(4).toString('hex')}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw new ValueError(`cannot write to the ${what} folder ${JSON.stringify(dir)} (${reason})`, { cause });
  }
}

/** One CSV cell: numbers with up to 6 significant decimals, strings quoted when needed. */
const cell = (v: string | number): string => {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7)));
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
};

/** Formats a header and rows as RFC 4180 CSV with `\n` line ends. */
export function toCsv(header: readonly string[], rows: Iterable<ReadonlyArray<string | number>>): string {
  const lines = [header.map(cell).join(',')];
  for (const r of rows) lines.push(r.map(cell).join(','));
  return `${lines.join('\n')}\n`;
}
