"""Benchmark `auknow audit`: every bundled expression table on the bundled CK+ codes.

Times, side by side in one run (median of ``--repeats``; wall clock and this process's CPU time,
because the machine may be shared): reading CK+, scoring the 13 tables with their deranged lower
references, the upper references and noise ceiling, the disagreement rules, and the whole command
with every output written (a fresh process; includes interpreter start and imports). The goal is
under 5 s for the scoring with 1,000 bootstrap draws.

    OPENBLAS_NUM_THREADS=1 python benchmarks/audit.py [--repeats 3] [--n-boot 1000]

(one BLAS thread: on a shared 2-core machine, spinning BLAS threads only add CPU time.)
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from auknow.audit import audit, units_from_frames
from auknow.audit.disagreements import disagreements
from auknow.library import list_bundled
from auknow.readers import bundled_ckplus_path, read_ckplus


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n-boot", type=int, default=1000)
    args = ap.parse_args()
    tables = [t for _, t in list_bundled() if t.kind in ("prototype", "quantified")]
    rows: dict[str, list[tuple[float, float]]] = {}
    for _ in range(args.repeats):
        frames, *t = _timed(lambda: read_ckplus(bundled_ckplus_path()))
        rows.setdefault("read CK+ (327 sequences)", []).append(t)
        units = units_from_frames(frames)
        _, *t = _timed(lambda: audit(tables, units, n_boot=args.n_boot, references=False))
        rows.setdefault(f"score {len(tables)} tables + deranged references", []).append(t)
        result, *t = _timed(lambda: audit(tables, units, n_boot=args.n_boot))
        rows.setdefault("... and the upper references + noise ceiling", []).append(t)
        _, *t = _timed(lambda: disagreements(result))
        rows.setdefault("disagreements", []).append(t)
        with tempfile.TemporaryDirectory() as tmp:
            w, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([sys.executable, "-m", "auknow", "audit", "--n-boot", str(args.n_boot), "--quiet",
                            "--out", str(Path(tmp) / "out")], check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            rows.setdefault("auknow audit --out (fresh process, all outputs)", []).append(
                (time.perf_counter() - w, cpu))
    print(f"auknow audit benchmark: {len(tables)} bundled tables on CK+, {args.n_boot} bootstrap draws, "
          f"median of {args.repeats}")
    print(f"| {'stage':<52} | {'wall s':>7} | {'CPU s':>7} |")
    print(f"|{'-' * 54}|{'-' * 9}|{'-' * 9}|")
    for name, vals in rows.items():
        wall = statistics.median(v[0] for v in vals)
        cpu = statistics.median(v[1] for v in vals)
        print(f"| {name:<52} | {wall:7.2f} | {cpu:7.2f} |")


if __name__ == "__main__":
    main()
