"""Check experiments.backbones against torchvision's own model code: same state-dict keys and
shapes, same parameter counts, same outputs after loading torchvision's weights.

torchvision's wheels next to the pinned CPU torch do not import (their C extension is a CUDA
build), but its *model* code is pure Python; this script imports it from an unpacked wheel with
the package ``__init__`` (and so the extension) skipped:

    pip install --no-deps --target /tmp/tv torchvision==0.28.0
    python benchmarks/backbones_vs_torchvision.py /tmp/tv/torchvision

Prints one table row per architecture.
"""

from __future__ import annotations

import sys
import types

import torch


def main(tv_dir: str) -> int:
    stub = types.ModuleType("torchvision")
    stub.__path__ = [tv_dir]
    stub.__version__ = "unknown"
    sys.modules["torchvision"] = stub
    from torchvision.models import resnet as tv2d
    from torchvision.models.video import resnet as tv3d

    sys.path.insert(0, ".")
    from experiments.backbones import ResNet18, VideoResNet18

    pairs = [("resnet18", tv2d.resnet18(), ResNet18(), (2, 3, 64, 64)),
             ("r3d_18", tv3d.r3d_18(), VideoResNet18(False), (2, 3, 8, 56, 56)),
             ("r2plus1d_18", tv3d.r2plus1d_18(), VideoResNet18(True), (2, 3, 8, 56, 56))]
    print("| arch | params (torchvision) | params (ours) | same keys & shapes | max |out diff| |")
    print("|---|---|---|---|---|")
    ok = True
    for name, ref, ours, shape in pairs:
        sa, sb = ref.state_dict(), ours.state_dict()
        same = list(sa) == list(sb) and all(sa[k].shape == sb[k].shape for k in sa)
        ours.load_state_dict(sa)
        ref.eval(), ours.eval()
        x = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            diff = float((ref(x) - ours(x)).abs().max())
        n_ref = sum(p.numel() for p in ref.parameters())
        n_ours = sum(p.numel() for p in ours.parameters())
        ok &= same and n_ref == n_ours and diff < 1e-4
        print(f"| {name} | {n_ref:,} | {n_ours:,} | {same} | {diff:.2e} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tv/torchvision"))
