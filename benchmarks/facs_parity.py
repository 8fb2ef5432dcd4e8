"""FACS code strings side by side with the ``facs`` R package (J. M. Girard): writes the fixture
``tests/data/facs_parity.csv`` that ``tests/test_facs.py`` checks (R is not needed for the tests).

Cases: the ``facs`` package's own tests (``tests/testthat/test-coding.R``), every configuration of
its ``prototypes`` data (FIG 2002, Cordaro 2018, Du 2014, Keltner 2019, Matsumoto 2008, as the
package expands them), and hand-written tricky cases (exclusive pairs with intensity or side,
empty codes, non-ASCII digits, type prefixes, movement codes, separators, asymmetry grades).

For each case the fixture holds the ``facs`` answer (``coding(x, error = FALSE)``: its canonical
string, or ``ERROR`` where it refuses the string; ``check_coding`` separately), auknow's answer
now (``canonical_facs`` or ``ERROR: message``), auknow's answer before this fixture was made
(the ``--before`` revision of ``auknow/facs.py``), and a status:

* ``agree``: auknow and ``facs`` give the same answer;
* ``fixed-here``: auknow's answer changed against ``--before`` (the reason says what was wrong);
* ``differs-on-purpose``: auknow answers otherwise than ``facs`` because FACS 2002 (or a
  documented leniency, ``docs/knowledge-format.md``) says so; the reason says which.

Run once where R and the package are installed (Debian: ``apt-get install r-base-core r-cran-cli
r-cran-rlang r-cran-generics``; the package from its GitHub repository ``jmgirard/facs``:
``R CMD INSTALL -l LIB facs``)::

    R_LIBS=LIB python benchmarks/facs_parity.py --before 056e807 --out tests/data/facs_parity.csv

It prints a table of the counts per status and reason.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auknow.errors import FacsCodeError  # noqa: E402
from auknow.facs import canonical_facs  # noqa: E402

#: the facs package's own tests (test-coding.R), as written there
FACS_TESTS = ["U12A", "L12", "12B", "12", "U12A+L20B", "1+2+4", "Q12A", "12P", "", "A", "AU12", "1++2", "1+3+",
              "L12B + R2C"]

#: hand-written cases: issue 17's list and the leniencies of docs/knowledge-format.md
TRICKY = [
    # exclusive pairs, plain and with intensity / side / lip / intensity rows
    "26+27", "24+25", "5+43", "5+7E", "T22+T28", "26B+27", "5B+43", "L26+27", "24+25B", "6+12+25+26+27",
    "S22+S28", "B22+B28", "16+B28", "22+28", "T22+28", "T22+B28", "16+28", "16+T28", "5+7D", "5+7DE", "7E+5",
    "L5+R43", "U5+43", "U5+U43", "45+46", "51+52", "61+62", "63+64", "26+27B", "5C+43A",
    # empty codes
    "1++2", "+1", "1+", "+", ",", "1,,2", "1 ,+ 2",
    # non-ASCII digits
    "\uff11\uff12", "\u0661\u0662", "1+\uff12",
    # type prefixes
    "AU12", "AU01+AU02", "AD12", "SC1", "AD19", "AU19", "SC50", "au1+au2",
    # movement codes and other prefixes
    "M55", "M56", "M57", "M59", "M60", "M61", "M62", "M68", "M69", "M83", "M85", "14+M61", "M12",
    "A12", "V12", "W12", "Z12", "G12", "K12", "S12",
    # non-FACS numbers
    "3", "41", "42", "99", "1+3", "59", "60", "75",
    # separators, padding, sides
    "1 2", "1, 2", "1,2", "1 + 2", "006+012", "01+02", "L12+R12", "R12+L12", "12+L12", "12CD", "12AC", "12F",
    "0", "0+12", "l12a", "5b",
]

#: fragments of the messages this fixture's branch added (a refusal now says what is wrong)
NEW_MESSAGES = ("cannot be scored together", "empty code", "non-ASCII digit", "gives type", "movement code")

R_EVAL = r"""
suppressMessages(library(facs))
x <- readLines(commandArgs(TRUE)[1], encoding = "UTF-8")
one <- function(s) {
  ok <- tryCatch(check_coding(toupper(gsub("\\s+", "", s))), error = function(e) NA)
  out <- tryCatch(suppressMessages(as.character(coding(s, error = TRUE))), error = function(e) "ERROR")
  if (is.na(out)) out <- "ERROR"
  nums <- if (out == "ERROR") "" else paste(pull_numcodes(out), collapse = "+")
  c(s, ok, out, nums)
}
res <- t(vapply(x, one, character(4), USE.NAMES = FALSE))
colnames(res) <- c("case", "facs_check", "facs", "facs_numbers")
write.csv(res, commandArgs(TRUE)[2], row.names = FALSE, fileEncoding = "UTF-8")
"""

R_PROTOTYPES = r"""
suppressMessages(library(facs))
writeLines(unique(as.character(prototypes$code)), commandArgs(TRUE)[1], useBytes = TRUE)
"""


def _rscript(program: str, *args: str) -> None:
    exe = shutil.which("Rscript")
    if exe is None:
        sys.exit("Rscript not found: install R and the facs package (see the docstring)")
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as f:
        f.write(program)
    env = {**os.environ, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}  # R reads the cases as UTF-8
    subprocess.run([exe, f.name, *args], check=True, env=env)


def _answer(fn, text: str) -> str:
    try:
        return fn(text)
    except FacsCodeError as exc:
        return f"ERROR: {exc}"


def _before_module(rev: str):
    """auknow/facs.py at ``rev``, imported as a package beside the current one."""
    tmp = Path(tempfile.mkdtemp()) / "auknow_before"
    tmp.mkdir()
    (tmp / "__init__.py").write_text("")
    shutil.copy(ROOT / "auknow" / "errors.py", tmp / "errors.py")
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:auknow/facs.py"], check=True,
                         capture_output=True, text=True).stdout
    (tmp / "facs.py").write_text(src)
    sys.path.insert(0, str(tmp.parent))
    module = importlib.import_module("auknow_before.facs")
    errors = importlib.import_module("auknow_before.errors")
    return module, errors.FacsCodeError


def _reason(case: str, facs: str, now: str) -> str:
    """Why auknow answers otherwise than facs (FACS 2002 or a documented leniency)."""
    if now.startswith("ERROR"):
        msg = now
        if "cannot be scored together" in msg:
            return ("FACS 2002 exclusive pair: facs matches only the literal tokens of its list, auknow the "
                    "codes whatever intensity, side or lip is attached")
        if "unknown FACS code" in msg:
            return "not a FACS 2002 number: facs accepts any 1-2 digit number"
        if "movement code" in msg:
            return "movement code: facs reads M as a generic prefix on any number; auknow refuses with what it is"
        if "malformed laterality" in msg:
            return "not a FACS 2002 prefix: facs adds asymmetry grades (A, V-Z, G-K); auknow keeps L R U T B S"
        if "non-ASCII digit" in msg:
            return "only ASCII digits are FACS codes"
        if "gives type" in msg:
            return "a type prefix must match the FACS 2002 type"
        if "malformed intensity" in msg:
            return "intensity must be A-E or two adjacent letters"
        return "auknow refuses: " + msg.split(": ", 1)[1][:60]
    if facs == "ERROR":
        if not case.strip():
            return "an empty string is no AU (a blank cell), as documented"
        if "," in case or " " in case.strip():
            return "leniency: commas and spaces separate codes (docs/knowledge-format.md)"
        if "AU" in case.upper() or "AD" in case.upper() or "SC" in case.upper():
            return "leniency: a type prefix of the code's own type (AU12, AD19)"
        if any(t.startswith("0") and len(t) > 1 for t in case.replace("+", " ").split()):
            return "leniency: zero padding"
        if "L" in case and "R" in case:
            return "leniency: a code once per side (L12+R12)"
        if any(c.isdigit() and len(c) > 2 for c in case.split("+")):
            return "leniency: zero padding"
        if re.search(r"[0-9][A-Ea-e]{2}(?:$|[+,\s])", case):
            return "two adjacent intensity letters mean either (12CD: C or D); facs reads one letter"
        return "auknow accepts"
    if " " in case.strip():
        return "spaces separate codes: '1 2' is two codes, facs deletes spaces and reads 12"
    if re.search(r"(?:^|[^0-9])0[0-9]", case):
        return "leniency: zero padding (auknow writes 1, facs keeps 01)"
    return "canonical spelling differs"


def _fixed_reason(case: str, before: str, now: str) -> str:
    if now.startswith("ERROR"):
        msg = now
        for key, why in [("cannot be scored together", "item 1: exclusive pair now an error"),
                         ("empty code", "item 2: empty code now refused, naming the position"),
                         ("non-ASCII digit", "item 3: non-ASCII digits refused"),
                         ("gives type", "item 4: type prefix checked against the FACS 2002 list"),
                         ("movement code", "item 5: movement code refused saying what it is")]:
            if key in msg:
                return why
        return "now refused: " + msg.split(": ", 1)[1][:60]
    if before.startswith("ERROR") and "laterality" in before:
        return "item 1: S prefix of the exclusive list (S22/S28) now parsed"
    return "answer changed"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="056e807", help="git revision of auknow before this fixture")
    parser.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "facs_parity.csv")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        protos = Path(tmp) / "prototypes.txt"
        _rscript(R_PROTOTYPES, str(protos))
        cases = list(dict.fromkeys(FACS_TESTS + TRICKY + protos.read_text(encoding="utf-8").splitlines()))
        inp, res = Path(tmp) / "cases.txt", Path(tmp) / "facs.csv"
        inp.write_text("\n".join(cases) + "\n", encoding="utf-8")
        _rscript(R_EVAL, str(inp), str(res))
        with open(res, encoding="utf-8") as f:
            facs_rows = list(csv.DictReader(f))
    assert [r["case"] for r in facs_rows] == cases, "R returned other cases than it was given"

    old, OldError = _before_module(args.before)
    rows = []
    for r in facs_rows:
        case = r["case"]
        now = _answer(canonical_facs, case)
        try:
            before = old.canonical_facs(case)
        except OldError as exc:
            before = f"ERROR: {exc}"
        same = (now.startswith("ERROR") and r["facs"] == "ERROR") or now == r["facs"]
        new_message = now.startswith("ERROR") and before.startswith("ERROR") and any(
            key in now and key not in before for key in NEW_MESSAGES)
        if now.split(":")[0] != before.split(":")[0] or (not now.startswith("ERROR") and now != before) \
                or new_message:
            status, reason = "fixed-here", _fixed_reason(case, before, now)
        elif same:
            status, reason = "agree", ""
        else:
            status, reason = "differs-on-purpose", _reason(case, r["facs"], now)
        source = ("facs tests" if case in FACS_TESTS else "tricky" if case in TRICKY else "facs prototypes")
        rows.append({"case": case, "source": source, "facs_check": r["facs_check"], "facs": r["facs"],
                     "facs_numbers": r["facs_numbers"], "auknow": now, "auknow_before": before,
                     "status": status, "reason": reason})

    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    counts = Counter((r["status"], r["reason"]) for r in rows)
    print(f"{len(rows)} cases -> {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    print(f"{'n':>4}  {'status':<20} reason")
    for (status, reason), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1])):
        print(f"{n:>4}  {status:<20} {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
