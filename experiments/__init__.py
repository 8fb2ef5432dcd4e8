"""auknow experiments: the controlled synthetic benchmark and the seed papers' set-ups on real data.

* ``python -m experiments.synthetic --preset dfew-imbalance``: trains a small video backbone
  with and without AU knowledge on synthetic clips (:mod:`experiments.synthetic_world`), several seeds, and
  writes ``docs/results.md`` (see ``docs/experiments.md``).
* ``python -m experiments.run CONFIG.yaml --root /path/to/DATASET``: the seed papers' set-ups on
  DFEW / FERV39K (DFER backbone + AU loss, + IAL) and BP4D / DISFA (AU detector with the AU
  relation GNN, 3-fold F1). Configs live in ``experiments/configs/``.

Modules: :mod:`experiments.metrics` (WAR, UAR, per-class recall, per-AU F1, confidence
intervals; scikit-learn), :mod:`experiments.models` (small video backbones, AU-graph model),
:mod:`experiments.training` (training loop and the arms), :mod:`experiments.datasets` (loaders
in the datasets' released layouts), :mod:`experiments.images` (one image naming scheme per
folder, missing images skipped and counted), :mod:`experiments.targets` (per-clip AU targets
from OpenFace / py-feat), :mod:`experiments.backbones` (ResNet-18, R3D-18, R(2+1)D-18 from
``model.backbone``), :mod:`experiments.check` (``--check``), :mod:`experiments.run` and
:mod:`experiments.synthetic` (command-line runners).
"""
