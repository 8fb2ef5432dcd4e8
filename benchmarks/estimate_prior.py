"""Benchmark `auknow estimate-prior` on a BP4D-scale tree written in the BP4D layout.

Writes 41 subjects x 8 tasks = 328 AU_OCC files, 146,847 frames, 12 coded AUs (the fixture
writer of the tests, with BP4D's real per-task sequence lengths), then times, side by side in one
run: reading, statistics (``--n-boot 1000 --n-perm 1000``), the whole command end to end in a
fresh process, and that process's peak memory. Prints a table (median of ``--repeats``).

    python benchmarks/estimate_prior.py [--repeats 3] [--n-boot 1000] [--n-perm 1000]
    python benchmarks/estimate_prior.py --scaling [--with-100x]

``--scaling`` writes the tree at 1x and 10x the frames (100x, an 838 MB tree, only with
``--with-100x``) and prints, per scale, wall time, CPU time and peak RSS of a fresh process for
the CLI (which streams BP4D files to counts), for ``count_bp4d`` + ``estimate_prior`` and for
the all-frames path (``read_bp4d`` then ``estimate_prior`` on the frames; not at 100x, where it
needs ~11 GB).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the BP4D-layout fixture writer lives with the tests

from fixtures import BP4D_SUBJECTS, BP4D_TOTAL_FRAMES, write_bp4d  # noqa: E402

from auknow.estimate.prior import estimate_prior  # noqa: E402
from auknow.readers.bp4d import read_bp4d  # noqa: E402


def _end_to_end(root: Path, out: Path, n_boot: int, n_perm: int) -> tuple[float, float]:
    """Wall time (s) and peak RSS (MiB) of the CLI in a fresh Python process."""
    code = ("import resource, sys, time; t = time.perf_counter(); from auknow.cli import main; "
            f"rc = main(['estimate-prior', '--dataset', 'bp4d', {str(root)!r}, '--out', {str(out)!r}, "
            f"'--n-boot', '{n_boot}', '--n-perm', '{n_perm}', '--quiet', '--force']); "
            "hwm = next(int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM')); "
            "print(time.perf_counter() - t, hwm); sys.exit(rc)")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start  # includes interpreter start and imports
    _, maxrss_kib = done.stdout.split()
    return wall, float(maxrss_kib) / 1024


def _child(code: str) -> tuple[float, float, float]:
    """Wall (s), CPU (user + sys, s) and peak RSS (MiB) of ``code`` run in a fresh process."""
    # Peak RSS from /proc/self/status VmHWM: getrusage's ru_maxrss survives exec on Linux and so
    # reports the parent's peak (this script holds the tree it wrote) when that is higher.
    code = ("import resource, sys, time; t = time.perf_counter()\n" + code +
            "\nu = resource.getrusage(resource.RUSAGE_SELF)\n"
            "hwm = next(int(x.split()[1]) for x in open('/proc/self/status') if x.startswith('VmHWM'))\n"
            "print(time.perf_counter() - t, u.ru_utime + u.ru_stime, hwm)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall, cpu, rss = done.stdout.split()[-3:]
    return float(wall), float(cpu), float(rss) / 1024


def scaling(args) -> None:
    """The memory / time table at 1x, 10x (and 100x) BP4D's frames."""
    scales = (1, 10, 100) if args.with_100x else (1, 10)
    print(f"--n-boot {args.n_boot} --n-perm {args.n_perm}; one run per cell (fresh process each)")
    print()
    print("| frames | CSV | path | wall s | CPU s | peak RSS |")
    print("|---|---|---|---|---|---|")
    for scale in scales:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "BP4D"
            write_bp4d(root, subjects=BP4D_SUBJECTS, total_frames=BP4D_TOTAL_FRAMES * scale, length_scale=1.0,
                       drop_files=0, intensity=False, extra_au27=False)
            size = sum(p.stat().st_size for p in root.rglob("*.csv")) / 1e6
            out = Path(tmp) / "out"
            cli = (f"from auknow.cli import main; rc = main(['estimate-prior', '--dataset', 'bp4d', {str(root)!r}, "
                   f"'--out', {str(out)!r}, '--n-boot', '{args.n_boot}', '--n-perm', '{args.n_perm}', '--quiet', "
                   "'--force'])")
            frames = ("from auknow.readers.bp4d import read_bp4d; from auknow.estimate.prior import estimate_prior; "
                      f"estimate_prior(read_bp4d({str(root)!r}), n_boot={args.n_boot}, n_perm={args.n_perm})")
            counts = ("from auknow.estimate.stream import count_bp4d; from auknow.estimate.prior import estimate_prior; "
                      f"estimate_prior(count_bp4d({str(root)!r})[0], n_boot={args.n_boot}, n_perm={args.n_perm})")
            paths = (("CLI end to end (streams to counts, writes outputs)", cli),
                     ("count_bp4d + estimate_prior (streamed)", counts),
                     ("read_bp4d + estimate_prior (all frames, as before)", frames))
            if scale >= 100:  # the all-frames path needs ~11 GB at 100x (the measurement)
                paths = paths[:2]
            for label, code in paths:
                wall, cpu, rss = _child(code)
                print(f"| {BP4D_TOTAL_FRAMES * scale:,} ({scale}x) | {size:.0f} MB | {label} | {wall:.1f} | "
                      f"{cpu:.1f} | {rss:.0f} MiB |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--n-perm", type=int, default=1000)
    parser.add_argument("--scaling", action="store_true", help="time and peak RSS at 1x and 10x the frames")
    parser.add_argument("--with-100x", action="store_true", help="with --scaling: also 100x (838 MB of CSV)")
    args = parser.parse_args()
    if args.scaling:
        scaling(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "BP4D"
        t = time.perf_counter()
        write_bp4d(root, subjects=BP4D_SUBJECTS, total_frames=BP4D_TOTAL_FRAMES, length_scale=1.0, drop_files=0,
                   intensity=False, extra_au27=False)
        write_s = time.perf_counter() - t
        read_t, stat_t, e2e_t, rss = [], [], [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            frames = read_bp4d(root)
            read_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            estimate_prior(frames, n_boot=args.n_boot, n_perm=args.n_perm, seed=0)
            stat_t.append(time.perf_counter() - t)
            wall, mem = _end_to_end(root, Path(tmp) / "out", args.n_boot, args.n_perm)
            e2e_t.append(wall)
            rss.append(mem)
    med = statistics.median
    print(f"BP4D-scale tree: {len(frames.subjects)} subjects, {len(set(frames.sequence.tolist()))} sequences, "
          f"{len(frames)} frames, {len(frames.aus)} AUs (written in {write_s:.1f} s)")
    print(f"--n-boot {args.n_boot} --n-perm {args.n_perm}, median of {args.repeats} runs")
    print()
    print("| step | median | min | goal |")
    print("|---|---|---|---|")
    print(f"| reading (read_bp4d) | {med(read_t):.2f} | {min(read_t):.2f} | |")
    print(f"| statistics (estimate_prior) | {med(stat_t):.2f} | {min(stat_t):.2f} | < 1 s |")
    print(f"| end to end (fresh process, CLI, writing outputs) | {med(e2e_t):.2f} | {min(e2e_t):.2f} | < 10 s |")
    print(f"| peak memory of the end-to-end process | {med(rss):.0f} MiB | {min(rss):.0f} MiB | < 2048 MiB |")


if __name__ == "__main__":
    main()
