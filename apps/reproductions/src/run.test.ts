import { describe, expect, it } from 'vitest';
import { listReproductions } from './run.ts';

describe('reproduction runner', () => {
  it('lists every reproduction without importing it; each id is its file name', () => {
    const entries = listReproductions();
    expect(entries.length).toBeGreaterThanOrEqual(10);
    for (const e of entries) {
      expect(`${e.id}.ts`).toBe(e.file);
      expect(e.title.length).toBeGreaterThan(0);
      expect(e.source.length).toBeGreaterThan(0);
    }
    expect(entries.map((e) => e.id)).toContain('eb-chi-mnist');
  });
});
