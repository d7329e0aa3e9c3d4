import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { BackendError } from '../errors/errors.ts';
import { finishWasmThreads, MAX_WASM_THREADS, prepareWasmThreads } from './wasm-threads.ts';

/** Backends walkjump can run on. `auto` picks node-gpu → node → wasm → cpu, the first that loads. */
export type BackendName = 'auto' | 'wasm' | 'cpu' | 'node' | 'node-gpu';

/** What is running: the tfjs backend name and, for wasm, SIMD and thread count. */
export interface BackendInfo {
  /** The tfjs backend in use: `wasm`, `cpu`, `tensorflow` (tfjs-node / tfjs-node-gpu) or `webgl`/`webgpu`. */
  readonly name: string;
  /** The walkjump name it was chosen by. */
  readonly requested: BackendName;
  /** Whether wasm SIMD is on (false for other backends). */
  readonly simd: boolean;
  /** Worker threads of the wasm backend (1 when single-threaded or not wasm). */
  readonly threads: number;
  /** Whether a GPU is used. */
  readonly gpu: boolean;
}

const BACKENDS: readonly BackendName[] = ['auto', 'wasm', 'cpu', 'node', 'node-gpu'];
const NODE_PACKAGES = { node: '@tensorflow/tfjs-node', 'node-gpu': '@tensorflow/tfjs-node-gpu' } as const;

let requested: BackendName = 'auto';
let gpu = false;

async function tryNode(which: 'node' | 'node-gpu'): Promise<void> {
  const pkg = NODE_PACKAGES[which];
  try {
    // A variable specifier keeps bundlers from resolving the optional peer at build time.
    const spec: string = pkg;
    await import(/* @vite-ignore */ spec);
  } catch (cause) {
    throw new BackendError(
      `useBackend: backend '${which}' needs the optional package ${pkg}@4.22.0; install it with \`npm i ${pkg}@4.22.0\` (it failed to load: ${(cause as Error).message?.split('\n')[0]})`,
      { cause },
    );
  }
  if (!(await tf.setBackend('tensorflow'))) throw new BackendError(`useBackend: ${pkg} loaded but the 'tensorflow' backend failed to initialize`);
  gpu = which === 'node-gpu';
}

/** Options of {@link useBackend}. */
export interface UseBackendOptions {
  /**
   * Threads of the wasm backend (1 to 8). Default: the `WALKJUMP_WASM_THREADS` environment
   * variable, else 1 in Node (tfjs-backend-wasm's own default there) and tfjs's choice in browsers
   * (which need cross-origin isolation for threads). Applies only when wasm is first initialized.
   */
  readonly threads?: number;
}

async function trySimple(name: 'wasm' | 'cpu', opts: UseBackendOptions = {}): Promise<void> {
  let ok = false;
  try {
    if (name === 'wasm') {
      const env = typeof process !== 'undefined' ? process.env?.WALKJUMP_WASM_THREADS : undefined;
      const threads = opts.threads ?? (env !== undefined && env !== '' ? Number(env) : 1);
      if (!Number.isInteger(threads) || threads < 1 || threads > MAX_WASM_THREADS) {
        throw new BackendError(`useBackend: 'threads' must be an integer from 1 to ${MAX_WASM_THREADS}, got ${String(opts.threads ?? env)}`);
      }
      const fresh = !('wasm' in (tf.engine() as unknown as { registry: Record<string, unknown> }).registry);
      if (fresh && threads > 1) await prepareWasmThreads(threads);
    }
    ok = await tf.setBackend(name);
    if (name === 'wasm') finishWasmThreads();
  } catch (cause) {
    if (cause instanceof BackendError) throw cause;
    throw new BackendError(`useBackend: backend '${name}' failed to initialize: ${(cause as Error).message}`, { cause });
  }
  if (!ok) throw new BackendError(`useBackend: backend '${name}' failed to initialize`);
  gpu = false;
}

/** Parses a backend name (e.g. from `WALKJUMP_BACKEND`), throwing {@link BackendError} for unknown names. */
export function parseBackendName(name: string, source = 'backend'): BackendName {
  if ((BACKENDS as readonly string[]).includes(name)) return name as BackendName;
  throw new BackendError(`useBackend: ${source} must be one of ${BACKENDS.join(', ')}; got ${JSON.stringify(name)}`);
}

/**
 * Selects the compute backend and waits until it is ready. `auto` (the default, or the value of
 * the `WALKJUMP_BACKEND` environment variable) tries `node-gpu`, `node`, `wasm`, `cpu` in that order,
 * catching every failure. Asking explicitly for one that is not installed throws
 * {@link BackendError} naming the package to install. In Node the wasm backend can run
 * multithreaded (`opts.threads` or `WALKJUMP_WASM_THREADS`), which tfjs-backend-wasm alone cannot.
 */
export async function useBackend(name?: BackendName | string, opts: UseBackendOptions = {}): Promise<BackendInfo> {
  const env = typeof process !== 'undefined' ? process.env?.WALKJUMP_BACKEND : undefined;
  const chosen = parseBackendName(name ?? env ?? 'auto', name === undefined && env !== undefined ? 'WALKJUMP_BACKEND' : 'backend');
  requested = chosen;
  if (chosen === 'auto') {
    const isNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
    const order: Array<() => Promise<void>> = [
      ...(isNode ? [() => tryNode('node-gpu'), () => tryNode('node')] : []),
      () => trySimple('wasm', opts),
      () => trySimple('cpu'),
    ];
    for (const attempt of order) {
      try {
        await attempt();
        await tf.ready();
        return backendInfo();
      } catch {
        // next one
      }
    }
    throw new BackendError('useBackend: no backend could be initialized (tried node-gpu, node, wasm, cpu)');
  }
  if (chosen === 'node' || chosen === 'node-gpu') await tryNode(chosen);
  else await trySimple(chosen, opts);
  await tf.ready();
  return backendInfo();
}

/** Reports the backend in use. */
export function backendInfo(): BackendInfo {
  const name = tf.getBackend();
  const isWasm = name === 'wasm';
  let threads = 1;
  if (isWasm) {
    const b = tf.backend() as unknown as { wasm?: { _getThreadsCount?: () => number; tfjs?: { getThreadsCount?: () => number } } };
    threads = b.wasm?.tfjs?.getThreadsCount?.() ?? b.wasm?._getThreadsCount?.() ?? 1;
  }
  return {
    name,
    requested,
    simd: isWasm && tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads,
    gpu: gpu || name === 'webgl' || name === 'webgpu',
  };
}
