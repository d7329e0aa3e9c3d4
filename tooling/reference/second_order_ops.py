#!/usr/bin/python3
"""Golden fixtures for @walkjump/tensor's higher-order-safe gradients of structured ops (softmax,
log-softmax, max/min reductions, max pooling 2-D/3-D, LRN), in float64 PyTorch.

For each case, φ(x) = Σ w ⊙ op(x)³ (the cube makes every order non-trivial, also for the piecewise
linear ops), and we store g = ∇φ(x), hv = ∇⟨∇φ, v⟩ = H v and t = ∇⟨H v, v⟩ = D³φ(x)[v, v, ·].
Layouts and padding follow tfjs (NHWC / NDHWC, 'same' pads the extra row at the end, LRN over the
last axis with tfjs's alpha: s = bias + alpha Σ_{|c'−c|≤r} x_{c'}², y = x s^−β).
Writes packages/tensor/src/gradients/fixtures/ops.json. Run: /usr/bin/python3 this.py
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'tensor', 'src', 'gradients', 'fixtures')


def same_pads(n, f, s):
    out = math.ceil(n / s)
    total = max((out - 1) * s + f - n, 0)
    return total // 2, total - total // 2


def maxpool2d(x, f, s, pad):
    t = x.permute(0, 3, 1, 2)
    if pad == 'same':
        (top, bottom), (left, right) = same_pads(x.shape[1], f[0], s[0]), same_pads(x.shape[2], f[1], s[1])
        t = F.pad(t, (left, right, top, bottom), value=-math.inf)
    return F.max_pool2d(t, f, s).permute(0, 2, 3, 1)


def maxpool3d(x, f, s):
    return F.max_pool3d(x.permute(0, 4, 1, 2, 3), f, s).permute(0, 2, 3, 4, 1)


def lrn(x, r, bias, alpha, beta):
    C = x.shape[-1]
    band = torch.tensor([[1.0 if abs(i - j) <= r else 0.0 for j in range(C)] for i in range(C)])
    s = bias + alpha * (x * x) @ band
    return x * s ** (-beta)


CASES = [
    ('softmax', (3, 5), lambda x: torch.softmax(x, -1)),
    ('logSoftmax', (3, 5), lambda x: x - torch.logsumexp(x, -1, keepdim=True)),
    ('maxAxis1', (3, 5), lambda x: x.amax(1)),
    ('maxAxes02Keep', (2, 3, 4), lambda x: x.amax((0, 2), keepdim=True)),
    ('minLast', (3, 5), lambda x: x.amin(-1)),
    ('maxPoolSame3s2', (2, 5, 5, 3), lambda x: maxpool2d(x, (3, 3), (2, 2), 'same')),
    ('maxPoolSameAsym', (1, 6, 6, 2), lambda x: maxpool2d(x, (3, 3), (2, 2), 'same')),
    ('maxPoolOverlap', (1, 5, 6, 2), lambda x: maxpool2d(x, (2, 2), (1, 1), 'valid')),
    ('maxPool3D', (1, 4, 4, 4, 2), lambda x: maxpool3d(x, (2, 2, 2), (2, 2, 2))),
    ('lrn', (2, 3, 3, 6), lambda x: lrn(x, 2, 1.5, 0.3, 0.75)),
]


def main():
    rng = np.random.default_rng(7)
    out = {'description': 'φ(x) = Σ w ⊙ op(x)³: ∇φ, Hv, D³φ[v,v,·] in float64 PyTorch (tooling/reference/second_order_ops.py)', 'cases': {}}
    for name, shape, op in CASES:
        x = torch.tensor(rng.standard_normal(shape), requires_grad=True)
        with torch.no_grad():
            y0 = op(x)
        w = torch.tensor(rng.standard_normal(tuple(y0.shape)))
        v = torch.tensor(rng.standard_normal(shape))
        phi = (w * op(x) ** 3).sum()
        (g,) = torch.autograd.grad(phi, x, create_graph=True)
        (hv,) = torch.autograd.grad((g * v).sum(), x, create_graph=True)
        (t,) = torch.autograd.grad((hv * v).sum(), x)
        out['cases'][name] = {
            'shape': list(shape),
            'outShape': list(y0.shape),
            'x': x.detach().flatten().tolist(),
            'w': w.flatten().tolist(),
            'v': v.flatten().tolist(),
            'g': g.detach().flatten().tolist(),
            'hv': hv.detach().flatten().tolist(),
            't': t.flatten().tolist(),
        }
        print(name, float(g.abs().max()), float(hv.abs().max()), float(t.abs().max()))
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, 'ops.json'), 'w') as f:
        json.dump(out, f)


main()
