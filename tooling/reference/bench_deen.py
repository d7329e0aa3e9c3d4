#!/usr/bin/env python3
"""PyTorch reference for packages/tensor/bench: one DEEN training step (forward, double backprop,
Adam) at batch 128 for the MLP energy 784-512-512-1 and the ConvNet energy (3x3 conv 16 ch ->
3x3 stride-2 conv 32 ch -> dense -> 1, swish) on 28x28x1, and 1024^2 matmul GFLOP/s.

float32, torch.set_num_threads(2). Same timing protocol as the TypeScript bench: one warmup call,
one call to size a run to ~0.6 s, then the median rate over --runs timed runs. Prints one JSON line.
Run with Debian's /usr/bin/python3 (python3-torch).
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bench_common import MLP, bench_args, rate, swish  # noqa: E402

BATCH = 128
SIGMA = 0.3


class ConvNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = torch.nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.l = torch.nn.Linear(14 * 14 * 32, 1)

    def forward(self, y):
        h = swish(self.c2(swish(self.c1(y))))
        return self.l(h.reshape(y.shape[0], -1)).reshape(-1)


def deen_step(model, opt, x):
    y = (x + SIGMA * torch.randn_like(x)).requires_grad_(True)
    e = model(y).sum()
    (g,) = torch.autograd.grad(e, y, create_graph=True)
    loss = (x - y + SIGMA**2 * g).pow(2).reshape(BATCH, -1).sum(1).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


def bench_model(model, shape, runs):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.rand(shape)
    return rate(lambda: deen_step(model, opt, x), runs)


def bench_matmul(runs):
    n = 1024
    a, b = torch.randn(n, n), torch.randn(n, n)
    return rate(lambda: torch.mm(a, b), runs) * 2 * n**3 / 1e9


def main():
    a = bench_args(__doc__, threads=2)
    out = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mlp_steps_per_s": bench_model(MLP(), (BATCH, 784), a.runs),
        "conv_steps_per_s": bench_model(ConvNet(), (BATCH, 1, 28, 28), a.runs),
        "matmul_gflops": bench_matmul(a.runs),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
