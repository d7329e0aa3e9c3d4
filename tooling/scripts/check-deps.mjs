// The one rule of dependencies (shared/ARCHITECTURE.md): the middle packages depend only on
// @walkjump/tensor among our packages (the private @walkjump/testing allowed as a devDependency),
// and @walkjump/tensor depends on none of ours. Also: every tfjs package is pinned to exactly 4.22.0,
// and tfjs-node / tfjs-node-gpu appear only as optional peers.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export const MIDDLE = ['empirical-bayes', 'nets', 'langevin', 'manifold', 'discrete', 'metrics', 'datasets'];
const TFJS_VERSION = '4.22.0';
const SECTIONS = ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies'];
const ours = (name) => name === 'walkjump' || name.startsWith('@walkjump/');

/** Returns the list of violations for a map of package folder → package.json object. */
export function violations(pkgs) {
  const bad = [];
  for (const [dir, pkg] of Object.entries(pkgs)) {
    const isMiddle = MIDDLE.includes(dir);
    for (const sec of SECTIONS) {
      for (const [dep, range] of Object.entries(pkg[sec] ?? {})) {
        if (ours(dep)) {
          const devTesting = sec === 'devDependencies' && dep === '@walkjump/testing';
          if (dir === 'tensor' && !devTesting) bad.push(`tensor must not depend on ${dep} (${sec})`);
          if (isMiddle && dep !== '@walkjump/tensor' && !devTesting)
            bad.push(`${dir} may depend only on @walkjump/tensor among our packages, but has ${dep} in ${sec}`);
          if (isMiddle && dep === '@walkjump/tensor' && sec === 'devDependencies')
            bad.push(`${dir} must depend on @walkjump/tensor as a dependency, not a devDependency`);
        }
        if (dep.startsWith('@tensorflow/') && range !== TFJS_VERSION)
          bad.push(`${dir}: ${dep} must be pinned to exactly ${TFJS_VERSION}, got ${range} (${sec})`);
        if ((dep === '@tensorflow/tfjs-node' || dep === '@tensorflow/tfjs-node-gpu') && sec !== 'peerDependencies')
          bad.push(`${dir}: ${dep} may only be an optional peerDependency, found in ${sec}`);
        if ((dep === '@tensorflow/tfjs-node' || dep === '@tensorflow/tfjs-node-gpu') && sec === 'peerDependencies' && !pkg.peerDependenciesMeta?.[dep]?.optional)
          bad.push(`${dir}: peer ${dep} must be marked optional in peerDependenciesMeta`);
      }
    }
    if ((isMiddle || dir === 'tensor') && pkg.peerDependencies?.['@tensorflow/tfjs-core'] !== TFJS_VERSION)
      bad.push(`${dir}: @tensorflow/tfjs-core must be a peerDependency pinned to ${TFJS_VERSION}`);
  }
  return bad;
}

export function readPackages(root = 'packages') {
  const out = {};
  for (const dir of readdirSync(root)) {
    const f = join(root, dir, 'package.json');
    if (existsSync(f)) out[dir] = JSON.parse(readFileSync(f, 'utf8'));
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const bad = violations(readPackages());
  if (bad.length > 0) {
    console.error('dependency rule broken:\n  ' + bad.join('\n  '));
    process.exit(1);
  }
  console.log(`dependency rule: ok (${Object.keys(readPackages()).length} packages checked)`);
}
