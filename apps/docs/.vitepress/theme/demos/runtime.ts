// Shared browser runtime of the live demos: picks a tfjs backend once (wasm with SIMD, served from
// the site's /wasm/ folder, else cpu), and small helpers for timing and yielding to the browser.
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { type BackendInfo, useBackend } from '@walkjump/tensor';

let ready: Promise<BackendInfo> | undefined;

/** The base URL the site is served under (VitePress `base`), ending in '/'. */
function siteBase(): string {
  const base = import.meta.env.BASE_URL ?? '/';
  return base.endsWith('/') ? base : `${base}/`;
}

/**
 * Initializes the compute backend for every demo on the page: `?backend=cpu|wasm` in the page URL
 * forces one; otherwise wasm (the .wasm binaries are copied into the site at build time) with the
 * cpu backend as fallback.
 */
export function initBackend(): Promise<BackendInfo> {
  if (ready === undefined) {
    ready = (async () => {
      const forced = new URLSearchParams(location.search).get('backend');
      setWasmPaths(new URL(`${siteBase()}wasm/`, location.href).href);
      if (forced === 'cpu' || forced === 'wasm') return useBackend(forced);
      try {
        return await useBackend('wasm');
      } catch (e) {
        console.warn('walkjump demo: wasm backend unavailable, using cpu:', (e as Error).message);
        return useBackend('cpu');
      }
    })();
  }
  return ready;
}

/** Resolves on the next animation frame (or after 16 ms where frames are throttled). */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        resolve();
      }
    };
    requestAnimationFrame(finish);
    setTimeout(finish, 50);
  });
}

let lastYield = 0;

/**
 * Yields to the browser (a macrotask, so input and painting get through) when more than `budgetMs`
 * have passed since the last yield; otherwise returns at once. Keeps long loops responsive without
 * paying a frame per step.
 */
export async function yieldIfBusy(budgetMs = 30): Promise<boolean> {
  const now = performance.now();
  if (now - lastYield < budgetMs) return false;
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  lastYield = performance.now();
  return true;
}

/** An integer query-string override, e.g. `?steps=200`, clamped to [lo, hi]. */
export function queryInt(name: string, dflt: number, lo: number, hi: number): number {
  const v = Number(new URLSearchParams(location.search).get(name));
  return Number.isFinite(v) && v > 0 ? Math.max(lo, Math.min(hi, Math.round(v))) : dflt;
}

/**
 * Sizes a square canvas to its CSS width times the device pixel ratio (480 px when not laid out),
 * clears it and returns its 2-D context, side `W` in device pixels and `dpr`; undefined without 2-D.
 */
export function squareCanvas(
  canvas: HTMLCanvasElement,
): { ctx: CanvasRenderingContext2D; W: number; dpr: number } | undefined {
  const dpr = window.devicePixelRatio || 1;
  const side = Math.round((canvas.clientWidth || 480) * dpr);
  if (canvas.width !== side) {
    canvas.width = side;
    canvas.height = side;
  }
  const ctx = canvas.getContext('2d');
  if (ctx === null) return undefined;
  const W = canvas.width;
  ctx.clearRect(0, 0, W, W);
  return { ctx, W, dpr };
}

/** Colors shared by the canvases (readable in light and dark mode). */
export const colors = {
  data: 'rgba(128,128,128,0.35)',
  walk: 'rgba(52,120,246,0.75)',
  jump: 'rgba(234,88,12,0.95)',
  link: 'rgba(234,88,12,0.25)',
  grid: 'rgba(128,128,128,0.25)',
};
