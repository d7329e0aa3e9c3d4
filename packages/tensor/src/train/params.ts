import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '../errors/errors.ts';

/**
 * A parameter tree: a tensor, or a readonly array or plain object of parameter trees (as in JAX
 * pytrees / Flax params). Networks' `init(key)` returns one; losses take one; optimizers map over one.
 */
export type Params = tf.Tensor | readonly Params[] | { readonly [name: string]: Params };

/**
 * The shape of a parameter tree without its tensors, JSON-serializable (stored in checkpoints):
 * `null` for a leaf, an array or an object of structures for the branches.
 */
export type ParamsStructure = null | ParamsStructure[] | { [name: string]: ParamsStructure };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof tf.Tensor);

function walk(fn: string, p: unknown, path: string, visit: (path: string, t: tf.Tensor) => void): void {
  if (p instanceof tf.Tensor) {
    visit(path, p);
  } else if (Array.isArray(p)) {
    p.forEach((c, i) => {
      walk(fn, c, path === '' ? String(i) : `${path}.${i}`, visit);
    });
  } else if (isPlainObject(p)) {
    for (const [k, c] of Object.entries(p)) {
      if (k === '' || k.includes('.')) {
        throw new ValueError(
          `${fn}: parameter names must be non-empty and contain no '.', got ${JSON.stringify(k)} at '${path}'`,
        );
      }
      walk(fn, c, path === '' ? k : `${path}.${k}`, visit);
    }
  } else {
    throw new ValueError(
      `${fn}: a parameter tree holds tensors, arrays and plain objects, got ${typeof p} at '${path || '<root>'}'`,
    );
  }
}

/**
 * Flattens a parameter tree to `{ 'path.to.leaf': tensor }` in traversal order (object keys in
 * insertion order, array entries by index; a bare tensor is the single entry `''`). Names join keys
 * and indices with '.', e.g. `layers.0.w` — the names written to safetensors. Returns
 * the same tensor objects (no copies): the tree keeps owning them.
 */
export function flattenParams(params: Params): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  walk('flattenParams', params, '', (path, t) => {
    out[path] = t;
  });
  return out;
}

/** The leaves of a tree in {@link flattenParams} order (same tensor objects). */
export function paramLeaves(params: Params): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  walk('paramLeaves', params, '', (_, t) => {
    out.push(t);
  });
  return out;
}

/** The JSON-serializable {@link ParamsStructure} of a tree. */
export function paramsStructure(params: Params): ParamsStructure {
  if (params instanceof tf.Tensor) return null;
  if (Array.isArray(params)) return params.map((c: Params) => paramsStructure(c));
  if (isPlainObject(params)) {
    const out: { [name: string]: ParamsStructure } = {};
    for (const [k, c] of Object.entries(params)) out[k] = paramsStructure(c as Params);
    return out;
  }
  throw new ValueError(
    `paramsStructure: a parameter tree holds tensors, arrays and plain objects, got ${typeof params}`,
  );
}

/**
 * Rebuilds a tree of the given structure (a {@link ParamsStructure}, or a template tree whose
 * tensors are only used for their shapes) from `{ path: tensor }` as made by {@link flattenParams}.
 * With a template tree, every shape must match. Missing or extra names throw {@link ShapeError}.
 * Returns the tensors of `flat` (no copies): ownership passes to the returned tree.
 */
export function unflattenParams(like: Params | ParamsStructure, flat: Record<string, tf.Tensor>): Params {
  const fn = 'unflattenParams';
  const used = new Set<string>();
  const build = (node: unknown, path: string): Params => {
    if (node === null || node instanceof tf.Tensor) {
      const t = flat[path];
      if (t === undefined) throw new ShapeError(`${fn}: no tensor named '${path}' in the flat parameters`);
      if (
        node instanceof tf.Tensor &&
        (node.rank !== t.rank || node.shape.some((s: number, i: number) => s !== t.shape[i]))
      ) {
        throw new ShapeError(
          `${fn}: '${path}' must have shape [${node.shape.join(', ')}], got [${t.shape.join(', ')}]`,
        );
      }
      used.add(path);
      return t;
    }
    if (Array.isArray(node)) return node.map((c, i) => build(c, path === '' ? String(i) : `${path}.${i}`));
    if (isPlainObject(node)) {
      const out: Record<string, Params> = {};
      for (const [k, c] of Object.entries(node)) out[k] = build(c, path === '' ? k : `${path}.${k}`);
      return out;
    }
    throw new ValueError(`${fn}: invalid structure node ${JSON.stringify(node)} at '${path || '<root>'}'`);
  };
  const out = build(like, '');
  const extra = Object.keys(flat).filter((k) => !used.has(k));
  if (extra.length > 0) throw new ShapeError(`${fn}: unexpected tensors ${extra.map((e) => `'${e}'`).join(', ')}`);
  return out;
}

/** Number of scalars in a tree (Σ of the leaves' sizes). */
export function paramCount(params: Params): number {
  let n = 0;
  walk('paramCount', params, '', (_, t) => {
    n += t.size;
  });
  return n;
}

/**
 * Maps `fn` over the leaves of one or more trees of the same structure (JAX `tree_map`), returning
 * a tree of that structure. `fn` must return tensors the caller will own; run it inside `tf.tidy`
 * as needed. Inputs are not disposed.
 */
export function mapParams(fn: (...leaves: tf.Tensor[]) => tf.Tensor, tree: Params, ...rest: Params[]): Params {
  const structure = paramsStructure(tree);
  const leaves = paramLeaves(tree);
  const others = rest.map((r, i) => {
    const l = paramLeaves(r);
    if (l.length !== leaves.length || JSON.stringify(paramsStructure(r)) !== JSON.stringify(structure)) {
      throw new ShapeError(`mapParams: tree ${i + 1} does not have the structure of the first tree`);
    }
    return l;
  });
  const names = Object.keys(flattenParams(tree));
  const flat: Record<string, tf.Tensor> = {};
  leaves.forEach((leaf, i) => {
    flat[names[i]!] = fn(leaf, ...others.map((o) => o[i]!));
  });
  return unflattenParams(structure, flat);
}

/** Disposes every tensor of a tree (for the owner of a tree returned by fit, an optimizer or load). */
export function disposeParams(params: Params): void {
  tf.dispose(paramLeaves(params));
}
