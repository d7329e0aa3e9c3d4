import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { erfc, logBesselI, logGamma } from './special.ts';

const ref = JSON.parse(
  readFileSync(new URL('../../../../tooling/reference/datasets_special.json', import.meta.url), 'utf8'),
) as Record<string, Record<string, number>[]>;

describe('special functions against SciPy (tooling/reference/datasets_special.py)', () => {
  it('logBesselI matches log(ive(nu, x)) + x to 1e-12 relative', () => {
    for (const r of ref['logBesselI']!) {
      const got = logBesselI(r['nu']!, r['x']!);
      expect(Math.abs(got - r['value']!), `nu=${r['nu']} x=${r['x']}`).toBeLessThan(
        1e-11 * Math.max(1, Math.abs(r['value']!)),
      );
    }
  });
  it('erfc matches scipy.special.erfc', () => {
    for (const r of ref['erfc']!)
      expect(Math.abs(erfc(r['x']!) - r['value']!)).toBeLessThan(1e-13 + 1e-12 * r['value']!);
  });
  it('logGamma matches factorials', () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
  });
});
