#!/usr/bin/python3
"""Golden fixtures for @walkjump/tensor's higher-order-safe gradients: the DEEN loss and its
parameter gradient (a gradient in θ of a gradient in y) for small swish/tanh/sigmoid/softmax
energies, in float64 PyTorch.

    L(θ) = mean_b ‖x_b − y_b + σ² ∇_y E_θ(y_b)‖²,  y = x + σ ε,  σ = 0.5   (Saremi et al. 2018, DEEN)

Layouts are tfjs's: dense weights [in, out]; images NHWC; conv filters [kh, kw, in, out]. The torch
code converts to NCHW / [out, in, kh, kw] internally. Writes
packages/tensor/src/gradients/fixtures/deen-{mlp,conv,pool}.json. Run: /usr/bin/python3 this.py
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'tensor', 'src', 'gradients', 'fixtures')
SIGMA = 0.5


def swish(t):
    return t * torch.sigmoid(t)


def conv_nhwc(y, w, stride, pad):
    """tfjs conv2d: y [B,H,W,C], w [kh,kw,in,out], pad 'same' (stride 1 only here) or 'valid'."""
    x = y.permute(0, 3, 1, 2)
    wt = w.permute(3, 2, 0, 1)
    p = (w.shape[0] - 1) // 2 if pad == 'same' else 0
    return F.conv2d(x, wt, stride=stride, padding=p).permute(0, 2, 3, 1)


def maxpool_nhwc(y, k, s):
    return F.max_pool2d(y.permute(0, 3, 1, 2), k, s).permute(0, 2, 3, 1)


def energy_mlp(p, y):
    h = swish(y @ p['W1'] + p['b1'])
    h = swish(h @ p['W2'] + p['b2'])
    return (h @ p['W3'])[:, 0]  # an output bias does not reach ∇_y E, so it has no DEEN gradient


def energy_conv(p, y):
    h = swish(conv_nhwc(y, p['K1'], 1, 'same') + p['c1'])
    h = swish(conv_nhwc(h, p['K2'], 2, 'valid') + p['c2'])
    h = h.reshape(h.shape[0], -1)
    return (h @ p['W'])[:, 0]


def energy_pool(p, y):
    h = torch.tanh(conv_nhwc(y, p['K1'], 1, 'same') + p['c1'])
    h = maxpool_nhwc(h, 2, 2)
    z = h.reshape(h.shape[0], -1) @ p['W'] + p['b']
    return (torch.softmax(z, -1) * p['u']).sum(-1) + (torch.sigmoid(z) * p['v']).sum(-1)


def deen(energy, params, x, y):
    yv = y.clone().requires_grad_(True)
    e = energy(params, yv).sum()
    (gy,) = torch.autograd.grad(e, yv, create_graph=True)
    r = (x - y + SIGMA**2 * gy).reshape(x.shape[0], -1)
    return (r * r).sum(-1).mean()


def make(name, energy, shapes, x_shape, seed):
    rng = np.random.default_rng(seed)
    params = {}
    for k, shp in shapes.items():
        fan_in = int(np.prod(shp[:-1])) if len(shp) > 1 else 1
        scale = 1.0 / np.sqrt(fan_in) if len(shp) > 1 else 0.1
        params[k] = torch.tensor(rng.standard_normal(shp) * scale, requires_grad=True)
    x = torch.tensor(rng.standard_normal(x_shape))
    eps = torch.tensor(rng.standard_normal(x_shape))
    y = x + SIGMA * eps
    loss = deen(energy, params, x, y)
    grads = torch.autograd.grad(loss, list(params.values()))
    fx = {
        'description': f'DEEN loss of the {name} energy and its parameter gradient, float64 PyTorch '
        '(tooling/reference/second_order_deen.py)',
        'sigma': SIGMA,
        'x': {'shape': list(x_shape), 'data': x.flatten().tolist()},
        'y': {'shape': list(x_shape), 'data': y.flatten().tolist()},
        'params': {k: {'shape': list(v.shape), 'data': v.detach().flatten().tolist()} for k, v in params.items()},
        'loss': loss.item(),
        'grads': {k: g.flatten().tolist() for k, g in zip(params.keys(), grads)},
    }
    with open(os.path.join(OUT, f'deen-{name}.json'), 'w') as f:
        json.dump(fx, f)
    print(name, 'loss', loss.item(), {k: float(g.abs().max()) for k, g in zip(params.keys(), grads)})


os.makedirs(OUT, exist_ok=True)
make('mlp', energy_mlp, {'W1': (16, 32), 'b1': (32,), 'W2': (32, 32), 'b2': (32,), 'W3': (32, 1)}, (8, 16), 1)
make(
    'conv',
    energy_conv,
    {'K1': (3, 3, 1, 4), 'c1': (4,), 'K2': (3, 3, 4, 8), 'c2': (8,), 'W': (72, 1)},
    (4, 8, 8, 1),
    2,
)
make(
    'pool',
    energy_pool,
    {'K1': (3, 3, 1, 4), 'c1': (4,), 'W': (64, 10), 'b': (10,), 'u': (10,), 'v': (10,)},
    (4, 8, 8, 1),
    3,
)
