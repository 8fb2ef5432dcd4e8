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
out <- args[1]; trials <- as.integer(args[2])
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
write.csv(data.frame(emotion = c(names(times), "total"), seconds = c(unname(times), total)),
          file.path(out, "netfacs_times.csv"), row.names = FALSE)
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


def run_netfacs(out: Path, trials: int) -> float:
    """Run the R side; returns the wall time (s) of the Rscript process."""
    script = out / "netfacs_ckplus.R"
    script.write_text(R_SCRIPT)
    start = time.perf_counter()
    subprocess.run(["Rscript", str(script), str(out), str(trials)], check=True, env=_r_env(),
                   capture_output=True, text=True)
    return time.perf_counter() - start


def run_auknow(out: Path, n_boot: int, n_perm: int) -> float:
    """``auknow estimate-prior`` on the bundled CK+ in a fresh process; returns its wall time (s)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "auknow", "estimate-prior", "--out", str(out), "--n-boot", str(n_boot),
                    "--n-perm", str(n_perm), "--quiet", "--force"], check=True, capture_output=True, text=True)
    return time.perf_counter() - start


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
    print(f"| significant, positive | p < {args.alpha} one-sided: {len(nf)} cells | q < {args.alpha}: {len(aq)}; "
          f"p < {args.alpha}: {len(ap)} | both (q): {len(nf & aq)}; Jaccard q {len(nf & aq) / max(1, len(nf | aq)):.2f}, "
          f"p {len(nf & ap) / max(1, len(nf | ap)):.2f} |")
    print(f"| P(j \\| i), all frames, {c['pairs']} pairs with a co-occurrence | `probability_BgivenA` (2 decimals) | "
          f"`p_j_given_i` (relations.csv) | max \\|diff\\| {c['cond_diff']:.2g} |")
    print(f"| wall time (fresh process) | {t_r:.1f} s (7 x netfacs: {t_r_total:.1f} s) | {t_auknow:.2f} s | "
          f"NetFACS / auknow = {t_r / t_auknow:.0f}x (stand-ins: NetFACS ~1.3-1.5x slower than with the real "
          "Rfast / arrangements) |")
    print()
    print("cells: expression AU (count / sequences of the expression, NetFACS p, auknow q)")
    print(f"significant only in NetFACS (p < {args.alpha}, one-sided): {_fmt_set(nf - aq, c['detail'])}")
    print(f"significant only in auknow (q < {args.alpha}): {_fmt_set(aq - nf, c['detail'])}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ran-trials", type=int, default=1000, help="NetFACS ran.trials per emotion (default 1000)")
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--n-perm", type=int, default=1000)
    p.add_argument("--alpha", type=float, default=0.05)
    args = p.parse_args(argv)
    why = netfacs_available()
    if why is not None:
        print(f"skipped: {why}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        r_dir, a_dir = Path(tmp) / "netfacs", Path(tmp) / "auknow"
        r_dir.mkdir()
        t_auknow = run_auknow(a_dir, args.n_boot, args.n_perm)
        t_r = run_netfacs(r_dir, args.ran_trials)
        t_r_total = float(pd.read_csv(r_dir / "netfacs_times.csv").set_index("emotion").seconds["total"])
        report(compare(a_dir, r_dir, args.alpha), match_rows(r_dir), t_auknow, t_r, t_r_total, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
