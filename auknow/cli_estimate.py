"""``auknow estimate-prior``: read data, select subjects, estimate, write everything atomically."""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .atomic import publish_folder
from .cli_checks import flagify
from .errors import AuknowError, DataError
from .expressions import canonical_expression
from .readers.frames import AUFrames
from .tables.io import dumps_table
from .estimate import output
from .estimate.design import ResamplingWarning
from .estimate.order import reorder_expressions
from .estimate.prior import estimate_prior


def _task_map(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise DataError(f"--task-map: '{part}' is not TASK=EXPRESSION (e.g. T4=embarrassment)")
        task, expr = (s.strip() for s in part.split("=", 1))
        out[task] = canonical_expression(expr)
    return out


def _default_task_map() -> dict[str, str]:
    from .library import dataset_descriptor

    return {k: t.expression for k, t in dataset_descriptor("bp4d").tasks.items()}


#: The reader options of :func:`load_frames` (the data options of ``estimate-prior`` and ``audit``).
READER_OPTIONS = ("task_map", "threshold", "expressions", "expression", "labels", "name_pattern", "subject_col",
                  "expression_col", "sequence_col", "frame_col", "facs_col", "use", "emotion_threshold")


def reader_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of :func:`load_frames` from parsed command-line options.

    >>> from auknow.cli_estimate_options import add_estimate_arguments
    >>> p = argparse.ArgumentParser()
    >>> add_estimate_arguments(p)
    >>> opts = reader_options(p.parse_args(["--dataset", "csv", "codes.csv", "--threshold", "2"]))
    >>> opts["dataset"], opts["paths"], opts["threshold"]
    ('csv', ['codes.csv'], 2.0)
    """
    return {"dataset": args.dataset, "paths": list(args.paths),
            **{k: getattr(args, k) for k in READER_OPTIONS if hasattr(args, k)}}


def load_frames(dataset: str | None = None, paths=(), *, task_map: str | None = None, threshold: float | None = None,
                expressions: str | None = None, expression: str | None = None, labels: str | None = None,
                name_pattern: str | None = None, subject_col: str = "subject", expression_col: str = "expression",
                sequence_col: str | None = None, frame_col: str | None = None, facs_col: str | None = None,
                use: str = "c", emotion_threshold: float | None = None) -> AUFrames:
    """Read AU-labelled data of one kind (the bundled CK+ codes when ``dataset`` is None).

    Args:
        dataset: ``bp4d``, ``disfa``, ``ckplus``, ``csv``, ``openface``, ``pyfeat``, ``imotions``,
            ``dfew`` or None. paths: the dataset folder or file(s).
        task_map, threshold, expressions, expression, labels, name_pattern, subject_col,
            expression_col, sequence_col, frame_col, facs_col, use, emotion_threshold: the
            readers' options, as the ``estimate-prior`` flags of the same names describe
            (``task_map`` as ``"T4=embarrassment,..."``).

    Raises:
        DataError: a missing PATH, an option for another kind of data, any reading error.

    >>> len(load_frames().subjects)
    118
    """
    kind, paths = dataset, list(paths)
    if kind is None:
        return _bundled_ckplus(paths)
    if not paths:
        raise DataError(f"--dataset {kind} needs a PATH (the dataset folder or file)")
    if kind not in _DETECTORS:
        for flag, value in (("--labels", labels), ("--name-pattern", name_pattern)):
            if value is not None:
                raise DataError(f"{flag} is for detector outputs ({', '.join(_DETECTORS)}), not --dataset {kind}")
    if kind not in _DETECTORS and len(paths) > 1:
        raise DataError(f"--dataset {kind} takes one PATH, got {len(paths)}")
    if kind == "bp4d":
        from .readers.bp4d import read_bp4d

        tasks = _default_task_map()  # the user's --task-map text overrides it
        tasks.update(_task_map(task_map) or {})
        return read_bp4d(paths[0], task_map=tasks)
    if kind == "disfa":
        from .readers.disfa import read_disfa

        return read_disfa(paths[0], threshold=2 if threshold is None else threshold,
                             expressions=expressions)
    if kind == "ckplus":
        from .readers.ckplus import read_ckplus

        return read_ckplus(paths[0])
    if kind == "csv":
        from .readers.tidy import read_tidy_csv

        return read_tidy_csv(paths[0], subject_col=subject_col, expression_col=expression_col,
                                sequence_col=sequence_col, frame_col=frame_col, facs_col=facs_col,
                                threshold=threshold)
    if kind == "dfew":
        return _read_dfew(paths, labels, name_pattern=name_pattern, expression=expression,
                          expressions=expressions, threshold=threshold)
    return _read_detector_output(kind, paths, threshold=threshold, expression=expression, expressions=expressions,
                                 labels=labels, name_pattern=name_pattern, use=use,
                                 emotion_threshold=emotion_threshold)


#: The ``dataset`` kinds that are per-clip detector outputs (several PATHs, ``labels``, ``name_pattern``).
_DETECTORS = ("openface", "pyfeat", "imotions", "dfew")


def _bundled_ckplus(paths: list) -> AUFrames:
    """The bundled CK+ codes (``load_frames()`` without a dataset; a PATH then needs ``--dataset``)."""
    if paths:
        raise DataError("give --dataset {bp4d,disfa,ckplus,csv,openface,pyfeat} with a PATH")
    from .readers.ckplus import bundled_ckplus_path, read_ckplus

    frames = read_ckplus(bundled_ckplus_path())
    frames.source["dataset"] = "ckplus (bundled)"
    frames.source["path"] = "auknow/data/ckplus_facs_emotion.csv"
    return frames


def _read_dfew(paths: list, labels: str | None, **not_for_dfew) -> AUFrames:
    """DFEW's OpenFace outputs with the ``labels`` split file; refuses the options that DFEW's own
    labels and AU presence make meaningless (``not_for_dfew``: name_pattern, expression,
    expressions, threshold)."""
    from .readers.dfew import read_dfew_openface

    if labels is None:
        raise DataError("--dataset dfew needs --labels EmoLabel_DataSplit/train(single-labeled)/set_k.csv")
    for option, value in not_for_dfew.items():
        if value is not None:
            raise DataError(f"--{option.replace('_', '-')} does not apply to --dataset dfew (labels come from the "
                            "DFEW split file, AUs from OpenFace's AUxx_c presence)")
    return read_dfew_openface(paths, labels)


def _read_detector_output(kind: str, paths: list, *, threshold, expression, expressions, labels, name_pattern,
                          use, emotion_threshold) -> AUFrames:
    """OpenFace, iMotions or py-feat outputs, with each detector's default presence threshold."""
    per_file = {"labels": labels, "name_pattern": name_pattern}
    if kind == "openface":
        from .readers.detectors import read_openface

        return read_openface(paths, use=use, threshold=1.0 if threshold is None else threshold,
                                expression=expression, expressions_file=expressions, **per_file)
    if kind == "imotions":
        from .readers.imotions import read_imotions

        return read_imotions(paths, threshold=0.0 if threshold is None else threshold,
                             expression=expression, expressions_file=expressions, **per_file)
    from .readers.detectors import read_pyfeat

    return read_pyfeat(paths, threshold=0.5 if threshold is None else threshold,
                          expression=expression, expressions_file=expressions,
                          emotion_threshold=emotion_threshold, **per_file)


def select_subjects(frames: AUFrames, dataset: str | None = None, folds=(), exclude_subjects: str | None = None
                    ) -> tuple[AUFrames, dict]:
    """Leave out the test subjects of ``folds`` (the dataset's subject-independent split) and the
    comma-separated ``exclude_subjects``.

    Returns the kept frames and provenance entries (folds, excluded subjects).

    Raises:
        DataError: unknown folds or subjects, every subject left out.

    >>> frames = AUFrames(aus=("AU06",), occurrence=[[1], [0], [1]], subject=["S1", "S2", "S3"],
    ...                   sequence=["a", "b", "c"], frame=[0, 0, 0], expression=["happiness"] * 3)
    >>> kept, prov = select_subjects(frames, exclude_subjects="S2")
    >>> len(kept), prov
    (2, {'excluded_subjects': ['S2']})
    """
    excluded, info = excluded_subjects(frames.subjects, dataset, folds, exclude_subjects)
    if excluded:
        frames = frames.select(~np.isin(frames.subject, sorted(excluded)))
        if len(frames) == 0:
            raise DataError("every subject was left out (check --fold / --exclude-subjects)")
    return frames, info


def excluded_subjects(subjects, dataset: str | None = None, folds=(), exclude_subjects: str | None = None
                      ) -> tuple[set[str], dict]:
    """The subjects ``folds`` / ``exclude_subjects`` leave out of ``subjects``, and provenance.

    >>> out, prov = excluded_subjects(["S1", "S2", "S3"], exclude_subjects="S1,S3")
    >>> sorted(out), prov
    (['S1', 'S3'], {'excluded_subjects': ['S1', 'S3']})
    >>> excluded_subjects(["F001", "M001"], dataset="bp4d", folds=[1])[1]["trained_on_folds"]
    [2, 3]
    """
    excluded: set[str] = set()
    info: dict = {}
    folds = list(folds or ())
    if folds:
        from .library import fold_subjects

        all_folds, fold_members = fold_subjects((dataset or "ckplus").lower(), folds)
        excluded.update(fold_members)
        info["left_out_folds"] = sorted(folds)
        info["trained_on_folds"] = [k for k in all_folds if k not in folds]
    if exclude_subjects:
        wanted = {s.strip() for s in exclude_subjects.split(",") if s.strip()}
        if not wanted:
            raise DataError(f"--exclude-subjects: '{exclude_subjects}' names no subject (S1,S2,...)")
        unknown = sorted(wanted - set(subjects))
        if unknown:
            raise DataError(f"--exclude-subjects: no such subject(s) in the data: {', '.join(unknown)}")
        excluded |= wanted
    if excluded:
        info["excluded_subjects"] = sorted(excluded & set(subjects))
        if set(subjects) <= excluded:
            raise DataError("every subject was left out (check --fold / --exclude-subjects)")
    return excluded & set(subjects), info


def _streamed_bp4d(args: argparse.Namespace, unit: str):
    """BP4D reduced to counts file by file (``--dataset bp4d`` without --independent-clips)."""
    from .estimate.stream import bp4d_subjects, count_bp4d

    if len(args.paths) != 1:
        raise DataError(f"--dataset bp4d takes one PATH, got {len(args.paths)}")
    task_map = _default_task_map()
    task_map.update(_task_map(args.task_map) or {})
    excluded, selection = excluded_subjects(bp4d_subjects(args.paths[0]), args.dataset, args.fold or (),
                                            args.exclude_subjects)
    counts, source = count_bp4d(args.paths[0], task_map=task_map, unit=unit, min_fraction=args.min_fraction,
                                exclude=excluded)
    return counts, source, selection


def _progress_factory(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    def make(label: str, total: int):
        bar = tqdm(total=total, desc=label, unit="resample", leave=False, file=sys.stderr)

        def tick(n: int) -> None:
            bar.update(n)
            if bar.n >= total:
                bar.close()
        return tick
    return make


def _date() -> str:
    # Reproducible builds convention: SOURCE_DATE_EPOCH pins the date, so output is byte-identical.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = _dt.datetime.fromtimestamp(int(epoch), _dt.timezone.utc) if epoch else _dt.datetime.now(_dt.timezone.utc)
    return when.date().isoformat()


def _check_memory(data, n_boot: int, n_perm: int) -> None:
    """Refuse resampling whose arrays would not fit, before allocating (frames or streamed counts)."""
    from .estimate.guard import check_resampling_memory

    if isinstance(data, AUFrames):
        n_expr = 0 if data.expression is None else len(np.unique(data.expression))
        sizes = (len(data.subjects), len(np.unique(data.sequence)), n_expr, len(data.aus))
    else:  # Counts
        sizes = (len(data.subjects), len(data.sequences), len(data.expressions), len(data.aus))
    check_resampling_memory(*sizes, n_boot, n_perm)


def run_estimate(args: argparse.Namespace) -> int:
    """Run ``auknow estimate-prior`` from parsed options; returns the exit status.

    >>> from auknow.cli_estimate_options import add_estimate_arguments
    >>> p = argparse.ArgumentParser()
    >>> add_estimate_arguments(p)
    >>> run_estimate(p.parse_args(["--quiet", "--n-boot", "0", "--n-perm", "0"]))   # bundled CK+, no --out
    0
    """
    out_dir = _out_folder(args)
    dfew = args.dataset == "dfew"
    unit = args.unit or ("sequence" if dfew else "frame")
    independent = args.independent_clips or dfew
    configurations = getattr(args, "configurations", False)
    data, source, selection = _read_data(args, unit, independent, configurations)
    est = _estimate(data, source, args, unit, independent)
    dataset = (source.get("dataset") or args.dataset or "data").split()[0]
    name = args.name or f"estimated_{dataset}".lower().replace("+", "plus")
    prov = output.provenance(est, source, args.statistic, {**selection, "date": _date()})
    if not args.quiet:
        print(output.summary(est, args.statistic, args.top, args.alpha) if est.expressions
              else output.relations_summary(est))
    config_files, config_notes = {}, []
    if configurations:
        from .estimate.configuration_output import configuration_outputs

        config_files, text, config_notes = configuration_outputs(
            data, prov, name, dataset, min_fraction=args.min_fraction, max_size=args.max_size,
            min_support=args.min_support, n_boot=args.n_boot, n_perm=args.n_perm, ci=args.ci, seed=args.seed,
            alpha=args.alpha, min_prevalence=args.min_prevalence, order=source.get("expression_order"))
        if not args.quiet:
            print(text)
    if out_dir is None:
        if not args.quiet:
            print("(nothing written: give --out DIR to write the tables)", file=sys.stderr)
        _warn_p_floor(est, args.alpha, config_notes)
        return 0
    files = _table_files(est, args.statistic, prov, name, dataset, config_files)
    from .estimate import summaries  # event sizes and network summaries (docs/estimate-prior.md)
    extra = summaries.compute(data, est, unit=unit, min_fraction=args.min_fraction, n_boot=args.n_boot,
                              n_perm=args.n_perm, ci=args.ci, seed=args.seed, independent_clips=independent,
                              rule=getattr(args, "network_edges", "auto"), alpha=args.alpha)
    files.update(extra.files)
    written = _write_folder(files, est, extra, args, out_dir, name)
    if not args.quiet:
        for note in extra.notes:
            print(f"auknow: note: {flagify(note)}", file=sys.stderr)
        print(f"wrote {', '.join(p.name for p in written)} to {out_dir}", file=sys.stderr)
    _warn_p_floor(est, args.alpha, config_notes)  # after writing: a failed write stays one line
    return 0


def _out_folder(args: argparse.Namespace) -> Path | None:
    """``--out`` as a Path (None without it); refuses the options that need it, and a file there."""
    if args.plot and not args.out:
        raise AuknowError("--plot writes heatmap.png into --out DIR; give --out")
    if getattr(args, "network_edges", "auto") != "auto" and not args.out:
        raise AuknowError("--network-edges chooses the edges of network.csv in --out DIR; give --out")
    out_dir = Path(args.out) if args.out else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise AuknowError(f"{out_dir}: exists and is not a folder")
    return out_dir


def _read_data(args: argparse.Namespace, unit: str, independent: bool, configurations: bool):
    """``(data, source, selection)``: the selected subjects' frames, or BP4D streamed to counts
    when nothing needs the frames (no --independent-clips, no --configurations)."""
    if args.dataset == "bp4d" and not independent and args.paths and not configurations:
        return _streamed_bp4d(args, unit)
    frames, selection = select_subjects(load_frames(**reader_options(args)), args.dataset, args.fold or (),
                                        args.exclude_subjects)
    if frames.expression is None and args.statistic != "p_au_given_expression":
        raise DataError("--statistic needs expression labels; this data has none (see --expressions)")
    if frames.expression is None and configurations:
        raise DataError("--configurations needs expression labels; this data has none (see --expressions)")
    return frames, frames.source, selection


def _estimate(data, source: dict, args: argparse.Namespace, unit: str, independent: bool):
    """:func:`estimate_prior` after the memory check, its design warnings printed once each as one
    line, expressions in the data's own order."""
    _check_memory(data, args.n_boot, args.n_perm)
    if args.dataset == "dfew" and not args.independent_clips:
        print("auknow: note: DFEW has no subject ids: clips are the resampling units (--independent-clips implied; "
              "see docs/estimate-prior.md)", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResamplingWarning)  # printed below, once, as one line each
        est = estimate_prior(data, unit=unit, min_fraction=args.min_fraction, n_boot=args.n_boot,
                             n_perm=args.n_perm, ci=args.ci, seed=args.seed, progress=_progress_factory(args.quiet),
                             independent_clips=independent)
    for message in est.settings.get("warnings", ()):
        print(f"auknow: WARNING: {flagify(message)}", file=sys.stderr)
    if source.get("expression_order"):
        est = reorder_expressions(est, source["expression_order"])
    return est


def _table_files(est, statistic: str, prov: dict, name: str, dataset: str, config_files: dict) -> dict[str, str]:
    """``{file name: text}`` of the relation tables, the configuration files and, with expression
    labels, statistics.csv, relations_by_expression.csv and prior.yaml."""
    files: dict[str, str] = {"relations.csv": output.relations_csv(est), **config_files}
    files["relations.yaml"] = dumps_table(output.relation_table(
        est, f"{name}_relations", f"AU co-occurrence estimated from {dataset}", prov))
    if est.expressions:
        files["statistics.csv"] = output.statistics_csv(est, statistic)
        by_expression = output.relations_by_expression_csv(est)
        if by_expression is not None:
            files["relations_by_expression.csv"] = by_expression
        files["prior.yaml"] = dumps_table(output.quantified_table(
            est, statistic, name, f"AU contributions estimated from {dataset} ({statistic})", prov))
    return files


def _write_folder(files: dict[str, str], est, extra, args: argparse.Namespace, out_dir: Path, name: str) -> list:
    """Write ``files`` (and, with --plot, the figures) into a staging folder next to ``out_dir``,
    then publish it as ``out_dir`` in one step; returns the published paths."""
    from .estimate import summaries

    parent = out_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=parent))
    except OSError as exc:  # name --out, not the staging folder
        raise type(exc)(exc.errno, exc.strerror, str(out_dir)) from None
    try:
        for fname, text in files.items():
            (staged / fname).write_text(text, encoding="utf-8")
        if args.plot and est.expressions:
            _heatmap(est, args, staged / "heatmap.png", name)
        if args.plot:
            summaries.plot(extra, est, staged, name, args.alpha, args.ci)
        return publish_folder(staged, out_dir, overwrite=args.force)
    finally:
        if staged.exists():
            import shutil
            shutil.rmtree(staged, ignore_errors=True)


def _warn_p_floor(est, alpha: float, notes=()) -> None:
    """Say so on the terminal when the permutation p-value floor could decide a discovery at --alpha
    (and print the configuration search's ``notes``)."""
    for note in notes:
        print(f"auknow: warning: {flagify(note)}", file=sys.stderr)
    fq = est.settings.get("p_floor_q")
    if fq is not None and fq > alpha:
        print(f"auknow: warning: {est.settings['n_at_p_floor']} cell(s) sit at the permutation p-value floor "
              f"1/({est.settings['n_perm_used']}+1) with q = {fq:.3g} > --alpha {alpha:g}: more permutations "
              f"could make them significant; raise --n-perm", file=sys.stderr)


def _heatmap(est, args, path: Path, name: str) -> None:
    """heatmap.png and intervals.png (dot-and-whisker P(AU | e) with CIs), in the auknow style."""
    from .plots import interval_panel, prior_heatmap
    from .estimate.statistics import RANGES

    sig = output.significant_cells(est, args.alpha)
    M = est.expression[args.statistic]
    fig = prior_heatmap(M, est.expressions, est.aus, significant=sig, alpha=args.alpha,
                        declared=RANGES.get(args.statistic), title=f"{name}: {args.statistic}",
                        value_label=args.statistic)
    # Fixed metadata keeps the PNG byte-identical for the same seed.
    fig.savefig(path, dpi=200, metadata={"Software": None})
    low, high = est.expression_ci[args.statistic]
    rng = RANGES.get(args.statistic, (0.0, 1.0))
    xlim = rng if all(np.isfinite(rng)) else None
    fig = interval_panel(M, low, high, est.expressions, est.aus, significant=sig, alpha=args.alpha,
                         level=args.ci, value_label=args.statistic, xlim=xlim, title=f"{name}: {args.statistic}")
    fig.savefig(path.with_name("intervals.png"), dpi=200, metadata={"Software": None})
