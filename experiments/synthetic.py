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
import functools
import json
import shlex
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .metrics import au_f1, classification_metrics
from .synthetic_report import COMPARISONS, render_markdown, summarise, write_page
from .training import ARMS, Arm

__all__ = ["BenchmarkConfig", "COMPARISONS", "prepare", "run_arm", "run_benchmark", "summarise", "render_markdown",
           "main"]

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
                          num_aus=A, pooling="mean", au_loss_weight=arm.au_loss_weight, pos_weight=data["pos_weight"],
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
    crit = AULoss(torch.as_tensor(prior), pos_weight=data["pos_weight"]) if arm.au_loss_weight > 0 else None
    return model, ce_au_loss(arm.au_loss_weight, crit)


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
    write_page(out, text)  # keeps the sections other commands wrote into the page
    if args.json:
        Path(args.json).write_text(json.dumps({"config": asdict(cfg), "runs": runs, "wall_s": wall}, indent=1,
                                              default=float), encoding="utf-8")
    if log:
        log(f"wrote {out} ({wall / 60:.1f} min)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
