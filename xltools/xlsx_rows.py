"""The form sheets' rows of the consolidated workbook, written as SpreadsheetML text and spliced
into the workbook XlsxWriter built (issue 7).

Why: at every scale the consolidated workbook's write is most of a merge's time, and nearly all
of it is XlsxWriter's work per cell (a decorated call, a cell tuple, an attribute list, a regular
expression per string, a format lookup), not the compression.  A form sheet's rows are simple —
text, numbers and dates, one style — so :func:`write_rows` writes them as XML text directly,
several times faster, and :func:`splice` puts them into the sheet XlsxWriter wrote with only its
header row.  Everything else in the workbook (styles, column widths, frozen header, print setup,
autofilter, the other sheets, the chart) is still XlsxWriter's.

The cells are written exactly as XlsxWriter writes them with ``constant_memory`` (inline strings,
``%.16G`` numbers, ``_xHHHH_`` escapes: ECMA-376 Part 1, §22.9.2.19 ST_Xstring), so the
workbook's bytes are the same as when XlsxWriter writes every cell
(tests/test_xlsx_rows.py compares them) — with two deliberate differences, both XlsxWriter
losing a value:

* a text that starts with ``<r>`` and ends with ``</r>`` is copied into the file unescaped by
  XlsxWriter, which takes it for its own rich-string markup, so a clerk's ``<r>见附件</r>``
  became an empty cell; here it is text like any other;
* the date 1900-01-01 is serial 0 in XlsxWriter (its "time without a date"), which Excel shows
  as 1900-01-00; here it is serial 1.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from xlsxwriter.utility import xl_col_to_name

#: Excel's 1900 date system (Microsoft, "Date systems in Excel"): from 1900-03-01 a date's serial
#: is its ordinal minus this; before it, Lotus 1-2-3's phantom 1900-02-29 is not counted.
EXCEL_EPOCH = date(1899, 12, 30).toordinal()
LAST_LOTUS_DAY = date(1900, 2, 28)
_LOTUS_EPOCH = datetime(1899, 12, 31)

#: Characters XML 1.0 cannot hold, removed from text; Excel's limit of a cell's text.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_STRMAX = 32767
#: A literal ``_xHHHH_`` in text, which Excel would read as an escape: its underscore is written
#: as ``_x005F_`` (ECMA-376 ST_Xstring; what Excel and XlsxWriter do).
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
#: Control characters XML keeps but a cell's text escapes (after clean_text only \r is left).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")

_TRUNCATED = "…（已截断）"


def clean_text(text: Any) -> str:
    """``text`` as a string an .xlsx cell can hold: characters XML 1.0 forbids removed, cut to
    Excel's 32,767 UTF-16 units with a visible 「…（已截断）」.  (``isprintable()`` is a fast C
    test that no such character is present; most text takes only that path.)"""
    s = "" if text is None else text if text.__class__ is str else str(text)
    if not s.isprintable():
        s = _ILLEGAL.sub("", s)
    if len(s) <= _EXCEL_STRMAX // 2:
        return s
    if len(s.encode("utf-16-le")) // 2 <= _EXCEL_STRMAX:
        return s
    budget, units = _EXCEL_STRMAX - len(_TRUNCATED), 0
    for i, ch in enumerate(s):  # characters beyond U+FFFF take two units
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > budget:
            return s[:i] + _TRUNCATED
    return s  # pragma: no cover - the loop always cuts a text over the limit


def inline_text(s: str) -> str:
    """The ``<t>`` element of an inline string for ``s`` (already :func:`clean_text`-ed):
    ``_xHHHH_`` escapes, then ``&``, ``<`` and ``>`` as entities, and ``xml:space="preserve"``
    when the text starts or ends with white space (else a reader may trim it)."""
    if s.isprintable():  # no control characters: only the ASCII space can be white space
        if "_x" in s:
            s = _LITERAL_ESCAPE.sub(r"_x005F\1", s)
        if "&" in s or "<" in s or ">" in s:
            s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if s and (s[0] == " " or s[-1] == " "):
            return f'<t xml:space="preserve">{s}</t>'
        return f"<t>{s}</t>"
    s = _LITERAL_ESCAPE.sub(r"_x005F\1", s)
    s = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", s)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if s[:1].isspace() or s[-1:].isspace():
        return f'<t xml:space="preserve">{s}</t>'
    return f"<t>{s}</t>"


def _number(value: float) -> str:
    text = f"{value:.16G}"
    if "N" in text:  # NAN, INF: XlsxWriter refuses them too (no such cell value in SpreadsheetML)
        raise TypeError(f"不能写入单元格的数值：{value!r}")
    return text


def excel_serial(value: datetime | date) -> float:
    """Excel's serial number (1900 date system) of a date or naive datetime: days since
    1899-12-31, plus one from 1900-03-01 for Lotus 1-2-3's phantom 1900-02-29, the time as the
    fraction of a day — the number XlsxWriter's ``write_datetime`` stores."""
    dt = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    delta = dt - _LOTUS_EPOCH
    serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86400
    return serial + 1 if serial > 59 else serial


def write_rows(path: str | Path, records: Iterable[tuple], n_fields: int,
               date_style: Callable[[], int]) -> int:
    """Write ``<row>`` elements for ``records`` to ``path`` (UTF-8), from sheet row 2.

    ``records``: ``(values in field order, unit code, unit name, file, sheet, row)`` as
    :meth:`xltools.merge.AcceptedRows.records` yields them; the row's cells are the ``n_fields``
    values, then the four provenance texts and the source row number.  Values: ``None`` (no
    cell); ``str`` (text); ``int``, ``float``, ``Decimal`` (a number); ``date`` / ``datetime``
    (a number with the date style, ``date_style()`` called at the first one so XlsxWriter
    numbers that style where it would have); ``bool`` (是/否); ``tuple``/``list`` (joined with
    、); anything else as its ``str``.  Returns the number of rows written.  Raises ``OSError``
    when the file cannot be written, ``TypeError`` for a NaN or infinite number."""
    cols = [xl_col_to_name(c) for c in range(n_fields + 5)]
    provenance_cols = cols[n_fields:n_fields + 4]
    row_col = cols[n_fields + 4]
    style: list[str] = []  # the date style's ' s="N"', once known
    provenance: dict[tuple, str] = {}
    n = 0
    with open(path, "w", encoding="utf-8", newline="", buffering=1 << 20) as fh:
        write = fh.write
        for i, (values, code, unit_name, file, sheet, source_row) in enumerate(records, start=2):
            r = str(i)
            out = [f'<row r="{r}">']
            add = out.append
            for c, v in enumerate(values):
                if v is None:
                    continue
                t = v.__class__
                if t is str:
                    add(f'<c r="{cols[c]}{r}" t="inlineStr"><is>{inline_text(clean_text(v))}</is></c>')
                elif t is int or t is Decimal or t is float:
                    add(f'<c r="{cols[c]}{r}"><v>{_number(float(v))}</v></c>')
                elif t is date and v > LAST_LOTUS_DAY:
                    if not style:
                        style.append(f' s="{date_style()}"')
                    add(f'<c r="{cols[c]}{r}"{style[0]}><v>{v.toordinal() - EXCEL_EPOCH}</v></c>')
                else:
                    add(_other_cell(f"{cols[c]}{r}", v, style, date_style))
            key = (code, unit_name, file, sheet)
            texts = provenance.get(key)
            if texts is None:
                texts = provenance[key] = [inline_text(clean_text(x)) for x in key]  # type: ignore[assignment]
            for col, text in zip(provenance_cols, texts):
                add(f'<c r="{col}{r}" t="inlineStr"><is>{text}</is></c>')
            add(f'<c r="{row_col}{r}"><v>{_number(float(source_row))}</v></c></row>')
            write("".join(out))
            n += 1
    return n


def _other_cell(ref: str, v: Any, style: list[str], date_style: Callable[[], int]) -> str:
    """A cell of the less common value types (see :func:`write_rows`)."""
    if isinstance(v, bool):
        text = "是" if v else "否"
    elif isinstance(v, (int, float, Decimal)):
        return f'<c r="{ref}"><v>{_number(float(v))}</v></c>'
    elif isinstance(v, (datetime, date)):
        if not style:
            style.append(f' s="{date_style()}"')
        return f'<c r="{ref}"{style[0]}><v>{_number(excel_serial(v))}</v></c>'
    elif isinstance(v, (tuple, list)):
        text = "、".join(v)
    else:
        text = str(v)
    return f'<c r="{ref}" t="inlineStr"><is>{inline_text(clean_text(text))}</is></c>'


class SheetRows:
    """A form sheet's rows written by :func:`write_rows` to a temporary file, waiting for
    :func:`splice`: the sheet's name, the file, how many rows and the sheet's last column."""

    def __init__(self, sheet: str, path: Path, n_rows: int, n_cols: int) -> None:
        self.sheet = sheet
        self.path = path
        self.n_rows = n_rows
        self.n_cols = n_cols


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part's name in the zip, from ``xl/workbook.xml`` and its relationships
    (ECMA-376 Part 1, §18.2.19–20), not from XlsxWriter's file naming."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.findall("p:Relationship", _NS)}
    parts = {}
    for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        parts[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return parts


_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def splice(built: Path, out: Path, sheets: Iterable[SheetRows]) -> None:
    """Write ``out``: the workbook ``built`` (XlsxWriter's, with only the header row on each of
    ``sheets``) with every member copied as it is, each of ``sheets`` given its rows before
    ``</sheetData>`` and its ``<dimension>`` widened to them.  Members keep XlsxWriter's order,
    names, dates, attributes and compression.  Raises ``OSError``; ``ValueError`` when a sheet
    is not in ``built`` or its XML has no header row to follow."""
    wanted = {s.sheet: s for s in sheets}
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as dst:
        parts = _sheet_parts(src)
        by_part = {}
        for name, rows in wanted.items():
            if name not in parts:
                raise ValueError(f"工作表「{name}」不在 {built} 中")
            by_part[parts[name]] = rows
        for info in src.infolist():
            rows = by_part.get(info.filename)
            if rows is None:
                dst.writestr(_copy_info(info), src.read(info))
            else:
                _splice_sheet(dst, info, src.read(info), rows)


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    copy.comment = info.comment
    return copy


def _splice_sheet(dst: zipfile.ZipFile, info: zipfile.ZipInfo, xml: bytes, rows: SheetRows) -> None:
    end = xml.find(b"</sheetData>")
    if end < 0 or not _DIMENSION.search(xml):
        raise ValueError(f"工作表「{rows.sheet}」的 XML 没有表头行，无法写入数据行")
    head, tail = xml[:end], xml[end:]
    if rows.n_rows:
        last = xl_col_to_name(rows.n_cols - 1)
        head = _DIMENSION.sub(f'<dimension ref="A1:{last}{rows.n_rows + 1}"/>'.encode(), head, count=1)
    copy = _copy_info(info)
    copy.file_size = len(head) + os.path.getsize(rows.path) + len(tail)
    with rows.path.open("rb") as body, dst.open(copy, "w") as fh:
        fh.write(head)
        shutil.copyfileobj(body, fh, 1 << 20)
        fh.write(tail)


def temp_rows_file(folder: str | Path | None = None) -> Path:
    """A new empty temporary file for :func:`write_rows` (the caller deletes it)."""
    fd, name = tempfile.mkstemp(prefix="xltools-rows-", suffix=".xml", dir=folder)
    os.close(fd)
    return Path(name)


__all__ = ["SheetRows", "clean_text", "excel_serial", "inline_text", "splice", "temp_rows_file", "write_rows"]
