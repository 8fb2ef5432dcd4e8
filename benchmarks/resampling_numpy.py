"""Minimal numpy version of estimate-prior's resampling arithmetic (BCa cluster bootstrap of the six expression
and three relation statistics; within-subject permutation test of the studentized risk difference), for the
side-by-side resampling check (``python benchmarks/resampling_numpy.py``: CK+ counts, CPU time and agreement). Same seed streams as ``estimate_prior``: its
p-values equal auknow's exactly and its intervals to 1e-9 (checked on BP4D 1x counts)."""
import numpy as np
from scipy.special import ndtr, ndtri


def _expression_stats(N, K):
    Nn = N.sum(-2, keepdims=True) - N
    Kn = K.sum(-2, keepdims=True) - K
    with np.errstate(invalid="ignore", divide="ignore"):
        pe, pn = K / N, Kn / Nn
        a, b, c, d = K, N - K, Kn, Nn - Kn
        return {"p_au_given_expression": pe,
                "p_au": np.broadcast_to((K.sum(-2, keepdims=True) / N.sum(-2, keepdims=True)), N.shape),
                "lift": np.where((pn == 0) & (pe > 0), np.inf, pe / pn),
                "log_odds_ratio": np.where(N > 0, np.log((a + .5) * (d + .5) / ((b + .5) * (c + .5))), np.nan),
                "phi": (a * d - b * c) / np.sqrt((a + b) * (c + d) * (a + c) * (b + d)),
                "p_expression_given_au": pe / np.nansum(pe, axis=-2, keepdims=True)}


def _relation_stats(P):
    n, ci, cj, both = P[..., 0, :, :], P[..., 1, :, :], P[..., 2, :, :], P[..., 3, :, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        a, b, c, d = both, ci - both, cj - both, n - ci - cj + both
        return {"p_j_given_i": both / ci, "phi": (a * d - b * c) / np.sqrt((a + b) * (c + d) * (a + c) * (b + d)),
                "lift": both * n / (ci * cj)}


def _bca(samples, point, jack, level):
    ok = ~np.isnan(samples)
    B = np.maximum(ok.sum(0), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        below = ((samples < point) & ok).sum(0) + 0.5 * ((samples == point) & ok).sum(0)
        z0 = ndtri(np.clip(below / B, 0.5 / B, 1 - 0.5 / B))
        dev = np.nanmean(jack, 0) - jack
        den = 6 * np.nansum(dev ** 2, 0) ** 1.5
        acc = np.where(den > 0, np.nansum(dev ** 3, 0) / den, 0.0)
    z0 = np.where(np.isfinite(z0) & np.isfinite(point), z0, 0.0)
    acc = np.where(np.isfinite(acc), acc, 0.0)
    s = np.sort(samples, 0)
    n = ok.sum(0)
    out = []
    for z in (ndtri((1 - level) / 2), ndtri((1 + level) / 2)):
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.nan_to_num(ndtr(z0 + (z0 + z) / (1 - acc * (z0 + z))), nan=0.5)
        pos = q * np.maximum(n - 1, 0)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
        a = np.take_along_axis(s, lo[None], 0)[0]
        b = np.take_along_axis(s, hi[None], 0)[0]
        with np.errstate(invalid="ignore"):
            v = np.where(pos == lo, a, a + (b - a) * (pos - lo))
        v = np.where(np.isinf(a) & (a == b), a, v)
        out.append(np.where(n > 0, v, np.nan))
    return out


def _studentized(Nse, Kse):
    Ns, Ks = Nse.sum(-2, keepdims=True), Kse.sum(-2, keepdims=True)
    Ne, Ke = Nse.sum(-3), Kse.sum(-3)
    Nn, Kn = Ne.sum(-2, keepdims=True) - Ne, Ke.sum(-2, keepdims=True) - Ke
    with np.errstate(invalid="ignore", divide="ignore"):
        pe, pn = Ke / Ne, Kn / Nn
        d = pe - pn
        u = ((Kse - pe[..., None, :, :] * Nse) / Ne[..., None, :, :]
             - ((Ks - Kse) - pn[..., None, :, :] * (Ns - Nse)) / Nn[..., None, :, :])
        pbar = (Ke.sum(-2) / Ne.sum(-2))[..., None, :]
        var = np.maximum((u * u).sum(-3), pbar * (1 - pbar) * (1 / Ne + 1 / Nn))
        zero = var <= 1e-10 * (1 / Ne + 1 / Nn) ** 2
        t = np.where(zero, np.where(np.abs(d) <= 1e-12, 0.0, np.sign(d) * np.inf), d / np.sqrt(var))
    return np.where(np.isnan(d), np.nan, t)


def numpy_resampling(seq_subject, seq_expression, seq_n, seq_k, pair_counts, n_boot, n_perm, seed, level=0.95,
                     chunk=100):
    """Cluster bootstrap (BCa) of the six expression and three relation statistics, and the
    within-subject permutation test of the studentized risk difference: plain numpy."""
    S, E, A = pair_counts.shape[0], seq_expression.max() + 1, seq_n.shape[1]
    boot_rng, perm_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    cell = seq_subject * E + seq_expression
    N = np.zeros((S * E, A)); np.add.at(N, cell, seq_n); N = N.reshape(S, E, A)
    K = np.zeros((S * E, A)); np.add.at(K, cell, seq_k); K = K.reshape(S, E, A)
    w = boot_rng.multinomial(S, np.full(S, 1.0 / S), size=n_boot).astype(float)
    boot_e = _expression_stats((w @ N.reshape(S, -1)).reshape(-1, E, A), (w @ K.reshape(S, -1)).reshape(-1, E, A))
    boot_r = _relation_stats((w @ pair_counts.reshape(S, -1)).reshape(-1, 4, A, A))
    jack_e = _expression_stats(N.sum(0) - N, K.sum(0) - K)
    jack_r = _relation_stats(pair_counts.sum(0) - pair_counts)
    point_e, point_r = _expression_stats(N.sum(0), K.sum(0)), _relation_stats(pair_counts.sum(0))
    ci = {("expression", k): _bca(boot_e[k], point_e[k], jack_e[k], level) for k in boot_e}
    ci.update({("relation", k): _bca(boot_r[k], point_r[k], jack_r[k], level) for k in boot_r})
    # permutation: sequence data moved between positions of one subject; positions keep their labels
    T = _studentized(N[None], K[None])[0]
    thr = np.where(np.isinf(np.abs(T)), np.inf, np.abs(T) - 1e-9 * np.maximum(1.0, np.abs(T)))
    extreme = np.zeros((E, A))
    for start in range(0, n_perm, chunk):
        keys = seq_subject[None, :] + perm_rng.random((min(chunk, n_perm - start), seq_subject.size))
        perm = np.argsort(keys, axis=1, kind="stable")
        flat = ((np.arange(perm.shape[0])[:, None] * S * E + cell[None, :])[:, :, None] * A + np.arange(A)).ravel()
        size = perm.shape[0] * S * E * A
        Nse = np.bincount(flat, seq_n[perm].ravel(), size).reshape(-1, S, E, A)
        Kse = np.bincount(flat, seq_k[perm].ravel(), size).reshape(-1, S, E, A)
        extreme += (~(np.abs(_studentized(Nse, Kse)) < thr)).sum(0)
    p = np.where(np.isnan(T), np.nan, (1 + extreme) / (1 + n_perm))
    return ci, p


def main() -> None:
    """Side by side on the bundled CK+ counts, interleaved runs: CPU seconds of auknow's
    ``estimate_prior`` (which adds the point statistics, BH q-values and the pair test) and of
    this numpy version, and how far their p-values and intervals lie apart."""
    import argparse
    import time
    import warnings

    import auknow
    from auknow.estimate.statistics import count_units

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--n-perm", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    c = count_units(auknow.read_ckplus(auknow.bundled_ckplus_path()))
    times = {"auknow estimate_prior": [], "numpy version": []}
    for _ in range(a.repeats):
        t = time.process_time()
        est = auknow.estimate_prior(c, n_boot=a.n_boot, n_perm=a.n_perm, seed=0)
        times["auknow estimate_prior"].append(time.process_time() - t)
        t = time.process_time()
        with warnings.catch_warnings():  # NaN cells (an AU never coded in an expression) are expected
            warnings.simplefilter("ignore", RuntimeWarning)
            ci, p = numpy_resampling(c.seq_subject, c.seq_expression, c.seq_n, c.seq_k, c.pair_counts,
                                     a.n_boot, a.n_perm, seed=0)
        times["numpy version"].append(time.process_time() - t)
    print(f"CK+ counts: {len(c.subjects)} subjects, {len(c.sequences)} sequences; n_boot {a.n_boot}, "
          f"n_perm {a.n_perm}, {a.repeats} interleaved repeats (CPU s)")
    print("| path | min | median |\n|---|---|---|")
    for k, v in times.items():
        print(f"| {k} | {min(v):.3f} | {sorted(v)[len(v) // 2]:.3f} |")
    dp = np.nanmax(np.abs(est.p_value - p))
    low, high = est.expression_ci["p_au_given_expression"]
    mine = ci[("expression", "p_au_given_expression")]
    dci = max(np.nanmax(np.abs(low - mine[0])), np.nanmax(np.abs(high - mine[1])))
    print(f"max |p auknow - p numpy| = {dp:.3g}; max |CI difference| of P(AU | e) = {dci:.3g}")


if __name__ == "__main__":
    main()
