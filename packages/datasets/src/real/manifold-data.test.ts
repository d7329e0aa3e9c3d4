import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { isDataError, isShapeError } from '@walkjump/tensor';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { earthEvents, parseLatLonCsv, proteinAngles, torusEmbed3, torusEmbed4 } from './manifold-data.ts';

const SHARED = fileURLToPath(new URL('../../../../../shared/data', import.meta.url));
const HAVE = existsSync(join(SHARED, 'manifolds'));
if (!HAVE) console.warn(`[datasets] skipping manifold-data tests: ${SHARED} not found`);
const loc = { dir: SHARED, download: false } as const;

describe('parseLatLonCsv quirks', () => {
  it('skips comments and one header, accepts CRLF, rejects garbage with the line number', () => {
    expect(Array.from(parseLatLonCsv('# c\r\nlat,long\r\n1.5,-2\r\n-3,4.25\r\n', 'f'))).toEqual([1.5, -2, -3, 4.25]);
    expect(Array.from(parseLatLonCsv('# c\n10,20\n', 'f'))).toEqual([10, 20]);
    expect(() => parseLatLonCsv('1,2\nx,y\n', 'g.csv')).toThrow(/^g\.csv: line 2 is not 'latitude,longitude'/);
    expect(() => parseLatLonCsv('95,2\n', 'h.csv')).toThrow(/^h\.csv: line 1: latitude 95/);
  });
});

describe.skipIf(!HAVE)('earth events on S²', () => {
  it('row counts match the data README and points are unit vectors', async () => {
    const rows: Record<string, number> = {};
    for (const ev of ['volcano', 'earthquake', 'flood', 'fire'] as const) {
      const { points, latLon } = await earthEvents(ev, loc);
      rows[ev] = points.shape[0]!;
      expect(points.shape).toEqual([latLon.shape[0], 3]);
      let worst = 0;
      for (let i = 0; i < rows[ev]!; i++) {
        const r = Math.hypot(points.data[3 * i]!, points.data[3 * i + 1]!, points.data[3 * i + 2]!);
        worst = Math.max(worst, Math.abs(r - 1));
      }
      expect(worst).toBeLessThan(1e-6);
    }
    expect(rows).toEqual({ volcano: 827, earthquake: 6120, flood: 4875, fire: 12809 });
  });
  it('first volcano (−30.2, −178.47) maps to the right unit vector', async () => {
    const { points, latLon } = await earthEvents('volcano', loc);
    expect(Array.from(latLon.data.subarray(0, 2))).toEqual([Math.fround(-30.2), Math.fround(-178.47)]);
    const la = (-30.2 * Math.PI) / 180;
    const lo = (-178.47 * Math.PI) / 180;
    expect(points.data[0]).toBeCloseTo(Math.cos(la) * Math.cos(lo), 6);
    expect(points.data[1]).toBeCloseTo(Math.cos(la) * Math.sin(lo), 6);
    expect(points.data[2]).toBeCloseTo(Math.sin(la), 6);
  });
  it('a missing file is a DataError naming it', async () => {
    const e = await earthEvents('fire', { dir: '/nonexistent-wj', download: false }).catch((x: Error) => x);
    expect(isDataError(e)).toBe(true);
    expect((e as Error).message).toContain('/nonexistent-wj/manifolds/earth/fire.csv: file not found');
  });
});

describe.skipIf(!HAVE)('protein dihedral angles on T²', () => {
  it('nine-mers: 1000 per amino acid, glycine selectable, radians in [−π, π]', async () => {
    const all = await proteinAngles({ ...loc, source: 'nine-mers' });
    expect(all.angles.shape).toEqual([20000, 2]);
    const g = await proteinAngles({ ...loc, source: 'nine-mers', residue: 'G' });
    expect(g.angles.shape).toEqual([1000, 2]);
    expect(g.residues.every((r) => r === 'G')).toBe(true);
    expect(Array.from(all.angles.data.subarray(0, 2))).toEqual([Math.fround(-2.76), Math.fround(2.65)]);
    expect(all.angles.data.every((v) => Math.abs(v) <= Math.PI + 1e-6)).toBe(true);
  });
  it('top500: 84013 rows and the README class counts', async () => {
    const all = await proteinAngles({ ...loc, source: 'top500' });
    expect(all.angles.shape).toEqual([84013, 2]);
    const counts: Record<string, number> = {};
    for (const c of ['General', 'Glycine', 'Proline', 'Pre-Pro'] as const) {
      counts[c] = (await proteinAngles({ ...loc, source: 'top500', residueClass: c })).angles.shape[0]!;
    }
    expect(counts).toEqual({ General: 69890, Glycine: 6742, Proline: 3881, 'Pre-Pro': 3500 });
    expect((await proteinAngles({ ...loc, source: 'top500', residue: 'G' })).angles.shape[0]).toBe(6742);
  });
});

describe('torus embeddings', () => {
  it('R³ ring torus with radii (R, r) and R⁴ Clifford torus', async () => {
    await expectNoLeak(() => {
      const a = tf.tensor(
        [
          [0, 0],
          [Math.PI / 2, Math.PI],
          [-1, 0.5],
        ],
        [3, 2],
      );
      const e3 = torusEmbed3(a, { majorRadius: 3, minorRadius: 0.5 });
      const v = Array.from(e3.dataSync());
      expect(v[0]).toBeCloseTo(3.5, 5);
      expect(v[4]).toBeCloseTo(2.5, 5);
      // distance to the core circle equals the minor radius
      for (let i = 0; i < 3; i++) {
        const rho = Math.hypot(v[3 * i]!, v[3 * i + 1]!);
        expect(Math.hypot(rho - 3, v[3 * i + 2]!)).toBeCloseTo(0.5, 5);
      }
      const e4 = torusEmbed4(a);
      expect(e4.shape).toEqual([3, 4]);
      const w = Array.from(e4.dataSync());
      expect(w[4]! ** 2 + w[5]! ** 2).toBeCloseTo(1, 6);
      expect(w[6]).toBeCloseTo(-1, 6);
      tf.dispose([a, e3, e4]);
    });
    const bad = tf.zeros([3, 3]);
    try {
      expect(
        isShapeError(
          (() => {
            try {
              torusEmbed4(bad);
            } catch (e) {
              return e;
            }
          })(),
        ),
      ).toBe(true);
      expect(() => torusEmbed3(bad)).toThrow(/torusEmbed3: 'angles' must have shape \[n, 2\], got \[3, 3\]/);
    } finally {
      bad.dispose();
    }
  });
});
