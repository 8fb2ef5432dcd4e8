"""Streaming to counts gives exactly the counts (and so the numbers) of the all-frames path."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from auknow.cli import main
from auknow.errors import DataError
from auknow.estimate import output
from auknow.estimate.prior import estimate_prior
from auknow.estimate.statistics import count_units
from auknow.estimate.stream import CountsBuilder, bp4d_subjects, count_bp4d
from auknow.readers import bundled_ckplus_path, read_bp4d, read_ckplus
from auknow.readers.bp4d import BP4D_TASKS

from fixtures import write_bp4d
from test_readers import raises_at


@pytest.fixture(scope="module")
def bp4d(tmp_path_factory):
    return write_bp4d(tmp_path_factory.mktemp("bp4d_stream") / "BP4D", subjects=("F001", "F002", "M001", "M002"),
                      seed=3, intensity=False)


def assert_same_counts(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), f.name
        else:
            assert x == y, f.name


def _feed(frames, numbers_of):
    """Feed frames to a builder one sequence at a time, in shuffled file order."""
    b = CountsBuilder()
    seqs = sorted(set(frames.sequence.tolist()))
    rng = np.random.default_rng(0)
    for q in rng.permutation(seqs):
        rows = frames.sequence == q
        cols = {numbers_of(a): frames.occurrence[rows, j] for j, a in enumerate(frames.aus)}
        b.add(frames.subject[rows][0], q, frames.expression[rows][0], cols)
    return b


@pytest.mark.parametrize("unit", ["frame", "sequence"])
def test_builder_equals_count_units_on_ckplus(unit):
    frames = read_ckplus(bundled_ckplus_path()).drop_uncoded_aus()
    b = _feed(frames, lambda a: int(a[2:]))
    assert_same_counts(b.counts(unit), count_units(frames, unit=unit))


@pytest.mark.parametrize("unit", ["frame", "sequence"])
def test_count_bp4d_equals_read_bp4d(bp4d, unit):
    frames = read_bp4d(bp4d.root).drop_uncoded_aus()
    counts, source = count_bp4d(bp4d.root, unit=unit, min_fraction=0.3)
    assert_same_counts(counts, count_units(frames, unit=unit, min_fraction=0.3))
    assert source["frames"] == len(frames) and source["files_read"] == len(set(frames.sequence.tolist()))
    kept = frames.select(frames.subject != "F002").drop_uncoded_aus()
    counts, _ = count_bp4d(bp4d.root, unit=unit, min_fraction=0.3, exclude={"F002"})
    assert_same_counts(counts, count_units(kept, unit=unit, min_fraction=0.3))
    assert bp4d_subjects(bp4d.root) == ["F001", "F002", "M001", "M002"]


def test_streamed_estimate_writes_the_same_numbers(bp4d):
    frames = read_bp4d(bp4d.root)
    counts, _ = count_bp4d(bp4d.root)
    a = estimate_prior(frames, n_boot=60, n_perm=60, seed=4)
    b = estimate_prior(counts, n_boot=60, n_perm=60, seed=4)
    for stat in ("p_au_given_expression", "log_odds_ratio"):
        assert output.statistics_csv(a, stat) == output.statistics_csv(b, stat)
    assert output.relations_csv(a) == output.relations_csv(b)
    with pytest.raises(DataError, match="counts are given"):
        estimate_prior(counts, unit="sequence")


def test_streamed_cli_same_files_as_frames_path(bp4d, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    argv = ["estimate-prior", "--dataset", "bp4d", str(bp4d.root), "--n-boot", "40", "--n-perm", "40", "--quiet",
            "--exclude-subjects", "M002"]
    assert main([*argv, "--out", str(tmp_path / "s")]) == 0
    prior = (tmp_path / "s" / "prior.yaml").read_text()
    assert "streamed: files reduced to counts as read" in prior and "excluded_subjects" in prior
    frames = read_bp4d(bp4d.root)
    est = estimate_prior(frames.select(frames.subject != "M002"), n_boot=40, n_perm=40, seed=0)
    assert (tmp_path / "s" / "statistics.csv").read_text() == output.statistics_csv(est, "p_au_given_expression")


def test_streamed_errors_name_file_and_line(tmp_path):
    fix = write_bp4d(tmp_path / "B", subjects=("F001", "F002"), seed=5, intensity=False, drop_files=0)
    path = fix.root / "AUCoding" / "AU_OCC" / "F002_T3.csv"
    lines = path.read_text().split("\n")
    cells = lines[4].split(",")
    cells[2] = "7"
    lines[4] = ",".join(cells)
    path.write_text("\n".join(lines))
    with pytest.raises(DataError) as want:
        read_bp4d(fix.root)
    got = raises_at(lambda: count_bp4d(fix.root), path, 5, "is not 0, 1 or 9")
    assert str(got) == str(want.value)
    # even in a subject that --exclude-subjects leaves out, a bad file is an error, as when reading frames
    raises_at(lambda: count_bp4d(fix.root, exclude={"F002"}), path, 5)
    assert BP4D_TASKS["T3"] == "surprise"


def test_builder_errors():
    b = CountsBuilder()
    with pytest.raises(DataError, match="no frames"):
        b.counts()
    b.add("S", "q", "happiness", {12: np.array([1], np.int8)})
    with pytest.raises(DataError, match="two expressions"):
        b.add("S", "q", "sadness", {12: np.array([0], np.int8)})
    with pytest.raises(DataError, match="unknown unit"):
        b.counts("clip")
    b2 = CountsBuilder()
    b2.add("S", "q", None, {12: np.array([-1, -1], np.int8)})
    with pytest.raises(DataError, match="no AU is coded"):
        b2.counts()


@pytest.mark.parametrize("block_bytes", [40, 1 << 18])
def test_block_reader_equals_whole_file_reader(bp4d, block_bytes):
    """occ_file_patterns (block by block) sums to exactly the frames read_bp4d gives for each file."""
    from auknow.readers.bp4d import label_files, occ_file_patterns

    lf = label_files(bp4d.root)
    frames = read_bp4d(bp4d.root)
    for path in lf.files[:6]:
        item = occ_file_patterns(path, lf.task_map, block_bytes=block_bytes)
        rows = frames.sequence == f"{item.subject}_{item.task}"
        assert item.frames == rows.sum() == item.weights.sum()
        for j, number in enumerate(item.numbers):
            if f"AU{number}" in frames.aus:
                col = frames.occurrence[rows, frames.aus.index(f"AU{number}")]
                assert (item.weights * (item.patterns[:, j] == 1)).sum() == (col == 1).sum()
                assert (item.weights * (item.patterns[:, j] != -1)).sum() == (col != -1).sum()


@pytest.mark.parametrize("bad, message", [("7", "is not 0, 1 or 9"), ("x", "not a number"), ("1.5", "whole number")])
def test_block_reader_names_bad_line_in_later_block(tmp_path, bad, message):
    from auknow.readers.bp4d import BP4D_TASKS, occ_file_patterns

    fix = write_bp4d(tmp_path / "B", subjects=("F001", "F002"), seed=5, intensity=False, drop_files=0)
    path = fix.root / "AUCoding" / "AU_OCC" / "F002_T1.csv"
    lines = path.read_text().split("\n")
    cells = lines[20].split(",")
    cells[3] = bad
    lines[20] = ",".join(cells)
    path.write_text("\n".join(lines))
    with pytest.raises(DataError) as want:
        read_bp4d(fix.root)
    got = raises_at(lambda: occ_file_patterns(path, BP4D_TASKS, block_bytes=64), path, 21, message)
    assert str(got) == str(want.value)
