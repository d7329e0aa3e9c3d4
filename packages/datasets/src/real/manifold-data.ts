import * as tf from '@tensorflow/tfjs-core';
import { assertPositive, assertRank, DataError, ShapeError, ValueError } from '@walkjump/tensor';
import { type DataFile, type DataLocation, readDataFile } from '../io/files.ts';
import type { ArrayData } from './arrays.ts';

const RSS =
  'https://raw.githubusercontent.com/oxcsml/riemannian-score-sde/b35b739464ca8264e418e400301f5f45cb7a16b3/data';

/** The four natural-disaster datasets of Mathieu & Nickel (2020). */
export type EarthEvent = 'volcano' | 'earthquake' | 'flood' | 'fire';

const EARTH: Record<EarthEvent, DataFile & { rows: number }> = {
  volcano: {
    path: 'manifolds/earth/volerup.csv',
    bytes: 11295,
    md5: '84987f8fbc2ad1cbc1392126e9cd9f9a',
    sha256: 'f7bbaf32a412f5fe82350f48e0c55100be260803969c16557343f687fd0593fc',
    urls: [`${RSS}/volerup.csv`],
    rows: 827,
  },
  earthquake: {
    path: 'manifolds/earth/quakes_all.csv',
    bytes: 96092,
    md5: 'ad751359a52e033ebbc6c805ea3beb5f',
    sha256: '3e5e1a10fb2faf1899106264289334037d039f00f5265d13dad388a93d8ff2f7',
    urls: [`${RSS}/quakes_all.csv`],
    rows: 6120,
  },
  flood: {
    path: 'manifolds/earth/flood.csv',
    bytes: 84265,
    md5: '7971c38941c7c3f924e728e5ac3a0dae',
    sha256: 'ffb1e3182c3053afcdeceec4727c262a29da10255d20747c08144da5b0963486',
    urls: [`${RSS}/flood.csv`],
    rows: 4875,
  },
  fire: {
    path: 'manifolds/earth/fire.csv',
    bytes: 178949,
    md5: 'bcb32e0c0b6db35097aead8947971941',
    sha256: 'c5c6c9490b1d8c58ba9eb78d9e2f82d1c1e62694ca5cff917c54600d3d83f459',
    urls: [`${RSS}/fire.csv`],
    rows: 12809,
  },
};

/** Earth events: unit vectors on S² ⊂ R³ and the source latitude/longitude. */
export interface EarthEvents {
  /** Unit vectors `[n, 3]`: (cos φ cos λ, cos φ sin λ, sin φ) for latitude φ, longitude λ. */
  readonly points: ArrayData<Float32Array>;
  /** `[n, 2]` (latitude, longitude) in degrees, as in the file. */
  readonly latLon: ArrayData<Float32Array>;
}

const ROW = /^\s*(-?[0-9.]+)\s*,\s*(-?[0-9.]+)\s*$/;

/** Parses a lat,lon CSV: `#` comments, an optional header, LF or CRLF. @internal */
export function parseLatLonCsv(text: string, name: string): Float32Array {
  const out: number[] = [];
  const lines = text.split(/\r?\n/);
  let sawData = false;
  let sawHeader = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = ROW.exec(line);
    if (m === null) {
      if (!sawData && !sawHeader && /^[A-Za-z_ ]+,[A-Za-z_ ]+$/.test(line)) {
        sawHeader = true;
        continue;
      }
      throw new DataError(`${name}: line ${i + 1} is not 'latitude,longitude': ${JSON.stringify(line.slice(0, 60))}`);
    }
    const lat = Number(m[1]);
    const lon = Number(m[2]);
    if (!(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180)) {
      throw new DataError(`${name}: line ${i + 1}: latitude ${m[1]} / longitude ${m[2]} out of range`);
    }
    out.push(lat, lon);
    sawData = true;
  }
  return Float32Array.from(out);
}

/** Latitude/longitude in degrees `[n, 2]` → unit vectors `[n, 3]` (float64 trig, float32 out). */
export function latLonToUnit(latLon: ArrayData<Float32Array>): ArrayData<Float32Array> {
  const n = latLon.data.length / 2;
  const out = new Float32Array(3 * n);
  const d = Math.PI / 180;
  for (let i = 0; i < n; i++) {
    const la = latLon.data[2 * i]! * d;
    const lo = latLon.data[2 * i + 1]! * d;
    out[3 * i] = Math.cos(la) * Math.cos(lo);
    out[3 * i + 1] = Math.cos(la) * Math.sin(lo);
    out[3 * i + 2] = Math.sin(la);
  }
  return { data: out, shape: [n, 3] };
}

/**
 * The earth datasets of Mathieu & Nickel (2020) (volcano 827, earthquake 6120, flood 4875,
 * fire 12809 events), as unit vectors on S² `[n, 3]` and lat/lon degrees `[n, 2]`. Used by Ross
 * et al. (2023) (flood) for manifold learning on the sphere. Node only; arrays owned by the caller.
 * @throws DataError naming the file and the problem (bad line, wrong row count).
 */
export async function earthEvents(event: EarthEvent, opts: DataLocation = {}): Promise<EarthEvents> {
  const f = EARTH[event];
  if (f === undefined)
    throw new ValueError(
      `earthEvents: 'event' must be one of volcano, earthquake, flood, fire, got ${JSON.stringify(event)}`,
    );
  const { path, bytes } = await readDataFile(f, opts);
  const ll = parseLatLonCsv(new TextDecoder().decode(bytes), path);
  const n = ll.length / 2;
  if (n !== f.rows) throw new DataError(`${path}: ${n} events, expected ${f.rows}`);
  const latLon = { data: ll, shape: [n, 2] };
  return { points: latLonToUnit(latLon), latLon };
}

/** Source of protein backbone angles. */
export type ProteinSource = 'nine-mers' | 'top500';

const PROTEIN: Record<ProteinSource, DataFile> = {
  'nine-mers': {
    path: 'manifolds/protein/nine_mers_phi_psi.csv',
    bytes: 268544,
    md5: '4fbe40fa993171f4a94eca38c73427c4',
    sha256: '2709d652ae15ca0fc79bf0a10c26a24c64570d2c8a7f283fe20939cb88162d9e',
    urls: [],
  },
  top500: {
    path: 'manifolds/protein/top500_phi_psi.csv',
    bytes: 2797842,
    md5: 'cedb621a8a1a57228ed4d99d9add4cc6',
    sha256: 'c63be5ba5d97f2cf75570e9db58f277dc7352b2667f7c9ceb94470ad61a7481f',
    urls: [],
  },
};

/** Options of {@link proteinAngles}. */
export interface ProteinOptions extends DataLocation {
  /** `'nine-mers'` (NumPyro NINE_MERS, 1000 per amino acid) or `'top500'` (Richardson Top500). */
  readonly source: ProteinSource;
  /** One-letter amino-acid code to keep (e.g. `'G'` for glycine); all residues when omitted. */
  readonly residue?: string;
  /** top500 only: the Ramachandran class (`'General' | 'Glycine' | 'Proline' | 'Pre-Pro'`). */
  readonly residueClass?: 'General' | 'Glycine' | 'Proline' | 'Pre-Pro';
}

/**
 * Backbone dihedral angles (φ, ψ) in radians in [−π, π] `[n, 2]` on the torus T², from the
 * NumPyro NINE_MERS set (used by Ross et al. (2023), Sec. 5, for glycine) or the Top500 set.
 * Embed them with {@link torusEmbed3} / {@link torusEmbed4}. Node only; arrays owned by the caller.
 * @throws DataError naming the file and the bad line; ValueError for an unknown source/residue.
 */
export async function proteinAngles(
  opts: ProteinOptions,
): Promise<{ angles: ArrayData<Float32Array>; residues: string[] }> {
  const f = PROTEIN[opts.source];
  if (f === undefined)
    throw new ValueError(`proteinAngles: 'source' must be 'nine-mers' or 'top500', got ${JSON.stringify(opts.source)}`);
  if (opts.residue !== undefined && !/^[A-Z]$/.test(opts.residue)) {
    throw new ValueError(
      `proteinAngles: 'residue' must be a one-letter amino-acid code, got ${JSON.stringify(opts.residue)}`,
    );
  }
  const { path, bytes } = await readDataFile(f, opts);
  const lines = new TextDecoder().decode(bytes).split(/\r?\n/);
  const header = (lines[0] ?? '').trim().split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new DataError(`${path}: header has no '${name}' column: ${JSON.stringify(lines[0])}`);
    return i;
  };
  const [iAa, iPhi, iPsi] = [col('aa'), col('phi'), col('psi')];
  const iClass = opts.source === 'top500' ? col('class') : -1;
  const out: number[] = [];
  const residues: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const c = line.split(',');
    const aa = c[iAa];
    const phi = Number(c[iPhi]);
    const psi = Number(c[iPsi]);
    if (aa === undefined || !(Math.abs(phi) <= Math.PI + 0.01) || !(Math.abs(psi) <= Math.PI + 0.01)) {
      throw new DataError(`${path}: line ${i + 1} is not a valid residue row: ${JSON.stringify(line.slice(0, 60))}`);
    }
    if (opts.residue !== undefined && aa !== opts.residue) continue;
    if (opts.residueClass !== undefined && c[iClass] !== opts.residueClass) continue;
    out.push(phi, psi);
    residues.push(aa);
  }
  return { angles: { data: Float32Array.from(out), shape: [residues.length, 2] }, residues };
}

/**
 * Embeds torus angles `[n, 2]` (φ, ψ) as a ring torus in R³ `[n, 3]`:
 * ((R + r cos ψ) cos φ, (R + r cos ψ) sin φ, r sin ψ), with major radius R (default 2) and minor
 * radius r (default 1), R > r. The caller owns the returned tensor.
 */
export function torusEmbed3(angles: tf.Tensor, opts: { majorRadius?: number; minorRadius?: number } = {}): tf.Tensor {
  const R = opts.majorRadius ?? 2;
  const r = opts.minorRadius ?? 1;
  assertPositive('torusEmbed3', 'majorRadius', R);
  assertPositive('torusEmbed3', 'minorRadius', r);
  if (!(R > r)) throw new ValueError(`torusEmbed3: 'majorRadius' must exceed 'minorRadius', got ${R} and ${r}`);
  checkAngles('torusEmbed3', angles);
  return tf.tidy(() => {
    const [phi, psi] = tf.unstack(angles, 1) as [tf.Tensor, tf.Tensor];
    const ring = tf.add(R, tf.mul(r, tf.cos(psi)));
    return tf.stack([tf.mul(ring, tf.cos(phi)), tf.mul(ring, tf.sin(phi)), tf.mul(r, tf.sin(psi))], 1);
  });
}

/** Embeds torus angles `[n, 2]` as the flat (Clifford) torus in R⁴ `[n, 4]`: (cos φ, sin φ, cos ψ, sin ψ). Caller owns the result. */
export function torusEmbed4(angles: tf.Tensor): tf.Tensor {
  checkAngles('torusEmbed4', angles);
  return tf.tidy(() => {
    const [phi, psi] = tf.unstack(angles, 1) as [tf.Tensor, tf.Tensor];
    return tf.stack([tf.cos(phi), tf.sin(phi), tf.cos(psi), tf.sin(psi)], 1);
  });
}

function checkAngles(fn: string, angles: tf.Tensor): void {
  assertRank(fn, 'angles', angles, 2);
  if (angles.shape[1] !== 2)
    throw new ShapeError(`${fn}: 'angles' must have shape [n, 2], got [${angles.shape.join(', ')}]`);
}
