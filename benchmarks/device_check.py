"""Every model and loss on CUDA: agreement with CPU, autocast, and forward + backward time.

    python benchmarks/device_check.py [--batch 32] [--repeats 20]

Prints one row per module: max |CUDA - CPU| of the float32 output (same weights, same input),
whether fp16 and bf16 autocast outputs and gradients are finite, and the median forward +
backward time on the GPU. Without CUDA it prints "no CUDA" and exits 0 (nothing to check).
The table of a run on a lent GPU machine is in docs/modules.md.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch

import auknow
from auknow.compile import au_graph, compile_matrix


def cases(batch: int):
    """name -> (module factory, input factory, output -> scalar for backward)."""
    A, D, C, H, W, E, T = 12, 64, 32, 7, 7, 7, 8
    prior = compile_matrix("au_dfer", "quantified", expressions="dfew", aus="openface_c", fill="zero")
    A_of = len(prior.aus)
    graph = au_graph("fig2002", aus="bp4d")
    out = {
        "AUFeatureGenerator (region masks)": (
            lambda: auknow.AUFeatureGenerator(C, "bp4d", dim=D, mask="region"),
            lambda: (torch.randn(batch, C, H, W),)),
        "AUFeatureGenerator (frames, attention)": (
            lambda: auknow.AUFeatureGenerator(C, "bp4d", dim=D, temporal="attention"),
            lambda: (torch.randn(batch, T, C, H, W),)),
        "AURelationGNN (knowledge)": (
            lambda: auknow.AURelationGNN("bp4d", D, knowledge=graph, head="linear"),
            lambda: (torch.randn(batch, A, D),)),
        "AURelationGNN (both, signed)": (
            lambda: auknow.AURelationGNN("bp4d", D, graph="both", knowledge=graph, exclusive="signed", k=4),
            lambda: (torch.randn(batch, A, D),)),
        "AURelationGNN (learned, ANFL)": (
            lambda: auknow.AURelationGNN("bp4d", D, k=4),
            lambda: (torch.randn(batch, A, D),)),
        "GCABlock": (lambda: auknow.GCABlock(C, C), lambda: (torch.randn(batch, C, 14, 14),)),
        "ExpressionAUGate": (lambda: auknow.ExpressionAUGate(D, D, A),
                             lambda: (torch.randn(batch, D), torch.randn(batch, A, D))),
        "AULoss": (lambda: auknow.AULoss(prior, scale=1.0),
                   lambda: (torch.randn(batch, A_of), torch.randint(0, 2, (batch, A_of)).float(),
                            torch.randint(0, E, (batch,)))),
        "AUDFERLoss": (lambda: auknow.AUDFERLoss(prior, scale=1.0),
                       lambda: (torch.randn(batch, E), torch.randn(batch, A_of), torch.randint(0, E, (batch,)),
                                torch.randint(0, 2, (batch, A_of)).float())),
        "IntensityAwareLoss": (lambda: auknow.IntensityAwareLoss(),
                               lambda: (torch.randn(batch, E), torch.randint(0, E, (batch,)))),
        "SmoothWeightedLoss": (lambda: auknow.SmoothWeightedLoss(torch.ones(A), label_smoothing=0.1),
                               lambda: (torch.randn(batch, A), torch.randint(0, 2, (batch, A)).float())),
        "PriorConsistencyLoss": (lambda: auknow.PriorConsistencyLoss(prior.values.clip(0, 1)),
                                 lambda: (torch.randn(batch, E), torch.randn(batch, A_of))),
    }
    return out


def _scalar(y) -> torch.Tensor:
    if isinstance(y, tuple):
        y = y[0]
    return y.float().square().mean() if y.dim() else y.float()


def _run(module, inputs, device, dtype=None):
    module = module.to(device)
    xs = [x.to(device).requires_grad_(True) if x.is_floating_point() and i == 0 else x.to(device)
          for i, x in enumerate(inputs)]
    if dtype is None:
        y = module(*xs)
    else:
        with torch.autocast(device_type=device.type, dtype=dtype):
            y = module(*xs)
    loss = _scalar(y)
    loss.backward()
    grad = xs[0].grad if xs[0].grad is not None else torch.zeros(1)
    out = y[0] if isinstance(y, tuple) else y
    return out.detach(), grad


def _time(module, inputs, device, repeats: int) -> float:
    module = module.to(device)
    xs = [x.to(device) for x in inputs]
    times = []
    for i in range(repeats + 3):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        y = module(*xs)
        _scalar(y).backward()
        torch.cuda.synchronize()
        if i >= 3:  # warm-up
            times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--cpu-smoke", action="store_true", help="run every case once on CPU (no CUDA needed)")
    args = ap.parse_args(argv)
    if args.cpu_smoke:
        for name, (make, inputs_of) in cases(4).items():
            y, g = _run(make(), inputs_of(), torch.device("cpu"))
            print(f"{name}: output {tuple(y.shape)}, finite {bool(torch.isfinite(y).all() and torch.isfinite(g).all())}")
        return 0
    if not torch.cuda.is_available():
        print("no CUDA: nothing to check (run this on a machine with a GPU)")
        return 0
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    print(f"device: {torch.cuda.get_device_name(0)}; torch {torch.__version__}; batch {args.batch}")
    print(f"| module | max abs diff CUDA vs CPU (fp32) | fp16 autocast finite | bf16 autocast finite | fwd+bwd ms |")
    print("|---|---|---|---|---|")
    failed = 0
    for name, (make, inputs_of) in cases(args.batch).items():
        torch.manual_seed(0)
        module = make().eval() if "Loss" not in name else make()
        inputs = inputs_of()
        ref, _ = _run(copy.deepcopy(module).cpu(), inputs, cpu)
        got, _ = _run(copy.deepcopy(module), inputs, cuda)
        diff = float((got.cpu().float() - ref.float()).abs().max())
        finite = {}
        for dt in (torch.float16, torch.bfloat16):
            y, g = _run(copy.deepcopy(module), inputs, cuda, dt)
            finite[dt] = bool(torch.isfinite(y).all() and torch.isfinite(g).all())
        ms = _time(copy.deepcopy(module).train(), inputs, cuda, args.repeats)
        ok = diff < 1e-3 and all(finite.values())
        failed += not ok
        print(f"| {name} | {diff:.2e} | {finite[torch.float16]} | {finite[torch.bfloat16]} | {ms:.2f} |")
    print(f"{failed} module(s) failed (tolerance 1e-3, finite under autocast)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
