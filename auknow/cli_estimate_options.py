"""Command-line options of ``auknow estimate-prior`` (kept apart so ``--help`` stays fast)."""

from __future__ import annotations

import argparse

from .cli_checks import float_range, int_range, table_name

#: the choices of --statistic: :data:`auknow.estimate.statistics.STATISTICS`, written out so that
#: building the parser does not import numpy (``auknow --help`` and bad options answer at once;
#: tests/test_bad_inputs.py checks the two agree).
STATISTICS = ("p_au_given_expression", "p_au", "lift", "log_odds_ratio", "phi", "p_expression_given_au")

DEFAULT_STATISTIC = "p_au_given_expression"
DATASETS = ("bp4d", "disfa", "ckplus", "csv", "openface", "pyfeat", "imotions", "dfew")


def add_estimate_arguments(p: argparse.ArgumentParser) -> None:
    """Add every ``estimate-prior`` option to a parser.

    >>> p = argparse.ArgumentParser(prog="auknow estimate-prior")
    >>> add_estimate_arguments(p)
    >>> args = p.parse_args(["--n-perm", "100"])
    >>> args.n_perm, args.alpha, args.statistic
    (100, 0.05, 'p_au_given_expression')
    """
    _add_data_arguments(p)
    _add_selection_arguments(p)
    _add_statistics_arguments(p)
    _add_configuration_arguments(p)
    _add_output_arguments(p)


def _add_data_arguments(p: argparse.ArgumentParser) -> None:
    """The data group: PATH, --dataset and each reader's options."""
    data = p.add_argument_group("data")
    data.add_argument("--dataset", choices=DATASETS,
                      help="layout of PATH (default: the bundled CK+ peak-frame FACS codes); dfew: OpenFace "
                           "outputs of DFEW clips (<id>.csv) with --labels set_k.csv, the AU-DFER workflow")
    data.add_argument("paths", nargs="*", metavar="PATH",
                      help="dataset folder or file (several files for openface / pyfeat / imotions / dfew)")
    data.add_argument("--task-map", metavar="T=EXPR,...",
                      help="BP4D: override task -> expression, e.g. T4=embarrassment,T6=pain")
    data.add_argument("--threshold", type=float_range(0), default=None,
                      help="occurrence threshold: DISFA intensity (default 2), OpenFace AUxx_r (default 1), "
                           "py-feat probability (default 0.5), tidy CSV intensities (default: cells are 0/1)")
    data.add_argument("--expressions", metavar="FILE",
                      help="CSV of expression labels (DISFA: subject,frame,expression; detectors: "
                           "subject or sequence, expression)")
    data.add_argument("--expression", metavar="NAME", help="detectors: one expression for every frame")
    data.add_argument("--labels", metavar="FILE",
                      help="detectors: subject and/or expression per file: CSV with columns sequence or file "
                           "(the file stem), subject, expression; or DFEW's video_name,label split file")
    data.add_argument("--name-pattern", metavar="REGEX",
                      help="detectors: subject and/or expression from each file name, a regular expression with "
                           "named groups matched against the whole stem, e.g. '(?P<subject>[^_]+)_(?P<expression>\\w+)'")
    data.add_argument("--subject-col", default="subject", help="tidy CSV: subject column (default subject)")
    data.add_argument("--expression-col", default="expression",
                      help="tidy CSV / detector CSV: expression column (default expression)")
    data.add_argument("--sequence-col", help="tidy CSV: sequence column (default: one sequence per row)")
    data.add_argument("--frame-col", help="tidy CSV: frame column")
    data.add_argument("--facs-col", help="tidy CSV: one FACS code string column (1+2+5B+26) instead of AU columns")
    data.add_argument("--use", choices=("c", "r"), default="c",
                      help="OpenFace: presence AUxx_c (default) or intensity AUxx_r >= --threshold")
    data.add_argument("--emotion-threshold", type=float_range(0, 1), default=None,
                      help="py-feat: label frames by the detector's own emotion (argmax) when its "
                           "probability reaches this value")


def _add_selection_arguments(p: argparse.ArgumentParser) -> None:
    """The subjects-and-units group: --unit, --min-fraction, --fold, --exclude-subjects, --independent-clips."""
    sel = p.add_argument_group("subjects and units")
    sel.add_argument("--unit", choices=("frame", "sequence"), default=None,
                     help="unit of analysis (default frame; sequence for --dataset dfew)")
    sel.add_argument("--min-fraction", type=float_range(0, 1, low_open=True), default=0.5,
                     help="with --unit sequence: a sequence shows an AU when at least this fraction of its "
                          "coded frames do (default 0.5, the majority rule of AU-DFER)")
    sel.add_argument("--fold", type=int_range(0, what="a fold number"), action="append",
                     help="leave out the test subjects of this fold (dataset descriptor's subject-independent "
                          "split) so the prior comes from training subjects only; repeatable")
    sel.add_argument("--exclude-subjects", metavar="S1,S2,...", help="leave these subjects out")
    sel.add_argument("--independent-clips", action="store_true",
                     help="treat every sequence (clip) as an independent unit: bootstrap over clips and an "
                          "unrestricted permutation; for data without subject ids (implied by --dataset dfew). "
                          "Valid only if no person appears in two clips (see docs/estimate-prior.md)")


def _add_statistics_arguments(p: argparse.ArgumentParser) -> None:
    """The statistics group: --statistic, resamples, --ci, --alpha, --network-edges, --seed."""
    st = p.add_argument_group("statistics")
    st.add_argument("--statistic", choices=STATISTICS, default=DEFAULT_STATISTIC,
                    help=f"contribution written to the quantified table (default {DEFAULT_STATISTIC})")
    st.add_argument("--n-boot", type=int_range(0), default=1000, help="subject-level bootstrap resamples (default 1000)")
    st.add_argument("--n-perm", type=int_range(0), default=1000,
                    help="within-subject permutations (default 1000; doubled, up to 16x, while the p-value "
                         "floor 1/(n+1) could decide a Benjamini-Hochberg discovery)")
    st.add_argument("--ci", type=float_range(0, 1, True, True), default=0.95, help="confidence level (default 0.95)")
    st.add_argument("--alpha", type=float_range(0, 1, True, True), default=0.05, help="q-value below which an AU is marked significant, in (0, 1) (default 0.05)")
    st.add_argument("--network-edges", choices=("auto", "q", "lift-ci"), default="auto",
                    help="edges of the AU networks (network.csv): q = pair q-value < --alpha, lift-ci = the "
                         "lift's bootstrap CI above 1, auto = q where pair q-values exist, else lift-ci (default)")
    st.add_argument("--seed", type=int_range(0, 2**32 - 1, "a seed"), default=0, help="random seed (same seed, same output)")


def _add_configuration_arguments(p: argparse.ArgumentParser) -> None:
    """The AU configurations group: --configurations and its search limits."""
    cf = p.add_argument_group("AU configurations (docs/estimate-prior.md, Configurations)")
    cf.add_argument("--configurations", action="store_true",
                    help="also find AU combinations characteristic of each expression (same bootstrap, permutation "
                         "test and BH q over all combinations tested); writes configurations.csv and the prototype "
                         "table configurations.yaml")
    cf.add_argument("--max-size", type=int_range(1), default=6,
                    help="with --configurations: largest combination size (default 6, FIG 2002's largest prototype)")
    cf.add_argument("--min-support", type=int_range(1), default=5,
                    help="with --configurations: test a combination in an expression when it occurs in at least "
                         "this many of its units (frames, or sequences with --unit sequence; default 5); only such "
                         "combinations are extended")
    cf.add_argument("--min-prevalence", type=float_range(0, 1), default=0.5,
                    help="with --configurations: configurations.yaml lists, per expression, the maximal significant "
                         "combinations shown by at least this share of its units (default 0.5)")


def _add_output_arguments(p: argparse.ArgumentParser) -> None:
    """The output group: --out and what is written there or printed."""
    out = p.add_argument_group("output")
    out.add_argument("--out", metavar="DIR",
                     help="write statistics.csv, relations.csv, prior.yaml, relations.yaml, event_sizes.csv, network.csv, "
                          "network_summary.csv, network_edges.csv (and the --plot figures) here")
    out.add_argument("--force", action="store_true", help="replace existing files in --out")
    out.add_argument("--plot", action="store_true", help="also write heatmap.png, intervals.png (P(AU | expression) with CIs), event_sizes.png and "
                          "network.png (the expression <-> AU network) (needs --out)")
    out.add_argument("--name", type=table_name, help="name of the written tables: lower-case letters, digits, _ or - (default: estimated_<dataset>)")
    out.add_argument("--top", type=int_range(1), default=5, help="AUs per expression in the terminal summary (default 5)")
    out.add_argument("--quiet", action="store_true", help="no summary and no progress bar")
