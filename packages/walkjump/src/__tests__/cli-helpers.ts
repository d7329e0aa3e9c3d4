// Spawns the CLI from source (every workspace package from source too, the @walkjump/source
// condition) in one process (node --import tsx), so that signals reach it.
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../../..');
export const CLI = join(ROOT, 'packages/walkjump/src/cli.ts');
/** The shared data folder beside the repository (as in CI: ../shared/data), as @walkjump/datasets' tests find it. */
export const SHARED_DATA = resolve(ROOT, '../shared/data');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--conditions=@walkjump/source', '--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, WALKJUMP_BACKEND: 'wasm', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const done = new Promise<Run>((res) =>
    child.on('close', (code, signal) => res({ code, signal, stdout, stderr, ms: Date.now() - t0 })),
  );
  return { child, done };
}

export const run = (args: string[], env: Record<string, string> = {}): Promise<Run> => start(args, env).done;

/** PNG width and height, after checking the signature. */
export function pngSize(b: Buffer): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!sig.every((v, i) => b[i] === v)) throw new Error('not a PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/**
 * Runs the CLI's `main` in this process (no start-up cost), capturing what it writes to stdout and
 * stderr. Calls must not overlap (the capture patches process.stdout/stderr.write). `onStdout`
 * sees each chunk written to stdout as it comes (e.g. to send a signal at some progress line).
 */
export async function runHere(args: string[], onStdout?: (chunk: string) => void): Promise<Run> {
  const { main } = await import('../cli/program.ts');
  const t0 = Date.now();
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => {
    const t = typeof s === 'string' ? s : Buffer.from(s).toString();
    stdout += t;
    onStdout?.(t);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => {
    stderr += typeof s === 'string' ? s : Buffer.from(s).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'walkjump', ...args]);
    return { code, signal: null, stdout, stderr, ms: Date.now() - t0 };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
