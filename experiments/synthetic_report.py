"""Summary and results page of the synthetic benchmark (split out of :mod:`experiments.synthetic`).

:func:`summarise` turns the runs of :func:`experiments.synthetic.run_benchmark` into per-arm
means with 95% Student-t intervals over seeds and paired differences; :func:`render_markdown`
writes ``docs/results.md``. Sections written by other commands into the same page (between
``<!-- section:NAME -->`` markers, e.g. the unseen-class experiment of
:mod:`experiments.unseen`) are kept by :func:`write_page`.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .metrics import format_ci, mean_ci, paired_diff_ci
from .training import ARMS

__all__ = ["COMPARISONS", "summarise", "verdict", "render_markdown", "torch_version", "section_markers",
           "write_page", "write_section"]

#: Paired comparisons reported: (arm, reference, what it tests).
COMPARISONS = (
    ("cw", "ce", "class-weighted CE vs CE (imbalance control, no knowledge)"),
    ("ial", "ce", "IAL vs CE"),
    ("au", "ce", "AU loss, correct prior, vs CE"),
    ("au-wrong", "ce", "AU loss, wrong prior, vs CE"),
    ("au", "au-wrong", "correct vs wrong prior (AU loss)"),
    ("pc", "ce", "prior consistency, correct prior, vs CE"),
    ("pc-wrong", "ce", "prior consistency, wrong prior, vs CE"),
    ("pc", "pc-wrong", "correct vs wrong prior (prior consistency)"),
    ("au+pc", "ce", "AU loss + prior consistency, correct prior, vs CE"),
    ("au+pc-wrong", "ce", "AU loss + prior consistency, wrong prior, vs CE"),
    ("au+pc", "au+pc-wrong", "correct vs wrong prior (AU loss + prior consistency)"),
    ("au+pc", "au", "adding prior consistency to the AU loss"),
    ("gnn-off", "ce", "AU-feature model (no GNN) vs CE"),
    ("gnn-on", "gnn-off", "GNN on vs off"),
    ("gnn-on", "gnn-wrong", "correct vs wrong graph"),
)


def summarise(runs: list[dict], expressions: Sequence[str], minority: Sequence[str] = ("disgust", "fear")) -> dict:
    """Per-arm means with 95% CIs and paired differences.

    Returns:
        ``{"arms": {arm: {"war", "uar", "recall": [ci per class], "minority", "au_f1", "train_s",
        "params", "n"}}, "pairs": [{"arm", "ref", "what", "d_war", "d_uar", "d_minority",
        "d_recall": {class: ci}}]}`` where every value is a :func:`mean_ci` dict (differences:
        :func:`paired_diff_ci`).
    """
    arms = list(dict.fromkeys(r["arm"] for r in runs))
    idx = [list(expressions).index(m) for m in minority if m in expressions]
    by = {a: sorted((r for r in runs if r["arm"] == a), key=lambda r: r["seed"]) for a in arms}

    def minority_recall(r):
        return float(np.nanmean([r["recall"][i] for i in idx])) if idx else float("nan")

    out = {"arms": {}, "pairs": [], "minority": [expressions[i] for i in idx]}
    for a, rs in by.items():
        rec = np.array([r["recall"] for r in rs], dtype=np.float64)
        out["arms"][a] = {
            "war": mean_ci([r["war"] for r in rs]), "uar": mean_ci([r["uar"] for r in rs]),
            "recall": [mean_ci(rec[:, k]) for k in range(rec.shape[1])],
            "minority": mean_ci([minority_recall(r) for r in rs]),
            "au_f1": mean_ci([r["au_f1"] for r in rs if r["au_f1"] is not None]),
            "train_s": float(np.mean([r["train_s"] for r in rs])), "params": rs[0]["params"], "n": len(rs),
            "seeds": [r["seed"] for r in rs],
        }
    for a, b, what in COMPARISONS:
        if a not in by or b not in by:
            continue
        seeds = sorted(set(r["seed"] for r in by[a]) & set(r["seed"] for r in by[b]))
        ra = [next(r for r in by[a] if r["seed"] == s) for s in seeds]
        rb = [next(r for r in by[b] if r["seed"] == s) for s in seeds]
        out["pairs"].append({
            "arm": a, "ref": b, "what": what, "n": len(seeds),
            "d_war": paired_diff_ci([r["war"] for r in ra], [r["war"] for r in rb]),
            "d_uar": paired_diff_ci([r["uar"] for r in ra], [r["uar"] for r in rb]),
            "d_minority": paired_diff_ci([minority_recall(r) for r in ra], [minority_recall(r) for r in rb]),
            "d_recall": {expressions[k]: paired_diff_ci([r["recall"][k] for r in ra], [r["recall"][k] for r in rb])
                         for k in range(len(expressions))},
        })
    return out


def verdict(d: dict) -> str:
    if d["n"] < 2 or not np.isfinite(d.get("half", float("nan"))):
        return "too few seeds to tell"
    if d["low"] > 0:
        return "better (95% CI above 0)"
    if d["high"] < 0:
        return "worse (95% CI below 0)"
    return "no detectable difference (95% CI includes 0)"


def render_markdown(cfg: Any, runs: list[dict], summary: dict, *, command: str, wall_s: float,
                    generator: dict, expressions: Sequence[str], unavailable: dict | None = None) -> str:
    """The results page (``docs/results.md``): command, set-up, tables, verdicts, every run."""
    E = list(expressions)
    short = {e: e[:3] for e in E}
    lines = [
        "# Results: does AU knowledge help? (synthetic benchmark)",
        "",
        "Generated by the command below (each later section names its own command); do not edit by hand. "
        "Design and how to read it: "
        "[`docs/experiments.md`](experiments.md); the generator: [`docs/synthetic.md`](synthetic.md).",
        "",
        "```bash",
        command,
        "```",
        "",
        f"Wall time {wall_s / 60:.1f} min on {os.cpu_count()} CPU cores ({cfg.workers} worker process(es), 1 torch "
        f"thread each; the machine may have been shared); Python {platform.python_version()}, torch {torch_version()}, "
        f"{_dt.datetime.now().strftime('%Y-%m-%d')}.",
        "",
        "## Set-up",
        "",
        f"- Data: `experiments.synthetic_world`, preset `{cfg.preset}` (class frequencies "
        + ", ".join(f"{e} {100 * f:.1f}%" for e, f in zip(E, generator["class_freq"]))
        + f"); AUs drawn from `{cfg.table}` ({generator['prior_mode']} table mapped to "
        f"P = {generator['floor']} + ({generator['ceil']} - {generator['floor']}) M); {len(generator['aus'])} AUs "
        f"({', '.join(generator['aus'])}); {cfg.n_train} training and {cfg.n_test} test clips of {cfg.num_frames} "
        f"frames, {cfg.image_size}x{cfg.image_size} grey images; {cfg.num_subjects} subjects, a third held out for "
        f"the test set (subject-independent); pixel noise {cfg.noise_std}.",
        f"- AU targets (arms that use AU labels): per-frame detections with {100 * generator['detector_flip']:.0f}% "
        "flips, clip target by AU-DFER's majority rule (an OpenFace-like pipeline, not the truth).",
        f"- Model prior: `{cfg.model_table or cfg.table}` (binary tables read as {cfg.prior_floor} + "
        f"({cfg.prior_ceil} - {cfg.prior_floor}) M); wrong prior: the same rows deranged between expressions "
        "(a new derangement per seed). Knowledge graph: `auknow.compile.au_graph("
        f"\"{cfg.graph_table}\")` (co-occurrence + FACS-exclusive edges); wrong graph: its AU labels deranged.",
        f"- Training (identical for every arm): small video backbone (`experiments.models.VideoBackbone`: "
        f"stride-2 3x3 conv blocks from {cfg.width} channels down to a 4x4 map, {cfg.dim}-d frame features, "
        "residual temporal conv, mean pooling over frames), AdamW lr "
        f"{cfg.lr}, weight decay "
        f"{cfg.weight_decay}, batch {cfg.batch_size}, {cfg.epochs} epochs, cosine schedule; evaluated once after "
        "the last epoch (no model selection on the test set). Per seed: new world, data and initialisation, "
        "shared by all arms (paired).",
        f"- Seeds: {', '.join(map(str, cfg.seeds))}. Intervals: 95% Student-t over seeds; differences are paired "
        "by seed.",
        "",
    ]
    if unavailable:
        lines += ["**Arms not run** (their auknow API is missing): "
                  + "; ".join(f"`{a}` needs `{why}`" for a, why in unavailable.items()), ""]
    lines += [
        "## Main table (test set, %)",
        "",
        "| arm | condition | WAR | UAR | " + " | ".join(f"recall {m}" for m in summary["minority"])
        + " | AU F1 | params | train s/run |",
        "|---|---|---|---|" + "---|" * len(summary["minority"]) + "---|---|---|",
    ]
    for a, s in summary["arms"].items():
        mins = [s["recall"][E.index(m)] for m in summary["minority"]]
        lines.append(f"| `{a}` | {ARMS[a].description} | {format_ci(s['war'])} | {format_ci(s['uar'])} | "
                     + " | ".join(format_ci(c) for c in mins)
                     + f" | {format_ci(s['au_f1']) if s['au_f1']['n'] else '-'} | {s['params']:,} | "
                     f"{s['train_s']:.0f} |")
    lines += ["", "## Per-class recall (test set, %)", "",
              "| arm | " + " | ".join(E) + " |", "|---|" + "---|" * len(E)]
    for a, s in summary["arms"].items():
        lines.append(f"| `{a}` | " + " | ".join(format_ci(c) for c in s["recall"]) + " |")
    lines += ["", "## Paired differences (percentage points, mean ± 95% CI half-width over seeds)", "",
              "| comparison | ΔWAR | ΔUAR | Δ minority recall (" + ", ".join(summary["minority"]) + ") | "
              + " | ".join(f"Δ {short[e]}" for e in E) + " | UAR verdict |",
              "|---|---|---|---|" + "---|" * len(E) + "---|"]
    for p in summary["pairs"]:
        lines.append(f"| `{p['arm']}` − `{p['ref']}` ({p['what']}) | {format_ci(p['d_war'], signed=True)} | "
                     f"{format_ci(p['d_uar'], signed=True)} | {format_ci(p['d_minority'], signed=True)} | "
                     + " | ".join(format_ci(p["d_recall"][e], signed=True) for e in E)
                     + f" | {verdict(p['d_uar'])} |")
    lines += ["", "## Reading", ""] + _reading(summary) + [
        "", "## Every run", "", "| seed | arm | WAR | UAR | " + " | ".join(short[e] for e in E) + " | AU F1 | train s |",
        "|---|---|---|---|" + "---|" * len(E) + "---|---|"]
    for r in runs:
        f1 = "-" if r["au_f1"] is None else f"{100 * r['au_f1']:.1f}"
        lines.append(f"| {r['seed']} | `{r['arm']}` | {100 * r['war']:.1f} | {100 * r['uar']:.1f} | "
                     + " | ".join("n/a" if not np.isfinite(x) else f"{100 * x:.1f}" for x in r["recall"])
                     + f" | {f1} | {r['train_s']:.0f} |")
    lines += ["", "## Configuration", "", "```json", json.dumps(asdict(cfg), indent=1, sort_keys=True), "```", ""]
    return "\n".join(lines)


def _reading(summary: dict) -> list[str]:
    """Plain sentences from the paired differences (what the CIs say, nothing more)."""
    out = []
    for p in summary["pairs"]:
        d, m = p["d_uar"], p["d_minority"]
        out.append(f"- `{p['arm']}` vs `{p['ref']}` ({p['what']}): UAR {format_ci(d, signed=True)} pp, "
                   f"{verdict(d)}; minority-class recall {format_ci(m, signed=True)} pp, {verdict(m)}.")
    return out


def torch_version() -> str:
    try:
        import torch

        return torch.__version__
    except Exception:  # pragma: no cover
        return "?"



def section_markers(name: str) -> tuple[str, str]:
    """The HTML comments that delimit section ``name`` of a results page (``[a-z0-9-]+``)."""
    if not re.fullmatch(r"[a-z0-9-]+", str(name)):
        raise ValueError(f"section name: expected [a-z0-9-]+, got {name!r}")
    return f"<!-- section:{name} -->", f"<!-- /section:{name} -->"


def _sections(text: str) -> dict[str, str]:
    """Every ``<!-- section:NAME -->...<!-- /section:NAME -->`` block of ``text``, markers included."""
    found = {}
    for m in re.finditer(r"<!-- section:([a-z0-9-]+) -->.*?<!-- /section:\1 -->", text, flags=re.S):
        found[m.group(1)] = m.group(0)
    return found


def _atomic_write(path: Path, text: str) -> None:
    from auknow.atomic import write_text_atomic

    write_text_atomic(path, text, overwrite=True)


def write_page(path: str | Path, text: str) -> None:
    """Write a results page atomically, keeping the marked sections the old page had and ``text`` lacks.

    So ``python -m experiments.synthetic`` does not erase what ``python -m experiments.unseen``
    wrote into the same ``docs/results.md`` (each section names its own command).
    """
    path = Path(path)
    if path.exists():
        old = _sections(path.read_text(encoding="utf-8"))
        new = _sections(text)
        kept = [block for name, block in old.items() if name not in new]
        if kept:
            text = text.rstrip("\n") + "\n\n" + "\n\n".join(kept) + "\n"
    _atomic_write(path, text)


def write_section(path: str | Path, name: str, body: str) -> None:
    """Put ``body`` between the markers of section ``name`` in page ``path`` (atomic).

    The block replaces the section if the page has it, else it is appended; a missing page is
    created with the section alone. Nothing else of the page changes.

    Raises:
        ValueError: a bad section name, or ``body`` containing section markers itself.
    """
    begin, end = section_markers(name)
    if "<!-- section:" in body or "<!-- /section:" in body:
        raise ValueError("section body: must not contain section markers")
    block = f"{begin}\n{body.strip()}\n{end}"
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    old = _sections(text).get(name)
    if old is not None:
        text = text.replace(old, block)
    else:
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + block + "\n"
    _atomic_write(path, text)
