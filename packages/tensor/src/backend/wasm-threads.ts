// Multithreaded wasm in Node.
//
// tfjs-backend-wasm 4.22 turns threads off in Node (its WASM_HAS_MULTITHREAD_SUPPORT flag returns
// false there, tfjs issue #3830) because it starts its pthread workers from `blob:` URLs, which
// Node's worker_threads cannot load, and hands them the main script as a Blob, which the worker's
// `importScripts` shim (fs.readFileSync) cannot read. The fix, without touching the package: turn
// the flag on, and while the backend initializes, answer the worker Blob's `URL.createObjectURL`
// with a small bootstrap file that runs the package's own `wasm-out/*.worker.js` and loads
// `wasm-out/tfjs-backend-wasm-threaded-simd.js` from disk in place of the Blob. The threaded SIMD
// binary `dist/tfjs-backend-wasm-threaded-simd.wasm` ships in the package.
import * as tf from '@tensorflow/tfjs-core';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;

/** Emscripten pre-spawns this many pthread workers; more threads would need workers made after init. */
export const MAX_WASM_THREADS = 8;

let prepared: { restore: () => void } | undefined;

/** The Node bootstrap run by every pthread worker (CommonJS; paths are absolute). */
function bootstrapSource(workerJs: string, mainJs: string): string {
  return `'use strict';
const fs = require('fs');
const workerJs = ${JSON.stringify(workerJs)};
const mainJs = ${JSON.stringify(mainJs)};
// The package's worker script (exported there as a string), run as its blob: URL would have run it
// (tfjs escapes its newlines the same way before making the Blob).
new Function('require', '__filename', require(workerJs).wasmWorkerContents.replace(/\\n/g, '\\\\n'))(require, workerJs);
// Its 'load' message carries the main script as a Blob it cannot read in Node: load the file instead.
globalThis.importScripts = () => { (0, eval)(fs.readFileSync(mainJs, 'utf8') + '\\n//# sourceURL=' + mainJs); };
URL.createObjectURL = () => mainJs;
URL.revokeObjectURL = () => {};
`;
}

/**
 * Makes the next initialization of the wasm backend multithreaded in Node with `threads` threads
 * (1 ≤ threads ≤ {@link MAX_WASM_THREADS}); call {@link finishWasmThreads} once it has initialized.
 * Returns false (and changes nothing) outside Node, when the runtime lacks shared wasm memory, or
 * when the package's threaded files are missing. Has no effect on a wasm backend already running.
 */
export async function prepareWasmThreads(threads: number): Promise<boolean> {
  if (!isNode || prepared !== undefined) return prepared !== undefined;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return false;
  }
  const [{ createRequire }, fs, path, os] = await Promise.all([import('node:module'), import('node:fs'), import('node:path'), import('node:os')]);
  let pkgDir: string;
  try {
    pkgDir = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  } catch {
    return false;
  }
  const workerJs = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js');
  const mainJs = path.join(pkgDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const binary = path.join(pkgDir, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm');
  if (![workerJs, mainJs, binary].every((f) => fs.existsSync(f))) return false;
  const source = bootstrapSource(workerJs, mainJs);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'walkjump-wasm-'));
  const bootstrap = path.join(dir, 'pthread-worker.cjs');
  fs.writeFileSync(bootstrap, source);

  // tfjs's C++ caps its thread pool at emscripten_num_logical_cores() / 2 (it assumes two
  // hyperthreads per core), read from os.cpus() while the module initializes: on a 2-core machine
  // that is 1 thread whatever is asked. Report enough logical cores for the requested count until
  // the backend is up.
  const nodeOs = createRequire(import.meta.url)('node:os') as { cpus: () => unknown[] };
  const realCpus = nodeOs.cpus;
  const want = Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(threads)));
  nodeOs.cpus = () => {
    const real = realCpus.call(nodeOs);
    return Array.from({ length: Math.max(real.length, 2 * want) }, (_, i) => real[i % Math.max(real.length, 1)]);
  };
  const original = URL.createObjectURL;
  URL.createObjectURL = (obj: Blob | MediaSource): string =>
    obj instanceof Blob && obj.type === 'application/javascript' ? bootstrap : original.call(URL, obj as Blob);
  setThreadsCount(want);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  // Workers may still be reading the bootstrap after init resolves; remove it when Node exits.
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  prepared = {
    restore: () => {
      URL.createObjectURL = original;
      nodeOs.cpus = realCpus;
    },
  };
  return true;
}

/**
 * Ends what {@link prepareWasmThreads} set up once the backend has initialized (the workers have
 * loaded the bootstrap by then), and unrefs the pthread workers so they never keep Node alive.
 */
export function finishWasmThreads(): void {
  if (prepared === undefined) return;
  prepared.restore();
  const pthread = ((tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm as unknown as { wasm?: { PThread?: { unusedWorkers?: Array<{ unref?: () => void }>; runningWorkers?: Array<{ unref?: () => void }> } } } | null)?.wasm?.PThread;
  for (const w of [...(pthread?.unusedWorkers ?? []), ...(pthread?.runningWorkers ?? [])]) w.unref?.();
}
