import { deflateSync } from 'node:zlib';
import type { TopLevelSpec } from 'vega-lite';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
const crc32 = (b: Uint8Array): number => {
  let c = 0xffffffff;
  for (const x of b) c = (CRC_TABLE[(c ^ x) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type: string, data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
};

/** Encodes 8-bit grayscale pixels (row-major, `width × height`) as a PNG (RFC 2083; zlib deflate). */
export function grayPng(pixels: Uint8Array, width: number, height: number): Uint8Array {
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Tiles images (values in [0, 1], clipped; `images[i]` is `h × w` row-major) into a PNG grid of
 * `cols` columns with a 2-pixel gray border, each pixel magnified `zoom` times. Used for sample
 * grids (one image per chain) and chain strips (one row per chain, one column per recorded step).
 */
export function imageGridPng(
  images: readonly Float32Array[],
  h: number,
  w: number,
  cols: number,
  zoom = 2,
): Uint8Array {
  const pad = 2;
  const rows = Math.ceil(images.length / cols);
  const W = cols * (w * zoom + pad) + pad;
  const H = rows * (h * zoom + pad) + pad;
  const px = new Uint8Array(W * H).fill(128);
  images.forEach((img, k) => {
    const r0 = pad + Math.floor(k / cols) * (h * zoom + pad);
    const c0 = pad + (k % cols) * (w * zoom + pad);
    for (let y = 0; y < h * zoom; y++) {
      for (let x = 0; x < w * zoom; x++) {
        const v = img[Math.floor(y / zoom) * w + Math.floor(x / zoom)] as number;
        px[(r0 + y) * W + c0 + x] = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
      }
    }
  });
  return grayPng(px, W, H);
}

/** A loss curve (raw per-step loss and its running mean over 50 steps), log-scaled y when positive. */
export function lossCurveSpec(history: readonly { step: number; loss: number }[], title: string): TopLevelSpec {
  const rows: { step: number; loss: number; series: string }[] = [];
  const stride = Math.max(1, Math.floor(history.length / 1500));
  let acc = 0;
  const win: number[] = [];
  history.forEach((h, i) => {
    win.push(h.loss);
    acc += h.loss;
    if (win.length > 50) acc -= win.shift() as number;
    if (i % stride === 0 || i === history.length - 1) {
      rows.push({ step: h.step + 1, loss: h.loss, series: 'loss' });
      rows.push({ step: h.step + 1, loss: acc / win.length, series: 'mean of 50' });
    }
  });
  const positive = history.every((h) => h.loss > 0);
  return {
    title,
    width: 560,
    height: 280,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1.2 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'training step' },
      y: { field: 'loss', type: 'quantitative', title: 'loss', scale: positive ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', scale: { range: ['#9ecae1', '#08519c'] }, title: null },
    },
  };
}

/** A point set for {@link scatterSpec}: coordinates and a group name. */
export interface ScatterGroup {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
}

/**
 * Side-by-side scatter panels (one per group, shared axes) with a 2-D density (binned counts) under
 * each: for 2-D data, for the sphere in longitude/latitude, for the torus in its two angles.
 */
export function scatterSpec(
  groups: readonly ScatterGroup[],
  opts: { title: string; xTitle: string; yTitle: string; domain?: { x: [number, number]; y: [number, number] } },
): TopLevelSpec {
  const values: { g: string; x: number; y: number }[] = [];
  for (const g of groups)
    for (let i = 0; i < Math.min(g.x.length, 3000); i++)
      values.push({ g: g.name, x: g.x[i] as number, y: g.y[i] as number });
  const xs = {
    field: 'x',
    type: 'quantitative' as const,
    title: opts.xTitle,
    ...(opts.domain && { scale: { domain: opts.domain.x, nice: false } }),
  };
  const ys = {
    field: 'y',
    type: 'quantitative' as const,
    title: opts.yTitle,
    ...(opts.domain && { scale: { domain: opts.domain.y, nice: false } }),
  };
  return {
    title: opts.title,
    data: { values },
    facet: { column: { field: 'g', type: 'nominal', title: null, sort: groups.map((g) => g.name) } },
    spec: {
      width: 260,
      height: 260,
      layer: [
        {
          mark: { type: 'rect', clip: true },
          encoding: {
            x: { ...xs, bin: { maxbins: 30 } },
            y: { ...ys, bin: { maxbins: 30 } },
            color: { aggregate: 'count', type: 'quantitative', scale: { scheme: 'greys' }, legend: null },
          },
        },
        { mark: { type: 'circle', size: 6, opacity: 0.55, color: '#d62728', clip: true }, encoding: { x: xs, y: ys } },
      ],
    },
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

/** Traces of a scalar per chain over recorded steps, plus a second panel (e.g. acceptance per step). */
export function traceSpec(
  series: readonly { chain: number; step: number; value: number }[],
  opts: { title: string; yTitle: string; acceptance?: readonly number[] },
): TopLevelSpec {
  const top = {
    width: 560,
    height: 200,
    data: { values: series as { chain: number; step: number; value: number }[] },
    mark: { type: 'line' as const, strokeWidth: 1 },
    encoding: {
      x: { field: 'step', type: 'quantitative' as const, title: 'walk step' },
      y: { field: 'value', type: 'quantitative' as const, title: opts.yTitle, scale: { zero: false } },
      color: { field: 'chain', type: 'nominal' as const, legend: null },
    },
  };
  if (opts.acceptance === undefined || opts.acceptance.length === 0)
    return { title: opts.title, ...top } as TopLevelSpec;
  const acc = opts.acceptance.map((a, i) => ({ step: i + 1, acceptance: a }));
  return {
    title: opts.title,
    vconcat: [
      top,
      {
        width: 560,
        height: 120,
        data: { values: acc },
        mark: { type: 'line', strokeWidth: 1, color: '#2ca02c' },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step' },
          y: { field: 'acceptance', type: 'quantitative', scale: { domain: [0, 1] } },
        },
      },
    ],
  } as TopLevelSpec;
}
