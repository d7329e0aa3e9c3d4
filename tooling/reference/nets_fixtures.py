#!/usr/bin/python3
"""Golden fixtures for @walkjump/nets: the DEEN loss and its parameter gradient (a gradient in θ of a
gradient in y, Saremi & Hyvärinen 2019 eq. 3) through tiny instances of nets' mlp, convEnergy and
unet (the latter as the energy U = ½⟨y, s(y, t)⟩ of 004), in float64 PyTorch.

    L(θ) = mean_b ‖x_b − y_b + σ² ∇_y E_θ(y_b)‖²,  y = x + σ ε,  σ = 0.5

Parameters are named and laid out exactly as nets' parameter trees (flattenParams names, tfjs
layouts: dense [in, out], images NHWC, conv filters [kh, kw, in, out]); the torch code converts to
NCHW internally. Inputs and parameters are rounded to float32 first, so that only the arithmetic
differs from the float32 tfjs run. Writes packages/nets/src/__fixtures__/deen-{mlp,conv,unet}.json.
Run: /usr/bin/python3 tooling/reference/nets_fixtures.py
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'packages', 'nets', 'src', '__fixtures__')
SIGMA = 0.5


def swish(t):
    return t * torch.sigmoid(t)


def conv(h, w, b, stride=1):
    """nets' conv: NHWC h, [kh, kw, in, out] w, symmetric zero padding (k−1)/2, then + b."""
    k = w.shape[0]
    y = F.conv2d(h.permute(0, 3, 1, 2).contiguous(), w.permute(3, 2, 0, 1).contiguous(), stride=stride, padding=(k - 1) // 2)
    return y.permute(0, 2, 3, 1) + b


def dense(h, p, name):
    return h @ p[name + '.w'] + p[name + '.b']


def avgpool2(h):
    return F.avg_pool2d(h.permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1)


def upsample2(h):
    return F.interpolate(h.permute(0, 3, 1, 2), scale_factor=2, mode='nearest').permute(0, 2, 3, 1)


# --- networks (mirroring packages/nets/src)

def mlp_energy(p, y, n_layers):
    h = y.reshape(y.shape[0], -1)
    for l in range(n_layers):
        h = dense(h, p, f'layers.{l}')
        if l < n_layers - 1:
            h = swish(h)
    return h[:, 0]


def conv_energy(p, y, strides):
    h = y
    for i, s in enumerate(strides):
        h = swish(conv(h, p[f'convs.{i}.w'], p[f'convs.{i}.b'], s))
    h = swish(dense(h.reshape(h.shape[0], -1), p, 'hidden'))
    return dense(h, p, 'out')[:, 0]


def sinusoidal(t, dim):
    half = dim // 2
    w = torch.tensor([math.exp(-math.log(10000) * k / half) for k in range(half)])
    # nets builds the frequencies in float32
    w = torch.tensor(np.float32(w.numpy()).astype(np.float64))
    arg = t[:, None] * w[None, :]
    return torch.cat([torch.sin(arg), torch.cos(arg)], 1)


def unet_apply(p, x, t, levels, dim):
    e = swish(dense(swish(dense(sinusoidal(t, dim), p, 'embedding.l1')), p, 'embedding.l2'))

    def block(pre, h):
        z = conv(h, p[pre + '.conv1.w'], p[pre + '.conv1.b'])
        z = z + dense(e, p, pre + '.cond')[:, None, None, :]
        return swish(conv(swish(z), p[pre + '.conv2.w'], p[pre + '.conv2.b']))

    h = conv(x, p['inConv.w'], p['inConv.b'])
    skips = []
    for i in range(levels):
        h = block(f'down.{i}', h)
        if i < levels - 1:
            skips.append(h)
            h = avgpool2(h)
    for j in range(levels - 1):
        h = block(f'up.{j}', torch.cat([upsample2(h), skips[levels - 2 - j]], 3))
    return conv(h, p['outConv.w'], p['outConv.b'])


def unet_energy(p, y, t, levels, dim):
    s = unet_apply(p, y, t, levels, dim)
    return 0.5 * (y * s).reshape(y.shape[0], -1).sum(1)


# --- fixtures

def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def deen(energy, params, x, y):
    yv = y.clone().requires_grad_(True)
    e = energy(params, yv).sum()
    (gy,) = torch.autograd.grad(e, yv, create_graph=True)
    r = (x - y + SIGMA**2 * gy).reshape(x.shape[0], -1)
    return (r * r).sum(-1).mean()


def make(name, energy, shapes, x_shape, seed, extra=None):
    rng = np.random.default_rng(seed)
    params = {}
    for k, shp in shapes.items():
        if k.endswith('.b'):
            v = rng.standard_normal(shp) * 0.1
        else:
            fan_in = int(np.prod(shp[:-1]))
            v = rng.standard_normal(shp) * math.sqrt(2.0 / fan_in)
        params[k] = torch.tensor(f32(v), requires_grad=True)
    x = torch.tensor(f32(rng.standard_normal(x_shape)))
    y = torch.tensor(f32(x.numpy() + SIGMA * rng.standard_normal(x_shape)))
    loss = deen(energy, params, x, y)
    grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
    fx = {
        'description': f'DEEN loss of the nets {name} energy and its parameter gradient, float64 PyTorch '
        '(tooling/reference/nets_fixtures.py)',
        'sigma': SIGMA,
        'x': {'shape': list(x_shape), 'data': x.flatten().tolist()},
        'y': {'shape': list(x_shape), 'data': y.flatten().tolist()},
        'params': {k: {'shape': list(v.shape), 'data': v.detach().flatten().tolist()} for k, v in params.items()},
        'loss': loss.item(),
        'grads': {
            k: (g if g is not None else torch.zeros_like(v)).flatten().tolist()
            for (k, v), g in zip(params.items(), grads)
        },
    }
    if extra:
        fx.update(extra)
    path = os.path.join(OUT, f'deen-{name}.json')
    with open(path, 'w') as f:
        json.dump(fx, f, separators=(',', ':'))
    print(name, 'loss', loss.item(), 'params', sum(v.numel() for v in params.values()), 'bytes', os.path.getsize(path))


os.makedirs(OUT, exist_ok=True)

# mlp({ widths: [16, 16] }) on [8]
make(
    'mlp',
    lambda p, y: mlp_energy(p, y, 3),
    {'layers.0.w': (8, 16), 'layers.0.b': (16,), 'layers.1.w': (16, 16), 'layers.1.b': (16,), 'layers.2.w': (16, 1), 'layers.2.b': (1,)},
    (8, 8),
    1,
)

# convEnergy({ channels: [4, 8], hidden: 8 }) on [8, 8, 1]: strides [1, 2], 8 → 8 → 4
make(
    'conv',
    lambda p, y: conv_energy(p, y, [1, 2]),
    {
        'convs.0.w': (3, 3, 1, 4), 'convs.0.b': (4,), 'convs.1.w': (3, 3, 4, 8), 'convs.1.b': (8,),
        'hidden.w': (4 * 4 * 8, 8), 'hidden.b': (8,), 'out.w': (8, 1), 'out.b': (1,),
    },
    (4, 8, 8, 1),
    2,
)

# unet({ channels: [4, 8], conditioning: { dim: 8 } }) on [8, 8, 1], energy ½⟨y, s(y, t)⟩
T = [0.1, 0.5, 0.9]
t_fixed = torch.tensor(f32(T))
DIM = 8


def block_shapes(pre, cin, cout):
    return {
        pre + '.conv1.w': (3, 3, cin, cout), pre + '.conv1.b': (cout,),
        pre + '.conv2.w': (3, 3, cout, cout), pre + '.conv2.b': (cout,),
        pre + '.cond.w': (2 * DIM, cout), pre + '.cond.b': (cout,),
    }


unet_shapes = {'inConv.w': (3, 3, 1, 4), 'inConv.b': (4,)}
unet_shapes.update(block_shapes('down.0', 4, 4))
unet_shapes.update(block_shapes('down.1', 4, 8))
unet_shapes.update(block_shapes('up.0', 12, 4))
unet_shapes.update({
    'outConv.w': (3, 3, 4, 1), 'outConv.b': (1,),
    'embedding.l1.w': (DIM, 2 * DIM), 'embedding.l1.b': (2 * DIM,),
    'embedding.l2.w': (2 * DIM, 2 * DIM), 'embedding.l2.b': (2 * DIM,),
})
make('unet', lambda p, y: unet_energy(p, y, t_fixed, 2, DIM), unet_shapes, (3, 8, 8, 1), 3, {'t': T})
