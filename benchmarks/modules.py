"""Forward + backward throughput of the AU relation GNN, side by side with ME-GraphAU's ANFL.

Settings: ME-GraphAU's BP4D setting (12 AUs, batch 64, 512-d node features, top-k = 4) and
OpenGraphAU's 41 AUs. One step is ``forward + sum + backward`` on node features
``x [B, A, D]`` (requires grad, as when a backbone sits below) to per-AU scores ``[B, A]``.

Variants (all with the ANFL layer ``X' = ReLU(X + BN_A(U X + sum_r Â_r V_r X))`` and the
prototype-similarity output):

* ``learned``: auknow's ``AURelationGNN(graph="learned")``: the same function as ANFL's graph
  part (``GNN`` + similarity classifier; equal outputs for equal weights, checked here);
* ``knowledge`` / ``both``: a fixed typed knowledge graph (co-occurrence + exclusive; a seeded
  synthetic graph with about 4 neighbours per AU, since the bench must not depend on compiled
  tables) / knowledge + learned. Each relation has its own V_r (R = 2 and 3 weight matrices
  against ANFL's 1, so more work); ``knowledge, signed`` shares V between co-occurrence and
  exclusive edges (R = 1, ANFL's work);
* ``ANFL (reference)``: ME-GraphAU's own ``model/ANFL.py`` ``GNN`` (metric "dots") with its
  similarity classifier, imported from a local copy of the public repository given by
  ``--reference PATH`` or ``$AUKNOW_MEGRAPHAU`` (the repository root, holding ``model/ANFL.py``).
  Its code is never part of auknow; without it the table says "reference not available".

With ``--full-head`` the AU feature generator is timed too: ``AUFeatureGenerator`` +
``AURelationGNN`` on a map ``[B, 512, 7, 7]`` against ANFL's ``Head`` (per-AU LinearBlocks,
mean over the 49 tokens, GNN, classifier) on the same map as tokens ``[B, 49, 512]``.

Variants run interleaved (round robin, rotating order) so that machine load hits them alike;
the table gives the median step time over ``--rounds`` rounds of ``--steps`` steps, throughput
in samples/s, and the reference's step time divided by ours (> 1: auknow is faster) at equal
output shape. On a shared CPU machine, ``--threads 1 --clock cpu`` (CPU time of the process)
is far less disturbed by other processes than wall time.

    python benchmarks/modules.py                                   # CPU, both settings
    python benchmarks/modules.py --reference /path/to/ME-GraphAU   # with the reference
    python benchmarks/modules.py --threads 1 --clock cpu           # a shared / loaded CPU box
    python benchmarks/modules.py --device cuda --full-head
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import sys
import time
import types
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auknow.models import AUFeatureGenerator, AURelationGNN  # noqa: E402

_REF_PKG = "_megraphau_reference"


def load_reference(path: str | None):
    """ME-GraphAU's ``model/ANFL.py`` as a module, or ``(None, why)``.

    The repository's ``model`` package imports its Swin / ResNet backbones (timm, torchvision);
    ANFL's graph part does not use them, so they are replaced by empty stand-ins.
    """
    if not path:
        return None, "no path (--reference or $AUKNOW_MEGRAPHAU)"
    model_dir = Path(path).expanduser() / "model"
    if not (model_dir / "ANFL.py").is_file():
        return None, f"{model_dir / 'ANFL.py'} not found"
    pkg = types.ModuleType(_REF_PKG)
    pkg.__path__ = [str(model_dir)]
    sys.modules[_REF_PKG] = pkg
    stubs = {"swin_transformer": ("swin_transformer_tiny", "swin_transformer_small", "swin_transformer_base"),
             "resnet": ("resnet18", "resnet50", "resnet101")}
    for name, attrs in stubs.items():
        stub = types.ModuleType(f"{_REF_PKG}.{name}")
        for attr in attrs:
            setattr(stub, attr, None)
        sys.modules[f"{_REF_PKG}.{name}"] = stub
    try:
        return importlib.import_module(f"{_REF_PKG}.ANFL"), ""
    except Exception as err:  # a broken copy must not stop the bench
        return None, f"import failed: {type(err).__name__}: {err}"


class RefGraph(nn.Module):
    """ANFL's graph part: the reference ``GNN`` then the cosine-to-ReLU(prototype) classifier
    (ME-GraphAU ``Head.forward`` after the AFG; the formula, written here)."""

    def __init__(self, anfl, num_aus: int, dim: int, k: int):
        super().__init__()
        self.gnn = anfl.GNN(dim, num_aus, neighbor_num=k, metric="dots")
        self.sc = nn.Parameter(torch.empty(num_aus, dim))
        nn.init.xavier_uniform_(self.sc)

    def forward(self, x):
        v = self.gnn(x)
        return (F.normalize(v, p=2, dim=-1) * F.normalize(F.relu(self.sc), p=2, dim=-1)).sum(-1)


class OursFullHead(nn.Module):
    """AUFeatureGenerator (attention pooling) + AURelationGNN(learned) on a map [B, C, H, W]."""

    def __init__(self, num_aus: int, dim: int, k: int):
        super().__init__()
        self.afg = AUFeatureGenerator(dim, num_aus, dim=dim)
        self.gnn = AURelationGNN(num_aus, dim, graph="learned", k=k)

    def forward(self, x):
        return self.gnn(self.afg(x))


class RefFullHead(nn.Module):
    """ANFL's ``Head`` on the map as tokens ``[B, H*W, C]``."""

    def __init__(self, anfl, num_aus: int, dim: int, k: int):
        super().__init__()
        self.head = anfl.Head(dim, num_aus, neighbor_num=k, metric="dots")

    def forward(self, x):
        return self.head(x.flatten(2).transpose(1, 2))


def synthetic_knowledge(num_aus: int, seed: int = 0):
    """A seeded typed graph: a ring of 2 neighbours each side (co-occurrence, symmetric, weights
    in (0.2, 1)) plus about num_aus / 4 exclusive pairs (both directions)."""
    g = torch.Generator().manual_seed(seed)
    src, dst, typ = [], [], []
    for i in range(num_aus):
        for off in (1, 2):
            j = (i + off) % num_aus
            src += [i, j]
            dst += [j, i]
            typ += [0, 0]
    perm = torch.randperm(num_aus, generator=g).tolist()
    for i in range(max(1, num_aus // 4)):
        a, b = perm[i], perm[-1 - i]
        src += [a, b]
        dst += [b, a]
        typ += [1, 1]
    weight = 0.2 + 0.8 * torch.rand(len(src), generator=g)
    return torch.tensor([src, dst]), weight, torch.tensor(typ)


def step_time(model: nn.Module, x: torch.Tensor, steps: int, device: torch.device, clock=time.perf_counter) -> float:
    t0 = clock()
    for _ in range(steps):
        x.grad = None
        model.zero_grad(set_to_none=True)
        model(x).sum().backward()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (clock() - t0) / steps


def check_equal(anfl, num_aus: int, dim: int, k: int, device: torch.device) -> float:
    """Max |ours - reference| of the scores with the reference's weights copied into ours."""
    torch.manual_seed(0)
    ref = RefGraph(anfl, num_aus, dim, k).to(device)
    ours = AURelationGNN(num_aus, dim, graph="learned", k=k).to(device)
    with torch.no_grad():
        layer = ours.layers[0]
        layer.lin_self.weight.copy_(ref.gnn.U.weight)
        layer.lin_self.bias.copy_(ref.gnn.U.bias)
        layer.lin_rel.weight.copy_(ref.gnn.V.weight)
        layer.lin_rel.bias.copy_(ref.gnn.V.bias)
        ours.prototypes.copy_(ref.sc)
    x = torch.randn(8, num_aus, dim, device=device)
    with torch.no_grad():
        return float((ours(x) - ref(x)).abs().max())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", default=os.environ.get("AUKNOW_MEGRAPHAU"),
                    help="root of a local ME-GraphAU checkout (default: $AUKNOW_MEGRAPHAU)")
    ap.add_argument("--aus", type=int, nargs="+", default=[12, 41], help="AU counts (default 12 41)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--k", type=int, default=4, help="top-k of the learned graph (ME-GraphAU BP4D: 4)")
    ap.add_argument("--steps", type=int, default=5, help="steps per round")
    ap.add_argument("--rounds", type=int, default=9, help="interleaved rounds (median reported)")
    ap.add_argument("--full-head", action="store_true", help="also time AU feature generator + GNN vs ANFL Head")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: elapsed time; cpu: CPU time of this process (all its threads), which other "
                         "processes on a shared machine disturb far less (CPU devices only)")
    args = ap.parse_args(argv)
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    anfl, why = load_reference(args.reference)
    if args.clock == "cpu" and device.type != "cpu":
        ap.error("--clock cpu measures CPU devices only")
    clock = time.perf_counter if args.clock == "wall" else time.process_time

    print(f"torch {torch.__version__}, {platform.machine()}, device {device}, threads {torch.get_num_threads()}, "
          f"batch {args.batch}, dim {args.dim}, k {args.k}, {args.rounds} rounds x {args.steps} steps (median), "
          f"{args.clock} clock")
    print("reference: " + ("ME-GraphAU ANFL from " + str(Path(args.reference).expanduser()) if anfl
                           else f"reference not available ({why})"))
    rows = []
    for a in args.aus:
        torch.manual_seed(0)
        variants = {
            "learned (= ANFL)": AURelationGNN(a, args.dim, graph="learned", k=args.k),
            "knowledge": AURelationGNN(a, args.dim, graph="knowledge", knowledge=synthetic_knowledge(a)),
            "knowledge, signed": AURelationGNN(a, args.dim, graph="knowledge", knowledge=synthetic_knowledge(a),
                                               exclusive="signed"),
            "both": AURelationGNN(a, args.dim, graph="both", knowledge=synthetic_knowledge(a), k=args.k),
        }
        inputs = {name: "nodes" for name in variants}
        if anfl is not None:
            variants["ANFL (reference)"] = RefGraph(anfl, a, args.dim, args.k)
            inputs["ANFL (reference)"] = "nodes"
        if args.full_head:
            variants["AFG + learned GNN"] = OursFullHead(a, args.dim, args.k)
            inputs["AFG + learned GNN"] = "map"
            if anfl is not None:
                variants["ANFL Head (reference)"] = RefFullHead(anfl, a, args.dim, args.k)
                inputs["ANFL Head (reference)"] = "map"
        x_nodes = torch.randn(args.batch, a, args.dim, device=device, requires_grad=True)
        x_map = torch.randn(args.batch, args.dim, 7, 7, device=device, requires_grad=True)
        xs = {"nodes": x_nodes, "map": x_map}
        for m in variants.values():
            m.to(device).train()
        names = list(variants)
        for name in names:  # warm-up
            step_time(variants[name], xs[inputs[name]], 2, device)
        times = {name: [] for name in names}
        for r in range(args.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                times[name].append(step_time(variants[name], xs[inputs[name]], args.steps, device, clock))
        med = {name: statistics.median(t) for name, t in times.items()}
        err = check_equal(anfl, a, args.dim, args.k, device) if anfl is not None else None
        for name in names:
            ref_name = "ANFL Head (reference)" if inputs[name] == "map" else "ANFL (reference)"
            ratio = med[ref_name] / med[name] if ref_name in med and "reference" not in name else None
            rows.append((a, name, "[B,C,7,7]" if inputs[name] == "map" else "[B,A,D]", med[name] * 1e3,
                         args.batch / med[name], ratio))
        if err is not None:
            print(f"A={a}: max |learned - ANFL| with copied weights = {err:.2e}")

    print()
    print("| AUs | variant | input | ms / step (fwd+bwd) | samples / s | reference ms / ours ms |")
    print("|---|---|---|---|---|---|")
    for a, name, inp, ms, sps, ratio in rows:
        r = f"{ratio:.2f}" if ratio is not None else ("-" if "reference" in name else "reference not available")
        print(f"| {a} | {name} | {inp} | {ms:.2f} | {sps:.0f} | {r} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
