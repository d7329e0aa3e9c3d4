import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { readPackages, violations } from './check-deps.mjs';

describe('dependency rule', () => {
  it('holds for the repository as it is', () => {
    expect(violations(readPackages())).toEqual([]);
  });

  it('fails when a middle package depends on a sibling', () => {
    const pkgs = structuredClone(readPackages());
    pkgs.langevin.dependencies['@walkjump/nets'] = 'workspace:^';
    expect(violations(pkgs)).toContain('langevin may depend only on @walkjump/tensor among our packages, but has @walkjump/nets in dependencies');
  });

  it('fails when tensor depends on any of ours, or tfjs is not pinned', () => {
    const pkgs = structuredClone(readPackages());
    pkgs.tensor.dependencies['@walkjump/metrics'] = 'workspace:^';
    pkgs.metrics.peerDependencies['@tensorflow/tfjs-core'] = '^4.0.0';
    const bad = violations(pkgs);
    expect(bad).toContain('tensor must not depend on @walkjump/metrics (dependencies)');
    expect(bad.some((b: string) => b.startsWith('metrics: @tensorflow/tfjs-core must be pinned'))).toBe(true);
  });

  it('fails when tfjs-node is a hard dependency', () => {
    const pkgs = structuredClone(readPackages());
    pkgs.nets.optionalDependencies = { '@tensorflow/tfjs-node': '4.22.0' };
    expect(violations(pkgs)).toContain('nets: @tensorflow/tfjs-node may only be an optional peerDependency, found in optionalDependencies');
  });
});
