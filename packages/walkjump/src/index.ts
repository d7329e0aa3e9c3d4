// walkjump — the facade: quick-start API and the `walkjump` CLI.

// --- the demo
export { runDemo } from './demo/demo.ts';
export type { DemoMetrics, DemoResult, SampleMetrics } from './demo/demo.ts';
export type { DemoConfig, DemoEvent, DemoOptions } from './demo/options.ts';
