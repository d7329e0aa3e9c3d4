import { describe, expect, it } from 'vitest';
import { modeCoverage, modeWeightError } from './coverage.ts';

describe('modeCoverage', () => {
  it('counts visits, first-visit times, and per-chain coverage', () => {
    const cov = modeCoverage(
      [
        [0, 0, 1, 1, 0],
        [2, 2, 2, 0, 0],
      ],
      { numModes: 4 },
    );
    expect(Array.from(cov.counts)).toEqual([5, 2, 3, 0]);
    expect(cov.modesVisited).toBe(3);
    expect(Array.from(cov.firstVisit)).toEqual([0, 2, 0, -1]);
    expect(Array.from(cov.modesVisitedPerChain)).toEqual([2, 2]);
    expect(cov.kl).toBeUndefined();
  });

  it('KL and TV to target weights', () => {
    const cov = modeCoverage([0, 0, 0, 1], { targetWeights: [1, 1] });
    expect(cov.tv).toBeCloseTo(0.25, 15);
    expect(cov.maxWeightError).toBeCloseTo(0.25, 15);
    expect(cov.kl).toBeCloseTo(0.75 * Math.log(1.5) + 0.25 * Math.log(0.5), 14);
    const perfect = modeCoverage([0, 1, 0, 1], { targetWeights: [0.5, 0.5] });
    expect(perfect.kl).toBe(0);
  });

  it('mode-weight error of a mixture', () => {
    const r = modeWeightError([0, 1, 1, 2, 2, 2], [1, 2, 3]);
    expect(r.maxAbs).toBeCloseTo(0, 14);
    const s = modeWeightError([0, 0, 0, 0], [0.5, 0.5]);
    expect(s.maxAbs).toBeCloseTo(0.5, 14);
    expect(s.l1).toBeCloseTo(1, 14);
  });

  it('rejects labels out of range and empty input', () => {
    expect(() => modeCoverage([0, 3], { numModes: 2 })).toThrow(
      /modeCoverage: 'labels' must be integers in \[0, 1\], chain 0 draw 1 is 3/,
    );
    expect(() => modeCoverage([])).toThrow(/modeCoverage: 'labels' is empty/);
    expect(() => modeCoverage([0, 1], { targetWeights: [1, -1] })).toThrow(/'targetWeights' must be non-negative/);
  });
});
