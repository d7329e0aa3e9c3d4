"""NumPy port of ArviZ's ESS / R-hat / MCSE formulas (Vehtari et al. 2021), used as the reference for
@walkjump/metrics' diagnostics by metrics_fixtures.py and metrics_bench.py."""
import numpy as np
import scipy.stats
from scipy.fft import next_fast_len


def autocov(ary):
    n = ary.shape[-1]
    mlen = next_fast_len(2 * n)
    ary = ary - ary.mean(-1, keepdims=True)
    f = np.fft.rfft(ary, n=mlen, axis=-1)
    f *= np.conjugate(f)
    return np.fft.irfft(f, n=mlen, axis=-1)[..., :n] / n


def ess_raw(ary):
    ary = np.asarray(ary, dtype=float)
    if np.max(ary) - np.min(ary) < np.finfo(float).resolution:
        return float(ary.size)
    ary = np.atleast_2d(ary)
    n_chain, n_draw = ary.shape
    acov = autocov(ary)
    chain_mean = ary.mean(1)
    mean_var = np.mean(acov[:, 0]) * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw
    if n_chain > 1:
        var_plus += np.var(chain_mean, ddof=1)
    rho = np.zeros(n_draw)
    rho_even = 1.0
    rho[0] = rho_even
    rho_odd = 1.0 - (mean_var - np.mean(acov[:, 1])) / var_plus
    rho[1] = rho_odd
    t = 1
    while t < (n_draw - 3) and (rho_even + rho_odd) > 0.0:
        rho_even = 1.0 - (mean_var - np.mean(acov[:, t + 1])) / var_plus
        rho_odd = 1.0 - (mean_var - np.mean(acov[:, t + 2])) / var_plus
        if (rho_even + rho_odd) >= 0:
            rho[t + 1] = rho_even
            rho[t + 2] = rho_odd
        t += 2
    max_t = t - 2
    if rho_even > 0:
        rho[max_t + 1] = rho_even
    t = 1
    while t <= max_t - 2:
        if (rho[t + 1] + rho[t + 2]) > (rho[t - 1] + rho[t]):
            rho[t + 1] = (rho[t - 1] + rho[t]) / 2.0
            rho[t + 2] = rho[t + 1]
        t += 2
    ess = n_chain * n_draw
    tau = -1.0 + 2.0 * np.sum(rho[: max_t + 1]) + np.sum(rho[max_t + 1: max_t + 2])
    tau = max(tau, 1 / np.log10(ess))
    return float(ess / tau)


def split(ary):
    half = ary.shape[1] // 2
    return np.vstack((ary[:, :half], ary[:, -half:]))


def z_scale(ary):
    rank = scipy.stats.rankdata(ary, method="average").reshape(ary.shape)
    return scipy.stats.norm.ppf((rank - 0.375) / (ary.size + 0.25))


def rhat_raw(ary):
    _, n = ary.shape
    cm = ary.mean(1)
    cv = ary.var(1, ddof=1)
    B = n * np.var(cm, ddof=1)
    W = np.mean(cv)
    return float(np.sqrt((B / W + n - 1) / n))


def diagnostics(ary):
    ary = np.atleast_2d(ary)
    q05, q95 = np.quantile(ary, [0.05, 0.95])
    bulk = ess_raw(z_scale(split(ary)))
    tail = min(ess_raw(split((ary <= q05).astype(float))), ess_raw(split((ary <= q95).astype(float))))
    mean = ess_raw(split(ary))
    rb = rhat_raw(z_scale(split(ary)))
    rt = rhat_raw(z_scale(split(np.abs(ary - np.median(ary)))))
    return {"essBulk": bulk, "essTail": tail, "essMean": mean, "rhat": max(rb, rt),
            "mcse": float(np.std(ary, ddof=1) / np.sqrt(mean)), "iatGeyer": ary.size / ess_raw(ary)}
