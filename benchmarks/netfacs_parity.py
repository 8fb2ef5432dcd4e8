"""auknow ``estimate-prior`` against NetFACS 0.5.1 (R) on CK+, side by side in one run.

NetFACS ships CK+ as ``emotions_set`` (327 peak frames x 23 AUs, subject, video, emotion);
auknow bundles the same table (``auknow/data/ckplus_facs_emotion.csv``). This script

1. exports ``emotions_set`` from R and matches its rows to auknow's bundled CK+ by ``video``
   (subject, emotion and all 23 AU codes compared);
2. runs NetFACS's one-condition-against-the-rest test, clustered by subject, for each of the 7
   emotions (``netfacs(m, condition = emotion, test.condition = e, null.condition = NULL,
   random.level = subject, ran.trials = R, combination.size = 1, use_parallel = FALSE)``) and
   its ``conditional_probabilities`` over all 327 frames;
3. runs ``auknow estimate-prior`` (the bundled CK+, ``--n-boot`` / ``--n-perm``), each tool in a
   fresh process, one after the other;
4. prints the comparison table: observed probabilities per cell (max |diff|), effect size
   (NetFACS ``effect.size`` vs auknow P(a|e) - P(a|not e)), ``prob.increase`` vs lift, the
   significant sets, P(j | i), and wall times.

    python benchmarks/netfacs_parity.py [--ran-trials 1000] [--n-boot 1000] [--n-perm 1000]

R and NetFACS: ``R_LIBS`` (default ``/work/rlib`` if it exists), installed as in
``../shared/tools/netfacs-standins/README.md``. Where ``Rscript`` or NetFACS is missing the script
prints why and exits 0 (it is a benchmark, never part of the test suite). NetFACS runs here with
base-R stand-ins for ``Rfast`` / ``arrangements`` / ``picante``, which make it ~1.3-1.5x slower
than with the real packages; the ratio is printed with that caveat.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

R_SCRIPT = r"""
suppressMessages(library(NetFACS))
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]; trials <- as.integer(args[2]); seeds <- as.integer(args[3])
data(emotions_set)
m <- emotions_set[[1]]; info <- emotions_set[[2]]
write.csv(data.frame(video = as.character(info$video), subject = as.character(info$subject),
                     emotion = info$emotion, m, check.names = FALSE),
          file.path(out, "emotions_set.csv"), row.names = FALSE)
set.seed(1)
res <- list(); times <- c()
t0 <- proc.time()[["elapsed"]]
for (e in sort(unique(info$emotion))) {
  t <- system.time(r <- netfacs(m, condition = info$emotion, test.condition = e, null.condition = NULL,
                                random.level = info$subject, duration = NULL, ran.trials = trials,
                                combination.size = 1, use_parallel = FALSE))[["elapsed"]]
  times[e] <- t
  res[[e]] <- cbind(emotion = e, n_test = sum(info$emotion == e), r$result)
}
total <- proc.time()[["elapsed"]] - t0
write.csv(do.call(rbind, res), file.path(out, "netfacs_singles.csv"), row.names = FALSE)
overall <- structure(list(used.data = list(data = m)), class = "netfacs", stat_method = "permutation")
cp <- conditional_probabilities(overall)
write.csv(cp, file.path(out, "netfacs_conditional.csv"), row.names = FALSE)
# specificity() up-samples at random: one run (seed 1), and the mean of `seeds` runs
one <- function(s) { set.seed(s); x <- as.data.frame(specificity(m, info$emotion, combination.size = 1))
                     x[order(x$condition, x$combination), ] }
sp <- one(1); sp$specificity_mean <- rowMeans(sapply(seq_len(seeds), function(s) one(s)$specificity))
write.csv(sp, file.path(out, "netfacs_specificity.csv"), row.names = FALSE)
write.csv(data.frame(emotion = c(names(times), "total"), seconds = c(unname(times), total)),
          file.path(out, "netfacs_times.csv"), row.names = FALSE)
"""


R_NULL_SCRIPT = r"""
suppressMessages(library(NetFACS))
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]; trials <- as.integer(args[2])
data(emotions_set)
m <- emotions_set[[1]]; info <- emotions_set[[2]]
labels <- read.csv(file.path(out, "null_labels.csv"), stringsAsFactors = FALSE)
set.seed(2)
res <- list()
for (r in sort(unique(labels$rep))) {
  emo <- labels$emotion[labels$rep == r]
  for (e in sort(unique(emo))) {
    x <- netfacs(m, condition = emo, test.condition = e, null.condition = NULL, random.level = info$subject,
                 duration = NULL, ran.trials = trials, combination.size = 1, use_parallel = FALSE)$result
    res[[paste(r, e)]] <- data.frame(rep = r, emotion = e, au = x$combination, pvalue = x$pvalue,
                                     effect = x$effect.size)
  }
}
write.csv(do.call(rbind, res), file.path(out, "null_netfacs.csv"), row.names = FALSE)
"""


def _r_env() -> dict:
    env = dict(os.environ)
    if "R_LIBS" not in env and Path("/work/rlib").is_dir():
        env["R_LIBS"] = "/work/rlib"
    return env


def netfacs_available() -> str | None:
    """``None`` when Rscript and NetFACS load, else the reason why not."""
    if shutil.which("Rscript") is None:
        return "Rscript is not on PATH (install R: see ../shared/tools/netfacs-standins/README.md)"
    done = subprocess.run(["Rscript", "-e", "suppressMessages(library(NetFACS)); cat(as.character(packageVersion('NetFACS')))"],
                          capture_output=True, text=True, env=_r_env())
    if done.returncode != 0:
        return f"NetFACS does not load in R (R_LIBS={_r_env().get('R_LIBS', '')!r}): {done.stderr.strip()[-200:]}"
    return None


def _timed(cmd: list[str], **kw) -> tuple[float, float]:
    """Run ``cmd``; its wall time and CPU time (user + sys of the child, s). CPU time is the
    comparable figure on a shared machine, where wall time depends on the load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_netfacs(out: Path, trials: int, seeds: int) -> tuple[float, float]:
    """Run the R side; returns wall and CPU time (s) of the Rscript process."""
    script = out / "netfacs_ckplus.R"
    script.write_text(R_SCRIPT)
    return _timed(["Rscript", str(script), str(out), str(trials), str(seeds)], env=_r_env())


def run_auknow(out: Path, n_boot: int, n_perm: int) -> tuple[float, float]:
    """``auknow estimate-prior`` on the bundled CK+ in a fresh process; wall and CPU time (s)."""
    return _timed([sys.executable, "-m", "auknow", "estimate-prior", "--out", str(out), "--n-boot", str(n_boot),
                   "--n-perm", str(n_perm), "--quiet", "--force"])


def match_rows(r_dir: Path) -> tuple[int, int, list[str]]:
    """Rows of NetFACS's ``emotions_set`` that equal auknow's bundled CK+ row of the same video
    (subject, emotion after alias resolution, all 23 AU codes). Returns (matched, total, problems)."""
    from importlib import resources

    from auknow.vocabulary import resolve_expressions

    ours = pd.read_csv(resources.files("auknow").joinpath("data/ckplus_facs_emotion.csv"))
    theirs = pd.read_csv(r_dir / "emotions_set.csv")
    theirs.columns = [c if c in ("video", "subject", "emotion") else f"AU{c}" for c in theirs.columns]
    both = ours.merge(theirs, on="video", how="outer", suffixes=("_a", "_n"), indicator=True)
    problems = [f"video {v}: only in {side}" for v, side in zip(both.video, both._merge) if side != "both"]
    both = both[both._merge == "both"]
    canon = lambda col: [resolve_expressions(str(x))[0] for x in col]  # noqa: E731
    same = (both.subject_a == both.subject_n) & (np.array(canon(both.emotion_a)) == np.array(canon(both.emotion_n)))
    for au in [c for c in ours.columns if c.startswith("AU")]:
        same &= both[f"{au}_a"] == both[f"{au}_n"]
    problems += [f"video {v}: differs" for v in both.video[~same]]
    return int(same.sum()), max(len(ours), len(theirs)), problems


def compare(a_dir: Path, r_dir: Path, alpha: float) -> dict:
    """The comparison figures (see the module docstring)."""
    from auknow.vocabulary import resolve_expressions

    st = pd.read_csv(a_dir / "statistics.csv")
    nf = pd.read_csv(r_dir / "netfacs_singles.csv").rename(columns=lambda c: c.replace(".", "_"))
    nf["expression"] = [resolve_expressions(str(e))[0] for e in nf.emotion]
    nf["au"] = nf.combination.astype(int)
    cells = st.merge(nf, on=["expression", "au"], how="inner")
    n_total = int(st.n_frames.sum() / st.au.nunique())  # every CK+ AU is coded on every frame
    n_e = cells.n_frames
    k_all = cells.p_au * n_total
    p_not = (k_all - cells.p_au_given_expression * n_e) / (n_total - n_e)
    out = {"cells": len(cells), "cells_auknow": len(st), "cells_netfacs": len(nf)}
    out["p_diff_rounded"] = float(np.max(np.abs(cells.p_au_given_expression - cells.observed_prob)))
    out["p_diff_exact"] = float(np.max(np.abs(cells.p_au_given_expression - cells["count"] / cells.n_test)))
    # statistics.csv keeps 6 significant digits: compare the counts behind the probabilities instead
    k_auknow = cells.p_au_given_expression * n_e
    out["counts_equal"] = int(((np.abs(k_auknow - cells["count"]) < 1e-3) & (n_e == cells.n_test)).sum())
    rd = cells.p_au_given_expression - p_not
    out["effect_diff"] = float(np.max(np.abs(rd - cells.effect_size)))
    out["effect_r"] = float(np.corrcoef(rd, cells.effect_size)[0, 1])
    fin = np.isfinite(cells.lift) & cells.prob_increase.notna() & (cells.p_au_given_expression > 0)
    out["lift_r"] = float(pd.Series(cells.lift[fin]).corr(cells.prob_increase[fin], method="spearman"))
    out["lift_cells"] = int(fin.sum())
    out["lift_rel"] = float(np.median(np.abs(cells.prob_increase[fin] / cells.lift[fin] - 1)))
    nf_sig = set(map(tuple, cells.loc[(cells.pvalue < alpha) & (cells.effect_size > 0), ["expression", "au"]].values))
    pos = cells.p_au_given_expression > p_not
    a_q = set(map(tuple, cells.loc[(cells.q_value < alpha) & pos, ["expression", "au"]].values))
    a_p = set(map(tuple, cells.loc[(cells.p_value < alpha) & pos, ["expression", "au"]].values))
    out["sig"] = {"netfacs": nf_sig, "auknow_q": a_q, "auknow_p": a_p}
    out["detail"] = {(e, a): (k, n, pv, q) for e, a, k, n, pv, q in
                     cells[["expression", "au", "count", "n_test", "pvalue", "q_value"]].itertuples(index=False)}
    sp = pd.read_csv(r_dir / "netfacs_specificity.csv")
    sp["expression"] = [resolve_expressions(str(e))[0] for e in sp.condition]
    sp["au"] = sp.combination.astype(int)
    spec = st.merge(sp, on=["expression", "au"], how="inner")
    out["spec_cells"] = len(spec)
    out["spec_diff"] = float(np.max(np.abs(spec.p_expression_given_au - spec.specificity)))
    out["spec_r"] = float(np.corrcoef(spec.p_expression_given_au, spec.specificity)[0, 1])
    out["spec_mean_diff"] = float(np.max(np.abs(spec.p_expression_given_au - spec.specificity_mean)))
    rel = pd.read_csv(a_dir / "relations.csv")
    cp = pd.read_csv(r_dir / "netfacs_conditional.csv")
    cp["au_i"] = cp.element_A.astype(int)
    cp["au_j"] = cp.element_B.astype(int)
    pairs = rel.merge(cp, on=["au_i", "au_j"], how="inner")
    out["pairs"] = len(pairs)
    out["cond_diff"] = float(np.max(np.abs(pairs.p_j_given_i - pairs.probability_BgivenA))) if len(pairs) else float("nan")
    return out


def _fmt_set(s: set, detail: dict) -> str:
    """``fear AU11 (1/25, p .002, q .31)``: the cell, its count, NetFACS's p and auknow's q."""
    def one(e, a):
        k, n, pv, q = detail[(e, a)]
        return f"{e} AU{a} ({k}/{n}, p {pv:.3f}, q {q:.2f})"
    return ", ".join(one(e, a) for e, a in sorted(s)) or "-"


def report(c: dict, match: tuple, t_auknow: float, t_r: float, t_r_total: float, args) -> None:
    matched, total, problems = match
    sig = c["sig"]
    nf, aq, ap = sig["netfacs"], sig["auknow_q"], sig["auknow_p"]
    print(f"CK+: {matched} of {total} rows of NetFACS's emotions_set equal auknow's bundled CK+ row of the same "
          f"video (subject, emotion, 23 AUs)" + (f"; {len(problems)} problems: {problems[:5]}" if problems else ""))
    print(f"NetFACS 0.5.1: ran.trials {args.ran_trials}, random.level subject, combination.size 1, one core; "
          f"auknow: --n-boot {args.n_boot} --n-perm {args.n_perm} (defaults otherwise)")
    print()
    print("| quantity | NetFACS | auknow | agreement |")
    print("|---|---|---|---|")
    print(f"| P(AU \\| e), {c['cells']} cells | `observed.prob` (rounded to 3 decimals) | `p_au_given_expression` | "
          f"max \\|diff\\| {c['p_diff_rounded']:.2g} (NetFACS rounds to 3 decimals); counts K and N equal in "
          f"{c['counts_equal']} of {c['cells']} cells |")
    print(f"| effect size | `effect.size` = observed - mean of null bootstrap | P(a\\|e) - P(a\\|not e) | "
          f"max \\|diff\\| {c['effect_diff']:.3f}, r = {c['effect_r']:.4f} |")
    print(f"| lift | `prob.increase` (NA where the null mean is 0) | `lift` | Spearman {c['lift_r']:.4f}, median "
          f"relative diff {c['lift_rel']:.3f} ({c['lift_cells']} cells, both finite, P > 0) |")
    print(f"| specificity, {c['spec_cells']} cells with the AU | `specificity()` (up-sampled, random) | "
          f"`p_expression_given_au` (its analytic form) | one run: max \\|diff\\| {c['spec_diff']:.3f}, r = "
          f"{c['spec_r']:.4f}; mean of {args.specificity_seeds} runs: max \\|diff\\| {c['spec_mean_diff']:.3f} |")
    print(f"| significant, positive | p < {args.alpha} one-sided: {len(nf)} cells | q < {args.alpha}: {len(aq)}; "
          f"p < {args.alpha}: {len(ap)} | both (q): {len(nf & aq)}; Jaccard q {len(nf & aq) / max(1, len(nf | aq)):.2f}, "
          f"p {len(nf & ap) / max(1, len(nf | ap)):.2f} |")
    print(f"| P(j \\| i), all frames, {c['pairs']} pairs with a co-occurrence | `probability_BgivenA` (2 decimals) | "
          f"`p_j_given_i` (relations.csv) | max \\|diff\\| {c['cond_diff']:.2g} |")
    (wa, ca), (wr, cr) = t_auknow, t_r
    print(f"| time, fresh process (R: incl. specificity x {args.specificity_seeds}) | wall {wr:.1f} s, CPU {cr:.1f} s "
          f"(7 x netfacs: wall {t_r_total:.1f} s) | wall {wa:.2f} s, CPU {ca:.2f} s | NetFACS / auknow: CPU "
          f"{cr / ca:.0f}x, wall {wr / wa:.0f}x; 7 x netfacs alone / auknow wall {t_r_total / wa:.0f}x (stand-ins: "
          "NetFACS ~1.3-1.5x slower than with the real Rfast / arrangements) |")
    print()
    print("cells: expression AU (count / sequences of the expression, NetFACS p, auknow q)")
    print(f"significant only in NetFACS (p < {args.alpha}, one-sided): {_fmt_set(nf - aq, c['detail'])}")
    print(f"significant only in auknow (q < {args.alpha}): {_fmt_set(aq - nf, c['detail'])}")


def null_calibration(tmp: Path, reps: int, trials: int, n_perm: int, alpha: float, seed: int = 0) -> None:
    """Type-I error of both tests on CK+ with the emotion labels shuffled over all 327 peak frames
    (labels independent of the AUs; subjects, AU patterns and class sizes kept). Per replicate and
    cell: NetFACS ``pvalue < alpha`` with a positive ``effect.size`` (its one-sided test) and
    auknow ``p_value < alpha`` (two-sided); the rate over all cells where the AU occurs, mean ±
    Monte-Carlo SE over replicates."""
    from importlib import resources

    ours = pd.read_csv(resources.files("auknow").joinpath("data/ckplus_facs_emotion.csv"))
    theirs = pd.read_csv(tmp / "netfacs" / "emotions_set.csv")  # NetFACS's row order
    rng = np.random.default_rng(seed)
    shuffled = [rng.permutation(theirs.emotion.to_numpy()) for _ in range(reps)]
    null_dir = tmp / "null"
    null_dir.mkdir()
    pd.DataFrame({"rep": np.repeat(np.arange(reps), len(theirs)), "emotion": np.concatenate(shuffled)}).to_csv(
        null_dir / "null_labels.csv", index=False)
    script = null_dir / "null.R"
    script.write_text(R_NULL_SCRIPT)
    _, t_r = _timed(["Rscript", str(script), str(null_dir), str(trials)], env=_r_env())
    nf = pd.read_csv(null_dir / "null_netfacs.csv")
    by_video = dict(zip(theirs.video, range(len(theirs))))
    rates_nf, rates_a = [], []
    t_a = 0.0
    for r in range(reps):
        data = ours.copy()
        data["emotion"] = [shuffled[r][by_video[v]] for v in data.video]
        path = null_dir / f"ckplus_null_{r}.csv"
        data.to_csv(path, index=False)
        out = null_dir / f"auknow_{r}"
        t_a += _timed([sys.executable, "-m", "auknow", "estimate-prior", "--dataset", "ckplus", str(path), "--out",
                       str(out), "--n-boot", "0", "--n-perm", str(n_perm), "--quiet", "--force", "--seed", str(r)])[1]
        st = pd.read_csv(out / "statistics.csv")
        occurs = st.p_au > 0
        rates_a.append(float((st.p_value[occurs] < alpha).mean()))
        x = nf[nf.rep == r]
        rates_nf.append(float(((x.pvalue < alpha) & (x.effect > 0)).mean()))
    def ms(v):
        v = np.asarray(v)
        return f"{v.mean():.3f} ± {v.std(ddof=1) / np.sqrt(len(v)):.3f}"
    print()
    print(f"Null calibration: CK+ with emotion labels shuffled over all frames, {reps} replicates "
          f"(NetFACS ran.trials {trials}; auknow --n-perm {n_perm} --n-boot 0); rate of cells called significant "
          f"at {alpha}, mean ± Monte-Carlo SE over replicates")
    print()
    print("| test | nominal | type-I error | CPU s (all replicates) |")
    print("|---|---|---|---|")
    print(f"| NetFACS, p < {alpha} and effect.size > 0 (one-sided, as NetFACS reads it) | {alpha} | {ms(rates_nf)} | "
          f"{t_r:.0f} |")
    print(f"| auknow, p < {alpha} (two-sided, studentized within-subject permutation) | {alpha} | {ms(rates_a)} | "
          f"{t_a:.0f} |")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ran-trials", type=int, default=1000, help="NetFACS ran.trials per emotion (default 1000)")
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--n-perm", type=int, default=1000)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--specificity-seeds", type=int, default=20,
                   help="NetFACS specificity() runs averaged (it up-samples at random; default 20)")
    p.add_argument("--null-replicates", type=int, default=0,
                   help="also measure both tests' type-I error on label-shuffled CK+ (R replicates; default 0: skip)")
    p.add_argument("--null-trials", type=int, default=200, help="NetFACS ran.trials in the null replicates (default 200)")
    args = p.parse_args(argv)
    why = netfacs_available()
    if why is not None:
        print(f"skipped: {why}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        r_dir, a_dir = Path(tmp) / "netfacs", Path(tmp) / "auknow"
        r_dir.mkdir()
        t_auknow = run_auknow(a_dir, args.n_boot, args.n_perm)
        t_r = run_netfacs(r_dir, args.ran_trials, args.specificity_seeds)
        t_r_total = float(pd.read_csv(r_dir / "netfacs_times.csv").set_index("emotion").seconds["total"])
        report(compare(a_dir, r_dir, args.alpha), match_rows(r_dir), t_auknow, t_r, t_r_total, args)
        if args.null_replicates > 1:
            null_calibration(Path(tmp), args.null_replicates, args.null_trials, args.n_perm, args.alpha)
    return 0


if __name__ == "__main__":
    sys.exit(main())
