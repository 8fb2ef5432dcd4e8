"""Command line of the unseen-class experiment: ``python -m experiments.unseen [options]``.

Options are checked before anything runs (one line on stderr, exit 2, nothing written); the
results go into the section ``unseen-<classes>`` of ``docs/results.md`` (or ``--out``) by
:func:`experiments.synthetic_report.write_section`, leaving the rest of the page as it was.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import asdict
from typing import Sequence

from .unseen import UnseenConfig, describe, model_priors, prepare, resolve_unseen, run_experiment

__all__ = ["config_from_args", "main"]

def _parser():
    import argparse

    d = UnseenConfig()
    p = argparse.ArgumentParser(prog="python -m experiments.unseen",
                                description="Classes with no training clips: CE alone vs the AU head read out through "
                                            "a correct, a wrong and other tables' P(AU | e); writes its section of "
                                            "docs/results.md.")
    p.add_argument("--unseen", default=",".join(d.unseen), help="comma list of classes with no training clips")
    p.add_argument("--table", default=d.table, help="table the world's AUs are drawn from (the correct prior)")
    p.add_argument("--other-tables", default=",".join(d.other_tables),
                   help="comma list of other bundled tables (approximately right priors)")
    p.add_argument("--preset", default=d.preset, help="generator preset (dfew-balanced, dfew-imbalance)")
    p.add_argument("--seeds", default=None, help="number of seeds (0..n-1) or a comma list")
    for name in ("n_train", "n_test", "epochs"):
        p.add_argument("--" + name.replace("_", "-"), type=int, default=None)
    p.add_argument("--au-loss-weight", type=float, default=None,
                   help=f"weight of the AU loss in (0, 1); CE gets 1 minus it (default {d.au_loss_weight})")
    p.add_argument("--alpha", type=float, default=None, help="deprecated name of --au-loss-weight")
    p.add_argument("--quick", action="store_true", help="small sizes, 2 seeds (seconds; for tests)")
    p.add_argument("--out", default=None, help="results page whose section to write (default docs/results.md)")
    p.add_argument("--json", default=None, help="also write every run and the summary as JSON here")
    p.add_argument("-q", "--quiet", action="store_true")
    return p


def _names(text: str, what: str) -> tuple[str, ...]:
    parts = tuple(x.strip() for x in str(text).split(","))
    if not parts or any(not x for x in parts):
        raise ValueError(f"{what}: expected a comma list of names, got {text!r}")
    return parts


def _au_loss_weight(args) -> float | None:
    """``--au-loss-weight``, or ``--alpha`` (its deprecated name, with a ``DeprecationWarning``),
    checked to be in (0, 1); ``None`` when neither is given."""
    weight, alpha = getattr(args, "au_loss_weight", None), getattr(args, "alpha", None)
    flag = "--au-loss-weight"
    if alpha is not None:
        if weight is not None:
            raise ValueError("give --au-loss-weight only, not also --alpha (its deprecated name)")
        warnings.warn("--alpha is deprecated, use --au-loss-weight (alpha names an FDR level in auknow)",
                      DeprecationWarning, stacklevel=3)
        weight, flag = alpha, "--alpha"
    if weight is not None and not 0.0 < weight < 1.0:
        raise ValueError(f"{flag}: expected 0 < weight < 1 (the AU head must train, CE too), got {weight}")
    return weight


def config_from_args(args) -> UnseenConfig:
    """The checked :class:`UnseenConfig` of parsed arguments.

    Raises:
        ValueError: malformed lists or numbers, an unknown or repeated unseen class, every
            class unseen, an unknown table, an other table equal to ``--table``, a table with
            no AU for an unseen class.
    """
    from .synthetic_world import SyntheticDFER

    over = {"unseen": _names(args.unseen, "--unseen"), "table": str(args.table).strip(),
            "other_tables": _names(args.other_tables, "--other-tables"), "preset": args.preset}
    if args.seeds is not None:
        s = str(args.seeds).strip()
        try:
            seeds = tuple(int(x) for x in s.split(",")) if "," in s else tuple(range(int(s)))
        except ValueError:
            raise ValueError(f"--seeds: expected a count or a comma list of integers, got {s!r}") from None
        if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
            raise ValueError(f"--seeds: need at least one seed, each >= 0 and named once, got {s!r}")
        over["seeds"] = seeds
    for name, low in (("n_train", 10), ("n_test", 10), ("epochs", 1)):
        v = getattr(args, name)
        if v is not None:
            if v < low:
                raise ValueError(f"--{name.replace('_', '-')}: expected >= {low}, got {v}")
            over[name] = v
    weight = _au_loss_weight(args)
    if weight is not None:
        over["au_loss_weight"] = weight
    if len(set(over["other_tables"])) != len(over["other_tables"]):
        raise ValueError(f"--other-tables: a table is named twice in {','.join(over['other_tables'])}")
    cfg = UnseenConfig.quick(**over) if args.quick else UnseenConfig(**over)
    gen = SyntheticDFER(cfg.table, preset=cfg.preset, num_subjects=1, num_frames=2, image_size=8)  # labels only
    cfg.unseen = resolve_unseen(cfg.unseen, gen.expressions)
    model_priors(cfg, gen.expressions, gen.aus, 0)  # every table compiles and names every unseen class
    return cfg


def main(argv: Sequence[str] | None = None) -> int:
    """Run the experiment and write its section of the results page; returns the exit status
    (2 with one line on stderr for bad options; nothing is written then)."""
    import shlex
    import sys
    from pathlib import Path

    from auknow.errors import AuknowError

    from .synthetic_report import write_section
    from .unseen_report import render_section, summarise

    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings():  # a deprecated option is the user's to see
            warnings.filterwarnings("default", category=DeprecationWarning, module=r"experiments\.unseen_cli")
            cfg = config_from_args(args)
    except (ValueError, KeyError, AuknowError) as exc:
        print(f"error: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", file=sys.stderr)
        return 2
    log = None if args.quiet else (lambda s: print(s, flush=True))
    t0 = time.perf_counter()
    runs = run_experiment(cfg, log)
    wall = time.perf_counter() - t0
    data = prepare(cfg, cfg.seeds[0])
    summary = summarise(runs)
    command = ("python -m experiments.unseen " + " ".join(shlex.quote(a) for a in argv)).strip()
    text = render_section(cfg, runs, summary, command=command, wall_s=wall, expressions=data["test"].expressions,
                          describe=describe, generator=data["generator"])
    out = Path(args.out) if args.out else Path(__file__).resolve().parent.parent / "docs" / "results.md"
    write_section(out, "unseen-" + "-".join(cfg.unseen), text)
    if args.json:
        from auknow.atomic import write_text_atomic

        write_text_atomic(args.json, json.dumps({"config": asdict(cfg), "runs": runs, "wall_s": wall}, indent=1,
                                                default=float), overwrite=True)
    if log:
        log(f"wrote section unseen-{'-'.join(cfg.unseen)} of {out} ({wall / 60:.1f} min)")
    return 0
