"""Every malformed input gets one clear line, exit status 2, no traceback and no output file.

The cases are generated: malformed knowledge tables (each shown and exported), malformed tidy
CSV files and dataset folders (estimate-prior), out-of-range and inapplicable options, and output
paths that cannot be written. The bulk runs in-process through ``auknow.cli.main`` (fast); a
sample runs the installed command in real subprocesses (``python -m auknow``), so that what a
user sees, including the absence of a traceback, is tested end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auknow.cli import main

PROTO = """schema_version: 1
kind: prototype
name: t
title: test table
provenance:
  kind: edited
expressions:
  happiness:
  - required: 6+12
"""
QUANT = """schema_version: 1
kind: quantified
name: q
title: test weights
provenance:
  kind: edited
statistic:
  name: p
  range: [0, 1]
weights:
  happiness:
    AU12: 0.9
"""
REL = """schema_version: 1
kind: relation
name: r
title: test relations
provenance:
  kind: edited
relations:
- au_i: AU06
  au_j: AU12
  kind: co-occurrence
  strength: 0.5
"""


def _laughs(levels: int = 12) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


#: name -> (table text, a fragment the one-line answer must hold besides the file name)
TABLES = {
    "recursive_alias": ("a: &a [*a]\n", "recursive YAML alias"),
    "recursive_mapping_alias": (PROTO + "extra: &e {x: *e}\n", "recursive YAML alias"),
    "billion_laughs": (_laughs(), "YAML nodes"),
    "deep_nesting": ("a: " + "[" * 3000 + "]" * 3000 + "\n", "nested deeper"),
    "deep_alias_chain": (PROTO + "x: " + "{k: " * 80 + "1" + "}" * 80 + "\n", "nested deeper"),
    "deep_block_nesting": ("a:\n" + "".join(" " * i + "b:\n" for i in range(1, 200)), "nested deeper"),
    "unclosed_bracket": ("schema_version: 1\nkind: [prototype\n", "YAML syntax error"),
    "tab_indent": ("schema_version: 1\nkind: prototype\n\tname: t\n", "YAML syntax error"),
    "control_character": ("schema_version: 1\nname: \x07\n", "YAML syntax error"),
    "empty_file": ("", "empty file"),
    "a_list": ("- 1\n- 2\n", "expected a knowledge table"),
    "a_scalar": ("hello\n", "expected a knowledge table"),
    "no_schema_version": (PROTO.replace("schema_version: 1\n", ""), "schema_version"),
    "schema_version_2": (PROTO.replace("schema_version: 1", "schema_version: 2"), ":1:"),
    "schema_version_text": (PROTO.replace("schema_version: 1", "schema_version: one"), "schema_version"),
    "unknown_kind": (PROTO.replace("kind: prototype", "kind: protoype"), ":2:"),
    "typo_top_key": (PROTO + "titel: x\n", "unknown key 'titel'"),
    "bad_name": (PROTO.replace("name: t", "name: Bad Name"), ":3:"),
    "no_title": (PROTO.replace("title: test table\n", ""), "missing key 'title'"),
    "no_provenance": (PROTO.replace("provenance:\n  kind: edited\n", ""), "provenance"),
    "bad_provenance_kind": (PROTO.replace("kind: edited", "kind: guess"), ":6:"),
    "literature_no_citation": (PROTO.replace("kind: edited", "kind: literature"), "citation"),
    "citation_bad_year": (PROTO.replace("kind: edited", "kind: literature\n  citation:\n    authors: [A]\n"
                                        "    year: soon\n    title: T"), "year"),
    "citation_no_authors": (PROTO.replace("kind: edited", "kind: literature\n  citation:\n    year: 2002\n"
                                          "    title: T"), "authors"),
    "misspelt_expression": (PROTO.replace("happiness:", "hapiness:"), "did you mean"),
    "unknown_expression": (PROTO.replace("happiness:", "zzzz:"), "extra_expressions"),
    "expression_twice": (PROTO + "  happy:\n  - required: 12\n", "listed twice"),
    "unknown_au": (PROTO.replace("6+12", "6+99"), "99"),
    "bad_facs_token": (PROTO.replace("6+12", "6+X"), ":9:"),
    "bad_intensity": (PROTO.replace("6+12", "6+12Q"), "12Q"),
    "exclusive_required": (PROTO.replace("6+12", "25+26+27"), "exclusive"),
    "au_twice_in_parts": (PROTO.replace("- required: 6+12", "- required: 6+12\n    optional: 12"), "twice"),
    "empty_configuration_list": (PROTO.replace("  happiness:\n  - required: 6+12\n", "  happiness: []\n"),
                                 "configurations"),
    "configuration_no_au": (PROTO.replace("required: 6+12", "type: prototype"), "no AU"),
    "configuration_typo": (PROTO.replace("required: 6+12", "requird: 6+12"), "requird"),
    "expressions_a_list": (PROTO.replace("  happiness:\n  - required: 6+12\n", "  - happiness\n"), "mapping"),
    "duplicate_key": (PROTO.replace("title: test table", "title: a\ntitle: b"), "appears twice"),
    "extra_expressions_bad": (PROTO + "extra_expressions: [Not Snake]\n", "extra_expressions"),
    "no_statistic": (QUANT.replace("statistic:\n  name: p\n  range: [0, 1]\n", ""), "statistic"),
    "bad_range": (QUANT.replace("[0, 1]", "[1, 0]"), "range"),
    "range_text": (QUANT.replace("[0, 1]", "zero to one"), "range"),
    "weight_out_of_range": (QUANT.replace("AU12: 0.9", "AU12: 1.9"), "outside the declared range"),
    "weight_text": (QUANT.replace("AU12: 0.9", "AU12: high"), "expected a number"),
    "weight_nan": (QUANT.replace("AU12: 0.9", "AU12: .nan"), "NaN"),
    "ci_reversed": (QUANT.replace("AU12: 0.9", "AU12: {value: 0.5, ci: [0.9, 0.1]}"), "ci"),
    "ci_outside_range": (QUANT.replace("AU12: 0.9", "AU12: {value: 0.5, ci: [0.1, 1.5]}"), "ci"),
    "p_value_2": (QUANT.replace("AU12: 0.9", "AU12: {value: 0.5, p_value: 2}"), "p_value"),
    "n_negative": (QUANT.replace("AU12: 0.9", "AU12: {value: 0.5, n: -3}"), "count"),
    "weight_no_value": (QUANT.replace("AU12: 0.9", "AU12: {ci: [0.1, 0.2]}"), "value"),
    "au_twice_spelt": (QUANT.replace("AU12: 0.9", "AU12: 0.9\n    '12': 0.8"), "listed twice"),
    "misspelt_au_key": (QUANT.replace("AU12: 0.9", "AUx12: 0.9"), "did you mean AU12"),
    "row_not_mapping": (QUANT.replace("  happiness:\n    AU12: 0.9", "  happiness: 0.9"), "mapping"),
    "negative_scale": (QUANT + "scale: -5\n", "scale"),
    "no_relations": (REL.split("relations:")[0] + "relations: []\n", "relations"),
    "relation_same_au": (REL.replace("au_j: AU12", "au_j: AU06"), "two different AUs"),
    "relation_kind": (REL.replace("kind: co-occurrence", "kind: friendship"), "friendship"),
    "relation_strength_text": (REL.replace("strength: 0.5", "strength: strong"), "strength"),
    "relation_missing_au": (REL.replace("  au_j: AU12\n", ""), "au_j"),
    "hierarchy_undirected": (REL.replace("kind: co-occurrence", "kind: hierarchy\n  directed: false"), "directed"),
    "relation_twice": (REL + "- au_i: AU12\n  au_j: AU06\n  kind: co-occurrence\n  strength: 0.4\n", "twice"),
    "relation_directed_text": (REL + "  directed: maybe\n", "true or false"),
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / "in" / f"{name}.yaml"
    p.parent.mkdir(exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def _snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _check(argv: list[str], capsys, root: Path, *fragments: str) -> str:
    before = _snapshot(root)
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, (argv, err)
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("auknow: error: ") for line in lines), err
    for f in fragments:
        assert f in err, (argv, f, err)
    assert _snapshot(root) == before, f"{argv} wrote {_snapshot(root) - before}"
    return err


@pytest.mark.parametrize("name", sorted(TABLES))
@pytest.mark.parametrize("command", ["show", "export"])
def test_malformed_table(tmp_path, capsys, name, command):
    text, fragment = TABLES[name]
    path = _write(tmp_path, name, text)
    argv = ["show", str(path)] if command == "show" else ["export", str(path), "--to", str(tmp_path / "m.csv")]
    _check(argv, capsys, tmp_path, str(path), fragment)


@pytest.mark.parametrize("name", ["billion_laughs", "recursive_alias", "deep_nesting"])
def test_alias_bombs_are_refused_at_once(tmp_path, name):
    from auknow.tables import read_table

    path = _write(tmp_path, name, TABLES[name][0])
    t0 = time.perf_counter()
    table, problems = read_table(path)
    assert time.perf_counter() - t0 < 1.0 and table is None and len(problems) == 1


def test_valid_tables_of_the_suite_pass(tmp_path, capsys):
    """The templates the cases mutate are valid, so each case fails for its own reason."""
    for name, text in (("proto", PROTO), ("quant", QUANT), ("rel", REL)):
        assert main(["show", str(_write(tmp_path, name, text))]) == 0
    capsys.readouterr()


# --- tidy CSV files and folders (estimate-prior --dataset csv) -------------------------------------

GOOD_CSV = "subject,expression,AU1,AU12\n" + "".join(
    f"S{s},{e},{(s + i) % 2},{(s * i) % 2}\n" for s in range(1, 5) for i, e in enumerate(["happy", "sad"] * 2))
#: name -> (CSV text, fragment of the answer (with the file name); 'LINE' means ':<n>:' is named)
CSVS = {
    "empty": ("", "empty file"),
    "header_only": ("subject,expression,AU1\n", "header only"),
    "no_subject_column": ("person,expression,AU1\nS1,happy,1\n", "--subject-col"),
    "no_expression_column": ("subject,label,AU1\nS1,happy,1\n", "--expression-col"),
    "ragged_row": ("subject,expression,AU1\nS1,happy,1,0\n", ":2:"),
    "short_row": ("subject,expression,AU1,AU2\nS1,happy,1\n", ":2:"),
    "text_in_au": ("subject,expression,AU1\nS1,happy,yes\n", ":2:"),
    "inf_in_au": ("subject,expression,AU1\nS1,happy,inf\n", ":2:"),
    "unknown_au_column": ("subject,expression,AU99\nS1,happy,1\n", "AU99"),
    "au_twice": ("subject,expression,AU1,AU01\nS1,happy,1,1\n", "two columns"),
    "misspelt_expression": ("subject,expression,AU1\nS1,hapy,1\nS2,happy,0\n", "did you mean"),
    "empty_expression": ("subject,expression,AU1\nS1,,1\nS2,happy,0\n", ":2:"),
    "empty_subject": ("subject,expression,AU1\n,happy,1\nS2,happy,0\n", ":2:"),
    "not_utf8": (b"subject,expression,AU1\nS1,h\xe4ppy,1\n", "UTF-8"),
    "one_subject": ("subject,expression,AU1\nS1,happy,1\nS1,sad,0\n", "subject"),
    "no_au_column": ("subject,expression,note\nS1,happy,x\nS2,sad,y\n", "AU"),
}


def _write_csv(tmp_path: Path, name: str, text) -> Path:
    p = tmp_path / "in" / f"{name}.csv"
    p.parent.mkdir(exist_ok=True)
    (p.write_bytes if isinstance(text, bytes) else p.write_text)(text)
    return p


@pytest.mark.parametrize("name", sorted(CSVS))
def test_malformed_csv(tmp_path, capsys, name):
    text, fragment = CSVS[name]
    path = _write_csv(tmp_path, name, text)
    _check(["estimate-prior", "--dataset", "csv", str(path), "--n-boot", "2", "--n-perm", "2", "--quiet",
            "--out", str(tmp_path / "out")], capsys, tmp_path, str(path), fragment)


def test_good_csv_runs(tmp_path, capsys):
    path = _write_csv(tmp_path, "good", GOOD_CSV)
    assert main(["estimate-prior", "--dataset", "csv", str(path), "--n-boot", "2", "--n-perm", "2",
                 "--quiet"]) == 0
    capsys.readouterr()


FOLDERS = {
    "bp4d_empty": ("bp4d", lambda d: None),
    "disfa_empty": ("disfa", lambda d: None),
    "ckplus_empty": ("ckplus", lambda d: None),
    "openface_empty": ("openface", lambda d: None),
    "bp4d_a_file": ("bp4d", lambda d: (d / "x.csv").write_text("a\n")),
    "openface_not_openface": ("openface", lambda d: (d / "x.csv").write_text("frame,face_id\n1,0\n")),
    "pyfeat_not_pyfeat": ("pyfeat", lambda d: (d / "x.csv").write_text("frame,foo\n1,0\n")),
}


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_malformed_folder(tmp_path, capsys, name):
    dataset, fill = FOLDERS[name]
    d = tmp_path / "in" / name
    d.mkdir(parents=True)
    fill(d)
    _check(["estimate-prior", "--dataset", dataset, str(d), "--n-boot", "2", "--n-perm", "2", "--quiet",
            "--expression", "happy"] if dataset in ("openface", "pyfeat") else
           ["estimate-prior", "--dataset", dataset, str(d), "--n-boot", "2", "--n-perm", "2", "--quiet"],
           capsys, tmp_path, str(d))


# --- options ---------------------------------------------------------------------------------------

E = ["estimate-prior", "--quiet"]
OPTIONS = {
    "seed_negative": (E + ["--seed", "-1"], "--seed"),
    "seed_huge": (E + ["--seed", "99999999999"], "--seed"),
    "seed_text": (E + ["--seed", "abc"], "--seed"),
    "alpha_negative": (E + ["--alpha", "-1"], "--alpha"),
    "alpha_one": (E + ["--alpha", "1"], "--alpha"),
    "alpha_nan": (E + ["--alpha", "nan"], "--alpha"),
    "ci_zero": (E + ["--ci", "0"], "--ci"),
    "ci_percent": (E + ["--ci", "95"], "--ci"),
    "n_boot_negative": (E + ["--n-boot", "-5"], "--n-boot"),
    "n_boot_float": (E + ["--n-boot", "1.5"], "--n-boot"),
    "n_perm_negative": (E + ["--n-perm", "-1"], "--n-perm"),
    "n_boot_huge": (E + ["--n-boot", "1000000000"], "--n-boot"),
    "n_perm_huge": (E + ["--n-perm", "1000000000"], "--n-perm"),
    "top_zero": (E + ["--top", "0"], "--top"),
    "min_fraction_zero": (E + ["--unit", "sequence", "--min-fraction", "0"], "--min-fraction"),
    "min_fraction_frame": (E + ["--min-fraction", "0.3"], "--min-fraction"),
    "threshold_negative": (E + ["--dataset", "csv", "x.csv", "--threshold", "-1"], "--threshold"),
    "emotion_threshold_2": (E + ["--dataset", "pyfeat", "x.csv", "--emotion-threshold", "2"], "--emotion-threshold"),
    "bad_name": (E + ["--name", "Bad Name"], "--name"),
    "bad_name_upper": (E + ["--name", "Prior"], "--name"),
    "facs_col_openface": (E + ["--dataset", "openface", "x.csv", "--facs-col", "codes"], "--facs-col"),
    "facs_col_default": (E + ["--facs-col", "codes"], "--facs-col"),
    "task_map_ckplus": (E + ["--dataset", "ckplus", "x", "--task-map", "T1=happy"], "--task-map"),
    "use_csv": (E + ["--dataset", "csv", "x.csv", "--use", "r"], "--use"),
    "subject_col_bp4d": (E + ["--dataset", "bp4d", "x", "--subject-col", "s"], "--subject-col"),
    "emotion_threshold_openface": (E + ["--dataset", "openface", "x.csv", "--emotion-threshold", ".5"],
                                   "--emotion-threshold"),
    "threshold_openface_c": (E + ["--dataset", "openface", "x.csv", "--threshold", "2"], "--use r"),
    "expression_and_expressions": (E + ["--dataset", "openface", "x.csv", "--expression", "happy",
                                        "--expressions", "e.csv"], "--expression"),
    "unknown_statistic": (E + ["--statistic", "odds"], "--statistic"),
    "unknown_dataset": (E + ["--dataset", "affectnet", "x"], "--dataset"),
    "unknown_option": (E + ["--n-bootstrap", "5"], "--n-bootstrap"),
    "plot_without_out": (E + ["--plot"], "--out"),
    "path_without_dataset": (E + ["x.csv"], "--dataset"),
    "fold_negative": (E + ["--fold", "-1"], "--fold"),
    "exclude_empty": (E + ["--exclude-subjects", ",", "--n-boot", "2", "--n-perm", "2"], "--exclude-subjects"),
    "export_aus_empty": (["export", "fig2002", "--to", "m.csv", "--aus", ","], "--aus"),
    "exclude_unknown": (E + ["--exclude-subjects", "NOPE", "--n-boot", "2", "--n-perm", "2"], "NOPE"),
    "export_dpi": (["plot", "fig2002", "--out", "x.png", "--dpi", "0"], "--dpi"),
    "plot_top_k_zero": (["plot", "fig2002", "--out", "x.png", "--top-k", "0"], "--top-k"),
    "plot_temperature_zero": (["plot", "fig2002", "--out", "x.png", "--mode", "softmax", "--temperature", "0"],
                              "--temperature"),
    "plot_size": (["plot", "fig2002", "--out", "x.png", "--size", "8"], "--size"),
    "plot_seed_negative": (["plot", "fig2002", "--out", "x.png", "--seed", "-3"], "--seed"),
    "export_alpha": (["export", "fig2002", "--to", "m.csv", "--alpha", "2"], "--alpha"),
    "export_mode": (["export", "fig2002", "--to", "m.csv", "--mode", "fancy"], "--mode"),
    "export_missing": (["export", "fig2002", "--to", "m.csv", "--missing", "maybe"], "--missing"),
    "export_fill": (["export", "fig2002", "--to", "m.csv", "--fill", "magic"], "--fill"),
    "export_weights": (["export", "fig2002", "--to", "m.csv", "--weights", "a,b"], "--weights"),
    "export_expressions": (["export", "fig2002", "--to", "m.csv", "--expressions", "hapy"], "did you mean"),
    "export_aus": (["export", "fig2002", "--to", "m.csv", "--aus", "AUx12"], "did you mean AU12"),
    "export_table_name": (["export", "fig200", "--to", "m.csv"], "did you mean fig2002"),
    "export_kinds": (["export", "fig2002", "--to", "g.graphml", "--kinds", "friendship"], "friendship"),
    "diff_tolerance": (["diff", "fig2002", "du2014", "--tolerance", "-1"], "--tolerance"),
    "diff_plot_format": (["diff", "fig2002", "du2014", "--plot", "d.gif"], "--plot"),
    "no_command": ([], "COMMAND"),
    "unknown_command": (["estimate"], "estimate"),
}


@pytest.mark.parametrize("name", sorted(OPTIONS))
def test_bad_option(tmp_path, capsys, monkeypatch, name):
    argv, fragment = OPTIONS[name]
    monkeypatch.chdir(tmp_path)
    _check(list(argv), capsys, tmp_path, fragment)


# --- output paths ----------------------------------------------------------------------------------

def _outputs(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    f = tmp_path / "a_file"
    f.write_text("x")
    d = tmp_path / "a_folder"
    d.mkdir()
    (d / "prior.yaml").write_text("keep")
    (tmp_path / "exists.png").write_text("keep")
    return {
        "plot_under_file": (["plot", "fig2002", "--out", str(f / "x.png")], str(f)),
        "plot_under_proc": (["plot", "fig2002", "--out", "/proc/auknow_test/x.png"], "/proc/auknow_test"),
        "plot_into_proc": (["plot", "fig2002", "--out", "/proc/x.png"], "/proc/x.png"),
        "plot_exists": (["plot", "fig2002", "--out", str(tmp_path / "exists.png")], "--force"),
        "plot_is_folder": (["plot", "fig2002", "--out", str(d)], str(d)),
        "export_under_file": (["export", "fig2002", "--to", str(f / "m.csv")], str(f)),
        "export_into_sys": (["export", "fig2002", "--to", "/sys/m.csv"], "/sys/m.csv"),
        "export_format": (["export", "fig2002", "--to", str(tmp_path / "m.xlsx")], "--to"),
        "diff_plot_under_file": (["diff", "fig2002", "du2014", "--plot", str(f / "d.png")], str(f)),
        "estimate_out_is_file": (E + ["--out", str(f)], str(f)),
        "estimate_out_under_file": (E + ["--out", str(f / "out")], str(f)),
        "estimate_out_in_proc": (E + ["--out", "/proc/auknow_out", "--n-boot", "2", "--n-perm", "2"],
                                 "/proc/auknow_out"),
        "estimate_out_clash": (E + ["--out", str(d), "--n-boot", "2", "--n-perm", "2"], "--force"),
    }


def test_unwritable_outputs(tmp_path, capsys):
    cases = _outputs(tmp_path)
    for name, (argv, fragment) in cases.items():
        _check(argv, capsys, tmp_path, fragment)
    assert (tmp_path / "a_folder" / "prior.yaml").read_text() == "keep"
    assert (tmp_path / "exists.png").read_text() == "keep"


def test_full_disk_is_one_line(tmp_path, capsys, monkeypatch):
    """ENOSPC while the figure is written: one line naming the file, nothing left behind."""
    import errno

    from matplotlib.figure import Figure

    def full(self, path, *a, **k):
        Path(path).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(Figure, "savefig", full)
    out = tmp_path / "x.png"
    err = _check(["plot", "fig2002", "--out", str(out)], capsys, tmp_path, "no space left")
    assert "x.png" in err


def test_parser_statistics_match_the_estimator():
    from auknow import cli_estimate_options as options
    from auknow.estimate import statistics

    assert options.STATISTICS == statistics.STATISTICS


def test_case_count():
    n = 2 * len(TABLES) + len(CSVS) + len(FOLDERS) + len(OPTIONS) + 13 + 1
    assert n >= 100, n


# --- the same in real subprocesses -----------------------------------------------------------------

SUBPROCESS_CASES = [
    ("tables", "recursive_alias"), ("tables", "billion_laughs"), ("tables", "deep_nesting"),
    ("tables", "misspelt_expression"), ("tables", "unclosed_bracket"), ("tables", "weight_out_of_range"),
    ("csv", "ragged_row"), ("csv", "not_utf8"), ("csv", "no_subject_column"),
    ("options", "seed_negative"), ("options", "alpha_negative"), ("options", "bad_name"),
    ("options", "facs_col_openface"), ("options", "task_map_ckplus"), ("options", "n_boot_huge"),
    ("options", "unknown_option"), ("options", "export_table_name"),
    ("outputs", "plot_under_file"), ("outputs", "plot_into_proc"), ("outputs", "export_into_sys"),
]


def test_subprocess_sample(tmp_path):
    outputs = _outputs(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("AUKNOW_DEBUG", None)
    for group, name in SUBPROCESS_CASES:
        if group == "tables":
            text, fragment = TABLES[name]
            path = _write(tmp_path, name, text)
            argv, fragments = ["show", str(path)], (str(path), fragment)
        elif group == "csv":
            text, fragment = CSVS[name]
            path = _write_csv(tmp_path, name, text)
            argv = ["estimate-prior", "--dataset", "csv", str(path), "--n-boot", "2", "--n-perm", "2", "--quiet"]
            fragments = (str(path), fragment)
        elif group == "options":
            argv, fragment = OPTIONS[name]
            fragments = (fragment,)
        else:
            argv, fragment = outputs[name]
            fragments = (fragment,)
        before = _snapshot(tmp_path)
        r = subprocess.run([sys.executable, "-m", "auknow", *argv], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=60)
        assert r.returncode == 2, (argv, r.stderr)
        assert "Traceback" not in r.stderr and r.stdout == "", (argv, r.stderr)
        assert r.stderr.startswith("auknow: error: ") and len(r.stderr.strip().splitlines()) == 1, r.stderr
        for f in fragments:
            assert f in r.stderr, (argv, f, r.stderr)
        assert _snapshot(tmp_path) == before, argv
