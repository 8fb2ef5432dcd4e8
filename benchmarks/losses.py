"""Training-step cost of the prior losses on a small video backbone, side by side in one run.

Every variant shares the same backbone (a few 3D convolutions on ``[B, 3, T, H, W]``) and
optimizer (SGD); a step is ``zero_grad + forward + loss + backward + step``. Variants run
interleaved (round robin, rotating order) so that machine load hits them alike; the table
gives the median step time, the time added over plain cross-entropy (median of the per-round
differences) as a share of its step,
and, because step-time differences of a few percent drown in timing noise on a shared CPU, the
isolated cost of the heads + loss (forward + backward on fixed features, median of many runs),
which is what the prior losses really add.

    python benchmarks/losses.py                                   # CPU, small sizes (< 2 min)
    python benchmarks/losses.py --clock wall --threads 2          # CPU wall clock, all cores
    python benchmarks/losses.py --device cuda --batch 32 --frames 16 --size 112   # the GPU run

On CPU the default clock is the process's CPU time with one thread: on a shared machine other
jobs inflate wall-clock steps several-fold and at random, while CPU time measures the work.
"""

from __future__ import annotations

import argparse
import copy
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auknow.models.prior_head import PriorHead  # noqa: E402
from auknow.losses import au_weights_from_data, pos_weight_from_data  # noqa: E402

E, A = 7, 18


class VideoBackbone(nn.Module):
    """Three strided 3D convolutions: ``[B, 3, T, H, W] -> frame features [B, T, D]``."""

    def __init__(self, width: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv3d(3, width, 3, stride=(1, 2, 2), padding=1), nn.BatchNorm3d(width), nn.ReLU(inplace=True),
            nn.Conv3d(width, 2 * width, 3, stride=(1, 2, 2), padding=1), nn.BatchNorm3d(2 * width), nn.ReLU(inplace=True),
            nn.Conv3d(2 * width, 4 * width, 3, stride=(1, 2, 2), padding=1), nn.BatchNorm3d(4 * width),
            nn.ReLU(inplace=True),
        )
        self.dim = 4 * width

    def forward(self, x):
        return self.features(x).mean((3, 4)).transpose(1, 2)


class PlainCE(nn.Module):
    """The baseline: backbone, mean over time, ``Linear(D, E)``, ``F.cross_entropy``."""

    def __init__(self, backbone: VideoBackbone):
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(backbone.dim, E)

    def forward(self, x):
        return self.fc(self.backbone(x).mean(1))

    def loss(self, out, targets):
        return F.cross_entropy(out, targets[0])


def _variants(backbone: VideoBackbone, prior: torch.Tensor, pos_weight: torch.Tensor, au_weight: torch.Tensor):
    D = backbone.dim

    def head(**kw):
        return PriorHead(copy.deepcopy(backbone), D, prior, **kw)

    return {
        "plain CE": PlainCE(copy.deepcopy(backbone)),
        "AU-DFER: 0.75 CE + 0.25 AU loss": head(au_loss_weight=0.25, pos_weight=pos_weight),
        "CE + 0.1 IAL": head(au_loss_weight=0.0, ial_weight=0.1),
        "0.75 CE + 0.25 smooth AU": head(au_loss_weight=0.25, au_loss="smooth", au_weight=au_weight),
        "CE + 0.5 prior consistency": head(au_loss_weight=0.0, consistency_weight=0.5),
        "PriorHead, all terms": head(au_loss_weight=0.25, pos_weight=pos_weight, ial_weight=0.1, consistency_weight=0.5),
    }


def _isolated(m, feats, y, aus):
    """Pooling + heads + loss of variant ``m`` from fixed frame features."""
    if isinstance(m, PlainCE):
        return lambda: F.cross_entropy(m.fc(feats.mean(1)), y)

    def fn():
        f = feats.mean(1)
        return m.loss((m.expr_head(f), m.au_head(f) if m.au_head is not None else None), (y, aus))
    return fn


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _amp(device, amp):
    if amp == "none":
        return torch.autocast(device.type, enabled=False)
    return torch.autocast(device.type, dtype=torch.bfloat16 if amp == "bf16" else torch.float16)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--size", type=int, default=64, help="H = W")
    ap.add_argument("--width", type=int, default=32, help="channels of the first conv (D = 4 * width)")
    ap.add_argument("--repeats", type=int, default=15, help="timed steps per variant")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--loss-repeats", type=int, default=200, help="runs of the isolated heads + loss timing")
    ap.add_argument("--amp", choices=["none", "bf16", "fp16"], default="none")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch.set_num_threads (default: 1 with --clock cpu, else torch's default)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default=None,
                    help="'cpu' (default on CPU): this process's CPU time, single-threaded, so that other jobs on "
                         "a shared machine do not count; 'wall' (default on GPU): wall-clock time")
    ap.add_argument("--au-labels", choices=["all", "none"], default="all",
                    help="AU targets in the batch ('none': the DFER case, soft prior targets)")
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    if args.clock is None:
        args.clock = "cpu" if device.type == "cpu" else "wall"
    if args.threads is None and args.clock == "cpu":
        args.threads = 1
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.clock == "cpu" and device.type != "cpu":
        ap.error("--clock cpu measures host CPU time; use the wall clock on a GPU")
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.manual_seed(0)
    prior = torch.rand(E, A) * 0.9 + 0.05
    stats_aus = (torch.rand(512, A) < prior[torch.randint(0, E, (512,))]).float()
    stats_y = torch.randint(0, E, (512,))
    pos_weight = pos_weight_from_data(stats_aus, stats_y, strategy="distinct", num_expressions=E)
    au_weight = au_weights_from_data(stats_aus)
    backbone = VideoBackbone(args.width)
    variants = {k: m.to(device).train() for k, m in _variants(backbone, prior, pos_weight, au_weight).items()}
    opts = {k: torch.optim.SGD(m.parameters(), lr=1e-3, momentum=0.9) for k, m in variants.items()}

    x = torch.randn(args.batch, 3, args.frames, args.size, args.size, device=device)
    y = torch.randint(0, E, (args.batch,), device=device)
    aus = (torch.rand(args.batch, A, device=device) > 0.6).float() if args.au_labels == "all" else None

    def step(name):
        m, opt = variants[name], opts[name]
        opt.zero_grad(set_to_none=True)
        with _amp(device, args.amp):
            out = m(x)
            loss = m.loss(out, (y, aus))
        loss.backward()
        opt.step()

    names = list(variants)
    for _ in range(args.warmup):
        for n in names:
            step(n)
    times = {n: [] for n in names}
    for r in range(args.repeats):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            _sync(device)
            t0 = clock()
            step(n)
            _sync(device)
            times[n].append(clock() - t0)

    # isolated heads + loss: forward + backward from fixed frame features [B, T, D]
    feats = torch.randn(args.batch, args.frames, backbone.dim, device=device, requires_grad=True)
    iso = {}
    for n in names:
        m = variants[n]
        fn = _isolated(m, feats, y, aus)
        samples = []
        for i in range(args.loss_repeats + 10):
            _sync(device)
            t0 = clock()
            with _amp(device, args.amp):
                loss = fn()
            loss.backward()
            _sync(device)
            if i >= 10:
                samples.append(clock() - t0)
            feats.grad = None
        iso[n] = statistics.median(samples)

    med = {n: statistics.median(v) for n, v in times.items()}
    base, base_iso = med[names[0]], iso[names[0]]
    # paired: the difference to plain CE within each round, then the median (drift cancels)
    paired = {n: statistics.median(a - b for a, b in zip(times[n], times[names[0]])) for n in names}
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"
    print(f"device {device} ({dev_name}), torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"amp {args.amp}, clock {args.clock}; input [B={args.batch}, 3, T={args.frames}, {args.size}, {args.size}], D={backbone.dim}, "
          f"E={E}, A={A}, AU labels: {args.au_labels}; {args.repeats} interleaved steps per variant "
          f"(median), isolated heads+loss: median of {args.loss_repeats}")
    hdr = ("variant", "step ms", "added ms (paired)", "added %", "heads+loss ms", "isolated added ms", "isolated added %")
    rows = []
    for n in names:
        add = paired[n]
        iso_add = iso[n] - base_iso
        rows.append((n, f"{med[n] * 1e3:.2f}", "-" if n == names[0] else f"{add * 1e3:+.2f}",
                     "-" if n == names[0] else f"{100 * add / base:+.2f}", f"{iso[n] * 1e3:.3f}",
                     "-" if n == names[0] else f"{iso_add * 1e3:+.3f}",
                     "-" if n == names[0] else f"{100 * iso_add / base:+.2f}"))
    widths = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(len(hdr))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)  # noqa: E731
                                       for i, (c, w) in enumerate(zip(r, widths))) + " |"
    print(line(hdr))
    print("|" + "|".join(("-" * (w + 2)) if i == 0 else ("-" * (w + 1) + ":") for i, w in enumerate(widths)) + "|")
    for r in rows:
        print(line(r))
    spread = {n: (statistics.quantiles(v, n=4)[2] - statistics.quantiles(v, n=4)[0]) / statistics.median(v)
              for n, v in times.items()} if args.repeats >= 4 else {}
    if spread:
        print(f"step-time noise (interquartile range / median): {100 * min(spread.values()):.1f}% to "
              f"{100 * max(spread.values()):.1f}%; 'isolated added %' = (heads+loss - plain CE heads+loss) / plain CE step")
    worst = max((iso[n] - base_iso) / base for n in names[1:])
    print(f"largest isolated added cost: {100 * worst:.2f}% of the plain-CE step (goal < 2%): "
          f"{'OK' if worst < 0.02 else 'ABOVE GOAL'}")


if __name__ == "__main__":
    main()
