"""Profile the merge (cProfile) and summarise where the time goes.

Usage (from the repository root)::

    /work/venv/bin/python bench/profile_merge.py --scenario S1
    /work/venv/bin/python bench/profile_merge.py --scenario S2 --files 50   # reduced S2

Profiles ``merge(..., jobs=1)`` (one process, so the profile sees every call) and then
``write_consolidated`` on the first ``--files`` returns of the scenario (all by default), and
writes ``bench/profiles/<scenario>[-<files>].txt``: the wall time of each phase, own time grouped
by module (xltools.readers, xltools.coerce, python-calamine, zipfile, re …), and the top functions
by own time and by cumulative time.  The raw profiles go to ``bench/data/profiles/*.prof``
(``python -m pstats`` or snakeviz can open them).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from xltools.consolidated import write_consolidated  # noqa: E402
from xltools.forms import load_form_definition  # noqa: E402
from xltools.merge import merge  # noqa: E402

KIT = ROOT / "templates" / "xlsx" / "pioneer_posts.yaml"


def _group(filename: str, func: str) -> str:
    """A readable bucket for a profiled function's own time."""
    if filename == "~":
        if "calamine" in func.lower() or "CalamineWorkbook" in func or "CalamineSheet" in func:
            return "python-calamine (Rust)"
        if "zlib" in func or "Decompress" in func:
            return "zlib"
        if "re.Pattern" in func or "_sre" in func:
            return "re (regex engine)"
        if "unicodedata" in func:
            return "unicodedata"
        return "builtins"
    p = filename.replace("\\", "/")
    if "/xltools/" in p:
        return "xltools." + Path(p).stem
    for lib in ("xlsxwriter", "python_calamine", "zipfile", "defusedxml", "xml/etree", "re/", "sre_", "decimal",
                "datetime", "concurrent", "multiprocessing", "pickle", "yaml"):
        if lib in p:
            return lib.strip("/")
    return "other: " + Path(p).name


def summarise(prof: cProfile.Profile, top: int = 30) -> str:
    st = pstats.Stats(prof)
    groups: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        groups[_group(filename, func)] += tt
        total += tt
    lines = [f"own time by module (total {total:.2f} s under the profiler):"]
    for name, t in sorted(groups.items(), key=lambda kv: -kv[1]):
        if t >= 0.005 * total:
            lines.append(f"  {t:8.2f} s  {100 * t / total:5.1f} %  {name}")
    for key, title in (("tottime", "own time"), ("cumulative", "cumulative time")):
        buf = io.StringIO()
        s = pstats.Stats(prof, stream=buf)
        s.strip_dirs().sort_stats(key).print_stats(top)
        text = buf.getvalue()
        start = text.find("   ncalls")
        lines += ["", f"top {top} functions by {title}:", text[start:].rstrip()]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description="cProfile the merge on a benchmark scenario")
    ap.add_argument("--scenario", default="S1")
    ap.add_argument("--files", type=int, default=0, help="profile the first N returns only (0 = all)")
    args = ap.parse_args()
    base = HERE / "data" / args.scenario
    files = sorted((base / "returns").iterdir())
    if args.files:
        files = files[: args.files]
    tag = args.scenario + (f"-{args.files}" if args.files else "")
    definition = load_form_definition(KIT)
    out_dir = HERE / "data" / "profiles"
    out_dir.mkdir(parents=True, exist_ok=True)
    report = [f"# cProfile of xltools merge — {tag}: {len(files)} returns, jobs=1", ""]

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    cons = merge(definition, base / "roster.xlsx", files, jobs=1)
    prof.disable()
    t1 = time.perf_counter()
    prof.dump_stats(out_dir / f"{tag}-merge.prof")
    c = cons.counts
    report += [f"merge(): {t1 - t0:.2f} s wall under the profiler; rows read {c['rows_read']:,}, "
               f"rejected {c['rows_rejected']:,}, issues {c['errors'] + c['warnings']:,}", "",
               summarise(prof), ""]

    prof = cProfile.Profile()
    work = base / "work"
    work.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    prof.enable()
    write_consolidated(cons, work / f"profile-{tag}.xlsx")
    prof.disable()
    t1 = time.perf_counter()
    prof.dump_stats(out_dir / f"{tag}-write.prof")
    report += [f"## write_consolidated(): {t1 - t0:.2f} s wall under the profiler", "", summarise(prof, 15)]

    (HERE / "profiles").mkdir(exist_ok=True)
    path = HERE / "profiles" / f"{tag}.txt"
    path.write_text("\n".join(report) + "\n", encoding="utf-8")
    print(path)


if __name__ == "__main__":
    main()
