import type { TopLevelSpec } from 'vega-lite';

/** A 2-D point set as two parallel coordinate arrays. */
export interface Points2D {
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
}

/** A regular grid of values, `values[i * ny + j]` at (`xs[i]`, `ys[j]`). */
export interface Grid2D {
  readonly xs: ArrayLike<number>;
  readonly ys: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

/** What the demo plot shows. */
export interface DemoPlotInput {
  /** Fresh data samples. */
  readonly data: Points2D;
  /** Walk samples y (noisy space). */
  readonly walk: Points2D;
  /** Jump samples x̂(y) (clean space). */
  readonly jump: Points2D;
  /** The learned smoothed density exp(−E(y) + min E) on a grid. */
  readonly density: Grid2D;
  /** Figure title. */
  readonly title: string;
  /** One subtitle line per entry (e.g. the metrics). */
  readonly subtitle?: readonly string[];
}

const COLORS = { data: '#333333', walk: '#1f77b4', jump: '#d62728' } as const;

const rows = (p: Points2D, kind: string): Array<{ kind: string; x: number; y: number }> => {
  const out = [];
  for (let i = 0; i < p.x.length; i++) out.push({ kind, x: p.x[i] as number, y: p.y[i] as number });
  return out;
};

/**
 * The demo figure as a Vega-Lite spec: three panels sharing axes — the data over the learned
 * smoothed density exp(−E(y)), the walk samples y, and the jump samples x̂ — with a shared legend.
 */
export function demoPlotSpec(input: DemoPlotInput): TopLevelSpec {
  const { xs, ys, values } = input.density;
  const dx = xs.length > 1 ? (xs[1] as number) - (xs[0] as number) : 1;
  const dy = ys.length > 1 ? (ys[1] as number) - (ys[0] as number) : 1;
  const cells = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = 0; j < ys.length; j++) {
      const x = xs[i] as number;
      const y = ys[j] as number;
      cells.push({
        x: x - dx / 2,
        x2: x + dx / 2,
        y: y - dy / 2,
        y2: y + dy / 2,
        d: values[i * ys.length + j] as number,
      });
    }
  }
  const lo = Math.min(xs[0] as number, ys[0] as number) - dx / 2;
  const hi = Math.max(xs[xs.length - 1] as number, ys[ys.length - 1] as number) + dx / 2;
  const axis = (title: string) => ({ scale: { domain: [lo, hi], nice: false, zero: false }, title });
  const heat = {
    data: { values: cells },
    mark: { type: 'rect' as const, strokeWidth: 0, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative' as const, ...axis('x₁') },
      x2: { field: 'x2' },
      y: { field: 'y', type: 'quantitative' as const, ...axis('x₂') },
      y2: { field: 'y2' },
      color: {
        field: 'd',
        type: 'quantitative' as const,
        scale: { domain: [0, 1], range: ['#ffffff', '#f2b134'], interpolate: 'rgb', type: 'sqrt' },
        legend: { title: 'learned exp(−E)' },
      },
    },
  };
  const points = [...rows(input.data, 'data'), ...rows(input.walk, 'walk'), ...rows(input.jump, 'jump')];
  const scatter = (kind: string) => ({
    data: { values: points },
    transform: [{ filter: { field: 'kind', equal: kind } }],
    mark: { type: 'circle' as const, size: 7, opacity: 0.6, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative' as const, ...axis('x₁') },
      y: { field: 'y', type: 'quantitative' as const, ...axis('x₂') },
      fill: {
        field: 'kind',
        type: 'nominal' as const,
        scale: { domain: ['data', 'walk', 'jump'], range: [COLORS.data, COLORS.walk, COLORS.jump] },
        legend: { title: 'samples' },
      },
    },
  });
  const panel = (title: string, kind: string) => ({ title, width: 300, height: 300, layer: [heat, scatter(kind)] });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: input.title, subtitle: [...(input.subtitle ?? [])], anchor: 'start' },
    hconcat: [
      panel('data over the learned density exp(−E(y))', 'data'),
      panel('walk: Langevin samples y (eq. 5)', 'walk'),
      panel('jump: x̂ = y − σ²∇E(y) (eq. 6)', 'jump'),
    ],
    config: { font: 'DejaVu Sans', background: 'white', view: { stroke: '#888' } },
  } as TopLevelSpec;
}
