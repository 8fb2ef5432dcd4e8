"""The ``auknow`` command line: validate, show, list, estimate-prior, export, plot, diff, schema, new.

Bad input never shows a traceback: every :class:`auknow.errors.AuknowError`, usage error and
operating-system error (permission, read-only file system, a file where a folder should be, a
full disk) is printed as one ``auknow: error: ...`` line on stderr with exit status 2, and no
output file is left behind. ``validate`` prints one line per problem on stdout and exits 1 when
it finds any. An unexpected internal error is one line too (exit 70); ``AUKNOW_DEBUG=1`` shows
its traceback for a bug report.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .cli_checks import OneLineParser, debug, os_error_message, print_error
from .errors import AuknowError

READERS = ("bp4d", "disfa", "ckplus", "csv", "openface", "pyfeat")


def _cmd_validate(args: argparse.Namespace) -> int:
    from .tables import validate_paths

    n_files, problems = validate_paths(args.paths)
    for p in problems:
        print(p)
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"auknow: error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    bad_files = len({p.file for p in problems})
    summary = f"{n_files} table(s) checked, {len(problems)} problem(s) in {bad_files} file(s)"
    print(summary if problems else f"{n_files} table(s) valid", file=sys.stderr)
    return 1 if problems else 0


def _resolve_table(ref: str):
    """A table from a path, or a bundled table by name."""
    from .library import load_bundled
    from .tables import load_table

    path = Path(ref)
    if path.exists() or ref.endswith((".yaml", ".yml")):
        return load_table(path)
    try:
        return load_bundled(ref)
    except KeyError as exc:
        raise AuknowError(f"{ref}: no such file, and {exc.args[0]}") from None


def _cmd_show(args: argparse.Namespace) -> int:
    from .tables.render import render_table

    print(render_table(_resolve_table(args.table), args.format))
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from .library import bundled_catalog

    cat = bundled_catalog()
    rows = [(r.kind, r.name, r.source, r.title) for r in cat.itertuples(index=False)]
    widths = [max(len(r[i]) for r in rows) for i in range(3)] if rows else [0, 0, 0]
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}")
    return 0


def _cmd_estimate(args: argparse.Namespace) -> int:
    from .cli_checks import check_estimate_options
    from .cli_estimate import run_estimate

    check_estimate_options(args)
    return run_estimate(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``auknow`` command (subcommands with their own ``--help``)."""
    parser = OneLineParser(
        prog="auknow", description="Facial Action Unit knowledge: validate, show and estimate AU priors.")
    parser.add_argument("--version", action="version", version=f"auknow {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("validate", help="check knowledge tables (files or folders)",
                       description="Check knowledge tables; one line per problem (FILE:LINE: key: message). "
                                   "Exit 0 when all are valid, 1 when any problem is found.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a .yaml table or a folder of them")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("show", help="print a table readably",
                       description="Print a knowledge table (a path, or the name of a bundled table).")
    p.add_argument("table", metavar="TABLE", help="path to a .yaml table, or a bundled table name (see auknow list)")
    p.add_argument("--format", choices=("text", "csv", "json", "md"), default="text", help="output format")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("list", help="list the bundled tables with their citations")
    p.set_defaults(func=_cmd_list)

    from .cli_estimate_options import add_estimate_arguments
    p = sub.add_parser(
        "estimate-prior", help="estimate AU contributions to expressions from AU-labelled data",
        description="Estimate P(AU | expression) and related statistics, with subject-level bootstrap "
                    "confidence intervals and permutation p-values, from AU-labelled data. Without a "
                    "dataset it runs on the bundled CK+ peak-frame FACS codes (Lucey et al. 2010).")
    add_estimate_arguments(p)
    p.set_defaults(func=_cmd_estimate)

    from .cli_compile import add_compile_commands
    add_compile_commands(sub)

    from .cli_audit import add_audit_command
    add_audit_command(sub)
    from .cli_tables import add_table_commands
    add_table_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 problems found by validate, 2 bad input)."""
    if not sys.warnoptions:  # -W / PYTHONWARNINGS given: the user's filters rule
        import warnings
        # Third-party deprecation noise (torch-geometric's torch.jit.script FutureWarning on
        # import, ...) is not for auknow's users; warnings raised from auknow.* still show.
        for category in (FutureWarning, DeprecationWarning, PendingDeprecationWarning):
            warnings.filterwarnings("ignore", category=category, module=r"(?!auknow(\.|$))")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.func(args) or 0)
    except AuknowError as exc:
        print_error("auknow", str(exc) or type(exc).__name__)
        return 2
    except KeyboardInterrupt:
        print("auknow: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `auknow show T | head`): not an error worth a traceback.
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # permission, read-only, not a folder, disk full: the path and why
        if debug():
            raise
        print_error("auknow", os_error_message(exc))
        return 2
    except MemoryError:
        if debug():
            raise
        print_error("auknow", "out of memory (nothing written); lower --n-boot / --n-perm or use less data")
        return 2
    except Exception as exc:  # a bug, not bad input: still one line, and a way to see more
        if debug():
            raise
        print_error("auknow", f"internal error {type(exc).__name__}: {exc} (a bug; please report it with the "
                              "traceback shown by AUKNOW_DEBUG=1)")
        return 70


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
