// The README's test command: build, typecheck, lint, dependency rule, api-extractor reports, the
// docs site, then every test (the docs site's browser tests in Chromium among them, which need the
// site built). Prints a closing line `N passed, N failed` (tests plus checks) and exits non-zero on
// any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const steps = [
  // The docs site is built after the api step, from the doc models (temp/*.api.json) that step writes.
  ['build', 'pnpm', ['-s', 'turbo', 'run', 'build', '--filter=!@walkjump/docs', '--output-logs=errors-only']],
  ['typecheck', 'pnpm', ['-s', 'turbo', 'run', 'typecheck', '--output-logs=errors-only']],
  ['lint', 'pnpm', ['-s', 'biome', 'lint', '--diagnostic-level=error', '.']],
  ['dependency rule', 'node', ['tooling/scripts/check-deps.mjs']],
  // Without the filter, turbo would build the docs site here as a dependency of its (empty) api task,
  // racing the packages' api tasks that write the doc models it reads; the next step builds it after.
  ['api reports', 'pnpm', ['-s', 'turbo', 'run', 'api', '--filter=!@walkjump/docs', '--output-logs=errors-only']],
  ['docs site', 'pnpm', ['-s', 'turbo', 'run', 'build', '--filter=@walkjump/docs', '--output-logs=errors-only']],
];

let checksPassed = 0;
let checksFailed = 0;
for (const [name, cmd, args] of steps) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
  const ok = r.status === 0;
  console.log(`check ${name}: ${ok ? 'ok' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (ok) checksPassed++;
  else checksFailed++;
}

const out = '.vitest-results.json';
rmSync(out, { force: true });
const r = spawnSync('pnpm', ['-s', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`], {
  stdio: 'inherit',
  env: process.env,
});
let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(out)) {
  const j = JSON.parse(readFileSync(out, 'utf8'));
  passed = j.numPassedTests ?? 0;
  failed = (j.numFailedTests ?? 0) + (j.numFailedTestSuites ?? 0) - (j.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).some((a) => a.status === 'failed')).length;
  skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  if (failed < j.numFailedTests) failed = j.numFailedTests;
} else {
  failed = 1;
}
if (r.status !== 0 && failed === 0) failed = 1;
passed += checksPassed;
failed += checksFailed;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
