"""What ``estimate-prior --configurations`` writes: ``configurations.csv``, the prototype table
``configurations.yaml`` and the terminal summary (method: ``docs/estimate-prior.md``, Configurations)."""

from __future__ import annotations

import numpy as np

from ..expressions import canonical_expression
from ..errors import AuknowError
from ..facs import parse_facs
from ..tables.model import Configuration, PrototypeTable, Provenance
from .configurations import ConfigurationEstimate, facs_code, facs_exclusive
from .output import csv_text, fmt

CONFIGURATION_COLUMNS = (
    "expression", "configuration", "size", "support", "n_units", "unit", "p_config_given_expression",
    "ci_low", "ci_high", "p_config_given_other", "lift", "p_value", "q_value", "n_subjects", "support_subjects",
    "facs_exclusive", "in_table",
)

#: provenance keys of the single-AU tables that do not describe the configuration test
_SINGLE_ONLY = ("statistic", "multiple_comparisons", "n_perm_used", "p_floor", "n_at_p_floor", "p_floor_q",
                "p_floor_may_decide")

SELECTION = ("per expression, the maximal configurations among those with q < {alpha:g} (Benjamini-Hochberg over "
             "all {n_tested} tested expression x configuration cells), a positive association (P(config | e) > "
             "P(config | not e)) and P(config | e) >= {prev:g}; a configuration with such a superset is left out, "
             "and none holding a FACS 2002 exclusive pair is listed")


def configuration_rows(est: ConfigurationEstimate, selected: np.ndarray) -> list[list]:
    """Rows of ``configurations.csv`` (raw values): one per tested (expression, configuration) cell,
    by expression, then size, then AU numbers.

    ``selected``: ``[E, C]`` bool, the configurations the table lists
    (:func:`~auknow.estimate.configurations.table_configurations`). Columns:
    :data:`CONFIGURATION_COLUMNS`.

    >>> import auknow
    >>> from auknow.estimate.configurations import estimate_configurations, table_configurations
    >>> frames = auknow.read_ckplus(auknow.bundled_ckplus_path())
    >>> est = estimate_configurations(frames, max_size=2, n_boot=50, n_perm=50, seed=0)
    >>> selected = table_configurations(est, alpha=0.05, min_prevalence=0.5)
    >>> rows = configuration_rows(est, selected)
    >>> len(rows) == est.settings["n_tested"], len(rows[0]) == len(CONFIGURATION_COLUMNS)
    (True, True)
    >>> r = dict(zip(CONFIGURATION_COLUMNS, next(r for r in rows if r[:2] == ["happiness", "6+12"])))
    >>> r["size"], int(r["support"]), int(r["n_units"]), round(float(r["p_config_given_expression"]), 3), r["in_table"]
    (2, 65, 69, 0.942, True)
    """
    exclusive = facs_exclusive(est.configurations)
    codes = [facs_code(c) for c in est.configurations]
    unit = est.settings["unit"]
    rows = []
    for e, expr in enumerate(est.expressions):
        for c in np.flatnonzero(est.tested[e]):
            rows.append([expr, codes[c], len(est.configurations[c]), est.support[e, c], est.n_units[e, c], unit,
                         est.p_given_expression[e, c], est.ci_low[e, c], est.ci_high[e, c], est.p_given_other[e, c],
                         est.lift[e, c], est.p_value[e, c], est.q_value[e, c], est.n_subjects[e, c],
                         est.support_subjects[e, c], bool(exclusive[c]), bool(selected[e, c])])
    return rows


def configurations_csv(est: ConfigurationEstimate, selected: np.ndarray) -> str:
    """``configurations.csv`` (6 significant digits; empty cells where undefined, ``inf`` lifts):
    a header of :data:`CONFIGURATION_COLUMNS`, then :func:`configuration_rows`.

    >>> import auknow
    >>> from auknow.estimate.configurations import estimate_configurations, table_configurations
    >>> frames = auknow.read_ckplus(auknow.bundled_ckplus_path())
    >>> est = estimate_configurations(frames, max_size=2, n_boot=50, n_perm=50, seed=0)
    >>> selected = table_configurations(est, alpha=0.05, min_prevalence=0.5)
    >>> lines = configurations_csv(est, selected).splitlines()
    >>> lines[0].split(",")[:7]
    ['expression', 'configuration', 'size', 'support', 'n_units', 'unit', 'p_config_given_expression']
    >>> next(line for line in lines if line.startswith("happiness,6+12,")).split(",")[:7]
    ['happiness', '6+12', '2', '65', '69', 'frame', '0.942029']
    """
    return csv_text(CONFIGURATION_COLUMNS, [[v if isinstance(v, str) else fmt(v) for v in row]
                                            for row in configuration_rows(est, selected)])


def _note(est: ConfigurationEstimate, e: int, c: int) -> str:
    level = est.settings["ci"]
    ci = (f" [{est.ci_low[e, c]:.3f}, {est.ci_high[e, c]:.3f}] ({level:.0%} subject-bootstrap CI)"
          if np.isfinite(est.ci_low[e, c]) else "")
    lift = "inf" if np.isposinf(est.lift[e, c]) else f"{est.lift[e, c]:.3g}"
    return (f"P(config | {est.expressions[e]}) = {est.p_given_expression[e, c]:.3f}{ci}; P(config | other "
            f"expressions) = {est.p_given_other[e, c]:.3f}; lift {lift}; occurs in {int(est.support[e, c])} of "
            f"{int(est.n_units[e, c])} {est.settings['unit']}s ({int(est.support_subjects[e, c])} subjects); "
            f"p = {est.p_value[e, c]:.3g}, q = {est.q_value[e, c]:.3g}")


def configuration_provenance(est: ConfigurationEstimate, base: Provenance, alpha: float, min_prevalence: float
                             ) -> Provenance:
    """The provenance of the single-AU tables of the same run (dataset, subjects, folds, seed, ...)
    with the configuration search, its test and the selection rule in place of the statistic.

    ``base``: the single-AU tables' :class:`~auknow.tables.model.Provenance`
    (:func:`auknow.estimate.output.provenance`); ``alpha``, ``min_prevalence``: the selection rule.

    >>> import auknow
    >>> from auknow.estimate.configurations import estimate_configurations, table_configurations
    >>> frames = auknow.read_ckplus(auknow.bundled_ckplus_path())
    >>> est = estimate_configurations(frames, max_size=2, n_boot=50, n_perm=50, seed=0)
    >>> selected = table_configurations(est, alpha=0.05, min_prevalence=0.5)
    >>> from auknow.estimate.output import provenance
    >>> from auknow.estimate.prior import estimate_prior
    >>> base = provenance(estimate_prior(frames, n_boot=0, n_perm=0), {"dataset": "ckplus"}, "p_au_given_expression", {})
    >>> prov = configuration_provenance(est, base, 0.05, 0.5)
    >>> prov.kind, prov.details["dataset"], "statistic" in prov.details
    ('estimated', 'ckplus', False)
    >>> {k: prov.details["configurations"][k] for k in ("max_size", "min_support", "n_tested", "sizes")}
    {'max_size': 2, 'min_support': 5, 'n_tested': 133, 'sizes': {1: 18, 2: 68}}
    >>> prov.details["multiple_comparisons"]
    'Benjamini-Hochberg q-values over all 133 tested expression x configuration cells (every size)'
    """
    s = est.settings
    details = {k: v for k, v in base.details.items() if k not in _SINGLE_ONLY}
    details.update({
        "configurations": {"definition": "a configuration occurs in a unit when all its AUs are present (NetFACS), "
                                         "and is coded there when all its AUs are coded",
                           "max_size": s["max_size"], "min_support": s["min_support"],
                           "n_configurations": s["n_configurations"], "n_tested": s["n_tested"],
                           "sizes": dict(s["sizes"]), "alpha": alpha, "min_prevalence": min_prevalence,
                           "selection": SELECTION.format(alpha=alpha, n_tested=s["n_tested"], prev=min_prevalence)},
        "multiple_comparisons": f"Benjamini-Hochberg q-values over all {s['n_tested']} tested expression x "
                                "configuration cells (every size)",
        **{k: s[k] for k in ("n_perm_used", "p_floor", "n_at_p_floor", "p_floor_q", "p_floor_may_decide")
           if s.get(k) is not None},
    })
    return Provenance(kind="estimated", citation=base.citation, notes=None, details=details)


def configuration_table(est: ConfigurationEstimate, selected: np.ndarray, name: str, title: str, prov: Provenance
                        ) -> PrototypeTable:
    """The chosen configurations as a prototype table: per expression, each one's AUs ``required``,
    ``type: estimated``, its statistics in ``notes``; expressions with none are named in the
    provenance notes.

    Raises:
        AuknowError: no expression has a chosen configuration (a prototype table needs one).

    >>> import auknow
    >>> from auknow.estimate.configurations import estimate_configurations, table_configurations
    >>> frames = auknow.read_ckplus(auknow.bundled_ckplus_path())
    >>> est = estimate_configurations(frames, max_size=2, n_boot=50, n_perm=50, seed=0)
    >>> selected = table_configurations(est, alpha=0.05, min_prevalence=0.5)
    >>> from auknow.estimate.output import provenance
    >>> from auknow.estimate.prior import estimate_prior
    >>> base = provenance(estimate_prior(frames, n_boot=0, n_perm=0), {"dataset": "ckplus"}, "p_au_given_expression", {})
    >>> prov = configuration_provenance(est, base, 0.05, 0.5)
    >>> t = configuration_table(est, selected, "ck_configurations", "CK+ configurations", prov)
    >>> from auknow.facs import format_facs
    >>> t.kind, [format_facs(c.required) for c in t.expressions["happiness"]]
    ('prototype', ['6+12', '6+25', '12+25'])
    >>> t.expressions["happiness"][0].notes[:60]
    'P(config | happiness) = 0.942 [0.856, 0.985] (95% subject-bo'
    >>> configuration_table(est, selected & False, "none", "none", prov)
    Traceback (most recent call last):
    ...
    auknow.errors.AuknowError: no configuration is significant with the chosen alpha=... and
        min_prevalence=..., so there is no prototype table to write
    """
    expressions, extra, empty = {}, [], []
    for e, expr in enumerate(est.expressions):
        chosen = np.flatnonzero(selected[e])
        if not chosen.size:
            empty.append(expr)
            continue
        try:
            key = canonical_expression(expr)
        except AuknowError:
            key = expr
            extra.append(expr)
        expressions[key] = [Configuration(required=parse_facs(facs_code(est.configurations[c])), type="estimated",
                                          notes=_note(est, e, c)) for c in chosen]
    if not expressions:
        raise AuknowError("no configuration is significant with the chosen alpha=... and min_prevalence=..., so "
                          "there is no prototype table to write")
    rule = prov.details["configurations"]["selection"]
    notes = [rule[0].upper() + rule[1:] + "."]
    if empty:
        notes.append(f"No configuration qualifies for: {', '.join(empty)} (left out of the table).")
    prov = Provenance(kind=prov.kind, citation=prov.citation, notes=" ".join(notes), details=prov.details)
    return PrototypeTable(name=name, title=title, provenance=prov, expressions=expressions, extra_expressions=extra)


def configuration_summary(est: ConfigurationEstimate, selected: np.ndarray, alpha: float, min_prevalence: float
                          ) -> str:
    """Terminal summary (<= 100 columns): per expression the table's configurations with
    P(config | e), its CI, P(config | not e), lift and q.

    >>> import auknow
    >>> from auknow.estimate.configurations import estimate_configurations, table_configurations
    >>> frames = auknow.read_ckplus(auknow.bundled_ckplus_path())
    >>> est = estimate_configurations(frames, max_size=2, n_boot=50, n_perm=50, seed=0)
    >>> selected = table_configurations(est, alpha=0.05, min_prevalence=0.5)
    >>> lines = configuration_summary(est, selected, 0.05, 0.5).splitlines()
    >>> for line in lines[:3]:
    ...     print(line)
    AU configurations (up to 2 AUs, support >= 5 frames): 133 tested; in the table:
    expression     configuration     P(c|e)      95% CI        P(c|~e)    lift       q
    ----------------------------------------------------------------------------------
    >>> print(next(line for line in lines if line.startswith("happiness")))
    happiness      12+25              0.957  [0.899, 0.986]      0.023    41.1   0.008
    """
    s = est.settings
    level = s["ci"]
    lines = [f"AU configurations (up to {s['max_size']} AUs, support >= {s['min_support']} {s['unit']}s): "
             f"{s['n_tested']} tested; in the table:",
             f"{'expression':<14} {'configuration':<16} {'P(c|e)':>7} {f'{level:.0%} CI':^17} {'P(c|~e)':>8} "
             f"{'lift':>7} {'q':>7}"]
    lines.append("-" * len(lines[-1]))
    for e, expr in enumerate(est.expressions):
        chosen = sorted(np.flatnonzero(selected[e]), key=lambda c: -est.p_given_expression[e, c])
        if not chosen:
            lines.append(f"{expr[:14]:<14} (none)")
        for k, c in enumerate(chosen):
            ci = (f"[{est.ci_low[e, c]:.3f}, {est.ci_high[e, c]:.3f}]" if np.isfinite(est.ci_low[e, c])
                  else f"{'-':^16}")
            lift = "inf" if np.isposinf(est.lift[e, c]) else f"{est.lift[e, c]:.3g}"
            q = "<0.001" if est.q_value[e, c] < 0.001 else f"{est.q_value[e, c]:.3f}"
            lines.append(f"{(expr[:14] if k == 0 else ''):<14} {facs_code(est.configurations[c]):<16} "
                         f"{est.p_given_expression[e, c]:>7.3f} {ci:^17} {est.p_given_other[e, c]:>8.3f} "
                         f"{lift:>7} {q:>7}")
    lines.append(f"table: the maximal configurations with q < {alpha:g}, lift > 1 and P(c|e) >= {min_prevalence:g}")
    return "\n".join(lines)


def configuration_outputs(frames, prov: Provenance, name: str, dataset: str, *, min_fraction: float = 0.5,
                          max_size: int = 6, min_support: int = 5, n_boot: int = 1000, n_perm: int = 1000,
                          ci: float = 0.95, seed: int = 0, alpha: float = 0.05, min_prevalence: float = 0.5,
                          order=None) -> tuple[dict, str, list]:
    """Run the configuration search (what ``estimate-prior --configurations`` adds) on ``frames``;
    returns ``(files {name: text}, terminal summary, note lines)``. ``configurations.yaml`` is
    left out (with a note) when no configuration qualifies.

    Args:
        frames: the :class:`~auknow.readers.frames.AUFrames` the single-AU estimate came from.
        prov: the single-AU provenance (its ``unit`` and ``independent_clips`` are used).
        name, dataset: the table's name stem and the data's name (its title).
        min_fraction, max_size, min_support, n_boot, n_perm, ci, seed: as in
            :func:`~auknow.estimate.configurations.estimate_configurations`.
        alpha, min_prevalence: the table's selection (:func:`table_configurations`).
        order: expression order of the outputs (None: as estimated).

    >>> import auknow
    >>> frames = auknow.read_ckplus(auknow.bundled_ckplus_path())
    >>> from auknow.estimate.output import provenance
    >>> from auknow.estimate.prior import estimate_prior
    >>> base = provenance(estimate_prior(frames, n_boot=0, n_perm=0), {"dataset": "ckplus"}, "p_au_given_expression", {})
    >>> files, text, notes = configuration_outputs(frames, base, "ck", "CK+", max_size=2, n_boot=50, n_perm=50)
    >>> sorted(files), notes, text.splitlines()[0].split(":")[0]
    (['configurations.csv', 'configurations.yaml'], [], 'AU configurations (up to 2 AUs, support >= 5 frames)')
    >>> import pathlib, tempfile
    >>> from auknow.tables import load_table
    >>> with tempfile.TemporaryDirectory() as tmp:                   # the YAML is a valid prototype table
    ...     path = pathlib.Path(tmp) / "configurations.yaml"
    ...     _ = path.write_text(files["configurations.yaml"])
    ...     table = load_table(path)
    >>> table.kind, sorted(table.expressions)
    ('prototype', ['anger', 'contempt', 'disgust', 'fear', 'happiness', 'sadness', 'surprise'])
    """
    import warnings

    from ..tables.io import dumps_table
    from .configurations import estimate_configurations, table_configurations
    from .design import ResamplingWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResamplingWarning)  # the single-AU run printed it already
        est = estimate_configurations(frames, unit=prov.details["unit"], min_fraction=min_fraction,
                                      max_size=max_size, min_support=min_support, n_boot=n_boot,
                                      n_perm=n_perm, ci=ci, seed=seed,
                                      independent_clips=bool(prov.details.get("independent_clips")))
    if order:
        est = est.reordered(order)
    selected = table_configurations(est, alpha, min_prevalence)
    files = {"configurations.csv": configurations_csv(est, selected)}
    notes = []
    if selected.any():
        cprov = configuration_provenance(est, prov, alpha, min_prevalence)
        table = configuration_table(est, selected, f"{name}_configurations",
                                    f"AU configurations characteristic of each expression, estimated from {dataset}",
                                    cprov)
        files["configurations.yaml"] = dumps_table(table)
    else:
        notes.append(f"no configuration has q < {alpha:g}, lift > 1 and P(config | e) >= "
                     f"{min_prevalence:g}: configurations.yaml not written (configurations.csv lists every "
                     "tested one)")
    fq = est.settings.get("p_floor_q")
    if fq is not None and fq > alpha:
        notes.append(f"{est.settings['n_at_p_floor']} configuration cell(s) sit at the permutation p-value floor "
                     f"with q = {fq:.3g} > alpha={alpha:g}: more permutations could make them significant; "
                     "raise n_perm=...")
    return files, configuration_summary(est, selected, alpha, min_prevalence), notes
