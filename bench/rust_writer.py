"""Rust-backed xlsx writers (rustpy-xlsxwriter and rvgsrust-xlsxwriter, both bindings over
rust_xlsxwriter) against XlsxWriter ``constant_memory`` on the consolidated workbook's big per-form
sheets.

Usage (from the repository root; needs ``pip install rustpy-xlsxwriter rvgsrust-xlsxwriter`` — a benchmark-only
install, never a dependency of xltools — and the scenario's data)::

    /work/venv/bin/python bench/rust_writer.py --scenario S2 --repeat 3
    /work/venv/bin/python bench/rust_writer.py --scenario S1 --libreoffice   # opens both in LibreOffice

The rows are every data row of the scenario (bench/contenders.py ``typed_rows``: field values
in definition order + the five provenance columns), written as one sheet per form.  Both writers
get the same Python values and do the same conversions inside the clock (Decimal → float; the
Rust writer also needs a dict per row, built lazily by a generator).  Each writer runs in its own
subprocess (peak memory as in bench/run.py), alternating, ``--repeat`` times.

Checks, each reported, none assumed:

* reproducible — the same rows written twice, a second apart, give the same bytes (xltools pins
  its workbooks' dates so that equal inputs give equal files); for the Rust writers also after
  :func:`pin_core_dates` (the bindings cannot set the dates), with its cost on the full file and
  the file checked afterwards (``testzip``, the pinned dates, the values for S1/S5 or a ``--limit``);
* values equal — both files read back with python-calamine, every cell of every sheet compared
  (dates as dates, numbers as floats, text exact);
* LibreOffice — with ``--libreoffice``, each file is converted by ``soffice --convert-to xlsx``
  (a private profile) and the converted file's values compared with the original's: the file
  opened, and nothing was lost.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from datetime import datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PROVENANCE = ["单位代码", "填报单位", "来源文件", "来源工作表", "来源行"]


def _sheets(scenario: str, limit: int | None):
    from contenders import typed_rows

    data = typed_rows(scenario)
    for form, rows in data["forms"].items():
        yield data["sheets"][form], data["headers"][form] + PROVENANCE, rows[:limit] if limit else rows


def write_xlsxwriter(scenario: str, out: Path, limit: int | None) -> float:
    import xlsxwriter
    from contenders import write_typed_sheet

    sheets = list(_sheets(scenario, limit))
    t0 = time.perf_counter()
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    wb.set_properties({"created": datetime(2000, 1, 1)})  # pinned, as consolidated.py does
    f_date = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, header, rows in sheets:
        write_typed_sheet(wb.add_worksheet(name), header, rows, f_date)
    wb.close()
    return time.perf_counter() - t0


def write_rust(scenario: str, out: Path, limit: int | None) -> float:
    from rustpy_xlsxwriter import write_worksheets

    sheets = list(_sheets(scenario, limit))
    t0 = time.perf_counter()

    def records(header, rows):
        for row in rows:
            yield {h: (float(v) if isinstance(v, Decimal) else v) for h, v in zip(header, row)}

    write_worksheets([(name, records(header, rows)) for name, header, rows in sheets], str(out),
                     datetime_format="yyyy-mm-dd")
    return time.perf_counter() - t0


def write_rvgs(scenario: str, out: Path, limit: int | None) -> float:
    import rvgsrust_xlsxwriter as rv

    sheets = list(_sheets(scenario, limit))
    t0 = time.perf_counter()
    wb = rv.Workbook(str(out))
    for name, header, rows in sheets:
        ws = wb.add_worksheet(name, constant_memory=True)
        ws.write_row(0, 0, header)
        ws.write_rows(1, 0, [[float(v) if isinstance(v, Decimal) else v for v in row] for row in rows])
    wb.close()
    return time.perf_counter() - t0


def write_xltools(scenario: str, out: Path, limit: int | None) -> float:
    """xltools' own way since the eighth round (xltools/xlsx_rows.py; contenders.write_rows_xml):
    XlsxWriter writes the headers and last rows, xlsx_rows.write_rows the rows between as
    SpreadsheetML text, splice joins them."""
    import xlsxwriter
    from contenders import write_rows_xml

    from xltools.xlsx_rows import splice

    sheets = list(_sheets(scenario, limit))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        built = Path(tmp) / "built.xlsx"
        wb = xlsxwriter.Workbook(str(built), {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "strings_to_numbers": False, "tmpdir": tmp})
        wb.set_properties({"created": datetime(2000, 1, 1)})
        f_date = wb.add_format({"num_format": "yyyy-mm-dd"})
        parts = [write_rows_xml(wb, Path(tmp), name, header, rows, f_date) for name, header, rows in sheets]
        wb.close()
        splice(built, out, [p for p in parts if p is not None])
    return time.perf_counter() - t0


WRITERS = {"xlsxwriter": write_xlsxwriter, "xltools": write_xltools, "rust": write_rust, "rvgs": write_rvgs}

_CORE = "docProps/core.xml"
_W3CDTF = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


def pin_core_dates(path: Path, stamp: bytes = b"2000-01-01T00:00:00Z") -> None:
    """Rewrite the document's creation and modification dates (``docProps/core.xml``) to
    ``stamp`` in place, every other member copied as its compressed bytes: what a caller of
    either binding would have to do for reproducible files, since neither lets it set the
    dates (rust_xlsxwriter itself can).  The ZIP layout is APPNOTE.TXT's (local header 4.3.7,
    data descriptor 4.3.9, central directory 4.3.12, end record 4.3.16); ZIP64 and archive
    comments are refused (rust_xlsxwriter writes neither below 4 GB)."""
    data = path.read_bytes()
    end = data.rfind(b"PK\x05\x06")
    if end < 0 or len(data) != end + 22:
        raise ValueError(f"{path}: no plain end-of-central-directory record")
    n, cd_size, cd_off = struct.unpack_from("<HII", data, end + 10)
    out = bytearray()
    central = bytearray()
    pos = cd_off
    for _ in range(n):
        if data[pos:pos + 4] != b"PK\x01\x02":
            raise ValueError(f"{path}: broken central directory")
        flags, method = struct.unpack_from("<HH", data, pos + 8)
        crc, csize, usize, nlen, xlen, clen = struct.unpack_from("<IIIHHH", data, pos + 16)
        local = struct.unpack_from("<I", data, pos + 42)[0]
        name = data[pos + 46:pos + 46 + nlen].decode("utf-8")
        record = bytearray(data[pos:pos + 46 + nlen + xlen + clen])
        pos += len(record)
        lnlen, lxlen = struct.unpack_from("<HH", data, local + 26)
        start = local + 30 + lnlen + lxlen
        stop = start + csize
        if flags & 0x08:  # a data descriptor follows the data, with or without its signature
            stop += 16 if data[stop:stop + 4] == b"PK\x07\x08" else 12
        struct.pack_into("<I", record, 42, len(out))
        if name == _CORE and method == 8:
            xml = _W3CDTF.sub(lambda m: m.group(1) + stamp + m.group(2), zlib.decompress(data[start:start + csize], -15))
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            body = packer.compress(xml) + packer.flush()
            crc, csize, usize = zlib.crc32(xml), len(body), len(xml)
            head = bytearray(data[local:start])
            struct.pack_into("<H", head, 6, flags & ~0x08)
            struct.pack_into("<III", head, 14, crc, csize, usize)
            struct.pack_into("<H", record, 8, flags & ~0x08)
            struct.pack_into("<III", record, 16, crc, csize, usize)
            out += head + body
        else:
            out += data[local:stop]
        central += record
    out += central + struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n, n, len(central), len(out), 0)
    path.write_bytes(bytes(out))


def values(path: Path) -> dict[str, list[list]]:
    """Every sheet's values as python-calamine reads them, with trailing empties dropped and
    integral floats / dates normalised so two writers' files compare cell by cell."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    out = {}
    for name in wb.sheet_names:
        rows = []
        for row in wb.get_sheet_by_name(name).to_python(skip_empty_area=False):
            norm = []
            for v in row:
                if isinstance(v, datetime) and v.time() == datetime.min.time():
                    v = v.date()
                if isinstance(v, int) and not isinstance(v, bool):
                    v = float(v)
                norm.append(None if v == "" else v)
            while norm and norm[-1] is None:
                norm.pop()
            rows.append(norm)
        while rows and not rows[-1]:
            rows.pop()
        out[name] = rows
    return out


def compare(a: Path, b: Path) -> str:
    va, vb = values(a), values(b)
    if list(va) != list(vb):
        return f"sheets differ: {list(va)} vs {list(vb)}"
    for name in va:
        if len(va[name]) != len(vb[name]):
            return f"{name}: {len(va[name])} rows vs {len(vb[name])}"
        for r, (x, y) in enumerate(zip(va[name], vb[name]), start=1):
            if x != y:
                return f"{name} row {r}: {x[:6]}… vs {y[:6]}…"
    return "equal"


def libreoffice_roundtrip(src: Path, work: Path) -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        return "soffice not installed"
    out = work / "lo"
    out.mkdir(exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        r = subprocess.run([exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                            "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(src)],
                           capture_output=True, text=True, timeout=1800)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    converted = out / src.name
    if r.returncode != 0 or not converted.exists():
        return f"LibreOffice failed: {r.stderr.strip()[-300:]}"
    return "opens; values after LibreOffice re-save: " + compare(src, converted)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="S2")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--limit", type=int, default=None, help="rows per sheet (default: all)")
    ap.add_argument("--libreoffice", action="store_true", help="also round-trip both files through LibreOffice")
    ap.add_argument("--one", choices=list(WRITERS), help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps({"seconds": WRITERS[args.one](args.scenario, Path(args.out), args.limit)}))
        return
    from contenders import typed_rows
    from run import measure

    typed_rows(args.scenario)  # build the cache outside the clock
    work = HERE / "data" / args.scenario / "work" / "rust_writer"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    runs: dict[str, list[dict]] = {name: [] for name in WRITERS}
    for i in range(args.repeat):
        k = i % len(WRITERS)
        for name in list(WRITERS)[k:] + list(WRITERS)[:k]:
            out = work / f"{name}.xlsx"
            argv = [sys.executable, __file__, "--one", name, "--scenario", args.scenario, "--out", str(out)]
            if args.limit:
                argv += ["--limit", str(args.limit)]
            m = measure(argv, work / f"run-{name}", 7200)
            if m["rc"] != 0:
                raise SystemExit(f"{name} failed: {m['stderr']}")
            secs = json.loads(m["stdout"].strip().splitlines()[-1])["seconds"]
            runs[name].append({"seconds": secs, "maxrss_mb": m["maxrss_mb"], "bytes": out.stat().st_size})
            print(f"[{i + 1}/{args.repeat}] {name:10s} {secs:.2f}s rss {m['maxrss_mb']:.0f} MB", file=sys.stderr)
    result = {"scenario": args.scenario, "limit": args.limit,
              "versions": {d: metadata.version(d) for d in ("XlsxWriter", "rustpy-xlsxwriter", "rvgsrust-xlsxwriter",
                                                            "python-calamine")},
              "cores": os.cpu_count()}
    for name, rs in runs.items():
        result[name] = {"median": statistics.median(r["seconds"] for r in rs),
                        "min": min(r["seconds"] for r in rs), "max": max(r["seconds"] for r in rs),
                        "maxrss_mb": max(r["maxrss_mb"] for r in rs), "bytes": rs[-1]["bytes"]}
    rust = [n for n in WRITERS if n != "xlsxwriter"]
    result["speedup_vs_xlsxwriter"] = {n: result["xlsxwriter"]["median"] / result[n]["median"] for n in rust}
    result["values_vs_xlsxwriter"] = {n: compare(work / "xlsxwriter.xlsx", work / f"{n}.xlsx") for n in rust}
    result["same_bytes_twice"] = {}
    for n in WRITERS:  # reproducible output? (xltools pins its files' dates so equal inputs give equal bytes)
        first, again = work / f"{n}-first.xlsx", work / f"{n}-again.xlsx"
        WRITERS[n](args.scenario, first, 1000)
        time.sleep(1.1)
        WRITERS[n](args.scenario, again, 1000)
        result["same_bytes_twice"][n] = first.read_bytes() == again.read_bytes()
    # With the dates pinned afterwards (pin_core_dates): reproducible? still intact? at what cost?
    result["same_bytes_twice_pinned"], result["pin_seconds"], result["pinned_values_equal"] = {}, {}, {}
    for n in rust:
        first, again = work / f"{n}-first.xlsx", work / f"{n}-again.xlsx"
        pin_core_dates(first)
        pin_core_dates(again)
        result["same_bytes_twice_pinned"][n] = first.read_bytes() == again.read_bytes()
        big = work / f"{n}.xlsx"
        before = values(big) if args.limit or args.scenario in ("S1", "S5") else None
        t0 = time.perf_counter()
        pin_core_dates(big)
        result["pin_seconds"][n] = time.perf_counter() - t0
        with zipfile.ZipFile(big) as zf:
            bad = zf.testzip()
            core = zf.read(_CORE)
        ok = bad is None and b"2000-01-01T00:00:00Z" in core and (before is None or values(big) == before)
        result["pinned_values_equal"][n] = "intact" if ok else f"damaged ({bad})"
    if args.libreoffice:
        result["libreoffice"] = {n: libreoffice_roundtrip(work / f"{n}.xlsx", work) for n in WRITERS}
    (HERE / "results").mkdir(exist_ok=True)
    tag = args.scenario + (f"-{args.limit}" if args.limit else "")
    (HERE / "results" / f"rust_writer-{tag}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
