import { normal, uniform, type Key } from '@walkjump/tensor';

// Float64 views of the tensor package's keyed draws. Synthetic samplers that reject or branch
// per sample run in JavaScript; they take their randomness from the same Threefry keys so a seed
// gives the same sample on every backend and in the browser.

/** `n` uniforms in the open interval (0, 1), from `uniform(k, [n])` (float32 resolution). */
export function uniforms(k: Key, n: number): Float64Array {
  const t = uniform(k, [n]);
  const f = t.dataSync();
  t.dispose();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(f[i]!, 2 ** -32), 1 - 2 ** -24);
  return out;
}

/** `n` standard normals from `normal(k, [n])`. */
export function normals(k: Key, n: number): Float64Array {
  const t = normal(k, [n]);
  const f = t.dataSync();
  t.dispose();
  return Float64Array.from(f);
}
