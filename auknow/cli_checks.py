"""Checks that keep every bad command line to one clear line: option types and ranges, options
that do not apply, output paths, operating-system errors and the memory a run would need.

The ``auknow`` parser (:mod:`auknow.cli`) is built from :class:`OneLineParser`, whose usage
errors are one line naming the option (``auknow estimate-prior: error: --seed: -1 is not ...``),
exit status 2. Type functions (:func:`int_range`, :func:`float_range`, :func:`table_name`) refuse
out-of-range values while parsing; :func:`check_estimate_options` refuses options that the
chosen ``--dataset`` does not read; :func:`check_output_file` and :func:`check_output_folder`
refuse an output that cannot be written *before* any work is done; :func:`os_error_message`
turns an ``OSError`` into one line naming the path.
"""

from __future__ import annotations

import argparse
import errno
import math
import os
import re
import sys
from pathlib import Path

from .errors import AuknowError


class CliOptionError(AuknowError, ValueError):
    """A command-line option value is malformed or does not apply (names the option)."""


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are a single line (no usage block), exit 2.

    Records which options were given on the command line in ``namespace._given`` (option
    destinations), so that options left at their default can be told from options given.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, cls in ((None, _GivenStore), ("store", _GivenStore), ("store_true", _GivenStoreTrue),
                          ("store_false", _GivenStoreFalse), ("append", _GivenAppend)):
            self.register("action", name, cls)

    def error(self, message: str):  # noqa: D401 - argparse's hook
        message = re.sub(r"^argument (-[-\w]+)(/-[-\w]+)*: ", r"\1: ", message)
        message = re.sub(r"^argument (\w+): ", lambda m: f"{m.group(1).upper()}: ", message)
        self.exit(2, f"auknow: error: {message} (see {self.prog} --help)\n")


def _mark(namespace, dest: str) -> None:
    given = set(getattr(namespace, "_given", ()) or ())
    given.add(dest)
    setattr(namespace, "_given", given)


class _GivenStore(argparse._StoreAction):
    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        if option_string:
            _mark(namespace, self.dest)


class _GivenStoreTrue(argparse._StoreTrueAction):
    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        _mark(namespace, self.dest)


class _GivenStoreFalse(argparse._StoreFalseAction):
    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        _mark(namespace, self.dest)


class _GivenAppend(argparse._AppendAction):
    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        _mark(namespace, self.dest)


def given(args: argparse.Namespace) -> set[str]:
    """Destinations of the options given on the command line (empty for a hand-made Namespace)."""
    return set(getattr(args, "_given", ()) or ())


# --- type functions (argparse ``type=``) ----------------------------------------------------------

def int_range(low: int | None = None, high: int | None = None, what: str = "a whole number"):
    """``type=`` for an integer in ``[low, high]`` (either end open when ``None``).

    >>> int_range(0)("3")
    3
    >>> int_range(0)("-1")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: -1 is not a whole number >= 0
    """
    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not {what}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            span = (f"in [{low}, {high}]" if low is not None and high is not None
                    else f">= {low}" if low is not None else f"<= {high}")
            raise argparse.ArgumentTypeError(f"{text} is not {what} {span}")
        return value
    parse.__name__ = "integer"
    return parse


def float_range(low: float | None = None, high: float | None = None, low_open: bool = False,
                high_open: bool = False):
    """``type=`` for a finite number in the interval (``low_open``: ``low`` excluded).

    >>> float_range(0, 1, True, True)("0.05")
    0.05
    >>> float_range(0, 1, True, True)("-1")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: -1 is not a number in (0, 1)
    """
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} is not a finite number")
        bad = ((low is not None and (value < low or (low_open and value == low)))
               or (high is not None and (value > high or (high_open and value == high))))
        if bad:
            raise argparse.ArgumentTypeError(f"{text} is not a number {_bounds(low, high, low_open, high_open)}")
        return value
    parse.__name__ = "number"
    return parse


def _bounds(low, high, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    return f"{'<' if high_open else '<='} {high:g}"


_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


def table_name(text: str) -> str:
    """``type=`` for a table name: lower-case letters, digits, ``_`` or ``-`` (what
    ``auknow validate`` accepts), so a written table always validates.

    >>> table_name("my_prior")
    'my_prior'
    """
    if not _NAME.match(text):
        raise argparse.ArgumentTypeError(f"'{text}' is not a table name (lower-case letters, digits, '_' or "
                                         "'-', starting with a letter or digit, e.g. my_prior)")
    return text


# --- options that do not apply --------------------------------------------------------------------

#: estimate-prior option destination -> (its flag, the datasets that read it).
DATASET_OPTIONS = {
    "task_map": ("--task-map", ("bp4d",)),
    "threshold": ("--threshold", ("disfa", "csv", "openface", "pyfeat", "imotions")),
    "expressions": ("--expressions", ("disfa", "openface", "pyfeat", "imotions")),
    "expression": ("--expression", ("openface", "pyfeat", "imotions")),
    "labels": ("--labels", ("openface", "pyfeat", "imotions", "dfew")),
    "name_pattern": ("--name-pattern", ("openface", "pyfeat", "imotions")),
    "subject_col": ("--subject-col", ("csv",)),
    "expression_col": ("--expression-col", ("csv",)),
    "sequence_col": ("--sequence-col", ("csv",)),
    "frame_col": ("--frame-col", ("csv",)),
    "facs_col": ("--facs-col", ("csv",)),
    "use": ("--use", ("openface",)),
    "emotion_threshold": ("--emotion-threshold", ("pyfeat",)),
}


def check_estimate_options(args: argparse.Namespace) -> None:
    """Refuse ``estimate-prior`` options that the chosen dataset would silently ignore.

    Raises:
        CliOptionError: naming the flag, the dataset, and the datasets that read it.
    """
    chosen = given(args)
    dataset = args.dataset
    for dest, (flag, readers) in DATASET_OPTIONS.items():
        if dest in chosen and dataset not in readers:
            what = f"--dataset {dataset}" if dataset else "the bundled CK+ codes (no --dataset)"
            raise CliOptionError(f"{flag} does not apply to {what}; it is read with --dataset "
                                 f"{' / '.join(readers)}")
    unit = args.unit or ("sequence" if dataset == "dfew" else "frame")  # dfew: clips (sequence) by default
    if "min_fraction" in chosen and unit != "sequence":
        raise CliOptionError("--min-fraction applies to --unit sequence only")
    for dest in ("max_size", "min_support", "min_prevalence"):
        if dest in chosen and not getattr(args, "configurations", False):
            raise CliOptionError(f"--{dest.replace('_', '-')} applies to --configurations only")
    if args.expression is not None and args.expressions is not None:
        raise CliOptionError("give --expression NAME or --expressions FILE, not both")
    if args.use == "c" and "threshold" in chosen and dataset == "openface":
        raise CliOptionError("--threshold applies to OpenFace intensities; add --use r (AUxx_r >= THRESHOLD)")
    if args.plot and not args.out:
        raise CliOptionError("--plot writes heatmap.png into --out DIR; give --out")
    if args.out:
        check_output_folder(args.out, "--out", args.force, will_write=ESTIMATE_ALWAYS_WRITES)


# --- output paths ---------------------------------------------------------------------------------

def _existing_parent(path: Path) -> Path:
    parent = path.parent if str(path.parent) else Path(".")
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def _check_parent(path: Path, option: str) -> None:
    parent = _existing_parent(path)
    if not parent.is_dir():
        raise CliOptionError(f"{option} {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise CliOptionError(f"{option} {path}: cannot write in {parent} (permission denied or read-only)")


def check_output_file(path: str | os.PathLike, option: str, force: bool, suffixes: tuple[str, ...] = (),
                      kind: str = "output") -> Path:
    """Refuse, before any work, an output file that cannot be written.

    Raises:
        CliOptionError: an unknown suffix, an existing file without ``--force``, a folder in its
            place, a parent that is a file, or a folder where writing is not allowed.
    """
    p = Path(path)
    if suffixes and p.suffix.lower() not in suffixes:
        raise CliOptionError(f"{option} {p}: unknown {kind} format '{p.suffix}' (expected {', '.join(suffixes)})")
    if p.is_dir():
        raise CliOptionError(f"{option} {p}: is a folder, expected a file name")
    if p.exists() and not force:
        raise CliOptionError(f"{option} {p}: exists; not overwritten (add --force)")
    _check_parent(p, option)
    return p


#: files every ``estimate-prior --out`` run writes (the others depend on the options and the data)
ESTIMATE_ALWAYS_WRITES = ("prior.yaml", "statistics.csv", "relations.csv")


def check_output_folder(path: str | os.PathLike, option: str, force: bool, will_write: tuple[str, ...] = ()) -> Path:
    """Refuse, before any work, an output folder that cannot be written (see :func:`check_output_file`),
    or that already holds one of ``will_write`` without ``force`` (so a long run does not end refused).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "prior.yaml").write_text("x")
    ...     try:
    ...         check_output_folder(d, "--out", False, will_write=ESTIMATE_ALWAYS_WRITES)
    ...     except CliOptionError as err:
    ...         print(str(err).split(": ", 1)[1])
    already holds prior.yaml; not overwritten (use --force, or another --out)
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise CliOptionError(f"{option} {p}: exists and is not a folder")
    clash = [n for n in will_write if (p / n).exists()] if p.is_dir() and not force else []
    if clash:
        raise CliOptionError(f"{option} {p}: already holds {', '.join(clash)}; not overwritten "
                             "(use --force, or another --out)")
    if p.is_dir() and not os.access(p, os.W_OK | os.X_OK):
        raise CliOptionError(f"{option} {p}: cannot write in this folder (permission denied or read-only)")
    _check_parent(p, option)
    return p


# --- operating-system errors ----------------------------------------------------------------------

_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder, expected a file",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.ENOENT: "no such file or folder",
    errno.ENAMETOOLONG: "file name too long",
    errno.EEXIST: "exists",
}


def os_error_message(exc: OSError) -> str:
    """One line for an operating-system error: ``PATH: reason`` (nothing written).

    >>> os_error_message(PermissionError(13, "Permission denied", "/x/out.png"))
    '/x/out.png: permission denied (nothing written)'
    """
    reason = _REASONS.get(exc.errno, (exc.strerror or str(exc)).lower())
    where = exc.filename if exc.filename is not None else None
    if where is None:
        return f"{reason} (nothing written)"
    return f"{where}: {reason} (nothing written)"


def debug() -> bool:
    """``AUKNOW_DEBUG=1`` shows tracebacks of unexpected errors (for bug reports)."""
    return os.environ.get("AUKNOW_DEBUG", "") not in ("", "0")


#: Python keyword spellings in library messages -> the flags a command-line user types.
_KEYWORDS = ("subject_col", "expression_col", "sequence_col", "frame_col", "facs_col", "task_map",
             "emotion_threshold", "expressions_file", "rescale", "base", "mode", "use", "missing", "fill",
             "threshold", "combine", "weights", "scale", "temperature", "alpha", "tolerance")
_FLAG_RULES = (
    # missing={'fig2002': 'zero'} -> --missing fig2002=zero
    (re.compile(r"\b(\w+)=\{'([^']+)': '([^']+)'\}"), lambda m: f"--{m[1].replace('_', '-')} {m[2]}={m[3]}"),
    # rescale='max' / use='r' -> --rescale max / --use r
    (re.compile(r"\b(" + "|".join(_KEYWORDS) + r")='([^']*)'"),
     lambda m: f"--{'expressions' if m[1] == 'expressions_file' else m[1].replace('_', '-')} {m[2]}"),
    # "set subject_col", "give task_map" -> "set --subject-col", "give --task-map"
    (re.compile(r"\b(set|give|pass|try|use) (" + "|".join(k for k in _KEYWORDS if "_" in k) + r")\b"),
     lambda m: f"{m[1]} --{'expressions' if m[2] == 'expressions_file' else m[2].replace('_', '-')}"),
)


#: keyword=value in library messages -> the flag; ``=True`` / ``=...`` become the bare flag.
_ASSIGN_FLAGS = {"independent_clips": "independent-clips", "overwrite": "force", "n_boot": "n-boot",
                 "n_perm": "n-perm", "name_pattern": "name-pattern", "labels": "labels",
                 "exclude_subjects": "exclude-subjects", "beta": "beta", "folds": "cv-folds",
                 "statistic": "statistic", "expressions_file": "expressions", "expression": "expression",
                 "unit": "unit", "threshold": "threshold", "min_support": "min-support",
                 "max_size": "max-size", "alpha": "alpha", "min_prevalence": "min-prevalence"}
#: whole phrases whose command-line form is not word for word
_PHRASES = (("overwrite=True, or write elsewhere", "--force, or another --out"),
            ("BP4D is streamed to counts", "--dataset bp4d streams counts"))


def _assign_flag(m: re.Match) -> str:
    flag, value = "--" + _ASSIGN_FLAGS[m[1]], m[2]
    if value in ("True", "..."):
        return flag
    if value.startswith("'") and value.endswith("'") and value[1:-1].replace("_", "").isalnum():
        value = value[1:-1]  # unit='sequence' -> --unit sequence; a pattern keeps its quotes
    return f"{flag} {value}"


_ASSIGN_RULE = re.compile(r"(?<![\w.])(" + "|".join(_ASSIGN_FLAGS) + r")=(True\b|\.\.\.|'[^']*'|[^\s,;)]+)")


def flagify(message: str) -> str:
    """Name command-line flags where a library message names Python keywords.

    >>> flagify("no column 'subj' (the subject column; set subject_col)")
    "no column 'subj' (the subject column; set --subject-col)"
    >>> flagify("no AUxx_c columns; try use='r'")
    'no AUxx_c columns; try --use r'
    >>> flagify("aus: empty list")
    '--aus: empty list'
    >>> flagify("say so with independent_clips=True; or labels=FILE, n_boot=2000 or unit='sequence'")
    'say so with --independent-clips; or --labels FILE, --n-boot 2000 or --unit sequence'
    >>> flagify("x.csv: exists; not overwritten (ask for it with overwrite=True, or write elsewhere)")
    'x.csv: exists; not overwritten (ask for it with --force, or another --out)'
    >>> flagify("configurations reach min_support=5 (at size 3); raise min_support=... or lower max_size=...")
    'configurations reach --min-support 5 (at size 3); raise --min-support or lower --max-size'
    >>> flagify("fold 4: bp4d has folds 1, 2, 3")
    '--fold 4: bp4d has folds 1, 2, 3'
    """
    for phrase, cli in _PHRASES:
        message = message.replace(phrase, cli)
    for rx, rep in _FLAG_RULES:
        message = rx.sub(rep, message)
    message = _ASSIGN_RULE.sub(_assign_flag, message)
    message = re.sub(r"(?m)^fold (\d+(?:, \d+)*): ", r"--fold \1: ", message)  # fold_subjects' folds
    # "aus: empty list" (compile's keyword) -> "--aus: empty list"
    message = re.sub(r"(?m)^(aus|expressions|weights|kinds|tolerance|layout|dpi|top_k|threshold): ",
                     lambda m: f"--{m[1].replace('_', '-')}: ", message)
    return re.sub(r"(--[\w-]+ \w+) / '(\w+)'", r"\1 / \2", message)


def print_error(prog: str, message: str) -> None:
    """Print ``message`` as ``PROG: error: LINE`` lines on stderr, flags named as typed."""
    message = flagify(str(message))
    for line in str(message).splitlines() or ["error"]:
        print(f"{prog}: error: {line}", file=sys.stderr)
