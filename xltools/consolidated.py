"""The consolidated workbook (汇总表): write a :class:`~xltools.merge.Consolidation` with
XlsxWriter — the form sheets' rows as SpreadsheetML text through :mod:`xltools.xlsx_rows`, the
same bytes several times faster — and read one back for reports.

Sheets, in this order:

==============  ============================================================================
``汇总指标``      the figures (指标代码, 指标名称, 数值, 单位), then the counts
one per form    every accepted row (named as the form's sheet): the fields in definition order,
                typed (dates as dates, numbers as numbers, 是/否, names joined with 、), then the
                provenance columns 单位代码, 填报单位, 来源文件, 来源工作表, 来源行
``分单位统计``    one row per roster unit: rows per form and the per-unit figures, a total row,
                and a native bar chart of the first per-unit figure (posts per unit)
``报送情况``      the returns ledger: one row per roster unit, then one per superseded,
                unidentified or unreadable file
``问题清单``      one row per issue: 级别, 单位代码, 填报单位, 文件, 工作表, 单元格, 字段, 原值, 问题
``退回行``        every rejected row with its raw values and the reasons
``_data``       hidden: the figures JSON (``xltools merge --json``) and the column map, so
                :func:`read_consolidated` (and ``xltools report``) can read the workbook back
==============  ============================================================================

Every value from a return is written as data (``write_string`` for text; the workbook is
opened with ``strings_to_formulas=False``): a unit typing ``=1+1`` or ``@SUM(A1)`` never creates a
formula.  The file is written to a temporary name and renamed into place
(:func:`xltools._io.atomic_path`), with a pinned creation date so the same inputs give the
same bytes.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from ._io import atomic_path
from .errors import DataError, OutputError
from .figures import plain_number
from .forms import ROW_KEYS
from .layout import display_units
from .xlsx_rows import (
    SheetRows,
    clean_text,
    excel_serial,
    rich_looking,
    rich_run,
    splice,
    write_cell_rows,
    write_rows,
)
from .zip_writer import DeflatingSink, text_stream

SUMMARY_SHEET = "汇总指标"
PER_UNIT_SHEET = "分单位统计"
LEDGER_SHEET = "报送情况"
ISSUES_SHEET = "问题清单"
REJECTED_SHEET = "退回行"
DATA_SHEET = "_data"
PROVENANCE = ("单位代码", "填报单位", "来源文件", "来源工作表", "来源行")
PROVENANCE_KEYS = ROW_KEYS  # the rows' source, beside the fields (no field may be named so)
LEDGER_HEADER = ("单位代码", "单位名称", "状态", "文件", "采用行数", "退回行数", "错误数", "警告数", "联系人", "联系电话", "说明")
ISSUES_HEADER = ("级别", "单位代码", "填报单位", "文件", "工作表", "单元格", "字段", "原值", "问题")
COUNT_LABELS = {
    "units": "填报单位总数",
    "returned": "已报送单位",
    "missing": "未报送单位",
    "empty": "报回空表的单位",
    "unusable": "报送文件无法使用的单位",
    "files": "报送文件数",
    "superseded": "被替代的文件",
    "unreadable": "无法读取的文件",
    "unidentified": "无法识别的文件",
    "skipped": "跳过的临时/系统文件",
    "rows_read": "读取行数",
    "rows_accepted": "采用行数",
    "rows_rejected": "退回行数",
    "rows_superseded": "被替代文件中未计入的行数",
    "errors": "错误",
    "warnings": "警告",
}
_CHUNK = 30000
_PINNED = datetime(2000, 1, 1)


def _clean(text: Any) -> str:
    """``text`` as XlsxWriter is to write it in a cell: :func:`~xltools.xlsx_rows.clean_text`,
    and a text that XlsxWriter's ``constant_memory`` mode would copy into the file unescaped,
    taking it for a rich string (it starts with ``<r>`` and ends with ``</r>``: a clerk's
    ``<r>见附件</r>`` became an empty cell), given as the one-run rich string that shows it."""
    s = clean_text(text)
    return rich_run(s) if rich_looking(s) else s


def _text(value: Any) -> str:
    """A text column's value as text whatever it holds (None as empty text, a number as its
    ``str``), as these columns were always written: a phone number never becomes 1.38E+10."""
    return value if value.__class__ is str else "" if value is None else str(value)


def _records(form, rows) -> Iterator[tuple]:
    """``rows`` (:class:`~xltools.merge.AcceptedRows` or a plain list of rows) as
    ``(values in field order, unit code, unit name, file, sheet, row)`` tuples."""
    if hasattr(rows, "records"):
        return rows.records()
    names = [f.name for f in form.fields]
    return ((r.field_values(names), r.unit_code, r.unit_name, r.file, r.sheet, r.row) for r in rows)


def _write_form_rows(ws, n: int, records: Iterator[tuple], cell, f_date, first: int = 1) -> None:
    """Accepted rows of a form with ``n`` fields, from 0-based sheet row ``first``, every cell
    through XlsxWriter: the fields in definition order, then the provenance columns.  The
    reference for :func:`xltools.xlsx_rows.write_rows`, which writes the same bytes several
    times faster; here it writes a form sheet's last row, and every row should XlsxWriter
    stop numbering styles as :func:`_fill_book` expects."""
    write_string, write_number = ws.write_string, ws.write_number
    provenance: dict[tuple[str, str, str, str], tuple[str, str, str, str]] = {}
    for i, (values, code, unit_name, file, sheet, source_row) in enumerate(records, start=first):
        for c, v in enumerate(values):
            if v is None:
                continue
            t = v.__class__
            if t is str:
                write_string(i, c, _clean(v))
            elif t is int or t is Decimal or t is float:
                write_number(i, c, float(v))
            elif t is date or t is datetime:
                write_number(i, c, excel_serial(v), f_date)
            else:
                cell(ws, i, c, v)
        key = (code, unit_name, file, sheet)
        shown = provenance.get(key)
        if shown is None:
            shown = provenance[key] = tuple(_clean(x) for x in key)  # type: ignore[assignment]
        write_string(i, n, shown[0])
        write_string(i, n + 1, shown[1])
        write_string(i, n + 2, shown[2])
        write_string(i, n + 3, shown[3])
        write_number(i, n + 4, source_row)


def write_consolidated(consolidation, out: str | Path) -> Path:
    """Write ``consolidation`` (a :class:`~xltools.merge.Consolidation`) to ``out`` (.xlsx),
    atomically.  Returns the path.  Raises :class:`~xltools.errors.OutputError` when the file
    cannot be written, or the temporary folder (``TMPDIR``) that holds the rows on their way
    there (a full disk: the message names that folder, not the output)."""
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise OutputError(f"{out}：汇总表须保存为 .xlsx 文件")
    try:
        with atomic_path(out) as tmp:
            _write(consolidation, tmp)
    except (OSError, FileCreateError) as exc:
        raise OutputError(f"{out}：无法写入汇总表（{_os_error(exc)}）") from None
    return out


def _os_error(exc: BaseException) -> BaseException:
    """The OSError behind ``exc``: XlsxWriter's ``close()`` wraps any OSError in its own
    ``FileCreateError``, which is not an OSError."""
    return exc.args[0] if isinstance(exc, FileCreateError) and exc.args else exc


#: Excel's last row; a form sheet holds the header plus at most this many minus one rows.
EXCEL_MAX_ROWS = 1_048_576


#: Write the form sheets' rows with :func:`xltools.xlsx_rows.write_rows` (else every cell
#: through XlsxWriter, as :func:`_write_form_rows` does; the tests compare the two).
_ROWS_AS_XML = True


def _write(cons, path: Path) -> None:
    """Write the workbook to ``path``.  XlsxWriter's temporary files and the rows of the sheets
    written as text go to a private scratch folder, removed whatever happens.  With
    :data:`_ROWS_AS_XML`, XlsxWriter writes the workbook into that folder with only the header
    and the last row on the sheets with many rows; the rows between are written as text,
    deflated on a second thread as they are written (:class:`~xltools.zip_writer.DeflatingSink`:
    zlib works without holding the GIL, so compression, a third of the write, overlaps it), and
    :func:`~xltools.xlsx_rows.splice` joins them into ``path``."""
    try:
        folder = tempfile.TemporaryDirectory(prefix="xltools-write-", ignore_cleanup_errors=True)
    except OSError as exc:
        raise _scratch_error(Path(tempfile.gettempdir()), exc) from None
    with folder:
        scratch = Path(folder.name)
        pending: list[SheetRows] = []
        built = scratch / "built.xlsx" if _ROWS_AS_XML else path
        try:
            _write_book(cons, built, scratch, pending)
        except (OSError, FileCreateError) as exc:
            if built == path:
                raise
            # only the scratch folder was being written: say so, not that the output is at fault
            raise _scratch_error(scratch.parent, _os_error(exc)) from None
        if built != path:
            splice(built, path, pending)


def _scratch_error(folder: Path, cause: BaseException) -> OutputError:
    return OutputError(
        f"临时文件夹 {folder} 写入出错（{getattr(cause, 'strerror', None) or cause}），汇总表没有写出；"
        "请清理该磁盘的空间，或用环境变量 TMPDIR 指定另一个文件夹后重试"
    )


def _write_book(cons, path: Path, scratch: Path, pending: list[SheetRows]) -> None:
    """The workbook through XlsxWriter (its temporary files in ``scratch``); the rows of the
    sheets with many rows appended to ``pending`` (deflated into ``scratch``) or, without
    :data:`_ROWS_AS_XML`, written by XlsxWriter."""
    d = cons.definition
    for form in d.forms:
        n = len(cons.rows.get(form.name, []))
        if n + 1 > EXCEL_MAX_ROWS:
            # XlsxWriter would drop the rows past the last one with only a -1 return code.
            raise OutputError(
                f"{form.sheet}有 {n} 行，超过 Excel 单个工作表 {EXCEL_MAX_ROWS - 1} 行的上限，"
                "无法写入一份汇总表；请按地区或批次分别汇总"
            )
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd",
            "tmpdir": str(scratch),
        },
    )
    try:
        _fill_book(cons, wb, pending, scratch)
        wb.close()
    except BaseException:
        for ws in wb.worksheets():  # XlsxWriter's open row files, so the folder can go
            fh = getattr(ws, "row_data_fh", None)
            if fh is not None:
                fh.close()
        raise


#: Column widths (Excel's character units) that one A4 landscape page holds at about 70 %:
#: 10.3 inches between XlsxWriter's default margins are about 140 characters at 100 %.
_PRINT_WIDTH = 200


def _fill_book(cons, wb, pending: list[SheetRows], scratch: Path) -> None:
    d = cons.definition
    created = cons.saved_at.astimezone(timezone.utc).replace(tzinfo=None) if cons.saved_at else _PINNED
    wb.set_properties({"title": f"{d.title} 汇总表", "subject": d.title, "author": "xltools",
                       "comments": "由 xltools merge 生成", "created": created})
    f_head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "vcenter"})
    f_date = wb.add_format({"num_format": "yyyy-mm-dd"})
    f_total = wb.add_format({"bold": True, "top": 1})
    f_err = wb.add_format({"font_color": "#C00000", "bold": True, "valign": "top"})
    f_warn = wb.add_format({"font_color": "#9C5700", "valign": "top"})
    f_top = wb.add_format({"valign": "top"})
    f_wrap = wb.add_format({"text_wrap": True, "valign": "top"})

    def header(ws, labels, widths):
        for c, (label, w) in enumerate(zip(labels, widths)):
            ws.write_string(0, c, label, f_head)
            ws.set_column(c, c, w)
        ws.freeze_panes(1, 0)
        # Printable as the committee prints: A4 landscape, header on every page, one page wide
        # unless that would shrink the text below about 70 % (a form of ten fields and the five
        # source columns printed at 5.6 pt): then as many pages wide as keep it readable, the
        # first column (the post's name, the unit) repeated on each.
        ws.set_paper(9)
        ws.set_landscape()
        pages = max(1, math.ceil(sum(widths) / _PRINT_WIDTH))
        ws.fit_to_pages(pages, 0)
        ws.repeat_rows(0)
        if pages > 1:
            ws.repeat_columns(0)
        ws.set_footer(f"&L{d.title} 汇总表&C&A&R第 &P 页，共 &N 页")

    def cell(ws, r, c, value, fmt=None):
        if value is None:
            return
        if isinstance(value, bool):
            ws.write_string(r, c, "是" if value else "否", fmt)
        elif isinstance(value, (int, float, Decimal)):
            ws.write_number(r, c, float(value), fmt)
        elif isinstance(value, (datetime, date)):  # not write_datetime: 1900-01-01 is serial 1, not 0
            ws.write_number(r, c, excel_serial(value), fmt or f_date)
        elif isinstance(value, (tuple, list)):
            ws.write_string(r, c, _clean("、".join(value)), fmt)
        else:
            ws.write_string(r, c, _clean(value), fmt)

    # 1. 汇总指标 ------------------------------------------------------------------------------
    ws = wb.add_worksheet(SUMMARY_SHEET)
    header(ws, ("指标代码", "指标名称", "数值", "单位"), (18, 28, 14, 8))
    r = 1
    for fig in d.figures:
        ws.write_string(r, 0, fig.name)
        ws.write_string(r, 1, fig.label)
        cell(ws, r, 2, cons.figures.get(fig.name))
        ws.write_string(r, 3, fig.unit)
        r += 1
    r += 1
    ws.write_string(r, 0, "报送与核对", f_head)
    ws.write_string(r, 1, "", f_head)
    ws.write_string(r, 2, "", f_head)
    ws.write_string(r, 3, "", f_head)
    r += 1
    for key, label in COUNT_LABELS.items():
        ws.write_string(r, 0, key)
        ws.write_string(r, 1, label)
        ws.write_number(r, 2, cons.counts.get(key, 0))
        r += 1
    ws.autofilter(0, 0, len(d.figures), 3)

    # Rows as text need the styles' numbers as XlsxWriter gives them (a private method).
    as_text = _ROWS_AS_XML and callable(getattr(f_date, "_get_xf_index", None))

    def as_text_rows(ws, write: Callable[..., int], *args: Any) -> int:
        """``write(stream, *args)`` the rows of the sheet just added (``ws``) to a stream
        deflated on a second thread, to be spliced in (:func:`splice`); returns how many it
        wrote."""
        position = len(wb.worksheets()) - 1
        sink = DeflatingSink(scratch / f"rows-{position}.deflate")
        n = write(text_stream(sink), *args)
        pending.append(SheetRows(position, ws.name, None, n, lambda: sink.deflated))
        return n

    # 2. one sheet per form ------------------------------------------------------------------------
    for form in d.forms:
        ws = wb.add_worksheet(form.sheet)
        labels = [f.label for f in form.fields] + list(PROVENANCE)
        widths = [min(max(f.width or 12, 8), 50) for f in form.fields] + [9, 14, 36, 16, 7]
        header(ws, labels, widths)
        rows = cons.rows.get(form.name, [])
        records = _records(form, rows)
        first = 1
        if as_text and len(rows) > 1:
            # every row but the last as text; XlsxWriter writes the last (see xlsx_rows)
            first = 1 + as_text_rows(ws, write_rows, islice(records, len(rows) - 1), len(form.fields),
                                     f_date._get_xf_index)
        _write_form_rows(ws, len(form.fields), records, cell, f_date, first)
        ws.autofilter(0, 0, max(len(rows), 1), len(labels) - 1)

    def rows_of(ws, n: int, specs: Iterator[tuple[list[tuple[int, Any, Any]], Any, float | None]]) -> None:
        """Sheet rows 1 to ``n`` of ``ws`` from ``specs`` (per row: ``(cells, row format,
        height)``, cells ``(column, value, format)``), as ``set_row`` and ``cell`` would write
        them; all but the last written as text and spliced in (:func:`write_cell_rows`, the same
        bytes), the last through XlsxWriter, which then sizes the sheet and numbers the styles
        as when it writes every row."""
        first = 1
        if as_text and n > 1:
            as_text_rows(ws, write_cell_rows, ((i, *spec) for i, spec in zip(range(1, n), specs)), _xf_index,
                         f_date, ws.default_row_height, ws.original_row_height)
            first = n
        for i, (cells, row_format, height) in enumerate(specs, start=first):
            if row_format is not None or height is not None:
                ws.set_row(i, height, row_format)
            for c, v, fmt in cells:
                cell(ws, i, c, v, fmt)

    # 3. 分单位统计 -----------------------------------------------------------------------------------
    ws = wb.add_worksheet(PER_UNIT_SHEET)
    per_figs = [f for f in d.figures if f.per_unit]
    labels = ["单位代码", "单位名称"] + [f"{f.title}行数" for f in d.forms] + [f.label for f in per_figs]
    header(ws, labels, [9, 16] + [12] * (len(labels) - 2))
    totals = [Decimal(0)] * (len(labels) - 2)

    def per_unit_rows():
        for unit in cons.roster:
            counts = cons.form_counts.get(unit.code, {})
            figures = cons.per_unit.get(unit.code, {})
            values = [counts.get(f.name, 0) for f in d.forms] + [figures.get(f.name, 0) for f in per_figs]
            for c, v in enumerate(values):
                totals[c] += Decimal(str(v or 0))
            yield ([(0, _text(unit.code), None), (1, _text(unit.name), None),
                    *((c, v, None) for c, v in enumerate(values, start=2))], None, None)

    n_units = len(cons.roster)
    rows_of(ws, n_units, per_unit_rows())
    ws.write_string(n_units + 1, 0, "合计", f_total)
    ws.write_string(n_units + 1, 1, "", f_total)
    for c, v in enumerate(totals):
        cell(ws, n_units + 1, c + 2, plain_number(Decimal(v)), f_total)
    if per_figs and 0 < n_units <= 200:
        col = 2 + len(d.forms)
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({
            "name": per_figs[0].label,
            "categories": [PER_UNIT_SHEET, 1, 1, n_units, 1],
            "values": [PER_UNIT_SHEET, 1, col, n_units, col],
            "fill": {"color": "#C00000"},
        })
        chart.set_title({"name": f"各单位{per_figs[0].label}"})
        chart.set_legend({"none": True})
        # every unit labelled (Excel and LibreOffice skip every other one of 48 by default), and
        # a count's axis in whole numbers (not 0, 0.5, 1, 1.5 …): a newcomer's review
        shown = [cons.per_unit.get(u.code, {}).get(per_figs[0].name) or 0 for u in cons.roster]
        x_axis: dict = {"num_font": {"size": 8}}
        if all(float(v).is_integer() for v in shown):
            x_axis["num_format"] = "0"
            if max(shown, default=0) <= 10:
                x_axis["major_unit"] = 1
        chart.set_x_axis(x_axis)
        chart.set_y_axis({"reverse": True, "num_font": {"size": 8}, "interval_unit": 1})
        chart.set_size({"width": 520, "height": max(320, 20 * n_units + 80)})
        ws.insert_chart(1, len(labels) + 1, chart)
    ws.autofilter(0, 0, n_units, len(labels) - 1)

    # 4. 报送情况 ------------------------------------------------------------------------------------
    ws = wb.add_worksheet(LEDGER_SHEET)
    header(ws, LEDGER_HEADER, (9, 16, 10, 44, 9, 9, 8, 8, 10, 15, 40))
    rows_of(ws, len(cons.ledger), (
        ([(0, _text(e.code), None), (1, _text(e.name), None),
          (2, _text(e.status), f_err if e.status in ("有错误", "无法读取", "无法识别", "未报送") else None),
          (3, "；".join(e.files), None), (4, e.accepted, None), (5, e.rejected, None), (6, e.errors, None),
          (7, e.warnings, None), (8, _text(e.contact), None), (9, _text(e.phone), None), (10, _text(e.reason), None)],
         None, None)
        for e in cons.ledger))
    ws.autofilter(0, 0, max(len(cons.ledger), 1), len(LEDGER_HEADER) - 1)

    # 5. 问题清单 -------------------------------------------------------------------------------------
    ws = wb.add_worksheet(ISSUES_SHEET)
    header(ws, ISSUES_HEADER, (6, 9, 14, 40, 16, 8, 14, 20, 70))
    rows_of(ws, len(cons.issues), (
        # row-level issues name the row; wrapped messages print whole (the row's height)
        ([(0, issue.level, f_err if issue.is_error else f_warn), (1, _text(issue.unit_code), None),
          (2, _text(issue.unit_name), None), (3, _text(issue.file), None), (4, _text(issue.sheet), None),
          (5, issue.cell or (f"第{issue.row}行" if issue.row else ""), None), (6, _text(issue.field), None),
          (7, _text(issue.raw), None), (8, _text(issue.message), f_wrap)], f_top, _wrapped_height(issue.message, 70))
        for issue in cons.issues))
    ws.autofilter(0, 0, max(len(cons.issues), 1), len(ISSUES_HEADER) - 1)

    # 6. 退回行 ---------------------------------------------------------------------------------------
    ws = wb.add_worksheet(REJECTED_SHEET)
    header(ws, ("表", "单位代码", "填报单位", "来源文件", "来源工作表", "来源行", "退回原因", "原始内容"),
           (16, 9, 14, 40, 16, 7, 50, 80))
    titles = {f.name: f.title for f in d.forms}

    def rejected_rows():
        for row in cons.rejected:
            reasons = "；".join(f"{x.cell + ' ' if x.cell else ''}{x.message}" for x in row.issues if x.is_error)
            raw = "；".join(f"{k}：{v}" for k, v in row.raw_items() if v not in ("", None))
            yield ([(0, _text(titles.get(row.form, row.form)), None), (1, _text(row.unit_code), None),
                    (2, _text(row.unit_name), None), (3, _text(row.file), None), (4, _text(row.sheet), None),
                    (5, row.row, None), (6, reasons, f_wrap), (7, raw, f_wrap)],
                   f_top, max(_wrapped_height(reasons, 50), _wrapped_height(raw, 80)))

    rows_of(ws, len(cons.rejected), rejected_rows())
    ws.autofilter(0, 0, max(len(cons.rejected), 1), 7)

    # 7. _data (hidden) ------------------------------------------------------------------------------
    ws = wb.add_worksheet(DATA_SHEET)
    payload = cons.json_parts()
    payload["columns"] = {
        form.name: {"sheet": form.sheet, "fields": [[f.name, f.type] for f in form.fields]}
        for form in d.forms
    }
    # Encoded piece by piece, unit by unit, and written in cells of _CHUNK characters as it
    # comes: a roster of 5,000 units makes megabytes of text, and thousands of dicts, that never
    # need to exist whole (issue 7).
    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_json_default)
    for i, chunk in enumerate(_chunked(_encode_streaming(encoder, payload), _CHUNK)):
        ws.write_string(i, 0, chunk)
    del payload
    ws.hide()


def _encode_streaming(encoder: json.JSONEncoder, payload: dict[str, Any]):
    """The text of ``encoder.iterencode(payload)``, piece by piece, for a dict whose values may
    be iterators: each is encoded as a JSON array, item by item, without being made a list.
    ``encoder`` must sort keys and not indent: then the text is the same as for the dict with
    those iterators made lists (json's documented output; tested in
    test_consolidated_streaming.py)."""
    assert encoder.sort_keys and encoder.indent is None
    sep, colon = encoder.item_separator, encoder.key_separator
    yield "{"
    for n, key in enumerate(sorted(payload)):
        if not isinstance(key, str):  # json would write it as a string; this payload never has one
            raise TypeError(f"_data keys are text, got {key!r}")
        yield (sep if n else "") + encoder.encode(key) + colon
        value = payload[key]
        if isinstance(value, Iterator):
            yield "["
            for k, item in enumerate(value):
                if k:
                    yield sep
                yield from encoder.iterencode(item)
            yield "]"
        else:
            yield from encoder.iterencode(value)
    yield "}"


def _chunked(pieces, size: int):
    """The concatenation of ``pieces`` cut into strings of ``size`` characters (the last may be
    shorter; one empty string when there is no text), without building the whole text."""
    buf: list[str] = []
    n = 0
    emitted = False
    for piece in pieces:
        buf.append(piece)
        n += len(piece)
        if n >= size:
            text = "".join(buf)
            cut = len(text) - len(text) % size
            for i in range(0, cut, size):
                yield text[i : i + size]
            emitted = True
            rest = text[cut:]
            buf, n = ([rest], len(rest)) if rest else ([], 0)
    if n or not emitted:
        yield "".join(buf)


def _xf_index(fmt) -> int:
    """An XlsxWriter format's number in the workbook's styles, numbered at its first use (the
    private method XlsxWriter calls as it writes a cell; :func:`_fill_book` checks it exists)."""
    return fmt._get_xf_index()


def _wrapped_height(text: str, width: float) -> float:
    """Row height (points) for ``text`` wrapped in a column ``width`` characters wide (a CJK
    character counts two): Excel and LibreOffice do not grow rows written by XlsxWriter."""
    lines = max(1, -(-display_units(_clean(text)) // int(width)))
    return min(409, 15 * lines + 2)


def _json_default(o: Any) -> Any:
    if isinstance(o, Decimal):
        return plain_number(o)
    if isinstance(o, (date, datetime)):
        return o.isoformat()
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def figures_json(consolidation) -> str:
    """The figures JSON text (``xltools merge --json``), UTF-8, keys sorted, indented."""
    return json.dumps(consolidation.to_json(), ensure_ascii=False, indent=2, sort_keys=True, default=_json_default) + "\n"


def write_figures_json(consolidation, out: str | Path) -> Path:
    """Write :func:`figures_json` to ``out`` atomically."""
    out = Path(out)
    with atomic_path(out) as tmp:
        tmp.write_text(figures_json(consolidation), encoding="utf-8")
    return out


def read_consolidated(path: str | Path, forms: Collection[str] | None = None, *,
                      lazy: bool = False) -> dict[str, Any]:
    """Read a consolidated workbook written by :func:`write_consolidated` back into the report
    data: the figures JSON's keys (``form``, ``round``, ``figures``, ``figure_info``,
    ``per_unit``, ``ledger``, ``counts``) plus ``forms``: form name → list of rows, each a dict
    of field name → value (str, int, float, ``datetime.date``, bool; names as ``"张明、李华"``)
    plus ``unit_code``, ``unit_name``, ``source_file``, ``source_sheet``, ``source_row``.

    ``forms``: the form names whose rows to read (default: every form); the other forms' sheets
    are not parsed (:func:`xltools.readers.read_return` with ``sheets``) and are absent from
    ``forms`` — a report that needs the figures and the top ten of a city's 1,000,000 rows reads
    the 100,000 it uses (issue 7).

    ``lazy=True``: ``forms`` is a :class:`FormRows` holding every form of the workbook, each
    form's rows read when first used; the forms named by ``forms`` (default: every form) are
    read at once, in one pass.

    Raises :class:`~xltools.errors.DataError` when the file is not an xltools consolidated
    workbook (when ``lazy``, also on first use of a form whose sheet cannot be read)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}：文件不存在")
    stamp = _stamp(p)
    book = _read_sheets(p, None if forms is None and not lazy else (DATA_SHEET,))
    data_sheet = book.sheet(DATA_SHEET)
    if data_sheet is None:
        raise DataError(f"{p}：不是 xltools 生成的汇总表（缺少 {DATA_SHEET} 工作表），请用 xltools merge 的输出")
    try:
        payload = json.loads("".join(str(r[0]) for r in data_sheet.rows if r and r[0] not in (None, "")))
        columns = payload.pop("columns", {})
        if not isinstance(columns, dict) or not all(
                isinstance(spec, dict) and isinstance(spec.get("sheet"), str) and isinstance(spec.get("fields"), list)
                for spec in columns.values()):
            raise ValueError("columns")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _incomplete(p, exc) from None
    if forms is None and not lazy:  # every sheet came in the one pass
        payload["forms"] = _form_rows(p, book, columns)
        return payload
    # the form sheets wanted, in a second pass (the _data sheet names them)
    rows = FormRows(p, columns, stamp)
    rows.load(columns if forms is None else forms)
    payload["forms"] = rows if lazy else {name: rows[name] for name in rows if name in rows.loaded}
    return payload


class FormRows(Mapping[str, list[dict[str, Any]]]):
    """The rows of a consolidated workbook's form sheets, form name → list of rows (as
    :func:`read_consolidated` gives them), each form's sheet read the first time the form is
    looked up: a report whose templates never reach the 办实事做好事登记表 (800,000 of a city's
    1,000,000 rows) never reads it (issue 7).  Made by ``read_consolidated(path, lazy=True)``.

    Iteration, ``len`` and ``in`` give the forms the workbook holds without reading any rows;
    :meth:`load` reads several forms in one pass over the file (each pass decompresses and
    checks the whole zip, about 3 s for a city's 100 MB workbook).  Loaded rows are kept.

    Raises :class:`~xltools.errors.DataError` on a lookup whose sheet cannot be read, or when
    the file changed since it was first read (the figures and the rows would not match)."""

    def __init__(self, path: Path, columns: dict[str, dict[str, Any]], stamp: tuple[int, int]) -> None:
        self._path = path
        self._columns = columns
        self._stamp = stamp
        self._rows: dict[str, list[dict[str, Any]]] = {}

    def __getitem__(self, name: str) -> list[dict[str, Any]]:
        rows = self._rows.get(name)
        if rows is None:
            if name not in self._columns:
                raise KeyError(name)
            self.load((name,))
            rows = self._rows[name]
        return rows

    def __contains__(self, name: object) -> bool:
        return name in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    # Printed or listed as a whole (``{{ forms }}``, ``forms.keys()``) it shows what the dict of
    # read_consolidated shows, every form read for it.
    def __repr__(self) -> str:
        return repr(self.copy())

    def keys(self):  # type: ignore[override]
        return self._columns.keys()

    def items(self):  # type: ignore[override]
        return self.copy().items()

    def values(self):  # type: ignore[override]
        return self.copy().values()

    def copy(self) -> dict[str, list[dict[str, Any]]]:
        """Every form's rows as a plain dict (the forms not read yet are read, in one pass)."""
        self.load(self._columns)
        return {name: self._rows[name] for name in self._columns}

    @property
    def loaded(self) -> frozenset[str]:
        """The forms whose rows have been read."""
        return frozenset(self._rows)

    def load(self, names: Collection[str]) -> None:
        """Read the rows of the forms ``names`` not read yet, in one pass (names the workbook
        does not hold are ignored)."""
        wanted = {n: self._columns[n] for n in self._columns if n in names and n not in self._rows}
        if not wanted:
            return
        if _stamp(self._path) != self._stamp:
            raise DataError(f"{self._path}：汇总表在读取期间被改动或替换，请重新运行 xltools report")
        book = _read_sheets(self._path, [spec["sheet"] for spec in wanted.values()])
        self._rows.update(_form_rows(self._path, book, wanted))


def _stamp(p: Path) -> tuple[int, int]:
    """``(size, mtime_ns)`` of ``p``; DataError when it is gone (deleted or moved meanwhile)."""
    try:
        st = p.stat()
    except OSError as exc:
        raise DataError(f"{p}：汇总表在读取期间被删除或移走（{exc.strerror or exc}），请重新运行 xltools report") from None
    return st.st_size, st.st_mtime_ns


def _incomplete(p: Path, exc: BaseException) -> DataError:
    return DataError(f"{p}：汇总表的内容不完整（{type(exc).__name__}: {exc}），请重新运行 xltools merge")


def _read_sheets(p: Path, sheets: Collection[str] | None) -> Any:
    """:func:`xltools.readers.read_return` of ``p`` (only ``sheets`` when given), a read error
    as a DataError."""
    from .errors import ReturnReadError
    from .readers import Limits, read_return

    try:
        # The safe reader (a corrupt file must not abort the process), with room for a city's
        # consolidated workbook: its form sheets hold every unit's rows, far past one return's caps.
        return read_return(p, Limits(**_CONSOLIDATED_LIMITS_ARGS), sheets=sheets)
    except ReturnReadError as exc:
        raise DataError(f"{p}：无法读取汇总表（{exc.reason}），请重新运行 xltools merge") from None


def _form_rows(p: Path, book: Any, columns: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The rows of the form sheets ``columns`` names in ``book``, as dicts.  Each raw row is
    dropped from the sheet as it is converted, so a sheet's values are held once, not twice
    (issue 7: a city's 800,000-row form)."""
    out: dict[str, list[dict[str, Any]]] = {}
    try:
        for form_name, spec in columns.items():
            fields = spec["fields"]
            sheet = book.sheet(spec["sheet"])
            if sheet is None:  # write_consolidated writes every form's sheet, even with no rows
                raise DataError(f"{p}：汇总表缺少工作表“{spec['sheet']}”（表单 {form_name}），请重新运行 xltools merge")
            rows = sheet.rows
            width = len(fields)
            out_rows = []
            for i in range(1, len(rows)):
                r = rows[i]
                rows[i] = None
                if not any(v not in (None, "") for v in r):
                    continue
                item: dict[str, Any] = {}
                for c, (name, ftype) in enumerate(fields):
                    item[name] = _typed(r[c] if c < len(r) else None, ftype)
                for k, key in enumerate(PROVENANCE_KEYS):
                    v = r[width + k] if width + k < len(r) else None
                    item[key] = int(v) if key == "source_row" and isinstance(v, float) else ("" if v is None else v)
                out_rows.append(item)
            del rows[1:]
            out[form_name] = out_rows
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _incomplete(p, exc) from None
    return out


_CONSOLIDATED_LIMITS_ARGS = {
    "max_file_bytes": 4 * 2**30,
    "max_uncompressed_bytes": 32 * 2**30,
    "max_cells_per_sheet": 1_048_576 * 64,
}


def _typed(v: Any, ftype: str) -> Any:
    if v is None or v == "":
        return None
    if ftype == "date":
        if isinstance(v, datetime):
            return v.date()
        return v
    if ftype == "integer" and isinstance(v, float):
        return int(v) if v.is_integer() else v
    if ftype == "decimal" and isinstance(v, (int, float)):
        return plain_number(v)
    if ftype == "boolean":
        return v == "是" if isinstance(v, str) else bool(v)
    if isinstance(v, float) and v.is_integer() and ftype in ("text", "names", "choice", "phone", "id_number"):
        return str(int(v))
    return v if not isinstance(v, str) else v


__all__ = [
    "DATA_SHEET",
    "FormRows",
    "ISSUES_SHEET",
    "LEDGER_SHEET",
    "PER_UNIT_SHEET",
    "SUMMARY_SHEET",
    "figures_json",
    "read_consolidated",
    "write_consolidated",
    "write_figures_json",
]
