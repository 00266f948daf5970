"""Write the bundled sample returns: samples/returns/{round1,final}/ and samples/returns/expected.json.

The returns are made the way a committee really receives them (DESIGN.md §1):

1. ``xltools.generate.generate`` issues one stamped workbook per unit of samples/roster.xlsx
   (generation date and deadline pinned, so the stamps are reproducible);
2. each unit "fills" its copy with openpyxl — load the blank, write values into the data rows
   (dates as dates, numbers as numbers), save — from the invented data in ``sample_data.py``;
3. most copies are then re-saved by a real LibreOffice (``soffice --convert-to``, private
   profile) as .xlsx, .xls or .ods; a few are sent exactly as openpyxl wrote them.

Round 1 adds what goes wrong at the first deadline (``sample_data.ROUND1``): three units missing,
one file with a title row inserted and two columns swapped, one unit's data pasted into a fresh
workbook, one unit sending an earlier and a corrected copy, and six bad cells.  Units whose round-1
file is unchanged send the very same file in both rounds.

The time a file was saved is set inside it (``dcterms:modified`` in docProps/core.xml of .xlsx,
``dc:date`` in meta.xml of .ods, the last-saved time in the SummaryInformation of .xls) and as
its file-system mtime, from ``sample_data.return_times()``; git does not keep mtimes, so merge
must read the inner time.

Run from the repository root or anywhere: ``/work/venv/bin/python samples/make_returns.py``.
Needs LibreOffice (``soffice``) on PATH.  Replaces samples/returns/ entirely.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import sample_data as sd  # noqa: E402

from xltools.forms import FormDefinition, load_form_definition  # noqa: E402
from xltools.generate import generate  # noqa: E402
from xltools.roster import load_roster  # noqa: E402
from xltools.stamp import FIRST_DATA_ROW, HEADER_ROW  # noqa: E402

OUT = HERE / "returns"
BEIJING = timezone(timedelta(hours=8))
FORM_ROWS = {"posts": sd.POSTS, "deeds": sd.DEEDS, "results": sd.RESULTS, "assessment": sd.ASSESSMENT}


# --------------------------------------------------------------------------- values and cells


def cell_value(value: object) -> object:
    """What a clerk types for a data value: 是/否 for booleans, dates as dates, numbers as numbers."""
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def unit_rows(form: str, unit: str) -> list[dict]:
    return [r for r in FORM_ROWS[form] if r["unit"] == unit]


def row_index(form: str, unit: str, match: dict) -> int:
    """0-based index of the unit's row of ``form`` whose fields equal ``match`` (exactly one)."""
    hits = [i for i, r in enumerate(unit_rows(form, unit)) if all(r[k] == v for k, v in match.items())]
    if len(hits) != 1:
        raise SystemExit(f"{unit} {form} {match}: {len(hits)} matching rows, expected 1")
    return hits[0]


def header_columns(ws, definition: FormDefinition, form: str) -> dict[str, int]:
    """Field name → 1-based column, read from the generated header row (never assumed)."""
    labels = {c.value: c.column for c in ws[HEADER_ROW] if c.value is not None}
    cols = {}
    for f in definition.form(form).fields:
        if f.label not in labels:
            raise SystemExit(f"{ws.title}: generated header has no column {f.label!r}")
        cols[f.name] = labels[f.label]
    return cols


# --------------------------------------------------------------------------- filling


def fill(blank: Path, out: Path, definition: FormDefinition, unit: str, author: str,
         overrides: dict[tuple[str, int, str], object]) -> None:
    """Fill a generated workbook with the unit's rows the way a clerk does in openpyxl.

    ``overrides`` maps (form, 0-based row, field) to the raw value typed instead of the data.
    """
    wb = openpyxl.load_workbook(blank)
    for form in definition.forms:
        ws = wb[form.sheet]
        cols = header_columns(ws, definition, form.name)
        for i, row in enumerate(unit_rows(form.name, unit)):
            for fld, col in cols.items():
                value = overrides.get((form.name, i, fld), cell_value(row.get(fld)))
                if value is not None and value != "":
                    ws.cell(FIRST_DATA_ROW + i, col, value)
    wb.properties.lastModifiedBy = author
    wb.save(out)


def insert_title_row(path: Path, definition: FormDefinition, form: str, title: str,
                     swap: tuple[str, str], columns: dict[str, int]) -> None:
    """Round-1 fault: unprotect the sheet, insert a title row above the header and swap two
    columns (values, styles, widths, validations), as a clerk tidying the sheet would."""
    wb = openpyxl.load_workbook(path)
    ws = wb[definition.form(form).sheet]
    ws.protection.sheet = False
    heights = {r: ws.row_dimensions[r].height for r in range(HEADER_ROW, ws.max_row + 1)}
    ws.insert_rows(HEADER_ROW)
    for r, h in heights.items():
        ws.row_dimensions[r + 1].height = h
    ws.row_dimensions[HEADER_ROW].height = 24
    ws.cell(HEADER_ROW, 1, title).font = openpyxl.styles.Font(bold=True, size=12)
    ws.freeze_panes = f"A{FIRST_DATA_ROW + 1}"
    ws.print_title_rows = f"1:{HEADER_ROW + 1}"
    a, b = (columns[f] for f in swap)
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        ca, cb = ws.cell(r, a), ws.cell(r, b)
        ca.value, cb.value = cb.value, ca.value
        ca._style, cb._style = cb._style, ca._style
    la, lb = get_column_letter(a), get_column_letter(b)
    wa, wb_ = ws.column_dimensions[la].width, ws.column_dimensions[lb].width
    ws.column_dimensions[la].width, ws.column_dimensions[lb].width = wb_, wa
    for dv in ws.data_validations.dataValidation:
        moved = []
        for cr in dv.sqref.ranges:
            col = {a: b, b: a}.get(cr.min_col, cr.min_col)
            moved.append(CellRange(min_col=col, max_col=col + cr.max_col - cr.min_col,
                                   min_row=cr.min_row + 1, max_row=cr.max_row + 1).coord)
        dv.sqref = openpyxl.worksheet.cell_range.MultiCellRange(" ".join(moved))
    wb.save(path)


def pasted_workbook(out: Path, definition: FormDefinition, unit: str, author: str,
                    created: datetime) -> dict[str, str]:
    """Round-1 fault: the unit's data pasted into a fresh workbook — header at row 1, no title,
    no identity line, no _meta, no custom properties, sheets Sheet1…SheetN.  Returns form → sheet."""
    wb = openpyxl.Workbook()
    wb.properties.created = created.replace(tzinfo=BEIJING).astimezone(timezone.utc).replace(tzinfo=None)
    wb.properties.creator = author
    wb.properties.lastModifiedBy = author
    sheets = {}
    for k, form in enumerate(definition.forms, start=1):
        ws = wb.active if k == 1 else wb.create_sheet()
        ws.title = f"Sheet{k}"
        sheets[form.name] = ws.title
        for c, fld in enumerate(form.fields, start=1):
            ws.cell(1, c, fld.label)
            ws.column_dimensions[get_column_letter(c)].width = fld.width or 10
        for i, row in enumerate(unit_rows(form.name, unit)):
            for c, fld in enumerate(form.fields, start=1):
                value = cell_value(row.get(fld.name))
                if value is not None:
                    cell = ws.cell(2 + i, c, value)
                    if isinstance(value, date):
                        cell.number_format = "yyyy-mm-dd"
    wb.save(out)
    return sheets


# --------------------------------------------------------------------------- saving like an office suite


def soffice_convert(files: list[Path], ext: str, outdir: Path, profile: Path) -> None:
    """Re-save ``files`` through LibreOffice as ``ext`` into ``outdir`` (same stems)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        raise SystemExit("LibreOffice (soffice) is needed to write the sample returns")
    outdir.mkdir(parents=True, exist_ok=True)
    cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--convert-to", ext, "--outdir", str(outdir), *map(str, files)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    missing = [f.name for f in files if not (outdir / f"{f.stem}.{ext}").exists()]
    if proc.returncode != 0 or missing:
        raise SystemExit(f"soffice failed ({proc.returncode}) for {missing}: {proc.stderr}")


_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)
_STARTED = datetime.now(timezone.utc)


def _set_xls_saved_time(path: Path, utc: datetime) -> None:
    """Replace the last-saved time LibreOffice wrote into an .xls (a VT_FILETIME property,
    type tag 0x40, in the OLE SummaryInformation stream) with ``utc``.  LibreOffice writes the
    time of conversion — the only FILETIME in the file later than this script's start.  The
    value has a fixed size, so it is patched in place."""
    data = bytearray(path.read_bytes())
    hits = []
    for m in re.finditer(rb"\x40\x00\x00\x00", bytes(data)):
        ticks = struct.unpack_from("<Q", data, m.end())[0] if m.end() + 8 <= len(data) else 0
        try:
            when = _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
        except OverflowError:
            continue
        if _STARTED - timedelta(minutes=1) <= when <= datetime.now(timezone.utc) + timedelta(minutes=1):
            hits.append(m.end())
    if len(hits) != 1:
        raise SystemExit(f"{path.name}: found {len(hits)} save times written by LibreOffice, expected 1")
    ticks = int((utc - _FILETIME_EPOCH).total_seconds()) * 10_000_000
    struct.pack_into("<Q", data, hits[0], ticks)
    path.write_bytes(bytes(data))


def set_saved_time(path: Path, saved: datetime) -> None:
    """Write the save time into the file (.xlsx core.xml dcterms:modified, .ods meta.xml dc:date,
    .xls SummaryInformation last-saved time) and as its mtime.  ``saved`` is Beijing local time."""
    utc = saved.replace(tzinfo=BEIJING).astimezone(timezone.utc)
    if path.suffix == ".xlsx":
        part, pattern, repl = ("docProps/core.xml",
                               r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                               utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
    elif path.suffix == ".ods":
        part, pattern, repl = "meta.xml", r"(<dc:date>)[^<]*(</dc:date>)", saved.strftime("%Y-%m-%dT%H:%M:%S")
    else:
        part = None
        _set_xls_saved_time(path, utc)
    if part:
        # Rewrite the zip entry by entry (order, compression and the stored ODF mimetype kept);
        # entry dates become the save time too, so a re-run gives the same bytes.
        tmp = path.with_suffix(".tmp")
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w") as dst:
            for info in src.infolist():
                data = src.read(info)
                info.date_time = saved.timetuple()[:6]
                if info.filename == part:
                    text, n = re.subn(pattern, lambda m: m[1] + repl + m[2], data.decode("utf-8"))
                    if n != 1:
                        raise SystemExit(f"{path.name}: no save time in {part}")
                    data = text.encode("utf-8")
                dst.writestr(info, data)
        tmp.replace(path)
    stamp = utc.timestamp()
    os.utime(path, (stamp, stamp))


# --------------------------------------------------------------------------- figures (from our own data)


def figures_of(excluded_units: set[str] = frozenset(), rejected: set[tuple[str, int]] = frozenset()
               ) -> dict[str, object]:
    """The figures (the form definition's ``figures``) over sample_data's rows, computed here,
    not by xltools.  ``excluded_units``: units whose return is missing; ``rejected``: rows a
    merge rejects, as (form, position in that form's list) — a row with an 错误 cell is rejected
    (xltools.issues), a row with only a 警告 is kept with the coerced value."""
    def keep(form: str) -> list[dict]:
        return [r for i, r in enumerate(FORM_ROWS[form])
                if r["unit"] not in excluded_units and (form, i) not in rejected]

    posts, deeds, assessment = keep("posts"), keep("deeds"), keep("assessment")
    names = [n for p in posts for n in p["leaders"].split("、")]
    amount = sum((Decimal(str(d["amount"])) for d in deeds if d["amount"] is not None), Decimal(0))
    return {
        "posts_total": len(posts),
        "window_posts": sum(p["is_window"] for p in posts),
        "leaders": len(names),
        "members": sum(p["members"] for p in posts),
        "units_with_posts": len({p["unit"] for p in posts}),
        "signed_posts": sum(p["has_sign"] for p in posts),
        "deeds_total": len(deeds),
        "beneficiaries": sum(d["beneficiaries"] or 0 for d in deeds),
        "deeds_amount": float(amount),
        "satisfied_deeds": sum(d["rating"] == "满意" for d in deeds),
        "excellent_posts": sum(a["grade"] == "优秀" for a in assessment),
    }


def global_index(form: str, unit: str, i: int) -> int:
    """Position in ``FORM_ROWS[form]`` of the unit's ``i``-th row of that form."""
    return [k for k, r in enumerate(FORM_ROWS[form]) if r["unit"] == unit][i]


def ranking(names: dict[str, str]) -> list[dict]:
    rows = sorted(sd.ASSESSMENT, key=lambda a: -sd.total_of(a))
    out, prev, rank = [], None, 0
    for i, a in enumerate(rows, start=1):
        total = sd.total_of(a)
        rank = rank if total == prev else i
        prev = total
        out.append({"rank": rank, "unit_code": a["unit"], "unit_name": names[a["unit"]],
                    "post_name": a["post_name"], "total": total, "grade": a["grade"]})
    return out


# --------------------------------------------------------------------------- main


def main() -> None:
    sd.check()
    definition = load_form_definition(ROOT / sd.FORM_DEFINITION)
    roster = load_roster(ROOT / sd.ROSTER)
    names = {u.code: u.name for u in roster}
    contacts = {u.code: u.contact for u in roster}
    times = sd.return_times()
    r1 = sd.ROUND1
    dup = r1["duplicate"]

    with tempfile.TemporaryDirectory(prefix="xltools-samples-") as tmpname:
        tmp = Path(tmpname)
        blanks = generate(definition, roster, tmp / "blank", deadline=sd.DEADLINE, generated=sd.GENERATED)
        blank_of = {u.code: Path(p) for u, p in zip(roster, blanks, strict=True)}
        first = openpyxl.load_workbook(blanks[0])
        layout = {f.name: header_columns(first[f.sheet], definition, f.name) for f in definition.forms}
        filled = tmp / "filled"
        filled.mkdir()

        # Each job: one file to send.  key → (unit, format, file name, save time, openpyxl source)
        jobs: dict[str, dict] = {}

        def add_job(key: str, unit: str, fmt: str, name: str, saved: datetime,
                    overrides: dict | None = None) -> dict:
            src = filled / f"{key}.xlsx"
            fill(blank_of[unit], src, definition, unit, contacts[unit], overrides or {})
            jobs[key] = {"unit": unit, "fmt": fmt, "name": name, "saved": saved, "src": src}
            return jobs[key]

        def send_name(unit: str, fmt: str, suffix: str = "") -> str:
            if unit in sd.RENAMED:
                return sd.RENAMED[unit]
            ext = "xlsx" if fmt == "openpyxl" else fmt
            return f"{blank_of[unit].stem}{suffix}.{ext}"

        fmt_of = {u.code: sd.FORMATS.get(u.code, "xlsx") for u in roster}
        for code in names:
            suffix = dup["corrected_suffix"] if code == dup["unit"] else ""
            add_job(f"final_{code}", code, fmt_of[code], send_name(code, fmt_of[code], suffix),
                    times["final"][code])

        # Round-1 variants (everything else in round 1 is the final file itself).
        bad_cells = []
        for bad in r1["bad_cells"]:
            code = bad["unit"]
            i = row_index(bad["form"], code, bad["match"])
            add_job(f"r1_{code}", code, fmt_of[code], send_name(code, fmt_of[code]), times["round1"][code],
                    {(bad["form"], i, bad["field"]): bad["raw"]})
            bad_cells.append({**bad, "row_index": i})
        i_dup = row_index(dup["form"], dup["unit"], dup["match"])
        add_job(f"r1_{dup['unit']}_earlier", dup["unit"], fmt_of[dup["unit"]],
                send_name(dup["unit"], fmt_of[dup["unit"]]), times["earlier"][dup["unit"]],
                {(dup["form"], i_dup, dup["field"]): dup["wrong"]})
        tr = r1["title_row"]
        job = add_job(f"r1_{tr['unit']}", tr["unit"], fmt_of[tr["unit"]],
                      send_name(tr["unit"], fmt_of[tr["unit"]]), times["round1"][tr["unit"]])
        insert_title_row(job["src"], definition, tr["form"], tr["title"], tr["swap"], layout[tr["form"]])
        pa = r1["pasted"]
        src = filled / f"r1_{pa['unit']}.xlsx"
        pasted_sheets = pasted_workbook(src, definition, pa["unit"], contacts[pa["unit"]],
                                        times["round1"][pa["unit"]] - timedelta(minutes=40))
        jobs[f"r1_{pa['unit']}"] = {"unit": pa["unit"], "fmt": "xlsx", "name": pa["file"],
                                    "saved": times["round1"][pa["unit"]], "src": src}

        # Save through LibreOffice, one batch per target format.
        profile = tmp / "lo-profile"
        saved_dir = tmp / "saved"
        for fmt in ("xlsx", "xls", "ods"):
            batch = [j["src"] for j in jobs.values() if j["fmt"] == fmt]
            if batch:
                soffice_convert(batch, fmt, saved_dir / fmt, profile)
        for key, j in jobs.items():
            if j["fmt"] == "openpyxl":
                j["out"] = j["src"]
            else:
                j["out"] = saved_dir / j["fmt"] / f"{key}.{j['fmt']}"
            set_saved_time(j["out"], j["saved"])

        # Lay out the two folders.
        if OUT.exists():
            shutil.rmtree(OUT)
        placed: dict[str, list[dict]] = {"round1": [], "final": []}

        def place(rnd: str, key: str, kind: str) -> str:
            j = jobs[key]
            target = OUT / rnd / j["name"]
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                raise SystemExit(f"two files named {target}")
            shutil.copy2(j["out"], target)
            placed[rnd].append({
                "file": j["name"], "unit_code": j["unit"], "unit_name": names[j["unit"]],
                "format": "xlsx" if j["fmt"] == "openpyxl" else j["fmt"],
                "written_by": "openpyxl" if j["fmt"] == "openpyxl" else "LibreOffice",
                "saved": j["saved"].isoformat(timespec="minutes"), "kind": kind,
            })
            return j["name"]

        for code in names:
            place("final", f"final_{code}", "stamped")
        kinds = {b["unit"]: "bad_cell" for b in r1["bad_cells"]}
        kinds |= {tr["unit"]: "title_row", pa["unit"]: "pasted"}
        for code in names:
            if code in r1["missing"]:
                continue
            if code in kinds:
                place("round1", f"r1_{code}", kinds[code])
            elif code == dup["unit"]:
                earlier = place("round1", f"r1_{code}_earlier", "superseded")
                corrected = place("round1", f"final_{code}", "corrected")
            else:
                place("round1", f"final_{code}", "stamped")

    # expected.json — what merge must find.
    def address(form: str, field: str, i: int, first_row: int = FIRST_DATA_ROW) -> str:
        return f"{get_column_letter(layout[form][field])}{first_row + i}"

    def raw_text(v: object) -> str:
        return "" if v is None else str(v)

    file_of = {e["unit_code"]: e["file"] for e in placed["round1"] if e["kind"] != "superseded"}
    expected_bad = [{
        "unit_code": b["unit"], "unit_name": names[b["unit"]], "file": file_of[b["unit"]],
        "sheet": definition.form(b["form"]).sheet, "cell": address(b["form"], b["field"], b["row_index"]),
        "row": FIRST_DATA_ROW + b["row_index"], "field": definition.form(b["form"]).field(b["field"]).label,
        "raw": raw_text(b["raw"]),
        "value": cell_value(unit_rows(b["form"], b["unit"])[b["row_index"]].get(b["field"])),
        "level": b["level"], "what": b["what"],
    } for b in bad_cells]
    for e in expected_bad:  # the corrected value, as JSON
        e["value"] = e["value"].isoformat() if isinstance(e["value"], date) else e["value"]
    posts_form = definition.form("posts")
    swapped = [posts_form.field(f).label for f in tr["swap"]]
    figures = figures_of()
    round1_figures = figures_of(
        set(r1["missing"]),
        {(b["form"], global_index(b["form"], b["unit"], b["row_index"])) for b in bad_cells if b["level"] == "错误"},
    )
    labour = [r for r in sd.RESULTS if r["unit"] in ("D13", "D23")]
    rank = ranking(names)
    expected = {
        "about": "Written by samples/make_returns.py from samples/sample_data.py; figures are computed "
                 "from that data, not by xltools.",
        "form_definition": sd.FORM_DEFINITION,
        "roster": sd.ROSTER,
        "generated": sd.GENERATED.isoformat(),
        "deadline": sd.DEADLINE,
        "round1": {
            "folder": "samples/returns/round1",
            "files": placed["round1"],
            "returned": sorted({e["unit_code"] for e in placed["round1"]}),
            "missing": sorted(r1["missing"]),
            "superseded": {
                "unit_code": dup["unit"], "file": earlier, "superseded_by": corrected,
                "sheet": definition.form(dup["form"]).sheet,
                "cell": address(dup["form"], dup["field"], i_dup),
                "field": definition.form(dup["form"]).field(dup["field"]).label,
                "raw_in_superseded": dup["wrong"],
                "value_in_current": unit_rows(dup["form"], dup["unit"])[i_dup][dup["field"]],
            },
            "pasted": {"unit_code": pa["unit"], "unit_name": names[pa["unit"]], "file": pa["file"],
                       "sheets": {definition.form(f).sheet: s for f, s in pasted_sheets.items()},
                       "header_row": 1, "first_data_row": 2},
            "title_row": {"unit_code": tr["unit"], "file": file_of[tr["unit"]],
                          "sheet": definition.form(tr["form"]).sheet, "title_cell": f"A{HEADER_ROW}",
                          "header_row": HEADER_ROW + 1, "first_data_row": FIRST_DATA_ROW + 1,
                          "swapped": swapped},
            "bad_cells": expected_bad,
            "figures": round1_figures,
            "figures_note": "the returned units' data with each row holding an 错误 cell rejected; "
                            "assumes the pasted file is recognised as its unit",
        },
        "final": {
            "folder": "samples/returns/final",
            "files": placed["final"],
            "returned": sorted(names),
            "missing": [],
            "figures": figures,
            "results": [{k: v for k, v in r.items() if k != "unit"} | {"unit_code": r["unit"]} for r in labour],
            "ranking_top": [r for r in rank if r["rank"] <= 20],
            "top_ten": [r for r in rank if r["rank"] <= 10],
            "grade_bands": [{"min_total": lo, "grade": g} for lo, g in sd.GRADE_BANDS],
        },
    }
    (OUT / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {len(placed['round1'])} round-1 files, {len(placed['final'])} final files, "
          f"expected.json; {size / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
