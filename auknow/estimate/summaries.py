"""Event sizes and network summaries of ``estimate-prior``: the files and figures they add.

:func:`compute` turns the data and the estimate into ``event_sizes.csv``, ``network.csv``,
``network_summary.csv`` and ``network_edges.csv`` (texts, written with the other outputs in
one atomic step by :mod:`auknow.cli_estimate`); :func:`plot` draws ``event_sizes.png`` and
``network.png``. Methods: :mod:`auknow.estimate.event_size`, :mod:`auknow.estimate.network`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..readers.frames import AUFrames
from . import event_size as ev
from . import network as nw
from . import output


@dataclass
class Summaries:
    """What :func:`compute` produced: ``files`` (name -> CSV text), the event sizes (None when not
    computed), and ``notes`` (one line each: what could not be computed and why).

    >>> import auknow
    >>> from auknow.estimate.prior import estimate_prior
    >>> frames = auknow.read_ckplus(auknow.bundled_ckplus_path())
    >>> est = estimate_prior(frames, n_boot=0, n_perm=0)
    >>> summ = compute(frames, est, unit="frame", min_fraction=0.5, n_boot=0, n_perm=0, ci=0.95, seed=0)
    >>> sorted(summ.files), summ.notes, summ.event_sizes.expressions == est.expressions
    (['event_sizes.csv', 'network.csv', 'network_edges.csv', 'network_summary.csv'], [], True)
    >>> summ = compute(est.counts, est, unit="frame", min_fraction=0.5, n_boot=0, n_perm=0, ci=0.95, seed=0)
    >>> sorted(summ.files), summ.event_sizes is None            # counts only: no frame sizes
    (['network.csv', 'network_edges.csv', 'network_summary.csv'], True)
    >>> for note in summ.notes:
    ...     print(note)
    event sizes per frame need the frames, and BP4D is streamed to counts: event_sizes.csv not
        written (use unit='sequence' or independent_clips=True)
    """

    files: dict[str, str]
    event_sizes: ev.EventSizes | None = None
    notes: list[str] = field(default_factory=list)


def compute(data, est, *, unit: str, min_fraction: float, n_boot: int, n_perm: int, ci: float, seed: int,
            independent_clips: bool = False, rule: str = "auto", alpha: float = 0.05) -> Summaries:
    """Event sizes (with expression labels) and the AU networks of ``est``.

    Args:
        data: what ``est`` was estimated from: :class:`~auknow.readers.frames.AUFrames` or
            :class:`~auknow.estimate.statistics.Counts` (streamed BP4D: event sizes only with
            ``unit="sequence"``, a note says so; per-expression networks from the counts).
        est: the :class:`~auknow.estimate.prior.PriorEstimate`.
        unit, min_fraction, n_boot, n_perm, ci, seed, independent_clips: as for ``est``.
        rule, alpha: the edge rule (:data:`auknow.estimate.network.EDGE_RULES`) and q threshold.

    Returns:
        :class:`Summaries` (CSV texts with 6 significant digits, empty cells where undefined).

    Raises:
        DataError: ``rule="q"`` without pair q-values, a bad alpha.

    >>> rng = np.random.default_rng(0)        # 12 subjects x 2 sequences of 3 frames; 4 AUs
    >>> expr = np.repeat(["happiness", "surprise"], 3)
    >>> rate = np.where(expr[:, None] == "happiness", [.1, .9, .9, .2], [.9, .1, .1, .8])   # AU01 AU06 AU12 AU25
    >>> f = AUFrames(aus=["AU01", "AU06", "AU12", "AU25"], occurrence=(rng.random((12 * 6, 4)) < np.tile(rate, (12, 1))),
    ...              subject=np.repeat([f"s{i}" for i in range(12)], 6), frame=np.tile([0, 1, 2], 24),
    ...              sequence=[f"s{i}_{e}" for i in range(12) for e in expr], expression=np.tile(expr, 12))
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(f, n_boot=50, n_perm=100)
    >>> summ = compute(f, est, unit="frame", min_fraction=0.5, n_boot=50, n_perm=100, ci=0.95, seed=0)
    >>> for line in summ.files["network_summary.csv"].splitlines():   # all units, per expression, bipartite
    ...     print(",".join(line.split(",")[:4]))
    graph,expression,n_nodes,n_edges
    all,,4,1
    expression,happiness,4,0
    expression,surprise,4,0
    bipartite,,6,4
    >>> print(summ.files["network_edges.csv"], end="")   # AU06-AU12 co-occur through happiness only
    graph,expression,au_i,au_j,weight,lift,lift_ci_low,q_value,edge_rule
    all,,AU06,AU12,0.49375,1.61719,1.33172,0.0281074,q
    >>> summ.event_sizes.mean_size.round(2).tolist(), summ.notes
    ([1.92, 1.83], [])
    """
    out = Summaries(files={})
    frames = isinstance(data, AUFrames)
    if est.expressions and (frames or unit == "sequence"):
        sc = ev.size_counts(data, unit, min_fraction, independent_clips)
        es = ev.event_sizes(sc, n_boot=n_boot, n_perm=n_perm, ci=ci, seed=seed, independent_clips=independent_clips)
        out.event_sizes = ev.reorder(es, est.expressions)
        left, total = float(sc.incomplete.sum()), float(sc.incomplete.sum() + sc.counts.seq_n[:, 0].sum())
        if left:
            out.notes.append(f"event sizes leave out {left:.0f} of {total:.0f} units ({left / total:.1%}) where "
                             "some AU is not coded (their size is unknown); n_incomplete in event_sizes.csv")
        out.files["event_sizes.csv"] = output.event_sizes_csv(out.event_sizes)
    elif est.expressions:
        out.notes.append("event sizes per frame need the frames, and BP4D is streamed to counts: "
                         "event_sizes.csv not written (use unit='sequence' or independent_clips=True)")
    with np.errstate(invalid="ignore", divide="ignore"):
        p_au = est.counts.seq_k.sum(0) / est.counts.seq_n.sum(0)
    graphs = {"": {"expression": "", "relation": est.relation, "relation_ci": est.relation_ci,
                   "q": nw.pair_qvalues(est), "p_au": p_au, "n_units": int(est.counts.seq_n.sum(0).max()),
                   "pair_subjects": (est.counts.pair_counts[:, 3] > 0).sum(0)}}
    if est.expressions:  # from the frames, or from streamed BP4D's counts (the same result)
        per = nw.expression_relations(data, unit, min_fraction, n_boot, ci, seed, independent_clips)
        graphs.update({e: {"expression": e, **per[e], "q": nw.pair_qvalues(est, e)} for e in est.expressions})
    tables = nw.summarise(graphs, est.aus, rule, alpha)
    if est.expressions:
        gm, _ = nw.bipartite_measures(est, alpha)
        tables["graphs"].append(["bipartite", "", *(gm[c] for c in nw.GRAPH_COLUMNS[2:10]),
                                 "expression-au q", alpha, np.nan, int(est.counts.seq_n.sum(0).max())])
    out.files.update(output.network_csvs(tables))
    return out


def plot(summ: Summaries, est, folder: Path, name: str, alpha: float, ci: float) -> None:
    """``event_sizes.png`` (observed vs null per expression) and ``network.png`` (the bipartite
    expression <-> AU network) into ``folder``, with fixed metadata (byte-identical reruns).

    Args:
        summ: from :func:`compute` (no ``event_sizes.png`` without event sizes); est: the
            estimate; folder: an existing folder (files there are replaced); name: the title's
            data name; alpha: q threshold of the marks and edges; ci: the level of the intervals.

    The figures are :class:`matplotlib.figure.Figure` objects, not pyplot's (nothing to close).

    >>> rng = np.random.default_rng(0)        # 12 subjects x 2 sequences of 3 frames; 4 AUs
    >>> expr = np.repeat(["happiness", "surprise"], 3)
    >>> rate = np.where(expr[:, None] == "happiness", [.1, .9, .9, .2], [.9, .1, .1, .8])   # AU01 AU06 AU12 AU25
    >>> f = AUFrames(aus=["AU01", "AU06", "AU12", "AU25"], occurrence=(rng.random((12 * 6, 4)) < np.tile(rate, (12, 1))),
    ...              subject=np.repeat([f"s{i}" for i in range(12)], 6), frame=np.tile([0, 1, 2], 24),
    ...              sequence=[f"s{i}_{e}" for i in range(12) for e in expr], expression=np.tile(expr, 12))
    >>> from auknow.estimate.prior import estimate_prior
    >>> est = estimate_prior(f, n_boot=50, n_perm=100)
    >>> summ = compute(f, est, unit="frame", min_fraction=0.5, n_boot=50, n_perm=100, ci=0.95, seed=0)
    >>> import tempfile, matplotlib.image
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     plot(summ, est, Path(tmp), "toy", alpha=0.05, ci=0.95)
    ...     print({p.name: matplotlib.image.imread(p).shape for p in sorted(Path(tmp).iterdir())})
    {'event_sizes.png': (430, 780, 4), 'network.png': (600, 1000, 4)}
    """
    from ..facs import au_number, code
    from ..plots import bipartite_network, event_size_panel

    es = summ.event_sizes
    if es is not None:
        with np.errstate(invalid="ignore"):
            sig = es.q_value < alpha
        sub = [f"mean {m:.2f} (null {n:.2f}){' *' if q < alpha else ''}" if np.isfinite(n) else f"mean {m:.2f}"
               for m, n, q in zip(es.mean_size, es.mean_null, np.nan_to_num(es.mean_q_value, nan=1.0))]
        fig = event_size_panel(es.sizes, es.p_size, es.ci_low, es.ci_high, es.p_null, es.null_low, es.null_high,
                               es.expressions, significant=sig, alpha=alpha, level=ci, subtitles=sub,
                               title=f"{name}: AUs active per {est.settings['unit']} (* mean size differs, "
                                     f"q < {alpha:g})")
        fig.savefig(folder / "event_sizes.png", dpi=200, metadata={"Software": None})
    if est.expressions:
        sig, w = nw.bipartite_edges(est, alpha)
        labels = [f"{a} {code(au_number(a)).description}" for a in est.aus]
        fig = bipartite_network(w, sig, est.expressions, est.aus, alpha=alpha, au_labels=labels,
                                title=f"{name}: expressions and their significant AUs")
        fig.savefig(folder / "network.png", dpi=200, metadata={"Software": None})
