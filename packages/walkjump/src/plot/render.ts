import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

/** Options for {@link renderPng}. */
export interface RenderOptions {
  /** Pixel scale of the PNG relative to the spec's size (default 2, for crisp text). */
  readonly scale?: number;
  /** Font family used when a font named in the spec is missing (default `DejaVu Sans`). */
  readonly fontFamily?: string;
}

/**
 * Renders a Vega-Lite spec to SVG headless: vega-lite compiles it to Vega, a Vega `View` with no
 * renderer draws the scenegraph to an SVG string. No canvas or browser is involved.
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Renders a Vega-Lite spec to PNG bytes: {@link renderSvg}, then resvg (prebuilt, no native build)
 * rasterizes the SVG with the system's fonts.
 */
export async function renderPng(spec: TopLevelSpec, opts: RenderOptions = {}): Promise<Uint8Array> {
  const svg = await renderSvg(spec);
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: opts.fontFamily ?? 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: opts.scale ?? 2 },
    background: 'white',
  });
  return resvg.render().asPng();
}
