"""The form sheets' rows of the consolidated workbook, written as SpreadsheetML text and spliced
into the workbook XlsxWriter built (issue 7).

Why: at every scale the consolidated workbook's write is most of a merge's time, and nearly all
of it is XlsxWriter's work per cell (a decorated call, a cell tuple, an attribute list, a regular
expression per string, a format lookup), not the compression.  A form sheet's rows are simple —
text, numbers and dates, one style — so :func:`write_rows` writes them as XML text directly,
several times faster.  XlsxWriter still writes each form sheet's header and its last row (so it
sizes the sheet and numbers the styles exactly as when it writes every row), and everything else
in the workbook (styles, column widths, frozen header, print setup, autofilter, the other
sheets, the chart); :func:`splice` puts the rows between the header and the last row.

The cells are written exactly as XlsxWriter writes them with ``constant_memory`` (inline strings,
``%.16G`` numbers, ``_xHHHH_`` escapes: ECMA-376 Part 1, §22.9.2.19 ST_Xstring), so the
workbook's bytes are the same as when XlsxWriter writes every cell
(tests/test_xlsx_rows.py compares them).  Two values XlsxWriter used to lose are written right
on both paths: a text that starts with ``<r>`` and ends with ``</r>``, which XlsxWriter copies
into the file unescaped as its own rich-string markup (a clerk's ``<r>见附件</r>`` became an
empty cell), and the date 1900-01-01, serial 0 in XlsxWriter's ``write_datetime`` (its "time
without a date", shown by Excel as 1900-01-00) and 1 here (:func:`excel_serial`).
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO
from xml.etree import ElementTree

from xlsxwriter.utility import xl_col_to_name

from .zip_writer import (
    Deflated,
    Member,
    crc32_combine,
    deflate_file,
    deflate_piece,
    raw_member,
    write_zip,
)

#: Excel's 1900 date system (Microsoft, "Date systems in Excel"): from 1900-03-01 a date's serial
#: is its ordinal minus this; before it, Lotus 1-2-3's phantom 1900-02-29 is not counted.
EXCEL_EPOCH = date(1899, 12, 30).toordinal()
LAST_LOTUS_DAY = date(1900, 2, 28)
_LOTUS_EPOCH = datetime(1899, 12, 31)

#: Characters XML 1.0 cannot hold (and lone surrogates, which UTF-8 cannot), removed from text;
#: Excel's limit of a cell's text.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_STRMAX = 32767
#: A literal ``_xHHHH_`` in text, which Excel would read as an escape: its underscore is written
#: as ``_x005F_`` (ECMA-376 ST_Xstring; what Excel and XlsxWriter do).
_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
#: Control characters XML keeps but a cell's text escapes (after clean_text only \r is left).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")

_TRUNCATED = "…（已截断）"
#: Texts up to this length need no check against the limit, even as rich-string markup with
#: every character an entity (``&amp;``, five times as long) and the markup's 14 characters.
_SHORT = (_EXCEL_STRMAX - 14) // 5


def clean_text(text: Any) -> str:
    """``text`` as a string an .xlsx cell can hold: characters XML 1.0 forbids removed, cut to
    Excel's 32,767 UTF-16 units with a visible 「…（已截断）」.  (``isprintable()`` is a fast C
    test that no such character is present; most text takes only that path.)

    A text shaped like rich-string markup (``<r>…</r>``) is also cut when the one-run rich
    string that shows it (:func:`inline_text`) would pass the limit: XlsxWriter measures that
    markup, not the text, and would cut it mid-tag."""
    s = "" if text is None else text if text.__class__ is str else str(text)
    if not s.isprintable():
        s = _ILLEGAL.sub("", s)
    if len(s) <= _SHORT:
        return s
    if len(s.encode("utf-16-le")) // 2 > _EXCEL_STRMAX:
        budget, units = _EXCEL_STRMAX - len(_TRUNCATED), 0
        for i, ch in enumerate(s):  # characters beyond U+FFFF take two units
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > budget:
                s = s[:i] + _TRUNCATED
                break
    if rich_looking(s) and len(rich_run(s).encode("utf-16-le")) // 2 > _EXCEL_STRMAX:
        s = s[:len(s) - len(_TRUNCATED) - 1] + _TRUNCATED  # no longer ends with </r>
    return s


def rich_looking(s: str) -> bool:
    """Whether XlsxWriter's ``constant_memory`` mode would take ``s`` for its own rich-string
    markup and copy it into the file unescaped (its worksheet ``_write_cell``)."""
    return s.startswith("<r>") and s.endswith("</r>")


def rich_run(s: str) -> str:
    """``s`` as one rich-text run (``<r><t>…</t></r>``, its ``&``, ``<`` and ``>`` as entities):
    the markup that shows a :func:`rich_looking` text as the text it is."""
    return f"<r><t>{_entities(s)}</t></r>"


def inline_text(s: str) -> str:
    """The content of an inline string's ``<is>`` for ``s`` (already :func:`clean_text`-ed):
    ``<t>`` with ``_xHHHH_`` escapes, then ``&``, ``<`` and ``>`` as entities, and
    ``xml:space="preserve"`` when the text starts or ends with white space (else a reader may
    trim it).  A text shaped like XlsxWriter's rich-string markup (``<r>…</r>``) is wrapped in
    one rich-text run, as :func:`xltools.consolidated._clean` makes XlsxWriter write it, so both
    give the same bytes."""
    if s.isprintable():  # no control characters: only the ASCII space can be white space
        if "_x" in s:
            s = _LITERAL_ESCAPE.sub(r"_x005F\1", s)
        if "&" in s or "<" in s or ">" in s:
            if rich_looking(s):
                return rich_run(s)
            s = _entities(s)
        if s and (s[0] == " " or s[-1] == " "):
            return f'<t xml:space="preserve">{s}</t>'
        return f"<t>{s}</t>"
    s = _LITERAL_ESCAPE.sub(r"_x005F\1", s)
    s = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", s)
    if rich_looking(s):
        return rich_run(s)
    s = _entities(s)
    if s[:1].isspace() or s[-1:].isspace():
        return f'<t xml:space="preserve">{s}</t>'
    return f"<t>{s}</t>"


def _entities(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: Texts up to this long are made into a cell's ``<t>`` once per distinct value (a write keeps at
#: most :data:`_SHORT_TEXTS` of them); integers below :data:`_EXACT_INT` in size are written as
#: their ``str``, which is what ``%.16G`` gives their float (exact below 2**53, no exponent below
#: 10**16).
_SHORT_TEXT = 24
_SHORT_TEXTS = 200_000
_EXACT_INT = 10**15


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


def write_rows(path: str | Path | TextIO, records: Iterable[tuple], n_fields: int,
               date_style: Callable[[], int]) -> int:
    """Write ``<row>`` elements for ``records`` to ``path`` (UTF-8; or to a text stream, closed
    when done: :func:`~xltools.zip_writer.text_stream`), from sheet row 2.

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
    short: dict[str, str] = {}  # a short text → its <t> element
    n = 0
    with _opened(path) as fh:
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
                    if len(v) <= _SHORT_TEXT:  # choices, departments, names: they repeat
                        text = short.get(v)
                        if text is None:
                            if len(short) >= _SHORT_TEXTS:
                                short.clear()
                            text = short[v] = inline_text(clean_text(v))
                    else:
                        text = inline_text(clean_text(v))
                    add(f'<c r="{cols[c]}{r}" t="inlineStr"><is>{text}</is></c>')
                elif t is int and -_EXACT_INT < v < _EXACT_INT:  # its %.16G text is its str
                    add(f'<c r="{cols[c]}{r}"><v>{v}</v></c>')
                elif t is int or t is Decimal or t is float:
                    add(f'<c r="{cols[c]}{r}"><v>{_number(float(v))}</v></c>')
                elif t is tuple:  # a names field's names
                    add(f'<c r="{cols[c]}{r}" t="inlineStr"><is>{inline_text(clean_text("、".join(v)))}</is></c>')
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
            number = source_row if source_row.__class__ is int and -_EXACT_INT < source_row < _EXACT_INT else _number(float(source_row))
            add(f'<c r="{row_col}{r}"><v>{number}</v></c></row>')
            write("".join(out))
            n += 1
    return n


def _opened(path: str | Path | TextIO) -> TextIO:
    """A text stream for :func:`write_rows` to write to: ``path`` opened (UTF-8, no newline
    translation, 1 MB buffer), or ``path`` itself when it is a stream already."""
    if isinstance(path, (str, os.PathLike)):
        return open(path, "w", encoding="utf-8", newline="", buffering=1 << 20)
    return path


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


#: Column letters of the first columns, which every sheet but a form's stays within.
_LETTERS = [xl_col_to_name(c) for c in range(64)]


def write_cell_rows(path: str | Path | TextIO, rows: Iterable[tuple[int, Sequence[tuple[int, Any, Any]], Any, float | None]],
                    style: Callable[[Any], int], date_format: Any, default_height: int, original_height: int) -> int:
    """Write ``<row>`` elements for ``rows`` of a sheet other than a form's (the ledger, the issue
    list, the rejected rows, the per-unit figures) to ``path`` (as :func:`write_rows`), byte for byte as
    XlsxWriter's ``constant_memory`` mode writes the same calls (its worksheet ``_write_row``
    and ``_write_cell``, XlsxWriter 3.x).

    Each row is ``(0-based sheet row, cells, row format, height in points)``, as
    ``set_row(row, height, row format)`` (when either is given) then one write per cell;
    ``cells`` are ``(0-based column, value, cell format)`` in column order.  Values as
    :func:`xltools.consolidated._fill_book`'s ``cell``: None (no cell); ``bool`` (是/否);
    ``int``, ``float``, ``Decimal`` (a number); ``date`` / ``datetime`` (a number with the cell's
    format, else ``date_format``); ``tuple``/``list`` (joined with 、); anything else as its
    ``str`` (an empty text too: ``write_string`` writes it).  A cell without a format takes the
    row's.  ``style(format)`` gives a
    format's number, called in the order XlsxWriter numbers them (row, then cells left to
    right).  ``default_height`` and ``original_height``: the worksheet's row heights in
    pixels.  Returns the number of rows written.  Raises ``OSError``; ``TypeError`` for a NaN or
    infinite number."""
    n = 0
    with _opened(path) as fh:
        write = fh.write
        for r, cells, row_format, height in rows:
            number = str(r + 1)
            attrs = f'<row r="{number}"'
            row_style = ""
            if row_format is not None:
                xf = style(row_format)
                row_style = f' s="{xf}"'
                attrs += (row_style if xf else "") + ' customFormat="1"'
            pixels = default_height if height is None else int(height * 4.0 / 3.0 + 0.5)
            if pixels != original_height or pixels != default_height:  # XlsxWriter's test
                attrs += f' ht="{pixels * 0.75:.16g}" customHeight="1"'
            out = []
            for c, v, fmt in cells:
                if v is None:
                    continue
                ref = (_LETTERS[c] if c < len(_LETTERS) else xl_col_to_name(c)) + number
                s = f' s="{style(fmt)}"' if fmt is not None else row_style
                if isinstance(v, bool):
                    v = "是" if v else "否"
                elif isinstance(v, (int, float, Decimal)):
                    out.append(f'<c r="{ref}"{s}><v>{_number(float(v))}</v></c>')
                    continue
                elif isinstance(v, (datetime, date)):
                    s = f' s="{style(fmt if fmt is not None else date_format)}"'
                    out.append(f'<c r="{ref}"{s}><v>{_number(excel_serial(v))}</v></c>')
                    continue
                elif isinstance(v, (tuple, list)):
                    v = "、".join(v)
                out.append(f'<c r="{ref}"{s} t="inlineStr"><is>{inline_text(clean_text(v))}</is></c>')
            if out:
                write(f"{attrs}>{''.join(out)}</row>")
            elif row_format is not None or height is not None:
                write(f"{attrs}/>")
            n += 1
    return n


class SheetRows:
    """A sheet's rows written by :func:`write_rows` or :func:`write_cell_rows`, waiting for
    :func:`splice`: the sheet's position among the workbook's sheets (0 for the first), its
    name (for messages), the file of their text and how many rows it holds (sheet rows 2 to
    ``n_rows + 1``).  ``deflated``, when given, returns the rows deflated (written through a
    :class:`~xltools.zip_writer.DeflatingSink`: then there is no text file, ``path`` is None);
    else :func:`splice` deflates the file itself."""

    def __init__(self, position: int, sheet: str, path: Path | None, n_rows: int,
                 deflated: Callable[[], Deflated] | None = None) -> None:
        self.position = position
        self.sheet = sheet
        self.path = path
        self.n_rows = n_rows
        self.deflated = deflated
        self._body: Deflated | None = None

    def body(self) -> Deflated:
        """The rows deflated (waiting for the other thread when it deflates them; deflated here
        at the first call otherwise).  Raises ``OSError``."""
        if self._body is None:
            if self.deflated is not None:
                self._body = self.deflated()
            elif self.path is not None:
                self._body = deflate_file(self.path, self.path.with_name(self.path.name + ".deflate"))
            else:
                raise ValueError(f"工作表「{self.sheet}」的数据行既没有文件也没有压缩结果")
        return self._body


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _sheet_parts(book: zipfile.ZipFile) -> list[str]:
    """The worksheets' part names in the zip, in the workbook's sheet order, from
    ``xl/workbook.xml`` and its relationships (ECMA-376 Part 1, §18.2.19–20), not from
    XlsxWriter's file naming.  (By position, not name: XlsxWriter leaves a tab in a sheet name
    unescaped, and an XML parser reads it back as a space.)"""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.findall("p:Relationship", _NS)}
    parts = []
    for sheet in workbook.iterfind("m:sheets/m:sheet", _NS):
        target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
        parts.append(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
    return parts


def splice(built: Path, out: Path, sheets: Iterable[SheetRows]) -> None:
    """Write ``out``: the workbook ``built`` with every member copied as it is stored, and each
    of ``sheets`` given its rows right after its header row.  In ``built`` (XlsxWriter's) such a
    sheet holds the header (row 1) and, when there are more rows, the last row only, numbered
    ``n_rows + 2``: XlsxWriter has then written the sheet's ``<dimension>`` and every style
    number as if it had written every row.  Members keep XlsxWriter's order, names, dates,
    attributes and compression; nothing is decompressed but the spliced sheets' skeletons, and
    their rows come deflated (:meth:`SheetRows.body`; :mod:`xltools.zip_writer`).  Raises
    ``OSError``; ``ValueError`` when a sheet is not in ``built`` or its XML is not laid out as
    described."""
    with zipfile.ZipFile(built) as src:
        parts = _sheet_parts(src)
        by_part = {}
        for rows in sheets:
            if not 0 <= rows.position < len(parts):
                raise ValueError(f"工作表「{rows.sheet}」不在 {built} 中")
            by_part[parts[rows.position]] = rows
        members = []
        for info in src.infolist():
            rows = by_part.get(info.filename)
            members.append(raw_member(built, info) if rows is None else _spliced(info, src.read(info), rows))
    with open(out, "wb") as fh:
        write_zip(fh, members)


def _spliced(info: zipfile.ZipInfo, xml: bytes, rows: SheetRows) -> Member:
    """The member for ``info``'s sheet with ``rows`` after its header row: the head and the tail
    deflated here, the rows as :meth:`SheetRows.body` deflated them, joined (see
    :mod:`xltools.zip_writer`)."""
    start = xml.find(b'<sheetData><row r="1"')
    end = xml.find(b"</row>", start) + len(b"</row>")
    after = xml[end:end + 40]
    if start < 0 or not after.startswith(f'<row r="{rows.n_rows + 2}"'.encode()):
        raise ValueError(f"工作表「{rows.sheet}」的 XML 不是表头行之后接最后一行，无法写入数据行")
    head, tail = xml[:end], xml[end:]
    body = rows.body()
    crc = zlib.crc32(tail, crc32_combine(zlib.crc32(head), body.crc, body.size))
    pieces = (deflate_piece(head, last=False), (body.path, 0, body.compressed), deflate_piece(tail, last=True))
    return Member(info.filename, info.date_time, info.external_attr, info.create_system, zipfile.ZIP_DEFLATED,
                  crc, len(head) + body.size + len(tail), pieces)


__all__ = ["SheetRows", "clean_text", "excel_serial", "inline_text", "rich_looking", "rich_run", "splice", "write_cell_rows",
           "write_rows"]
