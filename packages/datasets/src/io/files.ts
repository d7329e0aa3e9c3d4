import { DataError, writeFileAtomic } from '@walkjump/tensor';

/** A data file walkjump knows how to find, fetch and verify. */
export interface DataFile {
  /** Path relative to the data root, e.g. `mnist/train-images-idx3-ubyte.gz`. */
  readonly path: string;
  /** Expected size in bytes, when known. */
  readonly bytes?: number;
  /** Expected md5 (lower-case hex). */
  readonly md5: string;
  /** Expected sha256 (lower-case hex), when known; checked in addition to md5. */
  readonly sha256?: string;
  /** Default download URLs, tried in order. */
  readonly urls: readonly string[];
}

/** Where to look for data files and whether/how to fetch missing ones. */
export interface DataLocation {
  /** Data root; overrides `WALKJUMP_DATA` and the per-user cache. */
  readonly dir?: string;
  /** Download missing files (default true). */
  readonly download?: boolean;
  /**
   * Base URLs to fetch missing files from instead of the defaults; the file's base name is
   * appended (`${mirror}/${basename}`), so a mirror serves one dataset folder.
   */
  readonly mirrors?: readonly string[];
  /** Verify the checksums of files that are already present (default false; downloads are always verified). */
  readonly verify?: boolean;
  /** Per-URL timeout of a download in milliseconds (default 120 000). */
  readonly timeoutMs?: number;
}

/**
 * The data root: `dir` if given, else the `WALKJUMP_DATA` environment variable, else the per-user
 * cache `$XDG_CACHE_HOME/walkjump` (default `~/.cache/walkjump`). Node only.
 */
export async function dataRoot(dir?: string): Promise<string> {
  if (dir !== undefined && dir !== '') return dir;
  const env = process.env['WALKJUMP_DATA'];
  if (env !== undefined && env !== '') return env;
  const path = await import('node:path');
  const xdg = process.env['XDG_CACHE_HOME'];
  if (xdg !== undefined && xdg !== '') return path.join(xdg, 'walkjump');
  const os = await import('node:os');
  return path.join(os.homedir(), '.cache', 'walkjump');
}

async function digest(alg: 'md5' | 'sha256', data: Uint8Array): Promise<string> {
  const crypto = await import('node:crypto');
  return crypto.createHash(alg).update(data).digest('hex');
}

/** Checks size, md5 and sha256 of `data` against `file`; returns the problem, or null when it matches. */
async function checksumProblem(file: DataFile, data: Uint8Array): Promise<string | null> {
  if (file.bytes !== undefined && data.length !== file.bytes)
    return `size ${data.length} bytes, expected ${file.bytes}`;
  const md5 = await digest('md5', data);
  if (md5 !== file.md5) return `md5 ${md5}, expected ${file.md5}`;
  if (file.sha256 !== undefined) {
    const sha = await digest('sha256', data);
    if (sha !== file.sha256) return `sha256 ${sha}, expected ${file.sha256}`;
  }
  return null;
}

const errText = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
};

/**
 * Downloads `file` from the first URL that yields bytes with the right size and checksums and
 * writes it atomically to `dest` (temp file + rename). A URL that fails (network error, HTTP
 * status, interrupted body, wrong size or checksum) leaves nothing behind and the next one is tried.
 * Node only (uses the global `fetch`, `node:crypto`, `node:fs`).
 * @throws DataError listing every URL tried and why it failed.
 */
export async function downloadDataFile(
  file: DataFile,
  dest: string,
  urls: readonly string[],
  timeoutMs = 120_000,
): Promise<Uint8Array> {
  const failures: string[] = [];
  for (const url of urls) {
    let data: Uint8Array;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        failures.push(`${url}: HTTP ${res.status} ${res.statusText}`);
        continue;
      }
      data = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      failures.push(`${url}: download failed or was interrupted (${errText(e)})`);
      continue;
    }
    const problem = await checksumProblem(file, data);
    if (problem !== null) {
      failures.push(`${url}: bad content: ${problem}`);
      continue;
    }
    const fs = await import('node:fs/promises');
    const nodePath = await import('node:path');
    await fs.mkdir(nodePath.dirname(dest), { recursive: true });
    await writeFileAtomic(dest, data);
    return data;
  }
  throw new DataError(
    `${file.path}: could not download a verified copy to ${dest}` +
      (failures.length === 0 ? ': no URLs to try (pass `mirrors`)' : `:\n  ${failures.join('\n  ')}`),
  );
}

/**
 * Reads `file` from the data root (see {@link dataRoot}); when it is absent and downloads are
 * allowed, downloads it from `loc.mirrors` (or the file's default URLs), verifies it and caches
 * it there. Node only. Returns the raw bytes and the path read.
 * @throws DataError naming the file and the problem (missing, checksum mismatch, download failures).
 */
export async function readDataFile(
  file: DataFile,
  loc: DataLocation = {},
): Promise<{ path: string; bytes: Uint8Array }> {
  const fs = await import('node:fs/promises');
  const nodePath = await import('node:path');
  const root = await dataRoot(loc.dir);
  const full = nodePath.join(root, file.path);
  let bytes: Uint8Array | undefined;
  try {
    const buf = await fs.readFile(full);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT')
      throw new DataError(`${full}: cannot read (${errText(e)})`, { cause: e });
  }
  if (bytes !== undefined) {
    if (loc.verify === true) {
      const problem = await checksumProblem(file, bytes);
      if (problem !== null) throw new DataError(`${full}: checksum mismatch: ${problem}`);
    }
    return { path: full, bytes };
  }
  if (loc.download === false) {
    throw new DataError(
      `${full}: file not found (downloads disabled; pass 'dir', set WALKJUMP_DATA, or allow downloads)`,
    );
  }
  const base = file.path.split('/').pop()!;
  const urls = loc.mirrors !== undefined ? loc.mirrors.map((m) => `${m.replace(/\/+$/, '')}/${base}`) : file.urls;
  return { path: full, bytes: await downloadDataFile(file, full, urls, loc.timeoutMs) };
}
