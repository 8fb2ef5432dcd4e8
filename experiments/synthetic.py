"""Controlled benchmark: does AU knowledge help a small video backbone? (synthetic data, CPU).

Run (writes ``docs/results.md``; 14 minutes measured on 2 CPU cores, 12 arms x 5 seeds)::

    python -m experiments.synthetic --preset dfew-imbalance

``--quick`` runs a tiny version in seconds (tests); ``--out`` writes elsewhere; ``--arms``,
``--seeds``, ``--epochs``, ``--n-train`` ... override the defaults. Every arm of
:data:`experiments.training.ARMS` is trained on the same clips, with the same initialisation,
batch order, epochs and schedule for a given seed (paired design), and evaluated once, after
the last epoch, on clips of held-out subjects (no model selection on the test set).
Design, defaults and how to read the table: ``docs/experiments.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import functools
import json
import os
import platform
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .metrics import au_f1, classification_metrics, format_ci, mean_ci, paired_diff_ci
from .training import ARMS, Arm

__all__ = ["BenchmarkConfig", "prepare", "run_arm", "run_benchmark", "summarise", "render_markdown", "main"]

REPO = Path(__file__).resolve().parent.parent


@dataclass
class BenchmarkConfig:
    """Settings of the synthetic benchmark (defaults = the reported run).

    Attributes:
        preset: generator preset (class frequencies, labels, AU set), ``dfew-imbalance``.
        table: knowledge table(s) the generator draws AUs from (comma list).
        model_table: table(s) the model's prior comes from (default: ``table``, i.e. correct
            knowledge; another source tests approximately correct knowledge).
        graph_table: prototype / relation table(s) of the knowledge AU graph.
        prior_floor, prior_ceil: a binary model prior is read as ``floor + (ceil - floor) * M``
            (quantified priors are used as they are).
        n_train, n_test: clips; num_frames, image_size: clip size; num_subjects: subjects in
            the world (1/3 held out for testing).
        noise_std: pixel noise of the generator.
        epochs, batch_size, lr, weight_decay: training (identical for every arm).
        width, dim, au_dim: backbone width, clip feature size, per-AU feature size.
        seeds: seeds (each: a new world, data and initialisation).
        arms: arm names (see :data:`experiments.training.ARMS`).
        workers: processes (one torch thread each).
    """

    preset: str = "dfew-imbalance"
    table: str = "du2014"
    model_table: str | None = None
    graph_table: str = "du2014"
    prior_floor: float = 0.1
    prior_ceil: float = 0.9
    n_train: int = 3000
    n_test: int = 3000
    num_frames: int = 8
    image_size: int = 16
    num_subjects: int = 90
    noise_std: float = 0.2
    epochs: int = 8
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    width: int = 16
    dim: int = 64
    au_dim: int = 16
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    arms: tuple[str, ...] = tuple(ARMS)
    workers: int = 2

    @classmethod
    def quick(cls, **overrides) -> "BenchmarkConfig":
        """A tiny configuration that runs in seconds (tests, smoke runs)."""
        base = dict(n_train=160, n_test=120, num_frames=4, image_size=12, num_subjects=12, epochs=1, batch_size=32,
                    width=4, dim=16, au_dim=4, seeds=(0, 1), workers=1)
        base.update(overrides)
        return cls(**base)

    def key(self) -> str:
        """A stable JSON form (cache key, provenance)."""
        return json.dumps(asdict(self), sort_keys=True)


# ----------------------------------------------------------------------------------------------
# data and knowledge of one seed
# ----------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=2)
def _prepared(key: str, seed: int) -> dict:
    return _prepare(BenchmarkConfig(**_from_json(key)), seed)


def _from_json(key: str) -> dict:
    d = json.loads(key)
    d["seeds"], d["arms"] = tuple(d["seeds"]), tuple(d["arms"])
    return d


def prepare(cfg: BenchmarkConfig, seed: int) -> dict:
    """Data, priors and graphs of one seed (cached per process).

    Returns a dict: ``train`` / ``test`` (:class:`experiments.synthetic_world.SyntheticClips`), ``prior``
    and ``prior_wrong`` (float32 ``[E, A]`` model priors; wrong = rows deranged), ``row_perm``,
    ``graph`` / ``graph_wrong`` (``to_pyg`` triples; wrong = AU labels deranged),
    ``pos_weight`` ``[A]`` (AU-DFER ``global`` from the training targets), ``generator``
    (settings dict).
    """
    return _prepared(cfg.key(), int(seed))


def _prepare(cfg: BenchmarkConfig, seed: int) -> dict:
    import torch

    from auknow.compile import au_graph, to_pyg
    from auknow.losses import pos_weight_from_data
    from experiments.synthetic_world import resolve_prior, shuffle_prior_rows, train_test

    train, test, gen = train_test(cfg.n_train, cfg.n_test, seed=seed, prior=_tables(cfg.table), preset=cfg.preset,
                                  num_frames=cfg.num_frames, image_size=cfg.image_size,
                                  num_subjects=cfg.num_subjects, noise_std=cfg.noise_std, render="images")
    _, _, _, info = resolve_prior(_tables(cfg.model_table or cfg.table), gen.expressions, gen.aus)
    M = info["matrix"]
    if info["mode"] == "binary":
        M = cfg.prior_floor + (cfg.prior_ceil - cfg.prior_floor) * M
    wrong, perm = shuffle_prior_rows(M, seed=seed)
    g = au_graph(_tables(cfg.graph_table), aus=gen.aus)
    ei, ew, et = to_pyg(g, aus=gen.aus, kinds=["co-occurrence", "exclusive"])
    A = len(gen.aus)
    rng = np.random.default_rng(seed + 7)
    while True:  # AU derangement for the wrong graph
        aperm = rng.permutation(A)
        if not np.any(aperm == np.arange(A)):
            break
    ei_wrong = torch.as_tensor(aperm)[ei]
    pw = pos_weight_from_data(torch.as_tensor(train.au_targets), strategy="global")
    return {"train": train, "test": test, "prior": M.astype(np.float32), "prior_wrong": wrong.astype(np.float32),
            "row_perm": perm.tolist(), "graph": (ei, ew, et), "graph_wrong": (ei_wrong, ew, et), "pos_weight": pw,
            "generator": gen.settings()}


def _tables(spec: str | None):
    if spec is None:
        return None
    parts = [p.strip() for p in str(spec).split(",") if p.strip()]
    return parts[0] if len(parts) == 1 else parts


# ----------------------------------------------------------------------------------------------
# one run
# ----------------------------------------------------------------------------------------------

def build(cfg: BenchmarkConfig, arm: Arm, data: dict, seed: int):
    """``(model, loss_fn)`` of an arm for one seed (model initialised from ``seed``)."""
    import torch

    from auknow.models.prior_head import PriorHead
    from auknow.losses import AULoss

    from .models import AUGraphModel, VideoBackbone
    from .training import ce_au_loss

    E, A = len(data["train"].expressions), len(data["train"].aus)
    prior = data["prior_wrong"] if arm.prior == "wrong" else data["prior"]
    torch.manual_seed(seed)
    backbone = VideoBackbone(1, cfg.image_size, cfg.width, 4, cfg.dim)
    if arm.model == "head":
        cw = None
        if arm.class_weighted:
            from auknow.losses import class_counts, effective_number_weights

            cw = effective_number_weights(class_counts(torch.as_tensor(data["train"].labels), E), beta=0.999)
        model = PriorHead(backbone, cfg.dim, torch.as_tensor(prior) if arm.prior else None, num_expressions=E,
                          num_aus=A, pooling="mean", au_loss_weight=arm.alpha, pos_weight=data["pos_weight"],
                          ial_weight=arm.ial_weight, consistency_weight=arm.consistency_weight, class_weight=cw)

        def loss_fn(out, batch):
            tgt = {"expression": batch["expression"]}
            if arm.au_labels:
                tgt["aus"] = batch["aus"]
            return model.loss(out, tgt)

        return model, loss_fn
    graph = data["graph_wrong"] if arm.graph == "wrong" else data["graph"]
    model = AUGraphModel(backbone, list(data["train"].aus), E, au_dim=cfg.au_dim, gnn=arm.gnn, graph="knowledge",
                         knowledge=graph if arm.gnn else None, mask="region")
    crit = AULoss(torch.as_tensor(prior), pos_weight=data["pos_weight"]) if arm.alpha > 0 else None
    return model, ce_au_loss(arm.alpha, crit)


def run_arm(cfg: BenchmarkConfig, seed: int, arm_name: str) -> dict:
    """Train and evaluate one arm on one seed.

    Returns:
        ``{"arm", "seed", "war", "uar", "recall" [E], "au_f1" (mean F1 of the AU head against
        the true AU presence, or None), "train_s", "params", "loss"}``.
    """
    import torch

    from .training import array_batches, fit, predict

    arm = ARMS[arm_name]
    data = prepare(cfg, seed)
    tr, te = data["train"], data["test"]
    model, loss_fn = build(cfg, arm, data, seed)
    arrays = {"x": torch.as_tensor(tr.images), "expression": torch.as_tensor(tr.labels),
              "aus": torch.as_tensor(tr.au_targets)}
    gen = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    hist = fit(model, loss_fn, lambda ep: array_batches(arrays, cfg.batch_size, True, gen), cfg.epochs,
               lr=cfg.lr, weight_decay=cfg.weight_decay)
    train_s = time.perf_counter() - t0
    test_arrays = {"x": torch.as_tensor(te.images)}
    expr, au = predict(model, array_batches(test_arrays, 256, shuffle=False))
    m = classification_metrics(te.labels, expr.argmax(1), len(te.expressions))
    f1 = None
    if au is not None and (arm.au_labels or arm.consistency_weight > 0):
        f1 = au_f1(te.au_present, 1.0 / (1.0 + np.exp(-au)))["mean_f1"]
    return {"arm": arm_name, "seed": int(seed), "war": m["war"], "uar": m["uar"], "recall": m["recall"].tolist(),
            "au_f1": f1, "train_s": train_s, "params": int(sum(p.numel() for p in model.parameters())),
            "loss": hist[-1]}


def _job(args: tuple[str, int, str]) -> dict:
    key, seed, arm = args
    return run_arm(BenchmarkConfig(**_from_json(key)), seed, arm)


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def run_benchmark(cfg: BenchmarkConfig, log=None) -> list[dict]:
    """Every (seed, arm) run; in ``cfg.workers`` processes when > 1 (spawned, 1 thread each).

    Arms whose auknow APIs are missing must be removed first (:func:`main` does it with
    :func:`experiments.training.unavailable_arms` and reports them).

    Returns the run dicts of :func:`run_arm`, sorted by seed, then arm order.

    Raises:
        ValueError: an unknown arm.
    """
    unknown = [a for a in cfg.arms if a not in ARMS]
    if unknown:
        raise ValueError(f"arms: unknown {', '.join(unknown)} (choose from {', '.join(ARMS)})")
    # seed-major (the data of a seed is generated once per worker), slow graph arms first
    arms = sorted(cfg.arms, key=lambda a: ARMS[a].model != "graph")
    jobs = [(cfg.key(), s, a) for s in cfg.seeds for a in arms]
    out = []
    if cfg.workers > 1:
        import multiprocessing as mp

        with ProcessPoolExecutor(cfg.workers, mp_context=mp.get_context("spawn"), initializer=_init_worker) as ex:
            for r in ex.map(_job, jobs):
                out.append(r)
                if log:
                    log(f"seed {r['seed']} {r['arm']:>9}: WAR {100 * r['war']:.1f} UAR {100 * r['uar']:.1f} "
                        f"({r['train_s']:.0f} s)")
    else:
        for j in jobs:
            r = _job(j)
            out.append(r)
            if log:
                log(f"seed {r['seed']} {r['arm']:>9}: WAR {100 * r['war']:.1f} UAR {100 * r['uar']:.1f} "
                    f"({r['train_s']:.0f} s)")
    order = {a: i for i, a in enumerate(cfg.arms)}
    return sorted(out, key=lambda r: (r["seed"], order[r["arm"]]))


# ----------------------------------------------------------------------------------------------
# summary and markdown
# ----------------------------------------------------------------------------------------------

#: Paired comparisons reported: (arm, reference, what it tests).
COMPARISONS = (
    ("cw", "ce", "class-weighted CE vs CE (imbalance control, no knowledge)"),
    ("ial", "ce", "IAL vs CE"),
    ("au", "ce", "AU loss, correct prior, vs CE"),
    ("au-wrong", "ce", "AU loss, wrong prior, vs CE"),
    ("au", "au-wrong", "correct vs wrong prior (AU loss)"),
    ("pc", "ce", "prior consistency, correct prior, vs CE"),
    ("pc-wrong", "ce", "prior consistency, wrong prior, vs CE"),
    ("pc", "pc-wrong", "correct vs wrong prior (prior consistency)"),
    ("au+pc", "ce", "AU loss + prior consistency, correct prior, vs CE"),
    ("au+pc-wrong", "ce", "AU loss + prior consistency, wrong prior, vs CE"),
    ("au+pc", "au+pc-wrong", "correct vs wrong prior (AU loss + prior consistency)"),
    ("au+pc", "au", "adding prior consistency to the AU loss"),
    ("gnn-off", "ce", "AU-feature model (no GNN) vs CE"),
    ("gnn-on", "gnn-off", "GNN on vs off"),
    ("gnn-on", "gnn-wrong", "correct vs wrong graph"),
)


def summarise(runs: list[dict], expressions: Sequence[str], minority: Sequence[str] = ("disgust", "fear")) -> dict:
    """Per-arm means with 95% CIs and paired differences.

    Returns:
        ``{"arms": {arm: {"war", "uar", "recall": [ci per class], "minority", "au_f1", "train_s",
        "params", "n"}}, "pairs": [{"arm", "ref", "what", "d_war", "d_uar", "d_minority",
        "d_recall": {class: ci}}]}`` where every value is a :func:`mean_ci` dict (differences:
        :func:`paired_diff_ci`).
    """
    arms = list(dict.fromkeys(r["arm"] for r in runs))
    idx = [list(expressions).index(m) for m in minority if m in expressions]
    by = {a: sorted((r for r in runs if r["arm"] == a), key=lambda r: r["seed"]) for a in arms}

    def minority_recall(r):
        return float(np.nanmean([r["recall"][i] for i in idx])) if idx else float("nan")

    out = {"arms": {}, "pairs": [], "minority": [expressions[i] for i in idx]}
    for a, rs in by.items():
        rec = np.array([r["recall"] for r in rs], dtype=np.float64)
        out["arms"][a] = {
            "war": mean_ci([r["war"] for r in rs]), "uar": mean_ci([r["uar"] for r in rs]),
            "recall": [mean_ci(rec[:, k]) for k in range(rec.shape[1])],
            "minority": mean_ci([minority_recall(r) for r in rs]),
            "au_f1": mean_ci([r["au_f1"] for r in rs if r["au_f1"] is not None]),
            "train_s": float(np.mean([r["train_s"] for r in rs])), "params": rs[0]["params"], "n": len(rs),
            "seeds": [r["seed"] for r in rs],
        }
    for a, b, what in COMPARISONS:
        if a not in by or b not in by:
            continue
        seeds = sorted(set(r["seed"] for r in by[a]) & set(r["seed"] for r in by[b]))
        ra = [next(r for r in by[a] if r["seed"] == s) for s in seeds]
        rb = [next(r for r in by[b] if r["seed"] == s) for s in seeds]
        out["pairs"].append({
            "arm": a, "ref": b, "what": what, "n": len(seeds),
            "d_war": paired_diff_ci([r["war"] for r in ra], [r["war"] for r in rb]),
            "d_uar": paired_diff_ci([r["uar"] for r in ra], [r["uar"] for r in rb]),
            "d_minority": paired_diff_ci([minority_recall(r) for r in ra], [minority_recall(r) for r in rb]),
            "d_recall": {expressions[k]: paired_diff_ci([r["recall"][k] for r in ra], [r["recall"][k] for r in rb])
                         for k in range(len(expressions))},
        })
    return out


def _verdict(d: dict) -> str:
    if d["n"] < 2 or not np.isfinite(d.get("half", float("nan"))):
        return "too few seeds to tell"
    if d["low"] > 0:
        return "better (95% CI above 0)"
    if d["high"] < 0:
        return "worse (95% CI below 0)"
    return "no detectable difference (95% CI includes 0)"


def render_markdown(cfg: BenchmarkConfig, runs: list[dict], summary: dict, *, command: str, wall_s: float,
                    generator: dict, expressions: Sequence[str], unavailable: dict | None = None) -> str:
    """The results page (``docs/results.md``): command, set-up, tables, verdicts, every run."""
    E = list(expressions)
    short = {e: e[:3] for e in E}
    lines = [
        "# Results: does AU knowledge help? (synthetic benchmark)",
        "",
        "Generated by one command; do not edit by hand. Design and how to read it: "
        "[`docs/experiments.md`](experiments.md); the generator: [`docs/synthetic.md`](synthetic.md).",
        "",
        "```bash",
        command,
        "```",
        "",
        f"Wall time {wall_s / 60:.1f} min on {os.cpu_count()} CPU cores ({cfg.workers} worker process(es), 1 torch "
        f"thread each; the machine may have been shared); Python {platform.python_version()}, torch {_torch_version()}, "
        f"{_dt.datetime.now().strftime('%Y-%m-%d')}.",
        "",
        "## Set-up",
        "",
        f"- Data: `experiments.synthetic_world`, preset `{cfg.preset}` (class frequencies "
        + ", ".join(f"{e} {100 * f:.1f}%" for e, f in zip(E, generator["class_freq"]))
        + f"); AUs drawn from `{cfg.table}` ({generator['prior_mode']} table mapped to "
        f"P = {generator['floor']} + ({generator['ceil']} - {generator['floor']}) M); {len(generator['aus'])} AUs "
        f"({', '.join(generator['aus'])}); {cfg.n_train} training and {cfg.n_test} test clips of {cfg.num_frames} "
        f"frames, {cfg.image_size}x{cfg.image_size} grey images; {cfg.num_subjects} subjects, a third held out for "
        f"the test set (subject-independent); pixel noise {cfg.noise_std}.",
        f"- AU targets (arms that use AU labels): per-frame detections with {100 * generator['detector_flip']:.0f}% "
        "flips, clip target by AU-DFER's majority rule (an OpenFace-like pipeline, not the truth).",
        f"- Model prior: `{cfg.model_table or cfg.table}` (binary tables read as {cfg.prior_floor} + "
        f"({cfg.prior_ceil} - {cfg.prior_floor}) M); wrong prior: the same rows deranged between expressions "
        "(a new derangement per seed). Knowledge graph: `auknow.compile.au_graph("
        f"\"{cfg.graph_table}\")` (co-occurrence + FACS-exclusive edges); wrong graph: its AU labels deranged.",
        f"- Training (identical for every arm): small video backbone (`experiments.models.VideoBackbone`: "
        f"stride-2 3x3 conv blocks from {cfg.width} channels down to a 4x4 map, {cfg.dim}-d frame features, "
        "residual temporal conv, mean pooling over frames), AdamW lr "
        f"{cfg.lr}, weight decay "
        f"{cfg.weight_decay}, batch {cfg.batch_size}, {cfg.epochs} epochs, cosine schedule; evaluated once after "
        "the last epoch (no model selection on the test set). Per seed: new world, data and initialisation, "
        "shared by all arms (paired).",
        f"- Seeds: {', '.join(map(str, cfg.seeds))}. Intervals: 95% Student-t over seeds; differences are paired "
        "by seed.",
        "",
    ]
    if unavailable:
        lines += ["**Arms not run** (their auknow API is missing): "
                  + "; ".join(f"`{a}` needs `{why}`" for a, why in unavailable.items()), ""]
    lines += [
        "## Main table (test set, %)",
        "",
        "| arm | condition | WAR | UAR | " + " | ".join(f"recall {m}" for m in summary["minority"])
        + " | AU F1 | params | train s/run |",
        "|---|---|---|---|" + "---|" * len(summary["minority"]) + "---|---|---|",
    ]
    for a, s in summary["arms"].items():
        mins = [s["recall"][E.index(m)] for m in summary["minority"]]
        lines.append(f"| `{a}` | {ARMS[a].description} | {format_ci(s['war'])} | {format_ci(s['uar'])} | "
                     + " | ".join(format_ci(c) for c in mins)
                     + f" | {format_ci(s['au_f1']) if s['au_f1']['n'] else '-'} | {s['params']:,} | "
                     f"{s['train_s']:.0f} |")
    lines += ["", "## Per-class recall (test set, %)", "",
              "| arm | " + " | ".join(E) + " |", "|---|" + "---|" * len(E)]
    for a, s in summary["arms"].items():
        lines.append(f"| `{a}` | " + " | ".join(format_ci(c) for c in s["recall"]) + " |")
    lines += ["", "## Paired differences (percentage points, mean ± 95% CI half-width over seeds)", "",
              "| comparison | ΔWAR | ΔUAR | Δ minority recall (" + ", ".join(summary["minority"]) + ") | "
              + " | ".join(f"Δ {short[e]}" for e in E) + " | UAR verdict |",
              "|---|---|---|---|" + "---|" * len(E) + "---|"]
    for p in summary["pairs"]:
        lines.append(f"| `{p['arm']}` − `{p['ref']}` ({p['what']}) | {format_ci(p['d_war'], signed=True)} | "
                     f"{format_ci(p['d_uar'], signed=True)} | {format_ci(p['d_minority'], signed=True)} | "
                     + " | ".join(format_ci(p["d_recall"][e], signed=True) for e in E)
                     + f" | {_verdict(p['d_uar'])} |")
    lines += ["", "## Reading", ""] + _reading(summary) + [
        "", "## Every run", "", "| seed | arm | WAR | UAR | " + " | ".join(short[e] for e in E) + " | AU F1 | train s |",
        "|---|---|---|---|" + "---|" * len(E) + "---|---|"]
    for r in runs:
        f1 = "-" if r["au_f1"] is None else f"{100 * r['au_f1']:.1f}"
        lines.append(f"| {r['seed']} | `{r['arm']}` | {100 * r['war']:.1f} | {100 * r['uar']:.1f} | "
                     + " | ".join("n/a" if not np.isfinite(x) else f"{100 * x:.1f}" for x in r["recall"])
                     + f" | {f1} | {r['train_s']:.0f} |")
    lines += ["", "## Configuration", "", "```json", json.dumps(asdict(cfg), indent=1, sort_keys=True), "```", ""]
    return "\n".join(lines)


def _reading(summary: dict) -> list[str]:
    """Plain sentences from the paired differences (what the CIs say, nothing more)."""
    out = []
    for p in summary["pairs"]:
        d, m = p["d_uar"], p["d_minority"]
        out.append(f"- `{p['arm']}` vs `{p['ref']}` ({p['what']}): UAR {format_ci(d, signed=True)} pp, "
                   f"{_verdict(d)}; minority-class recall {format_ci(m, signed=True)} pp, {_verdict(m)}.")
    return out


def _torch_version() -> str:
    try:
        import torch

        return torch.__version__
    except Exception:  # pragma: no cover
        return "?"


# ----------------------------------------------------------------------------------------------
# command line
# ----------------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m experiments.synthetic",
                                description="Synthetic DFER benchmark: arms with and without AU knowledge, several "
                                            "seeds; writes a results page (docs/results.md).")
    d = BenchmarkConfig()
    p.add_argument("--preset", default=d.preset, help="generator preset (dfew-imbalance, dfew-balanced)")
    p.add_argument("--table", default=d.table, help="knowledge table(s) the generator draws AUs from")
    p.add_argument("--model-table", default=None, help="table(s) of the model's prior (default: --table)")
    p.add_argument("--graph-table", default=d.graph_table, help="table(s) of the knowledge AU graph")
    p.add_argument("--arms", default=",".join(d.arms), help=f"comma list from {', '.join(ARMS)}")
    p.add_argument("--seeds", default=None, help="number of seeds (0..n-1) or a comma list")
    for name in ("n_train", "n_test", "num_frames", "image_size", "num_subjects", "epochs", "batch_size", "workers"):
        p.add_argument("--" + name.replace("_", "-"), type=int, default=None)
    for name in ("lr", "noise_std"):
        p.add_argument("--" + name.replace("_", "-"), type=float, default=None)
    p.add_argument("--quick", action="store_true", help="tiny sizes, 2 seeds, 1 epoch (seconds; for tests)")
    p.add_argument("--out", default=str(REPO / "docs" / "results.md"), help="results page to write")
    p.add_argument("--json", default=None, help="also write every run and the summary as JSON here")
    p.add_argument("-q", "--quiet", action="store_true")
    return p


def config_from_args(args: argparse.Namespace) -> BenchmarkConfig:
    """The :class:`BenchmarkConfig` of parsed command-line arguments."""
    over: dict[str, Any] = {"preset": args.preset, "table": args.table, "model_table": args.model_table,
                            "graph_table": args.graph_table,
                            "arms": tuple(a.strip() for a in args.arms.split(",") if a.strip())}
    if args.seeds is not None:
        s = str(args.seeds)
        over["seeds"] = tuple(int(x) for x in s.split(",")) if "," in s else tuple(range(int(s)))
    for f in fields(BenchmarkConfig):
        v = getattr(args, f.name, None)
        if f.name not in over and v is not None and f.name not in ("seeds", "arms"):
            over[f.name] = v
    return BenchmarkConfig.quick(**over) if args.quick else BenchmarkConfig(**over)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write the results page; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    from .training import unavailable_arms

    try:
        cfg = config_from_args(args)
        log = None if args.quiet else (lambda s: print(s, flush=True))
        unknown = [a for a in cfg.arms if a not in ARMS]
        if unknown:
            raise ValueError(f"arms: unknown {', '.join(unknown)} (choose from {', '.join(ARMS)})")
        missing = unavailable_arms(cfg.arms)
        for a, why in missing.items():
            print(f"arm {a} unavailable: needs {why}", file=sys.stderr)
        cfg = replace(cfg, arms=tuple(a for a in cfg.arms if a not in missing))
        if not cfg.arms:
            raise ValueError("no arm can run (see the lines above)")
        t0 = time.perf_counter()
        runs = run_benchmark(cfg, log)
        wall = time.perf_counter() - t0
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    data = prepare(cfg, cfg.seeds[0])
    expressions = list(data["train"].expressions)
    summary = summarise(runs, expressions)
    command = "python -m experiments.synthetic " + " ".join(shlex.quote(a) for a in argv if a)
    text = render_markdown(cfg, runs, summary, command=command.strip(), wall_s=wall, generator=data["generator"],
                           expressions=expressions, unavailable=missing)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    if args.json:
        Path(args.json).write_text(json.dumps({"config": asdict(cfg), "runs": runs, "wall_s": wall}, indent=1,
                                              default=float), encoding="utf-8")
    if log:
        log(f"wrote {out} ({wall / 60:.1f} min)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
