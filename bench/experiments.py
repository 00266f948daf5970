"""Measured evidence for the optimisation opportunities listed in bench/README.md.

Nothing here changes xltools: each experiment times the code as it is, then the same code with
one function replaced *inside this process only* by a faster equivalent, and checks that the
results are the same.  The lead decides what to apply.

Usage (from the repository root)::

    /work/venv/bin/python bench/experiments.py --files 300

E2 — what one row costs in memory after ``read_one`` and in pickling.  (E1, the indexed
file-name lookup for a 5,000-unit roster, was adopted as ``xltools.identify``'s roster index and
removed from here: its prototype had become a copy of the product.)
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from xltools.forms import load_form_definition  # noqa: E402
from xltools.roster import load_roster  # noqa: E402

KIT = ROOT / "templates" / "xlsx" / "pioneer_posts.yaml"
xm = importlib.import_module("xltools.merge")  # the module: xltools exports a function named merge


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
    ap.add_argument("--files", type=int, default=20, help="S1 returns to read (E2)")
    args = ap.parse_args()
    result = {"e2": e2(files=args.files)}
    (HERE / "results").mkdir(exist_ok=True)
    out = HERE / "results" / "experiments.json"
    if out.exists():
        result = {**json.loads(out.read_text("utf-8")), **result}
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), "utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
