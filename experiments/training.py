"""Training loop, prediction and the benchmark's arms (model + loss per condition).

One loop serves every experiment: :func:`fit` takes a model, a loss ``loss_fn(outputs, batch)``
and a function that yields the batches of an epoch (dicts with ``"x"`` and the targets), and
trains with AdamW and a per-step cosine schedule. :func:`predict` returns the logits on a batch
iterator. Randomness (initialisation, batch order, dropout) comes from the seed passed in:
``torch.manual_seed(seed)`` before building a model and a ``torch.Generator`` for the batch order.

Arms (:data:`ARMS`), each trained for the same epochs, batch size and schedule (equal compute;
the AU head is one linear layer, the GNN a few small matrices):

===============  ======================================================================
``ce``           CE only (``PriorHead`` with every prior term off)
``cw``           class-weighted CE (effective number, beta 0.999): an imbalance control
                 that uses no knowledge
``ial``          CE + intensity-aware loss (lambda 0.1, as the IAL code ran); no knowledge
``au``           CE + AU-DFER AU loss (weight 0.25, BCE weights ``5 * prior[e]``, global
                 pos_weight) on the clips' AU targets
``au-wrong``     the same with the prior's rows shuffled between expressions
``pc``           CE + prior-consistency loss (beta 0.3, T 1), **no AU labels** (soft AU
                 targets from the prior): the knowledge is the only extra information
``pc-wrong``     the same with the shuffled prior
``au+pc``        AU loss and prior consistency together (AU labels + knowledge)
``au+pc-wrong``  the same with the shuffled prior
``gnn-off``      AU-feature model (per-AU features, no GNN), CE + AU loss
``gnn-on``       the same with the AU relation GNN over the knowledge AU graph
``gnn-wrong``    the same with the knowledge graph's AU labels permuted (wrong graph)
===============  ======================================================================

Hyper-parameters are the seed papers' (AU-loss weight 0.25, scale 5, IAL lambda 0.1); the prior-consistency
weight (0.3, temperature 1, no detach) was chosen on a development seed (100) that is not among
the reported seeds (grid beta in {0.3, 1}, T in {1, 4}, detach in {none, au}; ``docs/experiments.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ["Arm", "ARMS", "arm_requirements", "unavailable_arms", "fit", "predict", "array_batches", "model_outputs"]


@dataclass(frozen=True)
class Arm:
    """One experimental condition.

    Attributes:
        name: short id (``ce``, ``au``, ...).
        description: one line for the results table.
        model: ``"head"`` (backbone + :class:`auknow.models.prior_head.PriorHead`) or ``"graph"``
            (:class:`experiments.models.AUGraphModel`).
        au_loss_weight: AU-loss weight (CE gets ``1 - au_loss_weight``).
        ial_weight: IAL lambda.
        consistency_weight: prior-consistency beta.
        prior: ``"correct"``, ``"wrong"`` (rows shuffled) or ``None`` (no prior used).
        au_labels: whether the arm trains on AU targets.
        gnn: graph model with the GNN (True) or the identity (False).
        graph: ``"correct"`` or ``"wrong"`` (AU labels of the graph permuted).
        class_weighted: CE (and IAL) with effective-number class weights (Cui et al. 2019,
            beta 0.999) from the training labels.
    """

    name: str
    description: str
    model: str = "head"
    au_loss_weight: float = 0.0
    ial_weight: float = 0.0
    consistency_weight: float = 0.0
    prior: str | None = None
    au_labels: bool = False
    gnn: bool = False
    graph: str = "correct"
    class_weighted: bool = False

    @property
    def uses_knowledge(self) -> bool:
        """Whether the arm uses the prior matrix or the knowledge graph."""
        return self.prior is not None or self.gnn


ARMS: dict[str, Arm] = {a.name: a for a in (
    Arm("ce", "CE only"),
    Arm("cw", "class-weighted CE (no knowledge; imbalance control)", class_weighted=True),
    Arm("ial", "CE + IAL (no knowledge)", ial_weight=0.1),
    Arm("au", "CE + AU loss (AU-DFER), correct prior", au_loss_weight=0.25, prior="correct", au_labels=True),
    Arm("au-wrong", "CE + AU loss, WRONG prior (rows shuffled)", au_loss_weight=0.25, prior="wrong", au_labels=True),
    Arm("pc", "CE + prior consistency, correct prior, no AU labels", consistency_weight=0.3, prior="correct"),
    Arm("pc-wrong", "CE + prior consistency, WRONG prior, no AU labels", consistency_weight=0.3, prior="wrong"),
    Arm("au+pc", "CE + AU loss + prior consistency, correct prior", au_loss_weight=0.25, consistency_weight=0.3,
        prior="correct", au_labels=True),
    Arm("au+pc-wrong", "CE + AU loss + prior consistency, WRONG prior", au_loss_weight=0.25, consistency_weight=0.3,
        prior="wrong", au_labels=True),
    Arm("gnn-off", "AU-feature model, GNN off (CE + AU loss)", model="graph", au_loss_weight=0.25, prior="correct",
        au_labels=True, gnn=False),
    Arm("gnn-on", "AU-feature model + knowledge-graph GNN (CE + AU loss)", model="graph", au_loss_weight=0.25,
        prior="correct", au_labels=True, gnn=True),
    Arm("gnn-wrong", "AU-feature model + GNN on a WRONG graph (AUs permuted)", model="graph", au_loss_weight=0.25,
        prior="correct", au_labels=True, gnn=True, graph="wrong"),
)}


def arm_requirements(arm: Arm) -> list[tuple[str, str]]:
    """The auknow APIs an arm needs, as ``(module, attribute)`` pairs."""
    req = [("experiments.synthetic_world", "train_test"), ("auknow.losses", "expression_cross_entropy")]
    if arm.model == "head":
        req.append(("auknow.models.prior_head", "PriorHead"))
    else:
        req += [("auknow.models", "AUFeatureGenerator"), ("auknow.losses", "AULoss")]
        if arm.gnn:
            req += [("auknow.models", "AURelationGNN"), ("auknow.compile", "au_graph"), ("auknow.compile", "to_pyg")]
    if arm.au_loss_weight > 0:
        req += [("auknow.losses", "AULoss"), ("auknow.losses", "pos_weight_from_data")]
    if arm.ial_weight > 0:
        req.append(("auknow.losses", "intensity_aware_loss"))
    if arm.consistency_weight > 0:
        req.append(("auknow.losses", "PriorConsistencyLoss"))
    if arm.class_weighted:
        req.append(("auknow.losses", "effective_number_weights"))
    if arm.prior is not None:
        req.append(("auknow.compile", "compile_matrix"))
    return req


def unavailable_arms(names: Iterable[str]) -> dict[str, str]:
    """Arms whose auknow APIs cannot be imported: name -> the missing ``module.attribute``.

    The runners skip these and say so, instead of running a stand-in.
    """
    import importlib

    out = {}
    for name in names:
        for mod, attr in arm_requirements(ARMS[name]):
            try:
                ok = hasattr(importlib.import_module(mod), attr)
            except Exception as exc:  # an import error of a module still being written
                ok = False
                attr = f"{attr} ({type(exc).__name__}: {exc})"
            if not ok:
                out[name] = f"{mod}.{attr}"
                break
    return out


def array_batches(arrays: dict[str, Tensor], batch_size: int, shuffle: bool = True,
                  generator: torch.Generator | None = None) -> Iterator[dict[str, Tensor]]:
    """Mini-batches of in-memory tensors (equal first dimension N), as dicts.

    Args:
        arrays: name -> tensor ``[N, ...]``.
        batch_size: >= 1; the last batch may be smaller (batches of 1 are dropped when
            shuffling, to keep BatchNorm happy).
        shuffle: random order from ``generator``.

    Raises:
        ValueError: empty input, unequal lengths.
    """
    lens = {k: v.shape[0] for k, v in arrays.items()}
    if not lens or len(set(lens.values())) != 1:
        raise ValueError(f"arrays: need equal, non-zero first dimensions, got {lens}")
    n = next(iter(lens.values()))
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for lo in range(0, n, batch_size):
        idx = order[lo:lo + batch_size]
        if shuffle and idx.numel() < 2:
            continue
        yield {k: v[idx] for k, v in arrays.items()}


def model_outputs(out: Any) -> tuple[Tensor | None, Tensor | None]:
    """``(expr_logits, au_logits)`` of a model's output (a NamedTuple / tuple or a tensor)."""
    if isinstance(out, Tensor):
        return out, None
    return out[0], (out[1] if len(out) > 1 else None)


def fit(model: nn.Module, loss_fn: Callable[[Any, dict], Tensor], batches: Callable[[int], Iterable[dict]],
        epochs: int, *, lr: float = 3e-3, weight_decay: float = 1e-4, warmup: float = 0.0,
        steps_per_epoch: int | None = None, clip_grad: float | None = 5.0, log: Callable[[str], None] | None = None,
        x_key: str = "x") -> list[float]:
    """Train ``model`` with AdamW and a per-step cosine learning-rate schedule.

    Args:
        model: the module (put in train mode here).
        loss_fn: ``loss_fn(model(batch[x_key]), batch) -> scalar``.
        batches: ``batches(epoch)`` yields the epoch's batches (dicts).
        epochs: >= 1.
        lr, weight_decay: AdamW settings; the rate follows ``lr * (1 + cos(pi * step / total)) / 2``
            after ``warmup`` (a fraction of the steps, linear ramp).
        steps_per_epoch: for the schedule; default: counted from the first epoch's batches.
        clip_grad: max gradient norm (None: no clipping).
        log: optional callable receiving one line per epoch.

    Returns:
        The mean training loss of every epoch.

    Raises:
        ValueError: epochs < 1 or an epoch without batches; FloatingPointError on a non-finite loss.
    """
    if epochs < 1:
        raise ValueError(f"epochs: expected >= 1, got {epochs}")
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=weight_decay)
    first = list(batches(0))
    if not first:
        raise ValueError("the training set gave no batch")
    spe = steps_per_epoch or len(first)
    total, step, history = max(1, epochs * spe), 0, []
    warm = int(warmup * total)
    for epoch in range(epochs):
        model.train()
        it = first if epoch == 0 else batches(epoch)
        losses = []
        for batch in it:
            if warm and step < warm:
                rate = lr * (step + 1) / warm
            else:
                rate = lr * 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))
            for g in opt.param_groups:
                g["lr"] = rate
            loss = loss_fn(model(batch[x_key]), batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"non-finite training loss at epoch {epoch}, step {step}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip_grad:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
            opt.step()
            losses.append(float(loss.detach()))
            step += 1
        history.append(float(np.mean(losses)) if losses else float("nan"))
        if log:
            log(f"epoch {epoch + 1}/{epochs} loss {history[-1]:.4f}")
    return history


@torch.no_grad()
def predict(model: nn.Module, batches: Iterable[dict], x_key: str = "x", au_in_eval: bool = True
            ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Expression logits ``[N, E]`` and AU logits ``[N, A]`` (None when the model gives none).

    The model is put in eval mode; a ``PriorHead`` is asked for its AU logits too
    (``return_aus=True``) when ``au_in_eval``.
    """
    from auknow.models.prior_head import PriorHead

    model.eval()
    ex, au = [], []
    for batch in batches:
        x = batch[x_key]
        out = model(x, return_aus=au_in_eval) if isinstance(model, PriorHead) else model(x)
        e, a = model_outputs(out)
        if e is not None:
            ex.append(e.float().cpu())
        if a is not None:
            au.append(a.float().cpu())
    return (torch.cat(ex).numpy() if ex else None), (torch.cat(au).numpy() if au else None)


def ce_au_loss(au_loss_weight: float, au_criterion: nn.Module | None) -> Callable[[Any, dict], Tensor]:
    """``(1 - au_loss_weight) * CE + au_loss_weight * AU loss`` for models returning ``(expr, au, ...)``."""
    from auknow.losses import AULoss, expression_cross_entropy

    def loss_fn(out, batch):
        expr, au = model_outputs(out)
        y = batch["expression"]
        total = (1.0 - au_loss_weight) * expression_cross_entropy(expr, y)
        if au_criterion is not None and au_loss_weight > 0 and au is not None and "aus" in batch:
            if isinstance(au_criterion, AULoss):
                total = total + au_loss_weight * au_criterion(au, batch["aus"], y)
            else:
                total = total + au_loss_weight * au_criterion(au, batch["aus"])
        return total

    return loss_fn
