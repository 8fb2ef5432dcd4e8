"""Run a seed paper's set-up on real data from a YAML config (for users who hold the datasets).

::

    python -m experiments.run experiments/configs/dfew_au_loss.yaml --root /data/DFEW --openface /data/DFEW_openface
    python -m experiments.run experiments/configs/dfew_ial.yaml --root /data/DFEW
    python -m experiments.run experiments/configs/ferv39k_au_loss.yaml --root /data/FERV39K --openface /data/FERV39K_openface
    python -m experiments.run experiments/configs/bp4d_gnn.yaml --root /data/BP4D --images /data/BP4D/images
    python -m experiments.run experiments/configs/disfa_gnn.yaml --root /data/DISFA --images /data/DISFA/images

Two tasks:

* ``task: dfer`` (DFEW 5 folds / FERV39K): a video backbone inside :class:`auknow.models.prior_head.PriorHead`
  with the configured terms (CE; AU-DFER AU loss with a prior from ``knowledge/`` and per-video
  OpenFace targets; IAL; prior consistency). Metrics per fold: WAR, UAR, per-class recall
  (scikit-learn), and the AU head's F1 against the OpenFace targets when there are any.
* ``task: au`` (BP4D / DISFA, the 3 subject-independent folds of ``knowledge/datasets``): the AU
  detector :class:`experiments.models.AUGraphModel` (per-AU features + AU relation GNN over the
  knowledge graph, a learned graph, or both) trained with the inverse-occurrence weighted BCE of
  ME-GraphAU (``auknow.losses.smooth_weighted_loss`` with power 1); per-AU F1 and the average.

``--set key.sub=value`` overrides any config entry (YAML syntax for the value), e.g.
``--set train.epochs=1 data.image_size=32``. Results go to ``--out`` (``metrics.json``,
``summary.md``) and the summary is printed. The backbone is ``model.backbone`` (``small``,
``resnet18``, ``resnet18_transformer``, ``r3d_18``, ``r2plus1d_18``; :mod:`experiments.backbones`)
with ``model.weights`` a local checkpoint; to use your own module, call :func:`run_config` with
``backbone_fn``. ``--check`` reads every file the config needs and times a few batches, without
training (:mod:`experiments.check`). Data are read only from the paths given.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import yaml

from .datasets import (DFEW_EXPRESSIONS, ClipDataset, DatasetError, FrameDataset, ImageAudit, bp4d_records,
                       dfew_records, disfa_records, drop_short_clips, ferv39k_records, split_by_fold)
from .metrics import au_f1, classification_metrics, format_ci, mean_ci

__all__ = ["DEFAULTS", "load_config", "run_config", "main"]

#: Defaults every config starts from (a config file overrides them, ``--set`` overrides both).
DEFAULTS: dict[str, Any] = {
    "name": "run",
    "task": "dfer",
    "dataset": "dfew",
    "folds": None,
    "data": {"num_frames": 16, "image_size": 112, "channels": 3, "openface_threshold": 0.5, "setup": "All_scenes",
             "aus": None, "max_train": None, "max_test": None, "image_naming": "auto", "clip_dir": None,
             "min_frames": None, "au_detector": "openface", "au_denominator": "tracked"},
    "model": {"backbone": "small", "weights": None, "temporal": "mean", "width": 32, "dim": 256, "au_dim": 64,
              "gnn": True, "graph": "knowledge", "graph_table": "fig2002", "k": 4, "mask": "region", "pooling": "mean",
              "dropout": 0.0},
    "prior": {"table": "au_dfer", "expressions": "dfew", "aus": "openface_c", "floor": 0.1, "ceil": 0.9},
    "loss": {"au_loss_weight": 0.0, "scale": 5.0, "pos_weight": "global", "ial_weight": 0.0, "consistency_weight": 0.0,
             "temperature": 1.0, "label_smoothing": 0.0, "au_weight_power": 1.0},
    "train": {"epochs": 100, "batch_size": 32, "lr": 1e-3, "weight_decay": 1e-4, "warmup": 0.0, "workers": 0,
              "seed": 0},
}


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _dotted_keys(value, prefix: str) -> set[str]:
    """``{"a": {"b": 1}}`` -> ``{"a", "a.b"}`` (with ``prefix.`` in front when given)."""
    if not isinstance(value, dict):
        return set()
    out: set[str] = set()
    for k, v in value.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        out |= {key} | _dotted_keys(v, key)
    return out


def _rename_alpha(cfg: dict, given: set[str]) -> None:
    """``loss.alpha``, the deprecated name of ``loss.au_loss_weight``, becomes the new key (with a
    ``DeprecationWarning``); ``given`` holds the keys the file and the overrides set."""
    loss = cfg.get("loss")
    if not isinstance(loss, dict) or "alpha" not in loss:
        return
    if "loss.au_loss_weight" in given:
        raise ValueError("loss: give loss.au_loss_weight only, not also loss.alpha (its deprecated name)")
    warnings.warn("config key loss.alpha is deprecated, use loss.au_loss_weight (the AU-loss weight; alpha names "
                  "an FDR level in auknow)", DeprecationWarning, stacklevel=3)
    loss["au_loss_weight"] = loss.pop("alpha")


def load_config(path: str | Path | None, overrides: Sequence[str] = ()) -> dict:
    """A config: :data:`DEFAULTS`, then the YAML file, then ``key.sub=value`` overrides.

    ``loss.alpha`` is read as ``loss.au_loss_weight`` (its deprecated name) with a
    ``DeprecationWarning``.

    Raises:
        ValueError: a malformed override, an unknown task / dataset, or both ``loss.alpha`` and
            ``loss.au_loss_weight`` given.
        FileNotFoundError: the config file is missing.
    """
    cfg = copy.deepcopy(DEFAULTS)
    given: set[str] = set()
    if path is not None:
        with open(path, encoding="utf-8") as f:
            loaded = yaml.safe_load(f) or {}
        given |= _dotted_keys(loaded, "")
        cfg = _merge(cfg, loaded)
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"--set {item!r}: expected key.sub=value")
        key, value = item.split("=", 1)
        node = cfg
        parts = key.strip().split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = yaml.safe_load(value)
        given |= {key.strip()} | _dotted_keys(node[parts[-1]], key.strip())
    _rename_alpha(cfg, given)
    if cfg["task"] not in ("dfer", "au"):
        raise ValueError(f"task: expected 'dfer' or 'au', got {cfg['task']!r}")
    valid = {"dfer": ("dfew", "ferv39k"), "au": ("bp4d", "disfa")}[cfg["task"]]
    if cfg["dataset"] not in valid:
        raise ValueError(f"dataset: task {cfg['task']!r} takes {', '.join(valid)}, got {cfg['dataset']!r}")
    from .backbones import BACKBONES

    m = cfg["model"]
    if m.get("backbone", "small") not in BACKBONES:
        raise ValueError(f"model.backbone: expected one of {', '.join(BACKBONES)}, got {m.get('backbone')!r}")
    if m.get("weights") and not Path(m["weights"]).is_file():
        raise FileNotFoundError(f"{m['weights']}: model.weights file not found (weights are never downloaded)")
    if cfg["folds"] is None:
        cfg["folds"] = {"dfew": [1, 2, 3, 4, 5], "ferv39k": [1], "bp4d": [1, 2, 3], "disfa": [1, 2, 3]}[cfg["dataset"]]
    return cfg


def _device(name: str | None):
    import torch

    if name:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _loader(ds, batch_size: int, train: bool, workers: int, seed: int, device=None):
    """DataLoader with ``workers`` processes (JPEG decoding in parallel, 2 batches ahead each) and
    pinned memory when training on CUDA. Workers are re-created every epoch so that they see the
    dataset's new epoch (``set_epoch`` seeds the frame sampling)."""
    import torch
    from torch.utils.data import DataLoader

    g = torch.Generator().manual_seed(seed)
    drop = train and len(ds) > batch_size
    pin = device is not None and torch.device(device).type == "cuda"
    return DataLoader(ds, batch_size=batch_size, shuffle=train, drop_last=drop, num_workers=int(workers), generator=g,
                      pin_memory=pin, prefetch_factor=2 if int(workers) > 0 else None)


def _to(batch: dict, device) -> dict:
    return {k: v.to(device, non_blocking=True) for k, v in batch.items()}


def _subsample(records: list, n: int | None, seed: int) -> list:
    if n is None or n >= len(records):
        return records
    idx = np.sort(np.random.default_rng(seed).choice(len(records), size=int(n), replace=False))
    return [records[i] for i in idx]


def dfer_records(cfg: dict, root: Path, fold: int, openface: Path | None, log=print) -> tuple[list, list, tuple, dict]:
    """Train / test clip records of a DFER fold with their AU targets, and what was found.

    Applies ``data.clip_dir``, IAL's ``data.min_frames``, ``data.max_train`` / ``max_test`` and
    the AU targets of ``data.au_detector`` / ``au_denominator`` / ``openface_threshold``.

    Raises:
        DatasetError: missing split files / folders / bad detector files; the AU loss without
            ``openface``.
    """
    from auknow.facs import au_set

    from .targets import attach_clip_targets

    d, L, t = cfg["data"], cfg["loss"], cfg["train"]
    if cfg["dataset"] == "dfew":
        train_r = dfew_records(root, fold, "train", d.get("clip_dir"))
        test_r = dfew_records(root, fold, "test", d.get("clip_dir"))
    else:
        kw = {"clip_dir": d["clip_dir"]} if d.get("clip_dir") else {}
        train_r = ferv39k_records(root, "train", d["setup"], **kw)
        test_r = ferv39k_records(root, "test", d["setup"], **kw)
    info: dict = {}
    for name, recs in (("train", train_r), ("test", test_r)):
        kept, dropped = drop_short_clips(recs, d.get("min_frames"))
        if dropped:
            log(f"fold {fold}: {len(dropped)} {name} clip(s) under {d['min_frames']} frames dropped (IAL's rule), "
                f"e.g. {', '.join(dropped[:3])}")
            if not kept:
                raise DatasetError(f"{root}: every {name} clip of fold {fold} has fewer than data.min_frames="
                                   f"{d['min_frames']} frames (is data.clip_dir the all-frames folder?)")
        info[f"dropped_short_{name}"] = dropped
        if name == "train":
            train_r = kept
        else:
            test_r = kept
    train_r = _subsample(train_r, d.get("max_train"), t["seed"])
    test_r = _subsample(test_r, d.get("max_test"), t["seed"])
    aus = tuple(au_set(cfg["prior"]["aus"])) if isinstance(cfg["prior"]["aus"], str) else tuple(cfg["prior"]["aus"])
    if L["au_loss_weight"] > 0 and openface is None:
        raise DatasetError("the AU loss (loss.au_loss_weight > 0) needs per-video AU targets: pass --openface DIR "
                           "with one OpenFace 2.x CSV per clip (see docs/experiments.md), or set loss.au_loss_weight=0")
    if openface is not None:
        kw = {"detector": d["au_detector"], "threshold": d["openface_threshold"], "denominator": d["au_denominator"]}
        rep = attach_clip_targets(train_r, openface, aus, **kw)
        rep_test = attach_clip_targets(test_r, openface, aus, **kw)
        log(f"fold {fold}: train {rep.summary()}")
        info["targets"] = {"train": rep, "test": rep_test}
    return train_r, test_r, aus, info


def dfer_setup(cfg: dict, train_r: list, test_r: list, aus: Sequence[str], use_aus: bool, fold: int, device,
               backbone_fn=None) -> tuple:
    """``(model, train_ds, test_ds, loss_fn)`` of a DFER fold: the backbone of ``model.backbone``
    (or ``backbone_fn``) inside :class:`auknow.models.prior_head.PriorHead` with the configured terms."""
    import torch

    from auknow.models.prior_head import PriorHead
    from auknow.losses import pos_weight_from_data
    from experiments.synthetic_world import resolve_prior

    from .backbones import build_backbone

    d, m, L, t = cfg["data"], cfg["model"], cfg["loss"], cfg["train"]
    prior = None
    if L["au_loss_weight"] > 0 or L["consistency_weight"] > 0:
        P = cfg["prior"]
        _, _, _, info = resolve_prior(P["table"], P["expressions"], list(aus))
        M = info["matrix"]
        if info["mode"] == "binary":
            M = P["floor"] + (P["ceil"] - P["floor"]) * M
        prior = torch.as_tensor(M, dtype=torch.float32)
    pw = None
    if L["au_loss_weight"] > 0 and L["pos_weight"]:
        tg = np.stack([r.au_target for r in train_r])
        pw = pos_weight_from_data(tg, np.array([r.label for r in train_r]),
                                  strategy=L["pos_weight"], num_expressions=len(DFEW_EXPRESSIONS))
    torch.manual_seed(t["seed"] + fold)
    backbone = backbone_fn(cfg) if backbone_fn else build_backbone(cfg)
    model = PriorHead(backbone, m["dim"], prior, num_expressions=len(DFEW_EXPRESSIONS), num_aus=len(aus),
                      pooling=m["pooling"], au_loss_weight=L["au_loss_weight"], scale=L["scale"], pos_weight=pw,
                      ial_weight=L["ial_weight"], consistency_weight=L["consistency_weight"],
                      temperature=L["temperature"], label_smoothing=L["label_smoothing"]).to(device)
    train_ds = ClipDataset(train_r, d["num_frames"], d["image_size"], d["channels"], True, len(aus), t["seed"])
    test_ds = ClipDataset(test_r, d["num_frames"], d["image_size"], d["channels"], False, len(aus), t["seed"])

    def loss_fn(out, batch):
        tgt = {"expression": batch["expression"]}
        if use_aus:
            tgt["aus"] = batch["aus"]
        return model.loss(out, tgt)

    return model, train_ds, test_ds, loss_fn


def _dfer_fold(cfg: dict, root: Path, fold: int, openface: Path | None, device, backbone_fn, log) -> dict:
    from .training import fit, predict

    t = cfg["train"]
    train_r, test_r, aus, _ = dfer_records(cfg, root, fold, openface, log)
    use_aus = openface is not None
    model, train_ds, test_ds, loss_fn = dfer_setup(cfg, train_r, test_r, aus, use_aus, fold, device, backbone_fn)
    loader = _loader(train_ds, t["batch_size"], True, t["workers"], t["seed"] + fold, device)

    def batches(epoch):
        train_ds.set_epoch(epoch)
        for b in loader:
            yield _to(b, device)

    t0 = time.perf_counter()
    fit(model, loss_fn, batches, t["epochs"], lr=t["lr"], weight_decay=t["weight_decay"], warmup=t["warmup"],
        log=lambda s: log(f"fold {fold}: {s}"))
    test_loader = _loader(test_ds, t["batch_size"], False, t["workers"], 0, device)
    expr, au = predict(model, (_to(b, device) for b in test_loader), au_in_eval=model.au_head is not None)
    y = np.array([r.label for r in test_r])
    met = classification_metrics(y, expr.argmax(1), len(DFEW_EXPRESSIONS))
    out = {"fold": fold, "war": met["war"], "uar": met["uar"], "recall": met["recall"].tolist(),
           "n_train": len(train_r), "n_test": len(test_r), "train_s": time.perf_counter() - t0}
    if au is not None and use_aus:
        tg = np.stack([r.au_target for r in test_r])
        f = au_f1(tg, 1.0 / (1.0 + np.exp(-au)))
        out["au_f1"], out["au_f1_mean"] = f["f1"].tolist(), f["mean_f1"]
    return out


def au_records(cfg: dict, root: Path, images: str | Path | None) -> tuple[list, list[str], ImageAudit]:
    """BP4D / DISFA records of a config, their AU names and the image audit (scheme, skipped frames)."""
    from auknow.facs import au_set
    from auknow.library import dataset_descriptor

    aus = cfg["data"]["aus"]
    audit = ImageAudit()
    if cfg["dataset"] == "bp4d":
        aus = list(aus or dataset_descriptor("bp4d").aus)
        return bp4d_records(root, images, aus, audit=audit), aus, audit
    aus = list(aus or au_set("disfa8"))
    return disfa_records(root, images, aus, naming=cfg["data"]["image_naming"], audit=audit), aus, audit


def au_setup(cfg: dict, train_r: list, test_r: list, aus: Sequence[str], fold: int, device, backbone_fn=None) -> tuple:
    """``(model, train_ds, test_ds, loss_fn)`` of an AU fold: :class:`experiments.models.AUGraphModel`
    on ``model.backbone`` with ME-GraphAU's inverse-occurrence weighted BCE."""
    import torch

    from auknow.compile import au_graph, to_pyg
    from auknow.losses import au_weights_from_data, smooth_weighted_loss

    from .backbones import build_backbone
    from .models import AUGraphModel

    d, m, L, t = cfg["data"], cfg["model"], cfg["loss"], cfg["train"]
    knowledge = None
    if m["gnn"] and m["graph"] in ("knowledge", "both"):
        g = au_graph(m["graph_table"], aus=list(aus))
        knowledge = to_pyg(g, aus=list(aus), kinds=["co-occurrence", "exclusive"])
    y_train = np.stack([r.aus for r in train_r])
    w = au_weights_from_data(y_train, method="power", power=float(L["au_weight_power"])).to(device)
    torch.manual_seed(t["seed"] + fold)
    backbone = backbone_fn(cfg) if backbone_fn else build_backbone(cfg)
    model = AUGraphModel(backbone, list(aus), 0, au_dim=m["au_dim"], gnn=bool(m["gnn"]), graph=m["graph"],
                         knowledge=knowledge, k=m["k"], mask=m["mask"]).to(device)
    train_ds = FrameDataset(train_r, d["image_size"], d["channels"], True, t["seed"])
    test_ds = FrameDataset(test_r, d["image_size"], d["channels"], False, t["seed"])

    def loss_fn(out, batch):
        return smooth_weighted_loss(out[1], batch["aus"], w)

    return model, train_ds, test_ds, loss_fn


def au_split(cfg: dict, records: list, fold: int) -> tuple[list, list]:
    """Subject-independent train / test records of a fold (``data.max_train`` / ``max_test`` applied)."""
    d, t = cfg["data"], cfg["train"]
    train_r, test_r = split_by_fold(records, cfg["dataset"], fold)
    return _subsample(train_r, d.get("max_train"), t["seed"]), _subsample(test_r, d.get("max_test"), t["seed"])


def _au_fold(cfg: dict, records: list, fold: int, aus: Sequence[str], device, backbone_fn, log) -> dict:
    from .training import fit, predict

    t = cfg["train"]
    train_r, test_r = au_split(cfg, records, fold)
    model, train_ds, test_ds, loss_fn = au_setup(cfg, train_r, test_r, aus, fold, device, backbone_fn)
    loader = _loader(train_ds, t["batch_size"], True, t["workers"], t["seed"] + fold, device)

    def batches(epoch):
        train_ds.set_epoch(epoch)
        for b in loader:
            yield _to(b, device)

    t0 = time.perf_counter()
    fit(model, loss_fn, batches, t["epochs"], lr=t["lr"], weight_decay=t["weight_decay"], warmup=t["warmup"],
        log=lambda s: log(f"fold {fold}: {s}"))
    test_loader = _loader(test_ds, t["batch_size"], False, t["workers"], 0, device)
    _, au = predict(model, (_to(b, device) for b in test_loader))
    f = au_f1(np.stack([r.aus for r in test_r]), 1.0 / (1.0 + np.exp(-au)))
    return {"fold": fold, "f1": f["f1"].tolist(), "mean_f1": f["mean_f1"], "n_train": len(train_r),
            "n_test": len(test_r), "train_s": time.perf_counter() - t0}


def run_config(cfg: dict, root: str | Path, *, openface: str | Path | None = None, images: str | Path | None = None,
               device: str | None = None, backbone_fn: Callable[[dict], Any] | None = None,
               log: Callable[[str], None] = print) -> dict:
    """Run every fold of a config; returns ``{"config", "folds": [...], "summary": {...}, "markdown"}``.

    Args:
        cfg: from :func:`load_config`.
        root: the dataset root in its released layout.
        openface: folder of per-clip OpenFace CSVs (DFER AU targets).
        images: frame-image folder of BP4D / DISFA (default ``root``).
        device: torch device (default CUDA when available).
        backbone_fn: ``cfg -> module`` producing ``[B, T, D]`` (``D = model.dim``; for the AU
            task it must also offer ``forward_maps`` and ``encoder.out_channels``).

    Raises:
        DatasetError: missing / malformed data files; ValueError: bad config values.
    """
    import torch

    dev = _device(device)
    root = Path(root)
    folds = []
    t0 = time.perf_counter()
    if cfg["task"] == "dfer":
        for k in cfg["folds"]:
            folds.append(_dfer_fold(cfg, root, int(k), Path(openface) if openface else None, dev, backbone_fn, log))
    else:
        records, aus, audit = au_records(cfg, root, images)
        log(audit.summary())
        for k in cfg["folds"]:
            folds.append(_au_fold(cfg, records, int(k), aus, dev, backbone_fn, log))
        cfg = _merge(cfg, {"data": {"aus": list(aus)}})
    summary = _summary(cfg, folds)
    md = _markdown(cfg, folds, summary, time.perf_counter() - t0, str(dev), torch.__version__)
    return {"config": cfg, "folds": folds, "summary": summary, "markdown": md}


def _summary(cfg: dict, folds: list[dict]) -> dict:
    if cfg["task"] == "dfer":
        rec = np.array([f["recall"] for f in folds], dtype=np.float64)
        out = {"war": mean_ci([f["war"] for f in folds]), "uar": mean_ci([f["uar"] for f in folds]),
               "recall": [mean_ci(rec[:, k]) for k in range(rec.shape[1])]}
        if all("au_f1_mean" in f for f in folds):
            out["au_f1"] = mean_ci([f["au_f1_mean"] for f in folds])
        return out
    f1 = np.array([f["f1"] for f in folds], dtype=np.float64)
    return {"mean_f1": mean_ci([f["mean_f1"] for f in folds]), "f1": [mean_ci(f1[:, a]) for a in range(f1.shape[1])]}


def _markdown(cfg: dict, folds: list[dict], s: dict, wall: float, device: str, torch_version: str) -> str:
    lines = [f"# {cfg['name']}: {cfg['dataset']} ({cfg['task']})", "",
             f"{len(folds)} fold(s), {wall / 60:.1f} min on {device} (torch {torch_version}). Mean ± 95% CI over "
             "folds (t); metrics from scikit-learn.", ""]
    if cfg["task"] == "dfer":
        names = [e[:3] for e in DFEW_EXPRESSIONS]
        lines += ["| fold | WAR | UAR | " + " | ".join(names) + (" | AU F1 |" if "au_f1" in s else " |"),
                  "|---|---|---|" + "---|" * len(names) + ("---|" if "au_f1" in s else "")]
        for f in folds:
            lines.append(f"| {f['fold']} | {100 * f['war']:.2f} | {100 * f['uar']:.2f} | "
                         + " | ".join("n/a" if not np.isfinite(x) else f"{100 * x:.1f}" for x in f["recall"])
                         + (f" | {100 * f['au_f1_mean']:.1f} |" if "au_f1" in s else " |"))
        lines.append(f"| mean | {format_ci(s['war'], digits=2)} | {format_ci(s['uar'], digits=2)} | "
                     + " | ".join(format_ci(c) for c in s["recall"])
                     + (f" | {format_ci(s['au_f1'])} |" if "au_f1" in s else " |"))
    else:
        aus = cfg["data"]["aus"]
        lines += ["| fold | " + " | ".join(aus) + " | avg F1 |", "|---|" + "---|" * (len(aus) + 1)]
        for f in folds:
            lines.append(f"| {f['fold']} | " + " | ".join("n/a" if not np.isfinite(x) else f"{100 * x:.1f}"
                                                            for x in f["f1"]) + f" | {100 * f['mean_f1']:.1f} |")
        lines.append("| mean | " + " | ".join(format_ci(c) for c in s["f1"]) + f" | {format_ci(s['mean_f1'])} |")
    lines += ["", "```yaml", yaml.safe_dump(cfg, sort_keys=False).rstrip(), "```", ""]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m experiments.run",
                                description="Run a seed paper's set-up on DFEW / FERV39K / BP4D / DISFA from a YAML "
                                            "config (experiments/configs/).")
    p.add_argument("config", help="YAML config (e.g. experiments/configs/dfew_au_loss.yaml)")
    p.add_argument("--root", required=True, help="dataset root, in the dataset's released layout")
    p.add_argument("--openface", default=None, help="folder of per-clip AU detector CSVs (DFER AU targets): OpenFace "
                   "2.x, or py-feat with --set data.au_detector=pyfeat")
    p.add_argument("--images", default=None, help="BP4D / DISFA frame images (default: --root)")
    p.add_argument("--folds", default=None, help="comma list of folds (default: all of the config)")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="override config entries")
    p.add_argument("--out", default=None, help="folder for metrics.json and summary.md")
    p.add_argument("--check", action="store_true", help="read every split / label / frame folder / detector file, "
                   "print counts, missing files, AU target rates and the time per epoch; no training")
    p.add_argument("--check-batches", type=int, default=3, help="batches timed by --check (default 3)")
    p.add_argument("-q", "--quiet", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; returns 0, or 2 with one line on stderr for bad data / config."""
    args = _parser().parse_args(argv)
    log = (lambda s: None) if args.quiet else (lambda s: print(s, flush=True))
    try:
        over = list(args.set)
        if args.folds:
            over.append(f"folds=[{args.folds}]")
        if args.epochs is not None:
            over.append(f"train.epochs={args.epochs}")
        cfg = load_config(args.config, over)
        if args.check:
            from .check import check_config

            check_config(cfg, args.root, openface=args.openface, images=args.images, device=args.device,
                         batches=args.check_batches, log=lambda s: print(s, flush=True))
            return 0
        res = run_config(cfg, args.root, openface=args.openface, images=args.images, device=args.device, log=log)
    except (DatasetError, ValueError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps({"config": res["config"], "folds": res["folds"]}, indent=1,
                                                     default=float), encoding="utf-8")
        (out / "summary.md").write_text(res["markdown"], encoding="utf-8")
    print(res["markdown"])
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
