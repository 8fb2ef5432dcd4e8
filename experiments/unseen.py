"""Classes no training video showed: recognising them through the AU head and a P(AU | e) prior.

Run (writes its section of ``docs/results.md``; a few minutes on one CPU core)::

    python -m experiments.unseen

One or more expression classes (``--unseen``, default ``fear``) have **no training
clips**: they are removed from the training sample of the synthetic world
(:mod:`experiments.synthetic_world`) and kept in the test set. A cross-entropy classifier never
sees them, so it cannot predict them. An AU head trained on the seen classes' AU targets still
detects the AUs of an unseen class (AUs are shared across expressions), and the likelihood
read-out :func:`auknow.losses.implied_expression_logits` turns AU probabilities into expression
scores through a ``P(AU | expression)`` table, which names the unseen classes too.

Trained models per seed (same initialisation, batch order and epochs; paired):

* ``ce``: CE only, on the seen classes (the clips that exist);
* ``au``: ``(1 - w) * CE + w * BCE`` (``w = au_loss_weight``) on the AU targets (plain BCE, no prior in the loss,
  so the AU head is the same whatever prior is later read out, and its sigmoid estimates
  P(AU) without a ``pos_weight`` bias);
* ``ce-all``: CE on every class, unseen ones included: an upper reference that had the data.

Arms (predictions; :data:`ARMS`): ``ce``, ``ce-all``, ``au-ce`` (the ``au`` model's CE head:
AU labels alone do not help), and for each prior (``correct``: the table the world was drawn
from; ``wrong``: its rows deranged between expressions; ``other:T``: another bundled table T,
approximately right knowledge) ``zs-*`` (the combined rule of :func:`combine_seen_unseen`) and
``readout-*`` (the implied logits alone). Metrics: recall of each unseen class, their mean,
UAR over the seen classes, the harmonic mean of the two (the generalised zero-shot summary of
Xian et al. 2018), and the share of seen-class test clips sent to an unseen class.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

__all__ = ["UnseenConfig", "ARMS", "resolve_unseen", "model_priors", "prepare", "combine_seen_unseen",
           "implied_logits", "rebase_au_logits", "au_prevalence", "run_seed", "run_experiment"]


@dataclass
class UnseenConfig:
    """Settings of the unseen-class experiment (defaults = the reported run).

    Attributes:
        preset: generator preset; ``dfew-balanced`` so that every test class has the same
            support (the unseen classes' recall is measured on as many clips as the others').
        unseen: canonical names of the classes with no training clips.
        table: knowledge table the world's AUs are drawn from (the correct prior).
        other_tables: other bundled tables, each an approximately-right prior (``other:T`` arms).
        prior_floor, prior_ceil: a binary (prototype) table is read as ``floor + (ceil - floor) M``
            for every model prior alike (quantified tables are used as they are).
        au_loss_weight: weight of the AU loss in the ``au`` model (CE gets ``1 - au_loss_weight``);
            fixed a priori.
        n_train: clips drawn for training *before* the unseen classes' clips are removed;
            n_test: test clips (all classes).
        epochs, batch_size, lr, weight_decay, width, dim: training and backbone, as in
            :class:`experiments.synthetic.BenchmarkConfig`.
        seeds: seeds (each: new world, data, derangement and initialisation).
        render: ``"images"`` (the reported run: :class:`experiments.models.VideoBackbone`) or
            ``"features"`` (frame features ``[N, T, 48]`` and a one-layer frame MLP; the fast
            test's setting).
    """

    preset: str = "dfew-balanced"
    unseen: tuple[str, ...] = ("fear",)
    table: str = "fig2002"
    other_tables: tuple[str, ...] = ("ekman_emfacs", "matsumoto2008", "keltner2019")
    prior_floor: float = 0.1
    prior_ceil: float = 0.9
    au_loss_weight: float = 0.5
    n_train: int = 2100
    n_test: int = 1400
    num_frames: int = 8
    image_size: int = 16
    num_subjects: int = 60
    noise_std: float = 0.2
    epochs: int = 6
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    width: int = 16
    dim: int = 64
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
    render: str = "images"

    @classmethod
    def quick(cls, **overrides) -> "UnseenConfig":
        """A small configuration that runs in seconds (tests, smoke runs)."""
        base = dict(n_train=700, n_test=350, num_frames=4, image_size=12, num_subjects=12, epochs=3, batch_size=32,
                    width=8, dim=32, seeds=(0, 1))
        base.update(overrides)
        return cls(**base)

    def key(self) -> str:
        """A stable JSON form (cache key, provenance)."""
        return json.dumps(asdict(self), sort_keys=True)


def arm_names(cfg: UnseenConfig) -> list[str]:
    """The arms reported for ``cfg``, in table order."""
    priors = ["correct", "wrong"] + [f"other:{t}" for t in cfg.other_tables]
    return (["ce", "au-ce"] + [f"zs-{p}" for p in priors] + ["zs-correct-raw"] + [f"readout-{p}" for p in priors]
            + ["ce-all"])


#: What each arm kind means (for the results table); ``{prior}`` is filled in.
ARMS: dict[str, str] = {
    "ce": "CE only (classifier never saw the unseen classes)",
    "au-ce": "CE + AU loss, predicted by the CE head (AU labels alone)",
    "zs": "AU head + {prior} prior, combined with CE for seen classes",
    "readout": "AU head + {prior} prior, implied logits alone",
    "zs-correct-raw": "as zs-correct, AU probabilities NOT re-based (training AU prevalence kept)",
    "ce-all": "reference: CE trained WITH the unseen classes' clips",
}


def describe(arm: str, cfg: UnseenConfig) -> str:
    """One line describing ``arm``."""
    if arm in ARMS:
        return ARMS[arm]
    kind, _, prior = arm.partition("-")
    what = {"correct": f"correct (`{cfg.table}`, the world's table)",
            "wrong": f"WRONG (`{cfg.table}` rows deranged)"}.get(prior)
    if what is None:
        what = f"other-table (`{prior.split(':', 1)[1]}`)"
    return ARMS[kind].format(prior=what)


# ----------------------------------------------------------------------------------------------
# options and knowledge
# ----------------------------------------------------------------------------------------------

def resolve_unseen(names: Sequence[str], expressions: Sequence[str]) -> tuple[str, ...]:
    """Canonical, checked names of the unseen classes.

    Args:
        names: class names as written (aliases such as ``"happy"`` accepted).
        expressions: the world's classes.

    Returns:
        The canonical names, in the world's class order.

    Raises:
        ValueError: no name, an unknown name, a class that is not in the world, a repeated
            class, or every class unseen (nothing left to train on).
    """
    from auknow.expressions import canonical_expression

    names = [str(n).strip() for n in names]
    if not names or any(not n for n in names):
        raise ValueError("--unseen: give one or more class names, comma-separated")
    canon = []
    for n in names:
        try:
            c = canonical_expression(n)
        except ValueError as exc:
            raise ValueError(f"--unseen: {exc} (the classes are {', '.join(expressions)})") from None
        if c not in expressions:
            raise ValueError(f"--unseen: {n!r} is not a class of this world (the classes are {', '.join(expressions)})")
        if c in canon:
            raise ValueError(f"--unseen: {c} named twice")
        canon.append(c)
    if len(canon) >= len(expressions):
        raise ValueError("--unseen: every class is unseen; at least one class needs training clips")
    return tuple(e for e in expressions if e in canon)


def model_priors(cfg: UnseenConfig, expressions: Sequence[str], aus: Sequence[str], seed: int) -> dict:
    """The model priors ``[E, A]`` (float64, in ``[0, 1]``) read out by the arms.

    ``correct``: ``cfg.table`` compiled like the world's (:func:`~experiments.synthetic_world.resolve_prior`,
    read with the model floor / ceiling); ``wrong``: its rows deranged
    (:func:`~experiments.synthetic_world.shuffle_prior_rows`, seeded by ``seed``);
    ``other:T``: each of ``cfg.other_tables`` compiled the same way.

    Returns:
        ``{"priors": {name: P}, "row_perm": [E], "modes": {name: mode}}``.

    Raises:
        ValueError: an other table equal to the world's table, or a table that gives no AU for
            an unseen class (its read-out could not recognise it).
    """
    from .synthetic_world import resolve_prior, shuffle_prior_rows

    def read(table: str):
        _, _, _, info = resolve_prior(table, expressions, aus)
        M = info["matrix"]
        if info["mode"] == "binary":
            M = cfg.prior_floor + (cfg.prior_ceil - cfg.prior_floor) * M
        for u in cfg.unseen:
            if not np.any(info["matrix"][list(expressions).index(u)] > 0):
                raise ValueError(f"table {table}: gives no AU of {u} among {', '.join(aus)}; "
                                 "its read-out cannot recognise that unseen class")
        return M, info["mode"]

    for t in cfg.other_tables:
        if t == cfg.table:
            raise ValueError(f"--other-tables: {t} is the world's own table (--table); an other table must differ")
    priors, modes = {}, {}
    priors["correct"], modes["correct"] = read(cfg.table)
    priors["wrong"], perm = shuffle_prior_rows(priors["correct"], seed=seed)
    modes["wrong"] = modes["correct"]
    for t in cfg.other_tables:
        priors[f"other:{t}"], modes[f"other:{t}"] = read(t)
    return {"priors": priors, "row_perm": perm.tolist(), "modes": modes}


# ----------------------------------------------------------------------------------------------
# data of one seed
# ----------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _prepared(key: str, seed: int) -> dict:
    d = json.loads(key)
    for k in ("unseen", "other_tables", "seeds"):
        d[k] = tuple(d[k])
    return _prepare(UnseenConfig(**d), seed)


def prepare(cfg: UnseenConfig, seed: int) -> dict:
    """Clips and priors of one seed (cached).

    Returns:
        ``{"train": SyntheticClips (seen classes only), "train_all": SyntheticClips (every
        class; for the ``ce-all`` reference), "test": SyntheticClips (every class),
        "unseen": [indices], "seen": [indices], "priors": {name: [E, A]}, "row_perm",
        "generator": settings}``.
    """
    return _prepared(cfg.key(), int(seed))


def _prepare(cfg: UnseenConfig, seed: int) -> dict:
    from .synthetic_world import train_test

    if cfg.render not in ("images", "features"):
        raise ValueError(f"render: expected 'images' or 'features', got {cfg.render!r}")
    train_all, test, gen = train_test(cfg.n_train, cfg.n_test, seed=seed, prior=cfg.table, preset=cfg.preset,
                                      num_frames=cfg.num_frames, image_size=cfg.image_size,
                                      num_subjects=cfg.num_subjects, noise_std=cfg.noise_std, render=cfg.render)
    E = list(gen.expressions)
    resolve_unseen(cfg.unseen, E)  # the CLI resolved them already; a config built in code is checked here
    unseen = [E.index(u) for u in cfg.unseen]
    seen = [i for i in range(len(E)) if i not in unseen]
    train = train_all.subset(np.flatnonzero(~np.isin(train_all.labels, unseen)))
    kn = model_priors(cfg, E, gen.aus, seed)
    return {"train": train, "train_all": train_all, "test": test, "unseen": unseen, "seen": seen,
            "priors": kn["priors"], "row_perm": kn["row_perm"], "modes": kn["modes"], "generator": gen.settings()}


# ----------------------------------------------------------------------------------------------
# read-out
# ----------------------------------------------------------------------------------------------

def rebase_au_logits(au_logits: np.ndarray, train_rate: np.ndarray) -> np.ndarray:
    """AU-head logits ``[N, A]`` with the training AU prevalence ``[A]`` taken out (flat 0.5 prior).

    A head trained by BCE estimates ``P(a | x)`` under the training prevalence ``pi_a``:
    ``logit = log LR_a(x) + logit(pi_a)``. The seen classes set ``pi_a`` (an AU only an unseen
    class shows is rare in training, e.g. AU20 of fear), and the read-out's own ``P(a | e)``
    should replace it; ``logit - logit(pi_a)`` leaves the likelihood ratio, i.e. the posterior
    under a flat prior of 0.5 (the prior-shift correction of Saerens, Latinne & Decaestecker
    2002, per AU). It uses the training targets only, no clip of an unseen class.

    Raises:
        ValueError: shapes differ, or a rate outside ``(0, 1)``.

    >>> import numpy as np
    >>> rebase_au_logits(np.zeros((1, 2)), np.array([0.5, 0.2])).round(3).tolist()
    [[0.0, 1.386]]
    """
    z = np.asarray(au_logits, dtype=np.float64)
    r = np.asarray(train_rate, dtype=np.float64).reshape(-1)
    if z.ndim != 2 or z.shape[1] != r.shape[0]:
        raise ValueError(f"au_logits [N, A] and train_rate [A] do not match: {z.shape} vs {r.shape}")
    if not np.all((r > 0) & (r < 1)):
        raise ValueError("train_rate: every AU prevalence must lie in (0, 1) (smooth the counts)")
    return z - np.log(r / (1.0 - r))


def au_prevalence(au_targets: np.ndarray) -> np.ndarray:
    """Smoothed training prevalence ``[A]`` of AU targets ``[N, A]`` (0/1, NaN = missing):
    ``(k + 0.5) / (n + 1)`` per AU, strictly inside ``(0, 1)``."""
    y = np.asarray(au_targets, dtype=np.float64)
    ok = np.isfinite(y)
    return (np.where(ok, y, 0.0).sum(0) + 0.5) / (ok.sum(0) + 1.0)


def implied_logits(au_logits: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Expression logits ``[N, E]`` implied by AU-head logits ``[N, A]`` through ``prior [E, A]``.

    ``auknow.losses.implied_expression_logits(sigmoid(au_logits), prior)`` in float64 with a
    uniform class prior: the naive-Bayes log-likelihood
    ``sum_a q_a log P[e, a] + (1 - q_a) log(1 - P[e, a])`` of the soft AU evidence ``q``.
    """
    import torch

    from auknow.losses import implied_expression_logits

    q = torch.sigmoid(torch.as_tensor(np.asarray(au_logits), dtype=torch.float64))
    return implied_expression_logits(q, torch.as_tensor(np.asarray(prior, dtype=np.float64))).numpy()


def combine_seen_unseen(ce_logits: np.ndarray, implied: np.ndarray, unseen: Sequence[int]) -> np.ndarray:
    """Class scores ``[N, E]`` (rows sum to 1) for seen and unseen classes together.

    With ``q = softmax(implied)`` (the prior read-out's posterior over all E classes, uniform
    class prior) and ``p = softmax`` of the CE logits over the seen classes only:
    ``score[e] = q[e]`` for an unseen class and ``score[e] = q(seen) * p[e]`` for a seen one,
    ``q(seen) = sum_{s seen} q[s]``. The read-out decides *whether* a clip shows an unseen class
    (it is the only part that knows them); among seen classes the classifier trained on them
    decides. No constant is tuned between seen and unseen scores (that would need validation
    clips of the unseen classes, which by definition do not exist).

    Args:
        ce_logits: ``[N, E]`` classifier logits (its unseen-class columns are ignored).
        implied: ``[N, E]`` implied logits (:func:`implied_logits`).
        unseen: indices of the unseen classes (at least one seen class must remain).

    Returns:
        float64 ``[N, E]``; ``argmax(1)`` is the prediction.

    Raises:
        ValueError: shapes differ, or ``unseen`` is empty, out of range, or covers every class.

    >>> import numpy as np
    >>> s = combine_seen_unseen(np.array([[2.0, 0.0, 9.0]]), np.array([[0.0, 0.0, np.log(2.0)]]), [2])
    >>> np.round(s, 3).tolist()   # q = (.25, .25, .5); the seen half split by CE's (.881, .119)
    [[0.44, 0.06, 0.5]]
    """
    from scipy.special import softmax

    z = np.asarray(ce_logits, dtype=np.float64)
    s = np.asarray(implied, dtype=np.float64)
    if z.ndim != 2 or z.shape != s.shape:
        raise ValueError(f"ce_logits and implied: expected equal [N, E] shapes, got {z.shape} and {s.shape}")
    E = z.shape[1]
    u = sorted(set(int(i) for i in unseen))
    if not u or u[0] < 0 or u[-1] >= E or len(u) >= E:
        raise ValueError(f"unseen: need 1..{E - 1} class indices in [0, {E}), got {list(unseen)}")
    seen = [i for i in range(E) if i not in u]
    q = softmax(s, axis=1)
    out = np.empty_like(q)
    out[:, u] = q[:, u]
    out[:, seen] = q[:, seen].sum(1, keepdims=True) * softmax(z[:, seen], axis=1)
    return out


# ----------------------------------------------------------------------------------------------
# training and evaluation
# ----------------------------------------------------------------------------------------------

def _train(cfg: UnseenConfig, clips, seed: int, num_classes: int, au_loss_weight: float):
    """A ``PriorHead`` (CE, plus a plain-BCE AU head when ``au_loss_weight > 0``) trained on ``clips``."""
    import torch

    from auknow.models.prior_head import AUTerm, PriorHead

    from .models import VideoBackbone
    from .training import array_batches, fit

    torch.manual_seed(seed)
    x = clips.images if cfg.render == "images" else clips.features
    if cfg.render == "images":
        backbone = VideoBackbone(1, cfg.image_size, cfg.width, 4, cfg.dim)
    else:  # frame features [B, T, D] -> [B, T, dim]; PriorHead pools over T
        backbone = torch.nn.Sequential(torch.nn.Linear(x.shape[-1], cfg.dim), torch.nn.ReLU())
    au = AUTerm(weight=au_loss_weight, loss="smooth") if au_loss_weight > 0 else None
    model = PriorHead(backbone, cfg.dim, None, num_expressions=num_classes, num_aus=len(clips.aus), pooling="mean",
                      au=au)
    arrays = {"x": torch.as_tensor(x), "expression": torch.as_tensor(clips.labels),
              "aus": torch.as_tensor(clips.au_targets)}

    def loss_fn(out, batch):
        tgt = {"expression": batch["expression"]}
        if au_loss_weight > 0:
            tgt["aus"] = batch["aus"]
        return model.loss(out, tgt)

    gen = torch.Generator().manual_seed(seed)
    fit(model, loss_fn, lambda ep: array_batches(arrays, cfg.batch_size, True, gen), cfg.epochs, lr=cfg.lr,
        weight_decay=cfg.weight_decay)
    return model


def _scores(labels: np.ndarray, pred: np.ndarray, E: int, unseen: list[int], seen: list[int]) -> dict:
    from .metrics import classification_metrics

    m = classification_metrics(labels, pred, E)
    rec = m["recall"]
    u, s = float(np.mean(rec[unseen])), float(np.mean(rec[seen]))
    h = 0.0 if u + s == 0 else 2 * u * s / (u + s)
    to_unseen = float(np.mean(np.isin(pred[np.isin(labels, seen)], unseen)))
    return {"recall": rec.tolist(), "unseen_recall": u, "seen_uar": s, "uar": m["uar"], "h": h,
            "seen_to_unseen": to_unseen}


def run_seed(cfg: UnseenConfig, seed: int, with_reference: bool = True) -> list[dict]:
    """Train the models of one seed and score every arm.

    Returns:
        One dict per arm: ``{"arm", "seed", "recall" [E], "unseen_recall", "seen_uar", "uar",
        "h", "seen_to_unseen", "au_f1" (the AU head's mean F1 against the true AU presence of
        the test clips, ``au*`` arms only), "train_s"}``; fractions in ``[0, 1]``.
    """
    import torch

    from .metrics import au_f1
    from .training import array_batches, predict

    data = prepare(cfg, seed)
    te, E = data["test"], len(data["test"].expressions)
    unseen, seen = data["unseen"], data["seen"]
    x_test = torch.as_tensor(te.images if cfg.render == "images" else te.features)
    test_batches = lambda: array_batches({"x": x_test}, 256, shuffle=False)  # noqa: E731
    out = []

    def add(arm, pred, train_s, f1=None):
        out.append({"arm": arm, "seed": int(seed), **_scores(te.labels, pred, E, unseen, seen), "au_f1": f1,
                    "train_s": train_s})

    t0 = time.perf_counter()
    ce = _train(cfg, data["train"], seed, E, 0.0)
    t_ce = time.perf_counter() - t0
    add("ce", predict(ce, test_batches())[0].argmax(1), t_ce)
    t0 = time.perf_counter()
    au_model = _train(cfg, data["train"], seed, E, cfg.au_loss_weight)
    t_au = time.perf_counter() - t0
    z, a = predict(au_model, test_batches())
    f1 = au_f1(te.au_present, 1.0 / (1.0 + np.exp(-a)))["mean_f1"]
    add("au-ce", z.argmax(1), t_au, f1)
    a_raw, a = a, rebase_au_logits(a, au_prevalence(data["train"].au_targets))
    add("zs-correct-raw", combine_seen_unseen(z, implied_logits(a_raw, data["priors"]["correct"]), unseen).argmax(1),
        t_au, f1)
    for name, P in data["priors"].items():
        s = implied_logits(a, P)
        add(f"zs-{name}", combine_seen_unseen(z, s, unseen).argmax(1), t_au, f1)
        add(f"readout-{name}", s.argmax(1), t_au, f1)
    if with_reference:
        t0 = time.perf_counter()
        ref = _train(cfg, data["train_all"], seed, E, 0.0)
        add("ce-all", predict(ref, test_batches())[0].argmax(1), time.perf_counter() - t0)
    order = {a: i for i, a in enumerate(arm_names(cfg))}
    return sorted(out, key=lambda r: order[r["arm"]])


def run_experiment(cfg: UnseenConfig, log=None) -> list[dict]:
    """:func:`run_seed` for every seed of ``cfg`` (one process; the runs are small)."""
    import torch

    torch.set_num_threads(1)
    runs = []
    for seed in cfg.seeds:
        rs = run_seed(cfg, seed)
        runs += rs
        if log:
            by = {r["arm"]: r for r in rs}
            log(f"seed {seed}: unseen recall ce {100 * by['ce']['unseen_recall']:.1f}, zs-correct "
                f"{100 * by['zs-correct']['unseen_recall']:.1f}, zs-wrong {100 * by['zs-wrong']['unseen_recall']:.1f} "
                f"({sum(r['train_s'] for r in rs if r['arm'] in ('ce', 'au-ce', 'ce-all')):.0f} s)")
    return runs


# ----------------------------------------------------------------------------------------------
# command line (experiments.unseen_cli)
# ----------------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    """``python -m experiments.unseen``: see :func:`experiments.unseen_cli.main`."""
    from .unseen_cli import main as run_main

    return run_main(argv)


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.exit(main())
