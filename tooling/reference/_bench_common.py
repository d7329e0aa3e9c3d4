"""Shared preamble of the PyTorch benchmark references (tooling/reference/*_bench.py, bench_deen.py).

Same timing protocol as the TypeScript benches (@walkjump/testing/bench): one warm-up call, one call
to size a run to ~target_s, then the median rate over `runs` timed runs. Import from a script with

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _bench_common import bench_args, rate

Run with Debian's /usr/bin/python3 (python3-torch).
"""
import argparse
import statistics
import time

import torch


def bench_args(description=None, threads=2, seed=0, extra=None):
    """Parse --runs (default 5) and --threads (default `threads`), plus the arguments `extra(parser)` adds;
    then torch.set_num_threads(--threads) and, unless seed is None, torch.manual_seed(seed)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--runs", type=int, default=5)
    if extra is not None:
        extra(p)
    p.add_argument("--threads", type=int, default=threads)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if seed is not None:
        torch.manual_seed(seed)
    return a


def swish(t):
    """x * sigmoid(x), the activation of the walkjump benches."""
    return t * torch.sigmoid(t)


class MLP(torch.nn.Module):
    """The MLP energy 784-512-512-1 with swish used by the DEEN benches."""

    def __init__(self):
        super().__init__()
        self.l1 = torch.nn.Linear(784, 512)
        self.l2 = torch.nn.Linear(512, 512)
        self.l3 = torch.nn.Linear(512, 1)

    def forward(self, y):
        return self.l3(swish(self.l2(swish(self.l1(y))))).reshape(-1)


def rate(fn, runs, target_s=0.6):
    """Median calls per second of fn over `runs` runs of ~target_s each, after a warm-up call."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-6)
    per_run = max(1, round(target_s / one))
    rates = []
    for _ in range(runs):
        s = time.perf_counter()
        for _ in range(per_run):
            fn()
        rates.append(per_run / (time.perf_counter() - s))
    return statistics.median(rates)


def timed_ms(fn, runs):
    """Median wall time in milliseconds of `runs` calls of fn, after one warm-up call."""
    fn()
    ms = []
    for _ in range(runs):
        s = time.perf_counter()
        fn()
        ms.append(1000 * (time.perf_counter() - s))
    return statistics.median(ms)
