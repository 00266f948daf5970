"""Feedback (退回修改与催报): after a merge, send each unit the cells it got wrong and list the
units that have not returned.

For every roster unit with error-level issues, :func:`feedback` writes a correction workbook
``<单位代码>_<单位名称>_退回修改.xlsx``: a copy of the unit's OWN return in which every problem
cell is filled red (错误) or yellow (警告) and carries a comment with the Chinese message, and
whose first sheet ``退回说明`` lists every issue (级别, 工作表, 单元格 as an internal hyperlink to
the cell, 字段, 原值, 问题) and what to do (deadline, contact).  Issues without a cell
(file-level) appear only in 退回说明.

* ``.xlsx``/``.xlsm`` returns are edited with openpyxl (DESIGN.md §4), so the unit's formatting,
  validation, protection and stamp (``_meta`` sheet, custom properties, identity line) are kept,
  and so are its pictures (openpyxl reads them through Pillow, a dependency for this) and
  charts; text boxes, shapes and macros are not (openpyxl drops them), and 退回说明 then says
  what the copy lacks, counted from the drawings of the return and of the copy.
* ``.xls``/``.ods``/``.csv`` returns (and an ``.xlsx`` openpyxl cannot open) become a fresh
  ``.xlsx`` from the same stamped template (:func:`xltools.generate.generate_workbook` for that
  unit) holding the unit's values as read, each at its own row and in its field's column (rows
  move down only when the return's data started above the template's first data row).

Either way the copy carries the unit's stamp, so when the unit sends it back it merges as that
unit.  Every marked cell is unlocked, so sheet protection never stops the clerk from fixing it.
The cells marked, with their previous fill, lock and comment, are recorded in a hidden sheet
``_feedback``: when a correction copy comes back still wrong, the next round first restores
those cells, so only the current problems are marked.

Units that have not returned are written to ``催报名单.xlsx`` (a title, then 单位代码, 单位名称, 联系人,
联系电话, 截止日期 — usable as a roster) and ``催报名单.txt`` (one unit per line, to paste into
a message).  Returns are never modified; every output is written atomically.
"""

from __future__ import annotations

import json
import re
import tempfile
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import xlsxwriter
from defusedxml.ElementTree import fromstring as _xml_fromstring
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.styles.colors import Color
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink

from . import stamp
from ._dates import chinese_date, iso_deadline
from ._io import atomic_path, prepare_dir, refuse_among_returns, safe_filename
from .errors import DataError, OutputError, XltoolsError
from .forms import FormDefinition, load_form_definition
from .generate import generate_workbook
from .issues import Issue
from .layout import wrapped_lines
from .merge import MISSING, Consolidation, Row, merge
from .readers import CellError, ReturnWorkbook, read_return
from .roster import Roster, Unit, load_roster

#: First sheet of a correction workbook, and the hidden sheet of the cells marked (defined in
#: :mod:`xltools.stamp`, beside the other sheets xltools writes, so merge knows them too).
NOTES_SHEET, MARKS_SHEET = stamp.NOTES_SHEET, stamp.MARKS_SHEET
#: Fill of a cell with an error (light red) and with only warnings (yellow), ARGB.
ERROR_FILL = "FFFF7C80"
WARNING_FILL = "FFFFFF00"
#: Author of the comments xltools adds.
COMMENT_AUTHOR = "xltools"
CHASE_XLSX = "催报名单.xlsx"
CHASE_TXT = "催报名单.txt"

_NOTES_HEADER = ("级别", "工作表", "单元格", "字段", "原值", "问题")
_NOTES_WIDTHS = (7, 18, 9, 16, 22, 72)
_MARKS_HEADER = ("sheet", "cell", "fill", "locked", "comment", "author")


@dataclass
class Correction:
    """One correction workbook written by :func:`feedback`.

    ``source``: the return as named in the issue list; ``path``: the workbook written;
    ``errors``/``warnings``: the unit's issues listed in its 退回说明; ``rebuilt``: True when the
    copy was made from the template (the return was .xls/.ods/.csv or not editable by openpyxl);
    ``marked``: ``(sheet, cell)`` in the copy → ``"error"`` or ``"warning"``."""

    unit: Unit
    source: str
    path: Path
    errors: int
    warnings: int
    rebuilt: bool
    marked: dict[tuple[str, str], str] = field(default_factory=dict)


@dataclass
class FeedbackResult:
    """What :func:`feedback` wrote: ``corrections`` in roster order, ``missing`` (the units not
    returned, roster order), the two 催报名单 files, the consolidation used and the deadline
    (ISO date, possibly empty) written into them."""

    out_dir: Path
    corrections: list[Correction]
    missing: list[Unit]
    chase_xlsx: Path
    chase_txt: Path
    consolidation: Consolidation
    deadline: str = ""

    @property
    def units_returned_for_correction(self) -> list[Unit]:
        seen: dict[str, Unit] = {}
        for c in self.corrections:
            seen.setdefault(c.unit.code, c.unit)
        return list(seen.values())

    @property
    def summary(self) -> str:
        """``退回修改 N 个单位，催报 M 个单位 → DIR``."""
        return (f"退回修改 {len(self.units_returned_for_correction)} 个单位，"
                f"催报 {len(self.missing)} 个单位 → {self.out_dir}")


# --------------------------------------------------------------------------- public API


def feedback(
    definition: FormDefinition | str | Path,
    roster: Roster | str | Path,
    returns: Iterable[str | Path],
    out_dir: str | Path,
    *,
    deadline: str = "",
    consolidation: Consolidation | None = None,
) -> FeedbackResult:
    """Write the correction workbooks and the 催报名单 of a collection round into ``out_dir``.

    ``definition``/``roster``/``returns`` as for :func:`xltools.merge.merge`, which is run here
    unless ``consolidation`` (the result of that merge) is given.  ``deadline``: ISO date
    (``2006-01-20``) for the corrections and the missing returns; empty means the round's own
    deadline from the stamp, if any.  ``out_dir`` is created when missing; it must not lie inside
    a folder of returns (the next merge would take the copies for returns).

    Returns a :class:`FeedbackResult`.  Raises :class:`~xltools.errors.OutputError` for an
    unusable ``out_dir``, :class:`~xltools.errors.XltoolsError` for a deadline that is not a
    date, :class:`~xltools.errors.DataError` for a ``consolidation`` already closed (before
    anything is written), and what :func:`~xltools.merge.merge` raises.
    """
    roots = [Path(r) for r in returns]
    deadline = iso_deadline(deadline)
    if consolidation is not None and consolidation.closed:
        # before the output folder is made: nothing is left behind for a call that cannot work
        raise DataError("汇总结果已关闭（close()），其中的数据行已删除；请重新汇总后再生成退回修改表")
    out = _prepare_out_dir(Path(out_dir), roots)
    if consolidation is None:
        if not isinstance(definition, FormDefinition):
            definition = load_form_definition(definition)
        if not isinstance(roster, Roster):
            roster = load_roster(roster)
        consolidation = merge(definition, roster, roots)
    cons = consolidation
    deadline = deadline or iso_deadline(cons.deadline, quiet=True)
    # Issues grouped by unit in one pass, and rows kept only for the files that get a
    # correction copy: a city's round has a million rows and thousands of units, of which a
    # few need correcting (issue 7: memory bounded by what is needed, not by the total).
    by_unit: dict[str, list[Issue]] = {}
    for i in cons.issues:
        by_unit.setdefault(i.unit_code, []).append(i)
    ledger = {e.code: e for e in cons.ledger if e.code}
    plan: list[tuple[Unit, str, list[Issue], Path]] = []
    for unit in cons.roster:
        entry = ledger.get(unit.code)
        if entry is None or entry.status == MISSING or not entry.files:
            continue
        issues = by_unit.get(unit.code, [])
        if not any(i.is_error for i in issues):
            continue
        used = list(entry.files)
        targets = [f for f in used if any(i.file == f for i in issues)] or used[:1]
        for n, source in enumerate(targets, start=1):
            mine = [i for i in issues if i.file == source]
            if n == 1:  # issues naming another file (e.g. a superseded copy) go with the first
                mine += [i for i in issues if i.file not in targets]
            suffix = "" if n == 1 else f"_{n}"
            target = out / (safe_filename(f"{unit.code}_{unit.name}_退回修改{suffix}") + ".xlsx")
            plan.append((unit, source, mine, target))
    needed = {source for _unit, source, _mine, _target in plan}
    rows_of: dict[str, list[Row]] = {source: [] for source in needed}
    if needed:
        for form_rows in cons.rows.values():
            for r in form_rows.of_files(needed):  # only those returns' spill files are read
                rows_of[r.file].append(r)
        for r in cons.rejected:
            if r.file in needed:
                rows_of[r.file].append(r)
    corrections = [_write_correction(cons, unit, source, mine, rows_of[source], target, deadline)
                   for unit, source, mine, target in plan]
    missing = cons.missing_units
    chase_xlsx = write_chase_xlsx(missing, out / CHASE_XLSX, deadline, cons.definition.title)
    chase_txt = write_chase_txt(missing, out / CHASE_TXT, deadline, cons.definition.title)
    return FeedbackResult(out_dir=out, corrections=corrections, missing=missing, chase_xlsx=chase_xlsx,
                          chase_txt=chase_txt, consolidation=cons, deadline=deadline)


def write_chase_xlsx(units: Sequence[Unit], path: str | Path, deadline: str = "", title: str = "") -> Path:
    """Write the 催报名单 workbook: one sheet ``催报名单``, its title in row 1 (《title》催报名单,
    how many units), the header 单位代码, 单位名称, 联系人, 联系电话, 截止日期 in row 2 (it loads
    as a roster with :func:`xltools.roster.load_roster`, which looks past title rows) and one unit
    per row; the deadline is a date cell (blank when ``deadline`` is empty).  Prints on A4, one
    page wide, the title and header repeated on every page.  Written atomically with
    XlsxWriter; returns ``path``."""
    target = Path(path)
    labels, widths = ("单位代码", "单位名称", "联系人", "联系电话", "截止日期"), (10, 28, 12, 16, 12)
    with atomic_path(target) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False, "strings_to_urls": False})
        try:
            ws = wb.add_worksheet("催报名单")
            heading = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter",
                                     "text_wrap": True})
            head = wb.add_format({"bold": True, "border": 1, "bg_color": "#D9D9D9", "align": "center"})
            text = wb.add_format({"border": 1})
            day = wb.add_format({"border": 1, "num_format": "yyyy-mm-dd", "align": "center"})
            what = f"《{title}》" if title else ""
            title_text = f"{what}催报名单（{len(units)} 个单位）"
            ws.merge_range(0, 0, 0, len(labels) - 1, title_text, heading)
            # a long form title wraps within the page width (14 pt: about 1.3 times the units)
            ws.set_row(0, max(30, 20 * wrapped_lines(title_text, sum(widths), 14) + 6))
            for c, (label, width) in enumerate(zip(labels, widths)):
                ws.set_column(c, c, width)
                ws.write_string(1, c, label, head)
            when = date.fromisoformat(deadline) if deadline else None
            for r, u in enumerate(units, start=2):
                for c, value in enumerate((u.code, u.name, u.contact, u.phone)):
                    ws.write_string(r, c, value, text)
                if when:
                    ws.write_datetime(r, 4, when, day)
                else:
                    ws.write_blank(r, 4, None, text)
            ws.freeze_panes(2, 0)
            ws.set_paper(9)  # A4
            ws.fit_to_pages(1, 0)
            ws.center_horizontally()
            ws.repeat_rows(0, 1)
            ws.set_footer("&C第 &P 页，共 &N 页")
        finally:
            wb.close()
    return target


def write_chase_txt(units: Sequence[Unit], path: str | Path, deadline: str = "", title: str = "") -> Path:
    """Write the 催报名单 as plain text a clerk can paste into a message: one line per unit,
    ``D05 区纪委（联系人：张三，电话：0571-…）：请于2006年1月20日前报送《党员先锋岗工作台账》。``
    UTF-8 with BOM (old Windows Notepad reads it correctly) and CRLF line ends; empty when no
    unit is missing.  Written atomically; returns ``path``."""
    target = Path(path)
    what = f"《{title}》" if title else "登记表"
    when = f"请于{chinese_date(deadline)}前报送{what}" if deadline else f"请尽快报送{what}"
    lines = []
    for u in units:
        contact = "，".join(x for x in (f"联系人：{u.contact}" if u.contact else "",
                                        f"电话：{u.phone}" if u.phone else "") if x)
        lines.append(f"{u.code} {u.name}" + (f"（{contact}）" if contact else "") + f"：{when}。")
    with atomic_path(target) as tmp:
        tmp.write_text("".join(line + "\r\n" for line in lines), encoding="utf-8-sig", newline="")
    return target


# --------------------------------------------------------------------------- helpers


def _prepare_out_dir(out: Path, roots: Sequence[Path]) -> Path:
    """The output folder, refused when it lies inside a returns folder (the copies would be
    read as returns next time); see :func:`xltools._io.prepare_dir`."""
    refuse_among_returns(out, roots, "输出目录")
    return prepare_dir(out)


def _open_for_edit(path: Path) -> Workbook | None:
    """The return opened with openpyxl for editing, or None when openpyxl cannot (not an
    .xlsx/.xlsm, or a file it fails on, or Strict Open XML which it loads with no sheets)."""
    try:
        with warnings.catch_warnings():
            # openpyxl warns about parts it drops (e.g. extended data validation); the copy
            # keeps what openpyxl supports, and that is documented above.
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path)
    except Exception:  # openpyxl raises many unrelated types on files it cannot handle
        return None
    if not wb.worksheets:
        return None
    return wb


def _write_correction(cons: Consolidation, unit: Unit, source: str, issues: list[Issue],
                      rows: list[Row], target: Path, deadline: str) -> Correction:
    src = Path(cons.sources.get(source, source))
    try:
        same = src.resolve() == target.resolve()
    except OSError:
        same = False
    if same:
        raise OutputError(f"{target}：输出文件与报送文件是同一个文件，请换一个输出目录")
    wb = _open_for_edit(src)
    rebuilt = wb is None
    if wb is None:
        wb, mapping = _rebuild(cons.definition, unit, src, rows, deadline)
    else:
        _undo_previous_round(wb)
        mapping = {}
        for i in issues:
            if i.cell and i.sheet in wb.sheetnames:
                mapping[(i.sheet, i.cell)] = (i.sheet, i.cell)
    marked = _mark_cells(wb, issues, mapping)
    _print_only_filled_rows(wb, {form.sheet for form in cons.definition.forms})
    # what the copy will lack, said in 退回说明 lest the unit send the copy back without it
    lost = Counter() if rebuilt else drawing_counts(src) - _kept_drawings(wb)
    _notes_sheet(wb, cons, unit, source, issues, mapping, deadline, rebuilt, src, lost)
    with atomic_path(target) as tmp:
        try:
            wb.save(tmp)  # once: openpyxl closes a loaded picture's data as it writes it
        except OSError as exc:
            raise OutputError(f"{target}：无法写入（{exc.strerror or exc}），请检查输出目录是否可写") from None
    n_err = sum(1 for i in issues if i.is_error)
    return Correction(unit=unit, source=source, path=target, errors=n_err, warnings=len(issues) - n_err,
                      rebuilt=rebuilt, marked=marked)


_XDR = "{http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing}"
#: What 退回说明 calls each kind of drawing object (ECMA-376 Part 1, §20.5: pic, graphicFrame,
#: sp, cxnSp) and a workbook's macros (``xl/vbaProject.bin``), in the order it lists them.
DRAWING_KINDS = {"pic": "图片", "graphicFrame": "图表", "sp": "文本框或形状", "cxnSp": "连接线", "macros": "宏"}


def drawing_counts(path: Path) -> Counter:
    """How many pictures, charts (and other graphic frames), text boxes or shapes and connectors
    the sheets' drawings (``xl/drawings/*.xml``) of the .xlsx/.xlsm at ``path`` hold, keyed as in
    :data:`DRAWING_KINDS`, plus ``macros`` 1 when it has a VBA project.  An unreadable part
    counts nothing (the file was already read by the merge; this only words a note)."""
    counts: Counter = Counter()
    try:
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.lower() == "xl/vbaproject.bin":
                    counts["macros"] = 1
                elif re.fullmatch(r"xl/drawings/[^/]+\.xml", name, re.IGNORECASE):
                    try:
                        root = _xml_fromstring(z.read(name))
                    except Exception:  # noqa: BLE001 - defusedxml and ElementTree raise several types
                        continue
                    for kind in ("pic", "graphicFrame", "sp", "cxnSp"):
                        counts[kind] += sum(1 for _ in root.iter(_XDR + kind))
    except (OSError, zipfile.BadZipFile):
        return Counter()
    return +counts


def _kept_drawings(wb: Workbook) -> Counter:
    """What of :func:`drawing_counts` openpyxl will write back for ``wb``: the pictures it could
    read (Pillow) and the charts it parsed, held in each sheet's ``_images`` and ``_charts``
    (openpyxl's own lists, filled by its reader and by ``add_image``/``add_chart``); it writes
    no text box, shape, connector or macro."""
    sheets = [*wb.worksheets, *wb.chartsheets]
    return +Counter(pic=sum(len(getattr(ws, "_images", ())) for ws in sheets),
                    graphicFrame=sum(len(getattr(ws, "_charts", ())) for ws in sheets))


def _print_only_filled_rows(wb: Workbook, form_sheets: set[str]) -> None:
    """Each form sheet's print area cut to its last row holding a value (the header at least):
    the issued form's area covers every reserved row (a 200-row form), and a correction copy
    printed to check the marks came out as twelve pages, most of them empty ruled rows.  Only
    an area set on the sheet is cut, never widened; its columns stay."""
    from openpyxl.utils.cell import range_boundaries

    for ws in wb.worksheets:
        if ws.title not in form_sheets or not ws.print_area:
            continue
        area = ws.print_area
        # several ranges (openpyxl joins them with commas, in no fixed order): left as they are
        if not isinstance(area, str) or "," in re.sub(r"'(?:[^']|'')*'", "", area):  # commas in quoted names aside
            continue
        try:
            min_col, min_row, max_col, max_row = range_boundaries(area.rsplit("!", 1)[-1].replace("$", ""))
        except (TypeError, ValueError):
            continue
        if None in (min_col, min_row, max_col, max_row):
            continue
        last = stamp.HEADER_ROW
        for r, row in enumerate(ws.iter_rows(min_row=stamp.FIRST_DATA_ROW, max_row=max_row,
                                             min_col=min_col, max_col=max_col, values_only=True),
                                start=stamp.FIRST_DATA_ROW):
            if any(v is not None and str(v).strip() for v in row):
                last = r
        if min_row <= last < max_row:  # an area starting below the data is the unit's choice: kept
            ws.print_area = (f"{openpyxl.utils.get_column_letter(min_col)}{min_row}:"
                             f"{openpyxl.utils.get_column_letter(max_col)}{max(last, min_row)}")


def _rebuild(definition: FormDefinition, unit: Unit, src: Path, rows: list[Row],
             deadline: str) -> tuple[Workbook, dict[tuple[str, str], tuple[str, str]]]:
    """A fresh stamped workbook for ``unit`` holding the values of ``rows`` as read from
    ``src``; returns it and the map (return sheet, cell) → (copy sheet, cell)."""
    with tempfile.TemporaryDirectory() as folder:
        blank = Path(folder) / "template.xlsx"
        generate_workbook(definition, unit, blank, deadline=deadline)
        wb = openpyxl.load_workbook(blank)
    try:
        book: ReturnWorkbook | None = read_return(src)
    except XltoolsError:
        book = None
    mapping: dict[tuple[str, str], tuple[str, str]] = {}
    for form in definition.forms:
        form_rows = sorted((r for r in rows if r.form == form.name), key=lambda r: (r.sheet, r.row))
        if not form_rows or form.sheet not in wb.sheetnames:
            continue
        ws = wb[form.sheet]
        taken: set[int] = set()
        by_sheet: dict[str, list[Row]] = {}
        for r in form_rows:
            by_sheet.setdefault(r.sheet, []).append(r)
        for sheet_name, sheet_rows in by_sheet.items():
            sheet = book.sheet(sheet_name) if book else None
            offset = max(0, stamp.FIRST_DATA_ROW - min(r.row for r in sheet_rows))
            for r in sheet_rows:
                target_row = r.row + offset
                if target_row in taken:
                    target_row = max(taken) + 1
                taken.add(target_row)
                raw = dict(r.raw_items())
                for col, fld in enumerate(form.fields, start=1):
                    addr = r.cell(fld.name)
                    if not addr:
                        continue
                    cell = ws.cell(row=target_row, column=col)
                    _put_value(cell, _value_at(sheet, addr) if sheet else raw.get(fld.label) or None)
                    mapping[(r.sheet, addr)] = (form.sheet, cell.coordinate)
    return wb, mapping


def _value_at(sheet, addr: str) -> Any:
    letters, row = coordinate_from_string(addr)
    col = column_index_from_string(letters) - 1
    if row - 1 < len(sheet.rows) and col < len(sheet.rows[row - 1]):
        return sheet.rows[row - 1][col]
    return None


def _xml_safe(text: str) -> str:
    """Text without the control characters XML 1.0 cannot carry (openpyxl refuses them; the
    merge has already reported them as a warning)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _put_value(cell, value: Any) -> None:
    if value is None or (isinstance(value, str) and value == ""):
        return
    if isinstance(value, CellError):
        value = value.code
    if isinstance(value, str):
        value = _xml_safe(value)
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text that looks like a formula stays text
    cell.protection = Protection(locked=False)


def _target_cell(ws, coord: str):
    """The cell at ``coord``; for a cell inside a merged range, the range's top-left cell."""
    cell = ws[coord]
    if isinstance(cell, MergedCell):
        for rng in ws.merged_cells.ranges:
            if coord in rng:
                return ws.cell(row=rng.min_row, column=rng.min_col)
    return cell


def _mark_cells(wb: Workbook, issues: list[Issue],
                mapping: dict[tuple[str, str], tuple[str, str]]) -> dict[tuple[str, str], str]:
    by_cell: dict[tuple[str, str], list[Issue]] = {}
    for i in issues:
        where = mapping.get((i.sheet, i.cell)) if i.cell else None
        if where:
            by_cell.setdefault(where, []).append(i)
    record = wb.create_sheet(MARKS_SHEET)
    record.append(_MARKS_HEADER)
    marked: dict[tuple[str, str], str] = {}
    for (sheet_name, coord), found in by_cell.items():
        ws = wb[sheet_name]
        cell = _target_cell(ws, coord)
        severity = "error" if any(i.is_error for i in found) else "warning"
        old_comment = cell.comment
        record.append((sheet_name, cell.coordinate, _fill_json(cell.fill), "1" if cell.protection.locked else "0",
                       old_comment.text if old_comment else "", old_comment.author if old_comment else ""))
        cell.fill = PatternFill("solid", fgColor=ERROR_FILL if severity == "error" else WARNING_FILL)
        cell.protection = Protection(locked=False, hidden=cell.protection.hidden)
        text = _xml_safe("\n".join(f"【{i.level}】{i.message}" for i in found))
        lines = sum(1 + len(part) // 22 for part in text.split("\n"))
        cell.comment = Comment(text, COMMENT_AUTHOR, height=min(400, 24 + 18 * lines), width=320)
        marked[(sheet_name, cell.coordinate)] = severity
    record.sheet_state = "hidden"
    record.protection.sheet = True
    return marked


def _fill_json(fill: Any) -> str:
    pattern = getattr(fill, "patternType", None)
    if not pattern:
        return ""
    color = getattr(fill, "fgColor", None)
    kind = getattr(color, "type", "rgb") if color is not None else "rgb"
    value = getattr(color, kind, None) if color is not None else None
    return json.dumps({"pattern": pattern, "type": kind, "value": value,
                       "tint": getattr(color, "tint", 0.0) if color is not None else 0.0})


def _undo_previous_round(wb: Workbook) -> None:
    """Restore the cells a previous round marked (from ``_feedback``) and drop its sheets."""
    if MARKS_SHEET in wb.sheetnames:
        record = wb[MARKS_SHEET]
        for values in record.iter_rows(min_row=2, values_only=True):
            sheet_name, coord, fill, locked, comment, author = (list(values) + [None] * 6)[:6]
            if not sheet_name or sheet_name not in wb.sheetnames or not coord:
                continue
            try:
                cell = _target_cell(wb[sheet_name], str(coord))
            except ValueError:
                continue
            cell.fill = _fill_from_json(fill)
            cell.protection = Protection(locked=str(locked) == "1", hidden=cell.protection.hidden)
            cell.comment = Comment(str(comment), str(author or "")) if comment else None
        del wb[MARKS_SHEET]
    if NOTES_SHEET in wb.sheetnames:
        del wb[NOTES_SHEET]


def _fill_from_json(text: Any) -> PatternFill:
    if not text:
        return PatternFill()
    try:
        d = json.loads(str(text))
        color = Color(**{d["type"]: d["value"]}, tint=d.get("tint") or 0.0)
        return PatternFill(patternType=d["pattern"], fgColor=color)
    except (ValueError, KeyError, TypeError):
        return PatternFill()


def _notes_sheet(wb: Workbook, cons: Consolidation, unit: Unit, source: str, issues: list[Issue],
                 mapping: dict[tuple[str, str], tuple[str, str]], deadline: str, rebuilt: bool,
                 src: Path, lost: Counter | None = None) -> None:
    ws = wb.create_sheet(NOTES_SHEET, 0)
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False  # one selected tab: several would group the sheets
    wb.active = 0
    ws.sheet_view.tabSelected = True
    for col, width in enumerate(_NOTES_WIDTHS, start=1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width = width
    n_err = sum(1 for i in issues if i.is_error)
    d = cons.definition
    lines = [
        f"填报单位：{unit.name}（单位代码 {unit.code}）",
        f"原报送文件：{source}",
        "请修改红色单元格（错误）后重新报送；黄色单元格（警告）请核实，确无问题的可不修改。"
        "点击“单元格”一栏可跳到该单元格，单元格的批注写明了问题。",
        (f"重新报送截止日期：{chinese_date(deadline)}" if deadline else "请尽快修改后重新报送。"),
    ]
    if d.contact:
        lines.append(f"联系人：{d.contact}")
    lines.append(f"共有错误 {n_err} 个、警告 {len(issues) - n_err} 个（没有单元格的问题请按说明修改）。")
    if rebuilt:
        lines.append(f"原报送文件是 {src.suffix.lstrip('.') or '其他'} 格式，无法直接标注；本文件按下发的登记表重新生成，"
                     "已填入原报送的数据。请在本文件中修改，保存为 .xlsx 后重新报送。")
    if lost:
        what = "、".join(f"{lost[k]} 个{said}" for k, said in DRAWING_KINDS.items() if lost[k])
        lines.append(f"原报送文件中有 {what}未能保留在本文件中；它们不影响汇总，如仍需要，请从原报送文件复制到本文件。")
    title = ws.cell(row=1, column=1, value=f"{d.title}退回修改说明")
    title.font = Font(bold=True, size=16)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(_NOTES_HEADER))
    ws.row_dimensions[1].height = 30
    wrap = Alignment(wrap_text=True, vertical="top")
    row = 2
    for text in lines:
        cell = ws.cell(row=row, column=1, value=text)
        cell.alignment = wrap
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(_NOTES_HEADER))
        ws.row_dimensions[row].height = 18 * max(1, -(-len(text) // 75))
        row += 1
    row += 1
    header_row = row
    for col, label in enumerate(_NOTES_HEADER, start=1):
        cell = ws.cell(row=row, column=col, value=label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFD9D9D9")
        cell.alignment = Alignment(horizontal="center")
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for i in issues:
        row += 1
        where = mapping.get((i.sheet, i.cell)) if i.cell else None
        sheet_name, coord = where if where else (i.sheet, i.cell)
        values = (i.level, sheet_name, coord, i.field, i.raw, i.message)
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col)
            if value:
                cell.value = _xml_safe(str(value))
                cell.data_type = "s"  # text as given, never a formula
            cell.alignment = wrap
        if i.is_error:
            ws.cell(row=row, column=1).font = Font(bold=True, color="FFC00000")
        if where:
            link = ws.cell(row=row, column=3)
            quoted = sheet_name.replace("'", "''")
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!{coord}", display=coord,
                                       tooltip="跳到该单元格")
            link.font = Font(color="FF0563C1", underline="single")
        ws.row_dimensions[row].height = 16 * max(1, -(-len(i.message) // 34))


__all__ = [
    "CHASE_TXT",
    "CHASE_XLSX",
    "COMMENT_AUTHOR",
    "ERROR_FILL",
    "MARKS_SHEET",
    "NOTES_SHEET",
    "WARNING_FILL",
    "Correction",
    "FeedbackResult",
    "feedback",
    "write_chase_txt",
    "write_chase_xlsx",
]
