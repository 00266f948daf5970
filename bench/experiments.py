"""Measured evidence for the optimisation opportunities listed in bench/README.md.

Nothing here changes xltools: each experiment times the code as it is, then the same code with
one function replaced *inside this process only* by a faster equivalent, and checks that the
results are the same.  The lead decides what to apply.

Usage (from the repository root)::

    /work/venv/bin/python bench/experiments.py --files 300

E1 — per-file cost with a large roster (S4: 5,000 units).  ``read_one`` calls
``filename_unit(path, roster)`` (xltools.identify) for every file (to detect a forwarded workbook), which normalises
every unit's code and name and builds a new regular expression per unit — 5,000 patterns, more
than ``re``'s cache of 512, so every one is compiled again for every file.  The replacement
precomputes the normalised codes (as compiled patterns) and names once per roster and tests a
plain substring first; same matching rules, same answer.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from xltools.forms import load_form_definition, normalise_label  # noqa: E402
from xltools.roster import Roster, Unit, load_roster  # noqa: E402

KIT = ROOT / "templates" / "xlsx" / "pioneer_posts.yaml"
xm = importlib.import_module("xltools.merge")  # the module: xltools exports a function named merge
_INDEX: dict[int, tuple[list, list]] = {}


def indexed_filename_units(path: Path, roster: Roster) -> list[Unit]:
    """``xltools.identify.filename_units`` with the roster's normalised codes (as compiled
    patterns) and names computed once per roster.  Same rules: a unit code as a separate token;
    else the longest unit name(s) contained in the name; else the code matches (none or
    several)."""
    index = _INDEX.get(id(roster))
    if index is None:
        codes = []
        for u in roster:
            c = normalise_label(u.code)
            codes.append((c, re.compile(rf"(?<![0-9a-z]){re.escape(c)}(?![0-9a-z])"), u))
        names = [(normalise_label(u.name), u) for u in roster]
        index = _INDEX[id(roster)] = (codes, [(n, u) for n, u in names if n])
    codes, names = index
    name = normalise_label(path.stem)
    by_code = [u for c, pat, u in codes if c in name and pat.search(name)]
    if len(by_code) == 1:
        return by_code
    found = [(n, u) for n, u in names if n in name]
    if not found:
        return by_code
    longest = max(len(n) for n, _ in found)
    return [u for n, u in found if len(n) == longest]


def indexed_filename_unit(path: Path, roster: Roster) -> Unit | None:
    units = indexed_filename_units(path, roster)
    return units[0] if len(units) == 1 else None


def _per_file(files, definition, roster) -> tuple[list[float], list[tuple]]:
    times, outcome = [], []
    for f in files:
        t0 = time.perf_counter()
        res = xm.read_one(f, definition, roster)
        times.append(time.perf_counter() - t0)
        outcome.append((res.status, res.unit_code, res.identified_by, res.rows_read,
                        sorted((i.kind, i.cell) for rows in res.rows.values() for r in rows for i in r.issues),
                        sorted(i.kind for i in res.issues)))
    return times, outcome


def e1(files: int) -> dict:
    definition = load_form_definition(KIT)
    base = HERE / "data" / "S4"
    roster = load_roster(base / "roster.xlsx")
    paths = sorted((base / "returns").iterdir())[:files]
    # merge.py imports filename_unit(s) from xltools.identify (since 69db083): patch its names
    patched = {"filename_unit": indexed_filename_unit, "filename_units": indexed_filename_units}
    originals = {k: getattr(xm, k) for k in patched}
    t_orig, out_orig = _per_file(paths, definition, roster)
    for k, fn in patched.items():
        setattr(xm, k, fn)
    try:
        t_new, out_new = _per_file(paths, definition, roster)
    finally:
        for k, fn in originals.items():
            setattr(xm, k, fn)
    t_fn = []
    for p in paths[:50]:
        t0 = time.perf_counter()
        originals["filename_unit"](p, roster)
        t_fn.append(time.perf_counter() - t0)
    same_answer = all(originals["filename_units"](p, roster) == indexed_filename_units(p, roster)
                      for p in paths[:50])

    def ms(xs):
        return {"median_ms": 1000 * statistics.median(xs), "p90_ms": 1000 * sorted(xs)[int(0.9 * len(xs))]}

    return {"experiment": "E1 per-file read_one on S4 (5,000-unit roster)", "files": len(paths),
            "read_one_as_is": ms(t_orig), "read_one_indexed_filename_unit": ms(t_new),
            "filename_unit_alone_as_is": ms(t_fn), "same_results": out_orig == out_new,
            "same_answer_filename_units": same_answer}


def e2(scenario: str = "S1", files: int = 20) -> dict:
    """E2 — what one row costs in memory (held by the driver after ``read_one``) and in the
    process pool's pickling (workers pickle every ``FileResult``, the parent unpickles them on
    one core)."""
    import gc
    import pickle
    import tracemalloc

    definition = load_form_definition(KIT)
    base = HERE / "data" / scenario
    roster = load_roster(base / "roster.xlsx")
    paths = sorted((base / "returns").iterdir())[:files]
    gc.collect()
    tracemalloc.start()
    results = [xm.read_one(p, definition, roster) for p in paths]
    gc.collect()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    n = sum(r.rows_read for r in results)
    t0 = time.perf_counter()
    blob = pickle.dumps(results)
    t1 = time.perf_counter()
    pickle.loads(blob)
    t2 = time.perf_counter()
    return {"experiment": f"E2 memory and pickling per row ({scenario}, {len(paths)} files)", "rows": n,
            "bytes_per_row_held": round(held / n), "pickle_bytes_per_row": round(len(blob) / n),
            "pickle_dump_us_per_row": round((t1 - t0) / n * 1e6, 1),
            "pickle_load_us_per_row": round((t2 - t1) / n * 1e6, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description="optimisation experiments (see module docstring)")
    ap.add_argument("--files", type=int, default=300)
    ap.add_argument("--only", default="e1,e2", help="experiments to run (e1, e2)")
    args = ap.parse_args()
    result = {}
    if "e1" in args.only:
        result["e1"] = e1(args.files)
    if "e2" in args.only:
        result["e2"] = e2()
    (HERE / "results").mkdir(exist_ok=True)
    out = HERE / "results" / "experiments.json"
    if out.exists():
        result = {**json.loads(out.read_text("utf-8")), **result}
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
