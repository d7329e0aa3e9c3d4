#!/usr/bin/python3
"""PyTorch reference for packages/nets/bench: forward and input-gradient throughput (samples/s) of the
same networks as @walkjump/nets at the same batch sizes (float32, CPU, NCHW). Prints one JSON line:
{"torch": version, "threads": n, "results": {id: {"forward": s/s, "grad": s/s}}}.

    /usr/bin/python3 tooling/reference/nets_bench.py [--runs 5] [--threads 1]
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument('--runs', type=int, default=5)
ap.add_argument('--threads', type=int, default=1)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)


def swish(x):
    return x * torch.sigmoid(x)


def c3(i, o, s=1, k=3):
    return nn.Conv2d(i, o, k, stride=s, padding=(k - 1) // 2)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.ModuleList([nn.Linear(784, 512), nn.Linear(512, 512), nn.Linear(512, 1)])

    def forward(self, x):
        h = swish(self.l[0](x))
        h = swish(self.l[1](h))
        return self.l[2](h)[:, 0]


class ConvEnergy(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.ModuleList([c3(1, 32), c3(32, 64, 2), c3(64, 64, 2)])
        self.h = nn.Linear(7 * 7 * 64, 128)
        self.o = nn.Linear(128, 1)

    def forward(self, x):
        for c in self.c:
            x = swish(c(x))
        return self.o(swish(self.h(x.flatten(1))))[:, 0]


class Block(nn.Module):
    def __init__(self, i, o, edim):
        super().__init__()
        self.c1, self.c2, self.e = c3(i, o), c3(o, o), nn.Linear(edim, o)

    def forward(self, x, e):
        z = self.c1(x) + self.e(e)[:, :, None, None]
        return swish(self.c2(swish(z)))


class Unet(nn.Module):
    def __init__(self, ch=(32, 64), dim=32):
        super().__init__()
        self.dim = dim
        self.l1, self.l2 = nn.Linear(dim, 2 * dim), nn.Linear(2 * dim, 2 * dim)
        self.inc = c3(1, ch[0])
        self.down = nn.ModuleList([Block(ch[0], ch[0], 2 * dim), Block(ch[0], ch[1], 2 * dim)])
        self.up = nn.ModuleList([Block(ch[0] + ch[1], ch[0], 2 * dim)])
        self.out = c3(ch[0], 1)

    def forward(self, x, t):
        half = self.dim // 2
        w = torch.exp(-math.log(10000) * torch.arange(half) / half)
        a = t[:, None] * w[None]
        e = swish(self.l2(swish(self.l1(torch.cat([torch.sin(a), torch.cos(a)], 1)))))
        h = self.inc(x)
        h = self.down[0](h, e)
        s = h
        h = self.down[1](F.avg_pool2d(h, 2), e)
        h = self.up[0](torch.cat([F.interpolate(h, scale_factor=2, mode='nearest'), s], 1), e)
        return self.out(h)


def pool(h):
    return F.avg_pool2d(h, 2, ceil_mode=True, count_include_pad=True)


def up(h, like):
    return F.interpolate(h, size=like.shape[2:], mode='nearest')


class RSU(nn.Module):
    def __init__(self, height, cin, mid, out):
        super().__init__()
        self.inc = c3(cin, out)
        self.enc = nn.ModuleList([c3(out if i == 0 else mid, mid) for i in range(height)])
        self.dec = nn.ModuleList([c3(2 * mid, out if i == 0 else mid) for i in range(height - 1)])

    def forward(self, x):
        hxin = swish(self.inc(x))
        h = len(self.enc)
        enc = []
        z = hxin
        for i in range(h - 1):
            z = swish(self.enc[i](z if i == 0 else pool(z)))
            enc.append(z)
        b = swish(self.enc[h - 1](z))
        d = swish(self.dec[h - 2](torch.cat([b, enc[h - 2]], 1)))
        for i in range(h - 3, -1, -1):
            d = swish(self.dec[i](torch.cat([up(d, enc[i]), enc[i]], 1)))
        return d + hxin


class U2net(nn.Module):
    def __init__(self, stages=((5, 16, 32), (4, 16, 32), (3, 32, 64)), sigma=0.5):
        super().__init__()
        S = len(stages)
        self.scale = 1 / math.sqrt(0.225**2 + sigma**2)
        self.enc = nn.ModuleList([RSU(h, 1 if i == 0 else stages[i - 1][2], m, o) for i, (h, m, o) in enumerate(stages)])
        self.dec = nn.ModuleList([RSU(stages[i][0], stages[i + 1][2] + stages[i][2], stages[i][1], stages[i][2]) for i in range(S - 2, -1, -1)])
        self.sides = nn.ModuleList([c3(o, 1) for (_, _, o) in stages])
        self.fuse = nn.Conv2d(S, 1, 1)

    def forward(self, x):
        S = len(self.enc)
        h = x * self.scale
        enc = []
        for i in range(S):
            h = self.enc[i](h if i == 0 else pool(h))
            enc.append(h)
        outs = [h]
        for j in range(S - 1):
            e = enc[S - 2 - j]
            h = self.dec[j](torch.cat([up(h, e), e], 1))
            outs.append(h)
        sides = [F.interpolate(self.sides[S - 1 - j](o), size=x.shape[2:], mode='nearest') for j, o in enumerate(outs)]
        return self.fuse(torch.cat(sides[::-1], 1))


class Bottleneck(nn.Module):
    def __init__(self, n, k):
        super().__init__()
        q = n // 4
        self.c = nn.ModuleList([nn.Conv2d(n, q, 1), c3(q, q, 1, k), c3(q, q, 1, k), nn.Conv2d(q, n, 1)])

    def forward(self, x):
        r = x
        for c in self.c:
            r = c(swish(r))
        return x + r


class Stage(nn.Module):
    def __init__(self, cin, w, d, size):
        super().__init__()
        self.proj = nn.Conv2d(cin, w, 1) if cin != w else None
        self.blocks = nn.ModuleList([Bottleneck(w, 1 if size < 3 else 3) for _ in range(d)])

    def forward(self, x):
        if self.proj is not None:
            x = self.proj(x)
        for b in self.blocks:
            x = b(x)
        return x


WIDTHS = (32, 64, 128)
SIZES = (28, 14, 7)


class ResEnc(nn.Module):
    def __init__(self, latent=16):
        super().__init__()
        self.inc = c3(1, WIDTHS[0])
        self.st = nn.ModuleList([Stage(WIDTHS[max(i - 1, 0)], w, 1, SIZES[i]) for i, w in enumerate(WIDTHS)])
        self.head = nn.Linear(7 * 7 * WIDTHS[-1], latent)

    def forward(self, x):
        h = self.inc(x)
        for i, s in enumerate(self.st):
            h = s(h if i == 0 else pool(h))
        return self.head(swish(h).flatten(1))


class ResDec(nn.Module):
    def __init__(self, latent=16):
        super().__init__()
        self.head = nn.Linear(latent, 7 * 7 * WIDTHS[-1])
        S = len(WIDTHS)
        self.st = nn.ModuleList([Stage(WIDTHS[i] if i == S - 1 else WIDTHS[i + 1], WIDTHS[i], 1, SIZES[i]) for i in range(S - 1, -1, -1)])
        self.out = c3(WIDTHS[0], 1)

    def forward(self, z):
        h = self.head(z).reshape(-1, WIDTHS[-1], 7, 7)
        for j, s in enumerate(self.st):
            if j > 0:
                h = F.interpolate(h, scale_factor=2, mode='nearest')
            h = s(h)
        return self.out(swish(h))


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = c3(1, 16, 1, 5), c3(16, 32, 1, 5)
        self.h, self.o = nn.Linear(7 * 7 * 32, 64), nn.Linear(64, 10)

    def forward(self, x):
        x = F.avg_pool2d(swish(self.c1(x)), 2)
        x = F.avg_pool2d(swish(self.c2(x)), 2)
        return self.o(swish(self.h(x.flatten(1))))


CASES = [
    ('mlp', Mlp(), (784,), 128, False),
    ('conv', ConvEnergy(), (1, 28, 28), 64, False),
    ('unet', Unet(), (1, 28, 28), 32, True),
    ('u2net', U2net(), (1, 28, 28), 16, False),
    ('resenc', ResEnc(), (1, 28, 28), 64, False),
    ('resdec', ResDec(), (16,), 64, False),
    ('classifier', Classifier(), (1, 28, 28), 256, False),
]


def rate(fn, target=0.4):
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-6)
    per = max(1, round(target / one))
    rs = []
    for _ in range(args.runs):
        s = time.perf_counter()
        for _ in range(per):
            fn()
        rs.append(per / (time.perf_counter() - s))
    rs.sort()
    return rs[len(rs) // 2]


results = {}
for cid, net, shape, B, cond in CASES:
    x = torch.randn(B, *shape)
    t = torch.full((B,), 0.5) if cond else None
    call = (lambda z: net(z, t)) if cond else net
    with torch.no_grad():
        probe = call(x)
    w = torch.randn_like(probe) if probe.dim() > 1 else None

    def fwd():
        with torch.no_grad():
            call(x)

    def grad():
        z = x.clone().requires_grad_(True)
        out = call(z)
        s = out.sum() if w is None else (out * w).sum()
        (g,) = torch.autograd.grad(s, z)
        return g

    results[cid] = {'forward': rate(fwd) * B, 'grad': rate(grad) * B}

print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'results': results}))
