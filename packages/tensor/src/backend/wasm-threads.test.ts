import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { relError } from '@walkjump/testing';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '../../../../node_modules/.bin/tsx');

describe('multithreaded wasm in Node', () => {
  it('runs with 2 threads, reports them, computes what cpu computes, and lets Node exit', () => {
    const out = spawnSync(tsx, [join(here, 'wasm-threads.probe.ts')], { encoding: 'utf8', timeout: 100_000 });
    expect(out.status, out.stderr).toBe(0);
    const r = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as { info: { name: string; threads: number }; wasm: number[]; cpu: number[] };
    expect(r.info.name).toBe('wasm');
    expect(r.info.threads).toBe(2);
    expect(relError(r.wasm, r.cpu)).toBeLessThanOrEqual(1e-5);
  });
});
