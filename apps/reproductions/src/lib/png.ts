// PNG output for reproductions: image grids and strips, grayscale, via pngjs.
import { PNG } from 'pngjs';
import { writeFileAtomic } from '@walkjump/tensor';

/** Options for `imageGrid`. */
export interface GridOptions {
  /** Image height and width in pixels. */
  height: number;
  width: number;
  /** Images per row. */
  cols: number;
  /** Value range mapped to black..white; values outside are clipped. Default [0, 1]. */
  range?: [number, number];
  /** Pixel magnification (nearest). Default 2. */
  scale?: number;
  /** Gap between tiles in (unscaled) pixels. Default 1. */
  pad?: number;
}

/**
 * Encodes `n` grayscale images (row-major, `n × height × width` values) as a PNG grid.
 * Returns the PNG bytes.
 */
export function imageGrid(values: ArrayLike<number>, n: number, opts: GridOptions): Uint8Array {
  const { height: h, width: w, cols } = opts;
  const [lo, hi] = opts.range ?? [0, 1];
  const s = opts.scale ?? 2;
  const pad = opts.pad ?? 1;
  const rows = Math.ceil(n / cols);
  const W = (cols * (w + pad) + pad) * s;
  const H = (rows * (h + pad) + pad) * s;
  const png = new PNG({ width: W, height: H });
  png.data.fill(255);
  for (let k = 0; k < n; k++) {
    const r0 = Math.floor(k / cols) * (h + pad) + pad;
    const c0 = (k % cols) * (w + pad) + pad;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const v = values[k * h * w + i * w + j] ?? 0;
        const g = Math.round(255 * Math.min(1, Math.max(0, (v - lo) / (hi - lo))));
        for (let a = 0; a < s; a++) {
          for (let b = 0; b < s; b++) {
            const o = (((r0 + i) * s + a) * W + (c0 + j) * s + b) * 4;
            png.data[o] = g;
            png.data[o + 1] = g;
            png.data[o + 2] = g;
            png.data[o + 3] = 255;
          }
        }
      }
    }
  }
  return PNG.sync.write(png);
}

/** Writes an image grid to `path` atomically. */
export async function writeImageGrid(
  path: string,
  values: ArrayLike<number>,
  n: number,
  opts: GridOptions,
): Promise<void> {
  await writeFileAtomic(path, imageGrid(values, n, opts));
}
