"""``python -m experiments.run CONFIG --root ... --check``: read everything, train nothing.

Reads every split file, label file, frame folder and detector (OpenFace / py-feat) file the
config needs, for every fold, and prints: clips / frames per split and class (or subject), clips
dropped by IAL's frame minimum, frames whose image is missing (with the first few paths) and the
image naming scheme, AU target rates of the training side, and an estimate of the time per epoch
on this machine from a few measured batches (data loading with the config's DataLoader workers,
and the model step: forward, backward, AdamW).

Errors (exit 2, one line naming the path) before any training: a missing split / label file or
frame folder, a malformed file, an ambiguous DISFA image folder, a missing image folder, a clip
without its detector file when the AU loss is on.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import numpy as np

from .datasets import DFEW_EXPRESSIONS
from .images import DatasetError

__all__ = ["check_config", "time_batches"]


def _rates(targets: np.ndarray, aus) -> str:
    with np.errstate(invalid="ignore"):
        r = np.nanmean(targets, axis=0) if len(targets) else np.full(len(aus), np.nan)
    return ", ".join(f"{a} {100 * v:.0f}%" if np.isfinite(v) else f"{a} n/a" for a, v in zip(aus, r))


def _class_counts(records) -> str:
    y = np.array([r.label for r in records])
    return ", ".join(f"{e} {int((y == k).sum())}" for k, e in enumerate(DFEW_EXPRESSIONS))


def time_batches(model, loss_fn, ds, batch_size: int, workers: int, device, n: int = 3, seed: int = 0) -> dict:
    """Seconds per batch of data loading (DataLoader, ``workers`` processes) and of one training
    step (forward, backward, AdamW) over ``n`` batches after one warm-up batch.

    Returns:
        ``{"load_s", "step_s", "batches_per_epoch", "epoch_s"}``; the epoch estimate is
        ``batches * max(load, step)`` with workers (loading overlaps the step) and
        ``batches * (load + step)`` without.
    """
    import torch

    from .run import _loader, _to

    loader = _loader(ds, batch_size, True, workers, seed, device)
    it = iter(loader)
    got, t_load = [], []
    for k in range(n + 1):
        t0 = time.perf_counter()
        try:
            b = next(it)
        except StopIteration:
            break
        t_load.append(time.perf_counter() - t0)
        got.append(b)
    del it
    if not got:
        raise DatasetError("the training set gave no batch")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    model.train()
    t_step = []
    for b in got:
        b = _to(b, device)
        t0 = time.perf_counter()
        loss = loss_fn(model(b["x"]), b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize()
        t_step.append(time.perf_counter() - t0)
    load = float(np.mean(t_load[1:] or t_load))  # the first batch also starts the workers
    step = float(np.mean(t_step[1:] or t_step))
    nb = max(1, len(ds) // batch_size)
    epoch = nb * (max(load, step) if workers > 0 else load + step)
    return {"load_s": load, "step_s": step, "batches_per_epoch": nb, "epoch_s": epoch}


def _dfer(cfg, root, openface, device, n, backbone_fn, log) -> dict:
    from .run import dfer_records, dfer_setup

    out = {"folds": {}}
    first = None
    for fold in cfg["folds"]:
        train_r, test_r, aus, info = dfer_records(cfg, Path(root), int(fold), openface, lambda s: None)
        f = {"train": len(train_r), "test": len(test_r)}
        log(f"fold {fold}: train {len(train_r)} clips ({_class_counts(train_r)})")
        log(f"fold {fold}: test {len(test_r)} clips ({_class_counts(test_r)})")
        nf = np.array([len(r.frames) for r in train_r + test_r])
        log(f"fold {fold}: frames per clip min {nf.min()}, median {int(np.median(nf))}, max {nf.max()}")
        for side in ("train", "test"):
            dropped = info.get(f"dropped_short_{side}") or []
            if dropped:
                log(f"fold {fold}: {len(dropped)} {side} clip(s) under data.min_frames={cfg['data']['min_frames']} "
                    f"dropped, e.g. {', '.join(dropped[:3])}")
        if "targets" in info:
            for side in ("train", "test"):
                log(f"fold {fold}: {side} {info['targets'][side].summary()}")
            tg = np.stack([r.au_target for r in train_r])
            none = int(np.isnan(tg).all(1).sum())
            log(f"fold {fold}: AU target rates (train): {_rates(tg, aus)}"
                + (f"; {none} clip(s) without targets (no file or no tracked frame)" if none else ""))
            f["au_rate"] = np.nanmean(tg, 0).tolist() if len(tg) else []
            for side in ("train", "test"):
                rep = info["targets"][side]
                if rep.missing and cfg["loss"]["au_loss_weight"] > 0:
                    raise DatasetError(f"{rep.missing_examples[0]}: AU detector file missing ({rep.missing} {side} "
                                       f"clips of fold {fold} have none; the AU loss needs them)")
        out["folds"][int(fold)] = f
        if first is None:
            first = (train_r, test_r, aus, int(fold))
    train_r, test_r, aus, fold = first
    model, train_ds, _, loss_fn = dfer_setup(cfg, train_r, test_r, aus, openface is not None, fold, device,
                                             backbone_fn)
    out["timing"] = time_batches(model, loss_fn, train_ds, cfg["train"]["batch_size"], cfg["train"]["workers"],
                                 device, n, cfg["train"]["seed"])
    return out


def _au(cfg, root, images, device, n, backbone_fn, log) -> dict:
    from .run import au_records, au_setup, au_split

    records, aus, audit = au_records(cfg, Path(root), images)
    log(audit.summary())
    if audit.missing_folders:
        raise DatasetError(f"{audit.missing_folders[0]}: image folder missing ({len(audit.missing_folders)} folder(s) "
                           "of labelled sequences have no image; check --images)")
    out = {"folds": {}, "skipped": audit.n_skipped, "naming": dict(audit.naming)}
    first = None
    for fold in cfg["folds"]:
        train_r, test_r = au_split(cfg, records, int(fold))
        for side, recs in (("train", train_r), ("test", test_r)):
            subs = sorted({r.subject for r in recs})
            log(f"fold {fold}: {side} {len(recs)} frames of {len(subs)} subjects ({', '.join(subs[:6])}"
                f"{', ...' if len(subs) > 6 else ''})")
        y = np.stack([r.aus for r in train_r])
        log(f"fold {fold}: AU occurrence rates (train): {_rates(y, aus)}")
        out["folds"][int(fold)] = {"train": len(train_r), "test": len(test_r), "au_rate": np.nanmean(y, 0).tolist()}
        if first is None:
            first = (train_r, test_r, int(fold))
    train_r, test_r, fold = first
    model, train_ds, _, loss_fn = au_setup(cfg, train_r, test_r, aus, fold, device, backbone_fn)
    out["timing"] = time_batches(model, loss_fn, train_ds, cfg["train"]["batch_size"], cfg["train"]["workers"],
                                 device, n, cfg["train"]["seed"])
    return out


def check_config(cfg: dict, root: str | Path, *, openface: str | Path | None = None, images: str | Path | None = None,
                 device: str | None = None, batches: int = 3, backbone_fn=None,
                 log: Callable[[str], None] = print) -> dict:
    """Read every file of a config (all folds) and time ``batches`` training batches; no training.

    Returns:
        ``{"folds": {fold: counts...}, "timing": {...}}`` (AU task: also ``skipped``, ``naming``).

    Raises:
        DatasetError: missing / malformed / inconsistent data (the message names the path).
    """
    from .run import _device

    dev = _device(device)
    if cfg["task"] == "dfer":
        if cfg["loss"]["au_loss_weight"] > 0 and openface is None:
            raise DatasetError("the AU loss (loss.au_loss_weight > 0) needs --openface DIR (one detector CSV per clip)")
        out = _dfer(cfg, root, Path(openface) if openface else None, dev, batches, backbone_fn, log)
    else:
        out = _au(cfg, root, images, dev, batches, backbone_fn, log)
    t = out["timing"]
    log(f"time: {t['load_s']:.3f} s/batch loading ({cfg['train']['workers']} workers), {t['step_s']:.3f} s/batch model "
        f"step on {dev}; {t['batches_per_epoch']} batches of {cfg['train']['batch_size']} -> about "
        f"{t['epoch_s'] / 60:.1f} min per epoch, {t['epoch_s'] * cfg['train']['epochs'] / 3600:.2f} h for "
        f"{cfg['train']['epochs']} epochs per fold")
    log("check passed: every file the config needs was read")
    return out
