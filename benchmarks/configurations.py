"""Benchmark and NetFACS comparison of ``estimate-prior --configurations`` on the bundled CK+ codes.

    python benchmarks/configurations.py [--repeats 3]          # timing table
    python benchmarks/configurations.py --netfacs [--rlib /work/rlib] [--ran-trials 200]

The timing table gives, per ``--max-size``, the configurations tested and the wall time of the
search alone (``n_boot = n_perm = 0``) and the wall and CPU time (user + system, all threads) of
the whole estimate (``--n-boot 1000 --n-perm 1000``), median over ``--repeats``, in this process.

``--netfacs`` runs NetFACS 0.5.1 (``netfacs(data, condition, test.condition = e,
combination.size = 3)``, each expression against all others; R and the package in ``--rlib``) on
the same units through ``benchmarks/configurations_netfacs.R``, and prints, for every size-2 and
size-3 combination that both report with support >= 5 in an expression, the largest difference of
P(config | e) (NetFACS's ``observed.prob``, rounded by NetFACS to 3 decimals), and how the
significance calls agree (NetFACS: its bootstrap upper-tail p < 0.05 per combination, no
multiple-comparison correction; auknow: q < 0.05 over all tested and lift > 1).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from auknow.estimate.configurations import estimate_configurations, facs_code
from auknow.readers import bundled_ckplus_path, read_ckplus

HERE = Path(__file__).resolve().parent


def timing(repeats: int) -> None:
    frames = read_ckplus(bundled_ckplus_path())
    print("| --max-size | configurations | cells tested | search s | whole estimate: wall s | CPU s |")
    print("|---|---|---|---|---|---|")
    for size in (2, 3, 4, 6):
        search, whole, cpu = [], [], []
        for _ in range(repeats):
            t = time.perf_counter()
            est = estimate_configurations(frames, max_size=size, n_boot=0, n_perm=0)
            search.append(time.perf_counter() - t)
            t, c = time.perf_counter(), time.process_time()
            estimate_configurations(frames, max_size=size, n_boot=1000, n_perm=1000)
            whole.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        print(f"| {size} | {est.settings['n_configurations']} | {est.settings['n_tested']} | "
              f"{statistics.median(search):.3f} | {statistics.median(whole):.2f} | {statistics.median(cpu):.2f} |")


def netfacs(rlib: str, ran_trials: int, min_support: int = 5) -> None:
    import pandas as pd

    if shutil.which("Rscript") is None or not (Path(rlib) / "NetFACS").is_dir():
        sys.exit(f"needs Rscript and NetFACS installed in {rlib}")
    frames = read_ckplus(bundled_ckplus_path()).drop_uncoded_aus()
    est = estimate_configurations(frames, max_size=3, min_support=min_support, n_boot=1000, n_perm=1000)
    with tempfile.TemporaryDirectory() as tmp:
        units = pd.DataFrame(frames.occurrence, columns=list(frames.aus))
        units["expression"] = frames.expression
        units.to_csv(f"{tmp}/units.csv", index=False)
        env = {**os.environ, "R_LIBS": rlib}
        t = time.perf_counter()
        subprocess.run(["Rscript", str(HERE / "configurations_netfacs.R"), f"{tmp}/units.csv", f"{tmp}/nf.csv", "3",
                        str(ran_trials)], check=True, env=env, capture_output=True)
        r_seconds = time.perf_counter() - t
        nf = pd.read_csv(f"{tmp}/nf.csv")
    nf["configuration"] = nf.combination.map(lambda s: facs_code(tuple(s.split("_"))))
    nf = nf.set_index(["expression", "configuration"])
    rows = []
    for e, expr in enumerate(est.expressions):
        for c in np.flatnonzero(est.tested[e]):
            size = len(est.configurations[c])
            key = (expr, facs_code(est.configurations[c]))
            if size < 2 or key not in nf.index:
                continue
            r = nf.loc[key]
            rows.append((expr, key[1], size, int(est.support[e, c]), int(r["count"]), est.p_given_expression[e, c],
                         float(r["observed.prob"]), bool(est.significant()[e, c]), float(r["pvalue"]) < 0.05))
    df = pd.DataFrame(rows, columns=["expression", "configuration", "size", "support", "netfacs_count", "p_auknow",
                                     "p_netfacs", "sig_auknow", "sig_netfacs"])
    only_nf = [k for k, r in nf.iterrows() if r["combination.size"] >= 2 and r["count"] >= min_support
               and not ((df.expression == k[0]) & (df.configuration == k[1])).any()]
    print(f"NetFACS 0.5.1, ran.trials {ran_trials}: {r_seconds:.0f} s; auknow (1000 boot, 1000 perm, sizes <= 3): "
          f"{est.settings['n_tested']} cells tested")
    print(f"size-2/3 combinations with support >= {min_support} in both: {len(df)}; reported by NetFACS only: "
          f"{len(only_nf)}; counts equal: {(df.support == df.netfacs_count).all()}; "
          f"max |P_auknow - P_netfacs| = {np.abs(df.p_auknow - df.p_netfacs).max():.4f}")
    both = pd.crosstab(df.sig_auknow, df.sig_netfacs, rownames=["auknow q<.05"], colnames=["NetFACS p<.05"])
    print(both.to_string())
    print("\n| expression | configuration | support | P auknow | P NetFACS | auknow q<.05 | NetFACS p<.05 |")
    print("|---|---|---|---|---|---|---|")
    for expr, g in df[df["size"] == 3].groupby("expression", sort=False):
        for _, r in g.sort_values("p_auknow", ascending=False).head(3).iterrows():
            print(f"| {expr} | {r.configuration} | {r.support} | {r.p_auknow:.3f} | {r.p_netfacs:.3f} | "
                  f"{'yes' if r.sig_auknow else 'no'} | {'yes' if r.sig_netfacs else 'no'} |")
    print("\ndisagreements (significant in one only):")
    for _, r in df[df.sig_auknow != df.sig_netfacs].iterrows():
        print(f"  {r.expression} {r.configuration}: P {r.p_auknow:.3f}, auknow {'yes' if r.sig_auknow else 'no'}, "
              f"NetFACS {'yes' if r.sig_netfacs else 'no'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--netfacs", action="store_true", help="compare with NetFACS (needs R)")
    ap.add_argument("--rlib", default=os.environ.get("R_LIBS", "/work/rlib"))
    ap.add_argument("--ran-trials", type=int, default=200)
    args = ap.parse_args()
    if args.netfacs:
        netfacs(args.rlib, args.ran_trials)
    else:
        timing(args.repeats)


if __name__ == "__main__":
    main()
