"""Data loading vs model step for the default DFEW config (experiments/configs/dfew_au_loss.yaml).

Writes a DFEW fixture in the released layout (``Clip/clip_224x224_16f``: 16 JPEG frames of
224 x 224 per clip, quality 90) into a temporary folder, then times, per batch of the config
(32 clips, 16 frames at 112 x 112):

* data loading (JPEG decode + resize + per-clip segment sampling + flip) through the runner's
  DataLoader with 0, 1 and 2 worker processes;
* the model step (forward, backward, AdamW) of the config's model (small backbone inside
  PriorHead with the AU-DFER AU loss), on batches already in memory;

and prints a table with clips per second. Usage (a few minutes on 2 cores)::

    python benchmarks/experiments_loading.py [--clips 96] [--batches 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np


def _fixture(root: Path, n: int, seed: int = 0) -> Path:
    from PIL import Image

    rng = np.random.default_rng(seed)
    d = root / "DFEW"
    for split, ids in (("train", range(1, n + 1)), ("test", range(n + 1, n + 3))):
        f = d / "EmoLabel_DataSplit" / f"{split}(single-labeled)" / "set_1.csv"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("video_name,label\n" + "".join(f"{i},{(i % 7) + 1}\n" for i in ids))
    base = (rng.random((224, 224, 3)) * 255).astype(np.uint8)
    for i in range(1, n + 3):
        for t in range(1, 17):
            img = np.clip(base.astype(int) + rng.integers(-20, 20, base.shape), 0, 255).astype(np.uint8)
            p = d / "Clip" / "clip_224x224_16f" / f"{i:05d}" / f"{t}.jpg"
            p.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(p, quality=90)
    return d


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=96)
    ap.add_argument("--batches", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads of the model step")
    ap.add_argument("--workers", default="0,1,2")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import torch

    from experiments.check import time_batches
    from experiments.run import dfer_records, dfer_setup, load_config

    torch.set_num_threads(args.threads)
    cfg = load_config(Path(__file__).resolve().parent.parent / "experiments" / "configs" / "dfew_au_loss.yaml",
                      ["folds=[1]", "loss.au_loss_weight=0"])  # no OpenFace files in the fixture: CE-only step
    bs = cfg["train"]["batch_size"]
    with tempfile.TemporaryDirectory() as tmp:
        root = _fixture(Path(tmp), args.clips)
        tr, te, aus, _ = dfer_records(cfg, root, 1, None, lambda s: None)
        model, ds, _, loss_fn = dfer_setup(cfg, tr, te, aus, False, 1, torch.device("cpu"))
        rows = []
        for w in [int(x) for x in args.workers.split(",")]:
            t = time_batches(model, loss_fn, ds, bs, w, torch.device("cpu"), args.batches)
            rows.append((w, t))
    print(f"DFEW default config: batch {bs} clips x 16 frames x 112 px, small backbone "
          f"({sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters), torch threads {args.threads}")
    print("| DataLoader workers | loading s/batch | model step s/batch | clips/s (epoch estimate) |")
    print("|---|---|---|---|")
    for w, t in rows:
        per = t["epoch_s"] / t["batches_per_epoch"]
        print(f"| {w} | {t['load_s']:.2f} | {t['step_s']:.2f} | {bs / per:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
