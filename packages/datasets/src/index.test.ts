import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as api from './index.ts';

const SRC = fileURLToPath(new URL('.', import.meta.url));
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );

describe('package surface', () => {
  it('is browser-importable: no static node: imports, only dynamic ones inside loaders', () => {
    const offenders: string[] = [];
    for (const f of sources(SRC)) {
      const text = readFileSync(f, 'utf8');
      if (/^\s*(import|export)\s[^;]*from\s+['"](node:|fs|path|zlib|http|crypto|os)['"/]/m.test(text))
        offenders.push(f);
    }
    expect(offenders).toEqual([]);
  });
  it('exports the names other packages rely on', () => {
    for (const name of [
      'ring8',
      'grid25',
      'twoGaussians',
      'gaussianMixture',
      'mnist',
      'batches',
      'vonMisesFisher',
      'ising',
    ]) {
      expect(typeof (api as Record<string, unknown>)[name]).toBe('function');
    }
  });
});
