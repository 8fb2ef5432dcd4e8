"""End-to-end tests of `auknow estimate-prior` on the bundled CK+ codes and on error paths."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from auknow.cli import main
from auknow.readers.ckplus import bundled_ckplus_path
from auknow.tables import QuantifiedTable, RelationTable, load_table

# Textbook AUs (EMFACS / FACS Investigator's Guide prototypes) as the issue lists them.
TEXTBOOK = {
    "happiness": {6, 12},
    "surprise": {1, 2, 5, 25, 27},
    "sadness": {1, 4, 15, 17},
    "fear": {1, 4, 20, 25},
    "anger": {4, 7, 23, 24},
    "disgust": {9, 17},
    "contempt": {14},
}


def run(args, capsys):
    code = main(["estimate-prior", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


@pytest.fixture(scope="module")
def ckplus_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("ck") / "out"
    assert main(["estimate-prior", "--out", str(out), "--quiet", "--plot"]) == 0
    return out


def test_default_run_writes_every_output(ckplus_out):
    names = sorted(p.name for p in ckplus_out.iterdir())
    assert names == ["event_sizes.csv", "event_sizes.png", "heatmap.png", "intervals.png", "network.csv", "network.png",
                     "network_edges.csv", "network_summary.csv", "prior.yaml", "relations.csv", "relations.yaml",
                     "relations_by_expression.csv", "statistics.csv"]
    assert (ckplus_out / "heatmap.png").stat().st_size > 20_000
    header = read_csv(ckplus_out / "statistics.csv")[0].keys()
    for col in ("expression", "au", "p_au_given_expression", "p_au", "lift", "log_odds_ratio", "phi",
                "p_expression_given_au", "ci_low", "ci_high", "p_value", "q_value", "n_frames",
                "n_sequences", "n_subjects"):
        assert col in header
    rel_header = read_csv(ckplus_out / "relations.csv")[0].keys()
    for col in ("au_i", "au_j", "p_j_given_i", "phi", "lift", "n_units"):
        assert col in rel_header
    assert "n_frames" not in rel_header  # it counted units (sequences with --unit sequence), not frames


def test_textbook_aus_come_out_on_top_and_significant(ckplus_out):
    rows = read_csv(ckplus_out / "statistics.csv")
    for expr, textbook in TEXTBOOK.items():
        mine = [r for r in rows if r["expression"] == expr]
        ranked = sorted(mine, key=lambda r: -float(r["contribution"] or "nan"))
        top = {int(r["au"]) for r in ranked[:len(textbook) + 1]}
        assert textbook <= top, (expr, [r["au"] for r in ranked[:6]])
        for r in mine:
            if int(r["au"]) in textbook:
                assert float(r["q_value"]) < 0.05, (expr, r["au"], r["q_value"])
                assert float(r["log_odds_ratio"]) > 0
                assert float(r["ci_low"]) <= float(r["contribution"]) <= float(r["ci_high"])


def test_counts_match_an_independent_count_of_the_bundled_csv(ckplus_out):
    raw = list(csv.DictReader(io.StringIO(bundled_ckplus_path().read_text())))
    happy = [r for r in raw if r["emotion"] == "happy"]
    expected = sum(int(r["AU12"]) for r in happy) / len(happy)
    rows = {(r["expression"], int(r["au"])): r for r in read_csv(ckplus_out / "statistics.csv")}
    row = rows[("happiness", 12)]
    assert float(row["p_au_given_expression"]) == pytest.approx(expected, abs=5e-7)
    assert int(row["n_sequences"]) == len(happy)
    assert int(row["n_subjects"]) == len({r["subject"] for r in happy})
    base = sum(int(r["AU12"]) for r in raw) / len(raw)
    assert float(row["p_au"]) == pytest.approx(base, abs=5e-7)
    # relations: P(AU2 | AU1) over all sequences
    with_1 = [r for r in raw if r["AU1"] == "1"]
    rel = {(int(r["au_i"]), int(r["au_j"])): r for r in read_csv(ckplus_out / "relations.csv")}
    assert float(rel[(1, 2)]["p_j_given_i"]) == pytest.approx(
        sum(int(r["AU2"]) for r in with_1) / len(with_1), abs=5e-7)


def test_written_tables_validate_and_carry_provenance(ckplus_out, capsys):
    assert main(["validate", str(ckplus_out / "prior.yaml"), str(ckplus_out / "relations.yaml")]) == 0
    prior = load_table(ckplus_out / "prior.yaml")
    assert isinstance(prior, QuantifiedTable)
    assert prior.provenance.kind == "estimated"
    d = prior.provenance.details
    assert d["n_subjects"] == 118 and d["n_sequences"] == 327 and d["unit"] == "frame"
    assert d["statistic"] == prior.statistic.name == "p_au_given_expression"
    assert d["seed"] == 0 and d["n_boot"] == 1000 and "within each subject" in d["null"]
    assert len(d["subjects"]) == 118
    w = prior.weights["happiness"]["AU12"]
    assert w.ci[0] <= w.value <= w.ci[1] and w.q_value < 0.05
    rel = load_table(ckplus_out / "relations.yaml")
    assert isinstance(rel, RelationTable) and rel.relations and all(r.directed for r in rel.relations)


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    args = ["--n-boot", "200", "--n-perm", "200", "--quiet", "--plot"]
    for name, seed in (("a", "1"), ("b", "1"), ("c", "2")):
        assert main(["estimate-prior", "--out", str(tmp_path / name), "--seed", seed, *args]) == 0
    for f in ("statistics.csv", "relations.csv", "prior.yaml", "relations.yaml", "heatmap.png"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert (tmp_path / "a" / "statistics.csv").read_bytes() != (tmp_path / "c" / "statistics.csv").read_bytes()


def test_never_overwrites_without_force(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "prior.yaml").write_text("keep me\n")
    code, _, err = run(["--out", str(out), "--n-boot", "10", "--n-perm", "10", "--quiet"], capsys)
    assert code == 2 and "prior.yaml" in err and "--force" in err and "Traceback" not in err
    assert (out / "prior.yaml").read_text() == "keep me\n"
    assert sorted(p.name for p in out.iterdir()) == ["prior.yaml"]  # nothing half-written beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left behind


def test_a_folder_holding_the_outputs_is_refused_before_the_work(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "statistics.csv").write_text("keep me\n")
    code, stdout, err = run(["--out", str(out), "--n-boot", "10", "--n-perm", "10"], capsys)
    assert code == 2 and stdout == "", "estimated (and printed the summary) before refusing"
    assert "--out" in err and "already holds statistics.csv" in err and "--force" in err
    code, stdout, _ = run(["--out", str(out), "--n-boot", "10", "--n-perm", "10", "--force"], capsys)
    assert code == 0 and "AU12" in stdout and (out / "statistics.csv").read_text() != "keep me\n"
    code, _, _ = run(["--out", str(out), "--n-boot", "10", "--n-perm", "10", "--quiet", "--force"], capsys)
    assert code == 0 and load_table(out / "prior.yaml").kind == "quantified"


@pytest.mark.parametrize("args, fragment", [
    (["--dataset", "bp4d", "/no/such/folder"], "/no/such/folder"),
    (["--dataset", "disfa"], "needs a PATH"),
    (["some/path.csv"], "--dataset"),
    (["--exclude-subjects", "NOSUCH1"], "NOSUCH1"),
    (["--fold", "1"], "folds"),
    (["--plot"], "--out"),
    (["--ci", "1.5"], "--ci"),
])
def test_bad_input_exits_2_with_one_clear_line(tmp_path, capsys, args, fragment):
    out = tmp_path / "out"
    code, stdout, err = run([*args, "--out", str(out), "--n-boot", "5", "--n-perm", "5", "--quiet"]
                            if "--plot" not in args else args, capsys)
    assert code == 2
    assert fragment in err and err.startswith("auknow: error:")
    assert "Traceback" not in err + stdout
    assert not out.exists()


def test_exclude_subjects_and_sequence_unit(tmp_path, capsys):
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    assert main(["estimate-prior", "--out", str(out_a), "--exclude-subjects", "S005,S010", "--n-boot", "20",
                 "--n-perm", "20", "--quiet"]) == 0
    prov = load_table(out_a / "prior.yaml").provenance.details
    assert prov["excluded_subjects"] == ["S005", "S010"] and prov["n_subjects"] == 116
    # CK+ has one (peak) frame per sequence: the sequence unit gives the same point estimates.
    assert main(["estimate-prior", "--out", str(out_b), "--exclude-subjects", "S005,S010", "--unit", "sequence",
                 "--n-boot", "20", "--n-perm", "20", "--quiet"]) == 0
    a, b = read_csv(out_a / "statistics.csv"), read_csv(out_b / "statistics.csv")
    assert [r["p_au_given_expression"] for r in a] == [r["p_au_given_expression"] for r in b]


def test_summary_marks_significant_aus(capsys):
    code, out, _ = run(["--n-boot", "50", "--n-perm", "200", "--top", "3"], capsys)
    assert code == 0
    happy = next(line for line in out.splitlines() if line.strip().startswith("happiness"))
    assert "AU12" in happy and "*" in happy
    assert "118 subjects, 327 sequences" in out


@pytest.mark.parametrize("statistic", ["log_odds_ratio", "phi", "lift", "p_expression_given_au"])
def test_other_statistics_are_written_with_their_range(tmp_path, statistic):
    out = tmp_path / statistic
    assert main(["estimate-prior", "--out", str(out), "--statistic", statistic, "--n-boot", "20",
                 "--n-perm", "20", "--quiet"]) == 0
    table = load_table(out / "prior.yaml")
    assert table.statistic.name == statistic
    rows = read_csv(out / "statistics.csv")
    assert all(r["statistic"] == statistic and r["contribution"] == r[statistic] for r in rows)


def test_bp4d_task_map_applies_when_frames_are_read_whole(tmp_path, capsys):
    # --independent-clips / --configurations read BP4D as frames (load_frames), not streamed counts:
    # --task-map must override the default task -> expression map there too.
    from fixtures import write_bp4d

    from auknow.cli_estimate import load_frames

    root = write_bp4d(tmp_path / "BP4D", subjects=("F001", "F002"), intensity=False, drop_files=0).root
    frames = load_frames("bp4d", [str(root)], task_map="T4=pain")
    by_task = {str(s).split("_")[1]: str(e) for s, e in zip(frames.sequence, frames.expression)}
    assert by_task["T4"] == "pain" and by_task["T1"] == "happiness" and by_task["T6"] == "pain"
    code, _, _ = run(["--dataset", "bp4d", str(root), "--task-map", "T4=pain", "--independent-clips",
                      "--n-boot", "0", "--n-perm", "0", "--quiet"], capsys)
    assert code == 0
