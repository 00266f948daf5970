"""The benchmark's contenders, each run by bench/run.py in a subprocess of its own.

``python bench/contenders.py NAME SCENARIO WORKDIR`` imports what the contender needs, then times
only its work (``time.perf_counter``) and prints one JSON line: ``{"seconds": …, "phases": {…},
"info": {…}}``.  The parent adds wall time and peak memory.  Contenders (DATA is
``bench/data/<SCENARIO>``):

``lib_j1`` / ``lib_jN``
    ``xltools.merge.merge(kit, roster, [returns], jobs=1 | cores)`` (phase ``merge``: read +
    identify + coerce + validate + combine), then ``write_consolidated`` (phase ``write``).
    ``info.rss_merge_kb``: this process's peak RSS when the merge returned, before writing;
    ``info.rss_workers_kb``: the largest pool worker's.  The workbook is written to
    ``WORKDIR/consolidated.xlsx``.
``calamine``
    the read floor: python-calamine opening every return and reading every value of every sheet
    (``to_python(skip_empty_area=False)``, as xltools.readers does) in one process, nothing else.
``pandas_read`` / ``pandas_e2e``
    what a user would write instead: ``pandas.read_excel(f, sheet_name=None, header=2,
    engine="openpyxl")`` for every return and ``pandas.concat`` per sheet; ``pandas_e2e`` also
    writes every concatenated frame with ``DataFrame.to_excel`` (pandas' default xlsx engine).
``write_floor``
    the write floor: XlsxWriter ``constant_memory`` writing the same rows (every data row of
    every return, the consolidated column layout: fields + 5 provenance columns) with the same
    cell calls by type (string, number, datetime) plus one issue row per injected bad cell, and
    nothing else.  The typed rows are prepared before the clock starts (cached in
    ``DATA/rows.pickle``).
``report_lib``
    ``xltools.report.report`` of the bundled templates named after WORKDIR (default: all three)
    from ``DATA/consolidated.xlsx`` — run.py's ``report*`` contenders when the CLI command is
    not registered (it uses the command when it is).
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import sys
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

KIT = ROOT / "templates" / "xlsx" / "pioneer_posts.yaml"
DATA = HERE / "data"


def returns_of(scenario: str) -> list[Path]:
    return sorted((DATA / scenario / "returns").iterdir())


def _maxrss(who: int) -> int:
    return resource.getrusage(who).ru_maxrss  # KiB on Linux


# --------------------------------------------------------------------------- contenders


def lib(scenario: str, work: Path, jobs: int, write: bool = True) -> dict:
    """``merge()`` then, with ``write``, ``write_consolidated()`` in this process; phases
    ``merge`` (read, identify, coerce, validate, figures: everything before the write) and
    ``write``.  Without ``write`` (the ``merge_*`` contenders) the merge phase can be repeated
    against the calamine floor without the long write."""
    from xltools.consolidated import write_consolidated
    from xltools.forms import load_form_definition
    from xltools.merge import merge

    base = DATA / scenario
    definition = load_form_definition(KIT)
    t0 = time.perf_counter()
    cons = merge(definition, base / "roster.xlsx", [base / "returns"], jobs=jobs)
    t1 = time.perf_counter()
    info = {"counts": cons.counts, "rss_merge_kb": _maxrss(resource.RUSAGE_SELF),
            "rss_workers_kb": _maxrss(resource.RUSAGE_CHILDREN)}
    if not write:
        return {"seconds": t1 - t0, "phases": {"merge": t1 - t0}, "info": info}
    out = write_consolidated(cons, work / "consolidated.xlsx")
    t2 = time.perf_counter()
    return {"seconds": t2 - t0, "phases": {"merge": t1 - t0, "write": t2 - t1},
            "info": info | {"output": str(out), "output_bytes": out.stat().st_size}}


def calamine(scenario: str, work: Path) -> dict:
    from python_calamine import CalamineWorkbook

    files = returns_of(scenario)
    t0 = time.perf_counter()
    rows = 0
    for f in files:
        wb = CalamineWorkbook.from_path(str(f))
        for name in wb.sheet_names:
            rows += len(wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
    t1 = time.perf_counter()
    return {"seconds": t1 - t0, "info": {"files": len(files), "sheet_rows": rows}}


def _pandas(scenario: str, work: Path, write: bool) -> dict:
    import warnings

    import pandas as pd

    warnings.simplefilter("ignore")  # openpyxl: "Data Validation extension is not supported"
    files = returns_of(scenario)
    t0 = time.perf_counter()
    frames: dict[str, list] = {}
    for f in files:
        for name, df in pd.read_excel(f, sheet_name=None, header=2, engine="openpyxl").items():
            df["来源文件"] = f.name
            frames.setdefault(name, []).append(df)
    merged = {name: pd.concat(dfs, ignore_index=True) for name, dfs in frames.items()}
    t1 = time.perf_counter()
    info = {"files": len(files), "rows": {k: len(v) for k, v in merged.items()}, "pandas": pd.__version__}
    phases = {"read_concat": t1 - t0}
    if write:
        out = work / "pandas.xlsx"
        with pd.ExcelWriter(out) as xw:
            for name, df in merged.items():
                df.to_excel(xw, sheet_name=name, index=False)
            info["engine"] = xw.engine
        phases["to_excel"] = time.perf_counter() - t1
        info["output_bytes"] = out.stat().st_size
    return {"seconds": time.perf_counter() - t0, "phases": phases, "info": info}


def typed_rows(scenario: str) -> dict:
    """Every data row of the scenario's returns as the consolidated workbook lays it out:
    form name → list of rows (field values in definition order, then 单位代码, 填报单位, 来源文件,
    来源工作表, 来源行), plus ``issues``: the number of injected bad cells.  Cached."""
    cache = DATA / scenario / "rows.pickle"
    if cache.exists():
        with cache.open("rb") as fh:
            return pickle.load(fh)
    import make_returns as mr

    from xltools.forms import load_form_definition
    from xltools.generate import workbook_filename

    definition = load_form_definition(KIT)
    sc = mr.SCENARIOS[scenario]
    roster = mr.make_roster(sc)
    out: dict = {f.name: [] for f in definition.forms}
    for unit in roster:
        rows = mr.unit_rows(sc, unit)
        file = f"returns/{workbook_filename(definition, unit)}"
        for form in definition.forms:
            for i, r in enumerate(rows.get(form.name, [])):
                values = [sum(r[x] for x in f.derived.fields) if f.derived else r.get(f.name) for f in form.fields]
                out[form.name].append([*values, unit.code, unit.name, file, form.sheet, 4 + i])
    out = {"forms": out, "issues": len(roster) * mr.BAD_CELLS,
           "sheets": {f.name: f.sheet for f in definition.forms},
           "headers": {f.name: [fl.label for fl in f.fields] for f in definition.forms}}
    with cache.open("wb") as fh:
        pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return out


def write_typed_sheet(ws, header: list[str], rows: list[list], f_date, direct: bool = False) -> int:
    """The floor's cell calls on one XlsxWriter worksheet: the header, then every row's values
    by type (string, number, datetime; None skipped).  ``direct``: strings and numbers through
    XlsxWriter's undecorated ``_write_string`` / ``_write_number``, as xltools writes its form
    sheets.  Returns the number of cells written."""
    for c, label in enumerate(header):
        ws.write_string(0, c, label)
    write_string = ws._write_string if direct else ws.write_string
    write_number = ws._write_number if direct else ws.write_number
    cells = 0
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, str):
                write_string(r, c, v)
            elif isinstance(v, (int, float, Decimal)):
                write_number(r, c, float(v))
            elif isinstance(v, date):
                ws.write_datetime(r, c, datetime(v.year, v.month, v.day), f_date)
            cells += 1
    return cells


def write_rows_xml(wb, scratch: Path, name: str, header: list[str], rows: list[list], f_date):
    """xltools' own way to write a form sheet since the eighth round (xltools/xlsx_rows.py):
    XlsxWriter writes the header and the last row, ``write_rows`` every row between as
    SpreadsheetML text.  Returns the ``SheetRows`` to give ``splice`` after ``wb.close()``, or
    None when there is nothing to splice.  Rows are ``[fields…, 5 provenance values]``."""
    from xltools.xlsx_rows import SheetRows, write_rows

    ws = wb.add_worksheet(name)
    for c, label in enumerate(header):
        ws.write_string(0, c, label)
    n = len(header) - 5
    part = None
    if len(rows) > 1:
        position = len(wb.worksheets()) - 1
        path = scratch / f"rows-{position}.xml"
        part = SheetRows(position, name, path, write_rows(path, ((row[:n], *row[n:]) for row in rows[:-1]), n,
                                                          f_date._get_xf_index))
    if rows:
        write_typed_sheet_row(ws, len(rows), rows[-1], f_date)
    return part


def write_typed_sheet_row(ws, r: int, row: list, f_date) -> None:
    for c, v in enumerate(row):
        if isinstance(v, str):
            ws.write_string(r, c, v)
        elif isinstance(v, (int, float, Decimal)):
            ws.write_number(r, c, float(v))
        elif isinstance(v, date):
            ws.write_number(r, c, float(v.toordinal() - date(1899, 12, 30).toordinal()), f_date)


def write_floor(scenario: str, work: Path, xml: bool = False) -> dict:
    """The write floor: the scenario's rows (every data row, fields + provenance) and as many
    issue-list rows as bad cells, with XlsxWriter ``constant_memory`` cell by cell — or, with
    ``xml``, the form sheets the way xltools writes them (:func:`write_rows_xml`)."""
    import tempfile

    import xlsxwriter

    from xltools.xlsx_rows import splice

    data = typed_rows(scenario)
    provenance = ["单位代码", "填报单位", "来源文件", "来源工作表", "来源行"]
    cells = sum(v is not None for rows in data["forms"].values() for row in rows for v in row) if xml else 0
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / "built.xlsx" if xml else work / "floor.xlsx"
        wb = xlsxwriter.Workbook(str(built), {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "strings_to_numbers": False, "tmpdir": tmp})
        f_date = wb.add_format({"num_format": "yyyy-mm-dd"})
        parts = []
        for form, rows in data["forms"].items():
            header = data["headers"][form] + provenance
            if xml:
                parts.append(write_rows_xml(wb, Path(tmp), data["sheets"][form], header, rows, f_date))
            else:
                cells += write_typed_sheet(wb.add_worksheet(data["sheets"][form]), header, rows, f_date)
        ws = wb.add_worksheet("问题清单")
        for r in range(1, data["issues"] + 1):
            for c in range(9):
                ws.write_string(r, c, "问题清单的一格文字")
        wb.close()
        if xml:
            splice(built, work / "floor.xlsx", [p for p in parts if p is not None])
    t1 = time.perf_counter()
    return {"seconds": t1 - t0, "info": {"rows": {k: len(v) for k, v in data["forms"].items()}, "cells": cells,
                                         "output_bytes": (work / "floor.xlsx").stat().st_size}}


def report_lib(scenario: str, work: Path, *templates: str) -> dict:
    from xltools.report import report

    src = DATA / scenario / "consolidated.xlsx"
    t0 = time.perf_counter()
    paths = report(list(templates or ("work_report", "commendation", "deeds_compilation")), src, work / "docs",
                   date=date(2024, 12, 31))
    t1 = time.perf_counter()
    return {"seconds": t1 - t0, "info": {"docx_bytes": {p.name: p.stat().st_size for p in paths}}}


CONTENDERS = {
    "lib_j1": lambda s, w: lib(s, w, 1),
    "lib_jN": lambda s, w: lib(s, w, os.cpu_count() or 1),
    "merge_j1": lambda s, w: lib(s, w, 1, write=False),
    "merge_jN": lambda s, w: lib(s, w, os.cpu_count() or 1, write=False),
    "calamine": calamine,
    "pandas_read": lambda s, w: _pandas(s, w, False),
    "pandas_e2e": lambda s, w: _pandas(s, w, True),
    "write_floor": write_floor,
    "write_floor_xml": lambda s, w: write_floor(s, w, xml=True),
    "report_lib": report_lib,
}


def main() -> None:
    if not (len(sys.argv) == 4 or (len(sys.argv) > 4 and sys.argv[1] == "report_lib")) or sys.argv[1] not in (
            *CONTENDERS, "prepare_rows"):
        raise SystemExit(f"用法：contenders.py NAME SCENARIO WORKDIR [模板…]，NAME 为 {'、'.join(CONTENDERS)} 或 prepare_rows"
                         "（通常由 bench/run.py 调用）")
    name, scenario, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    work.mkdir(parents=True, exist_ok=True)
    if name == "prepare_rows":
        typed_rows(scenario)
        return
    result = report_lib(scenario, work, *sys.argv[4:]) if name == "report_lib" else CONTENDERS[name](scenario, work)
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
