import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeak } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';
import { tangentProject } from '../geometry/geometry.ts';
import { circle, ellipsoid, so3, sphere, torus } from './analytic.ts';

describe('analytic manifolds', () => {
  it('closed-form Hausdorff measures', () => {
    expect(circle({ radius: 2 }).volume).toBeCloseTo(4 * Math.PI, 10);
    expect(sphere(3).volume).toBeCloseTo(4 * Math.PI, 10);
    expect(sphere(4).volume).toBeCloseTo(2 * Math.PI ** 2, 10);
    expect(sphere(5, { radius: 2 }).volume).toBeCloseTo((8 / 3) * Math.PI ** 2 * 16, 8);
    expect(torus({ R: 2, r: 0.5 }).volume).toBeCloseTo(4 * Math.PI ** 2, 10);
    expect(so3().volume).toBeCloseTo(32 * Math.SQRT2 * Math.PI ** 2, 8);
    expect(ellipsoid([1, 2, 3]).volume).toBeUndefined();
    expect(() => torus({ R: 1, r: 1 })).toThrow(/smaller than 'R'/);
    expect(() => sphere(1)).toThrow(/'n'/);
    expect(() => ellipsoid([1, -1])).toThrow(/axes\[1\]/);
  });

  it('base points and known points lie on M, with unit-norm constraint gradients (tangent of a normal is 0)', async () => {
    await expectNoLeak(() => {
      const c = Math.cos(0.7);
      const s = Math.sin(0.7);
      const cases = [
        [sphere(3, { radius: 2, center: [1, 0, 0] }), [1, 2 * c, 2 * s], [0, c, s]],
        [circle(), [c, s], [c, s]],
        [
          torus({ R: 1, r: 0.4 }),
          [(1 + 0.4 * c) * Math.cos(1.1), (1 + 0.4 * c) * Math.sin(1.1), 0.4 * s],
          [c * Math.cos(1.1), c * Math.sin(1.1), s],
        ],
        [ellipsoid([2, 1, 0.5]), [0, 0, 0.5], [0, 0, 1]],
      ] as const;
      for (const [M, p, normal] of cases) {
        const xb = tf.tensor2d([M.basePoint as number[], p as unknown as number[]]);
        const f = M.constraintFn(xb);
        for (const v of f.dataSync()) expect(Math.abs(v)).toBeLessThan(1e-6);
        // Projecting the unit normal at p removes it entirely.
        const x = tf.tensor2d([p as unknown as number[]]);
        const nv = tf.tensor2d([normal as unknown as number[]]);
        const pr = tangentProject(M.constraintFn, x, nv, { method: 'exact' });
        for (const v of pr.projected.dataSync()) expect(Math.abs(v)).toBeLessThan(1e-6);
        tf.dispose([xb, f, x, nv, pr.projected]);
      }
      // A rotation about an arbitrary axis satisfies RᵀR = I.
      const a = 0.9;
      const [ux, uy, uz] = [1 / Math.sqrt(3), 1 / Math.sqrt(3), 1 / Math.sqrt(3)];
      const ca = Math.cos(a);
      const sa = Math.sin(a);
      const R = [
        ca + ux * ux * (1 - ca),
        ux * uy * (1 - ca) - uz * sa,
        ux * uz * (1 - ca) + uy * sa,
        uy * ux * (1 - ca) + uz * sa,
        ca + uy * uy * (1 - ca),
        uy * uz * (1 - ca) - ux * sa,
        uz * ux * (1 - ca) - uy * sa,
        uz * uy * (1 - ca) + ux * sa,
        ca + uz * uz * (1 - ca),
      ];
      const xr = tf.tensor2d([R, [...so3().basePoint]]);
      const fr = so3().constraintFn(xr);
      expect(fr.shape).toEqual([2, 6]);
      for (const v of fr.dataSync()) expect(Math.abs(v)).toBeLessThan(1e-6);
      // A non-orthogonal matrix does not.
      const xbad = tf.tensor2d([[1, 0.1, 0, 0, 1, 0, 0, 0, 1]]);
      const fb = so3().constraintFn(xbad);
      expect(Math.max(...Array.from(fb.dataSync(), Math.abs))).toBeCloseTo(0.1, 6);
      tf.dispose([xr, fr, xbad, fb]);
    });
  });
});
