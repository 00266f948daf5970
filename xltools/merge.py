"""Merge: returns → :class:`Consolidation` (identify, map headers, coerce, validate, ledger, figures).

The pipeline (DESIGN.md §3 and §5), in two stages:

1. **Per file** — :func:`read_one` is a pure function of ``(path, definition, roster)``: it opens
   the return safely (:func:`xltools.readers.read_return`), identifies the unit and the form
   (``_meta`` sheet → custom properties → identity line → file name), finds each form's sheet and
   header by normalised labels and aliases, reads the data rows, and coerces every cell
   (:mod:`xltools.coerce`).  Its :class:`FileResult` combines with the others in any order, so the
   files can be read by a process pool (``jobs``) and, one day, by a cluster.
2. **Per unit** — the files of each unit are combined: a newer copy supersedes an older one form
   by form (the time saved inside the file decides, then the file system's), duplicate keys and
   cross-form references are checked, and every row is accepted (no error-level issue) or
   rejected (kept, with its raw values, in :attr:`Consolidation.rejected`).

Accounting: ``rows_read == rows_accepted + rows_rejected`` always holds (asserted).
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import Any

from . import stamp as st
from .coerce import compile_field, format_value
from .errors import DataError, ReturnReadError
from .figures import FigureTally
from .forms import Form, FormDefinition, load_form_definition, normalise_label
from .headers import HeaderMatch, find_headers, label_index
from .identify import (
    cell_text,
    file_mtime,
    filename_unit,
    filename_units,
    identity_on_sheet,
    meta_stamp,
    property_stamp,
    saved_time,
)
from .issues import ERROR, WARNING, Issue, cell_address, column_letter
from .readers import CellError, Limits, SheetData, find_returns, read_return
from .roster import Roster, Unit, load_roster
from .spill import (
    AcceptedRows,
    IssueList,
    RejectedRows,
    SpillDir,
    append_segment,
    read_segment,
    write_segments,
)

#: Ledger statuses (报送情况 状态).
RETURNED = "已报送"
MISSING = "未报送"
HAS_ERRORS = "有错误"
DUPLICATE = "重复报送"
SUPERSEDED = "已被替代"
UNIDENTIFIED = "无法识别"
UNREADABLE = "无法读取"

EXCEL_CELL_LIMIT = 32767
#: The unit code ``check`` uses for a file without a stamp when no roster is given.
UNKNOWN_UNIT = "?"
_FOOTER_RE = re.compile(r"^\s*(注|说明|备注|填表人|制表人|审核人|负责人|联系人|填报人|单位负责人|填表日期|制表日期)\s*[:：]")


# --------------------------------------------------------------------------- results


@dataclass(slots=True)
class Row:
    """One data row of a return: ``values`` maps field name → typed value (None when blank;
    names as a tuple of str; decimals as Decimal; dates as date).  Provenance: the unit, the file
    as given, the sheet name and the 1-based sheet row.  ``cells`` is the sheet row as read (raw
    values, every column); ``columns`` maps field name → 0-based column (None for a missing
    column) and ``labels`` are the form's field labels, both shared by every row of the sheet.
    :attr:`raw` gives the cells' text in field order (for rejected rows and correction copies)."""

    form: str
    values: dict[str, Any]
    unit_code: str
    unit_name: str
    file: str
    sheet: str
    row: int
    cells: Sequence[Any] | dict[int, Any] = ()
    columns: dict[str, int | None] = field(default_factory=dict)
    labels: tuple[str, ...] = ()
    issues: list[Issue] = field(default_factory=list)

    @property
    def has_error(self) -> bool:
        return any(i.is_error for i in self.issues)

    @property
    def raw(self) -> tuple[str, ...]:
        """The cells' text as found, in the form's field order ("" for a missing column)."""
        cells = self.field_cells()
        out = []
        for c in self.columns.values():
            v = cells.get(c) if c is not None else None
            out.append(v if isinstance(v, str) else cell_text(v))
        return tuple(out)

    def field_values(self, names: Sequence[str]) -> tuple[Any, ...]:
        """The typed values of fields ``names``, in that order (None for a missing one)."""
        values = self.values
        return tuple([values.get(n) for n in names])

    def field_cells(self) -> dict[int, Any]:
        """Only the cells of the form's columns (column → raw value): what :attr:`raw` needs,
        without the rest of the sheet row (a return may carry hundreds of extra columns)."""
        cells = self.cells
        if isinstance(cells, dict):
            return cells
        n = len(cells)
        return {c: cells[c] for c in self.columns.values() if c is not None and c < n}

    def cell(self, field_name: str) -> str:
        """The real cell address of a field on this row (``E7``), or "" when its column is missing."""
        c = self.columns.get(field_name)
        return cell_address(self.row, c) if c is not None else ""

    def raw_items(self) -> list[tuple[str, str]]:
        """``(label, raw text)`` pairs in field order."""
        return list(zip(self.labels, self.raw))


@dataclass
class FileResult:
    """What one return contributed (the output of :func:`read_one`).

    ``status``: ``"ok"``, ``"unreadable"`` or ``"unidentified"``.  ``rows`` maps form name → rows
    read (not yet accepted or rejected).  ``issues`` are file- and sheet-level issues (cell issues
    live on their rows).  ``saved_at``: when the file was last saved (inside the file where the
    format records it, else the file system's modification time), used to pick the newer of two
    copies.

    :func:`merge` moves the rows to a spill file as soon as the file has been read (memory is
    bounded by the largest return, not by the total: issue 7); then ``rows`` is empty,
    ``spill`` names the file and ``counts`` gives rows per form.  :meth:`load` returns a form's
    rows either way."""

    path: str
    status: str
    unit_code: str = ""
    unit_name: str = ""
    identified_by: str = ""
    reason: str = ""
    saved_at: datetime | None = None
    mtime: datetime | None = None
    deadline: str = ""
    rows: dict[str, list[Row]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    #: form name → number of rows; set when the rows are spilled
    counts: dict[str, int] = field(default_factory=dict)
    #: (spill file, form name → (offset, length)) once the rows are on disk
    spill: tuple[str, dict[str, tuple[int, int]]] | None = None
    #: the unit's verdict if this turns out to be its only file (judged while the rows were
    #: in memory; :func:`combine` uses it then, else judges again)
    verdict: UnitVerdict | None = None

    @property
    def forms(self) -> list[str]:
        """The forms this file has rows (or a sheet) for."""
        return list(self.counts) if self.spill is not None else list(self.rows)

    def count(self, form_name: str) -> int:
        if self.spill is not None:
            return self.counts.get(form_name, 0)
        return len(self.rows.get(form_name, ()))

    @property
    def rows_read(self) -> int:
        if self.spill is not None:
            return sum(self.counts.values())
        return sum(len(v) for v in self.rows.values())

    def load(self, form_name: str, definition: FormDefinition) -> list[Row]:
        """The rows read for ``form_name`` (a new list; read back from the spill file when the
        rows were spilled, in the order they were read)."""
        if self.spill is None:
            return list(self.rows.get(form_name, ()))
        names = [f.name for f in definition.form(form_name).fields]
        labels = tuple(f.label for f in definition.form(form_name).fields)
        code, name, file = self.unit_code, self.unit_name, self.path
        return [Row(form_name, dict(zip(names, vals)), code, name, file, sheet, row,
                    dict(zip(_present(columns), cells)), columns, labels, list(issues) if issues else [])
                for sheet, row, vals, cells, columns, issues in self._records(form_name)]

    def values(self, form_name: str, definition: FormDefinition) -> list[tuple[str, int, tuple]]:
        """``(sheet, row, values in field order)`` of the rows read for ``form_name``, in read
        order, without building :class:`Row` objects (what the consolidated workbook needs)."""
        if self.spill is None:
            names = [f.name for f in definition.form(form_name).fields]
            return [(r.sheet, r.row, r.field_values(names)) for r in self.rows.get(form_name, ())]
        return [(sheet, row, vals) for sheet, row, vals, _cells, _columns, _issues in self._records(form_name)]

    def _records(self, form_name: str) -> list[tuple]:
        assert self.spill is not None
        path, segments = self.spill
        if form_name not in segments:
            return []
        try:
            return read_segment(path, segments[form_name])
        except FileNotFoundError:
            raise DataError(
                f"{self.path}：汇总时暂存的数据行已被删除（{path} 不存在：汇总结果已关闭或临时目录被清理），请重新汇总"
            ) from None

    def spill_to(self, path: str | Path, definition: FormDefinition) -> FileResult:
        """Write the rows to ``path`` (pickle, one segment per form) and return a copy of this
        result without them (``counts`` and ``spill`` set)."""
        records: dict[str, list[tuple]] = {}
        for form_name, rows in self.rows.items():
            names = [f.name for f in definition.form(form_name).fields]
            # per row: (sheet, row, typed values in field order, the raw cells of the columns
            # the form has in this sheet (_present order), columns, issues)
            out: list[tuple] = []
            last_columns: dict | None = None
            for r in rows:
                if r.columns is not last_columns:  # a new sheet (rows come sheet by sheet)
                    last_columns = r.columns
                    present = _present(last_columns)
                    pick = itemgetter(*present) if len(present) > 1 else None
                    reach = max(present, default=-1)
                cells = r.cells
                raw = pick(cells) if pick is not None and cells.__class__ is list and len(cells) > reach else _raw_cells(r)
                out.append((r.sheet, r.row, tuple(map(r.values.get, names)), raw, last_columns, tuple(r.issues)))
            records[form_name] = out
        segments = write_segments(path, records)
        counts = {form_name: len(rows) for form_name, rows in self.rows.items()}
        return replace(self, rows={}, counts=counts, spill=(str(path), segments))


def _present(columns: dict[str, int | None]) -> list[int]:
    """The columns a form has in a sheet, in field order (missing fields left out)."""
    return [c for c in columns.values() if c is not None]


def _raw_cells(row: Row) -> tuple[Any, ...]:
    """The row's raw cells in :func:`_present` order (None beyond a short row's end): what
    :attr:`Row.raw` needs, as a tuple (cheaper to pickle than :meth:`Row.field_cells`' dict)."""
    cells = row.cells
    if isinstance(cells, dict):
        return tuple([cells.get(c) for c in _present(row.columns)])
    n = len(cells)
    return tuple([cells[c] if c < n else None for c in _present(row.columns)])


@dataclass
class LedgerEntry:
    """One row of the returns ledger (报送情况).  Roster units have a ``code``; files that could
    not be read or identified, and superseded copies, have their own rows."""

    code: str
    name: str
    status: str
    files: list[str] = field(default_factory=list)
    accepted: int = 0
    rejected: int = 0
    errors: int = 0
    warnings: int = 0
    contact: str = ""
    phone: str = ""
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "status": self.status,
            "file": "；".join(self.files),
            "accepted": self.accepted,
            "rejected": self.rejected,
            "errors": self.errors,
            "warnings": self.warnings,
            "contact": self.contact,
            "phone": self.phone,
            "reason": self.reason,
        }


@dataclass
class Consolidation:
    """The result of :func:`merge`.

    ``rows``: form name → accepted rows in roster order, then file, then source row (an
    :class:`AcceptedRows` sequence: read back one file at a time when iterated).
    ``rejected``: rows with an error-level issue, with their raw values (a
    :class:`~xltools.spill.RejectedRows` sequence).  ``issues``: every issue, ordered by roster
    order, file, sheet, row (an :class:`~xltools.spill.IssueList`; both read each unit's part
    back from the spill files when iterated, issue 7).  ``ledger``: one entry per roster unit (roster
    order) then one per unreadable / unidentified / superseded file.  ``figures``: name → int or
    float.  ``per_unit``: code → {figure name → value}.  ``counts``: units, returned, missing,
    rows_read, rows_accepted, rows_rejected, errors, warnings, files, skipped."""

    definition: FormDefinition
    roster: Roster
    rows: dict[str, AcceptedRows]
    rejected: Sequence[Row]
    issues: Sequence[Issue]
    ledger: list[LedgerEntry]
    figures: dict[str, Any]
    per_unit: dict[str, dict[str, Any]]
    counts: dict[str, int]
    skipped: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    deadline: str = ""
    saved_at: datetime | None = None
    #: file name as shown in the ledger and issue list → the path it was read from
    sources: dict[str, str] = field(default_factory=dict)
    #: unit code → form name → accepted rows
    form_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    #: keeps :func:`merge`'s spill directory alive as long as the rows are needed
    spill_dir: Any = field(default=None, repr=False, compare=False)

    @property
    def has_errors(self) -> bool:
        return self.counts.get("errors", 0) > 0

    @property
    def missing_units(self) -> list[Unit]:
        missing = {e.code for e in self.ledger if e.status == MISSING}
        return [u for u in self.roster if u.code in missing]

    def to_json(self) -> dict[str, Any]:
        """The figures JSON (``xltools merge --json``); documented in the README."""
        from . import __version__

        d = self.definition
        per_unit = [
            {"code": u.code, "name": u.name, **self.per_unit.get(u.code, {})} for u in self.roster
        ]
        return {
            "xltools": __version__,
            "form": {"id": d.id, "version": d.version, "title": d.title},
            "round": {"title": d.title, "deadline": self.deadline},
            "figures": dict(self.figures),
            "figure_info": [
                {"name": f.name, "label": f.label, "unit": f.unit, "value": self.figures.get(f.name)}
                for f in d.figures
            ],
            "per_unit": per_unit,
            "ledger": [e.to_dict() for e in self.ledger],
            "counts": dict(self.counts),
        }


# --------------------------------------------------------------------------- per file


def _issue(severity: str, kind: str, message: str, **where: Any) -> Issue:
    return Issue(severity=severity, kind=kind, message=message, **where)


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


_BLANK_ROW = object()
_MANY = object()
#: Raw value types a column may mix and still be coerced one distinct value at a time: no
#: value of one type equals a value of another (``1 == 1.0 == True`` would merge in a dict,
#: so at most one of int, float and bool may occur; ``0.0 == -0.0`` prints differently).
_PLAIN_KINDS = frozenset({type(None), str, date, datetime, int, float, bool})
_NUMBER_KINDS = frozenset({int, float, bool})


def _excel_limit(result: tuple[Any, list]) -> tuple[Any, list]:
    """``result`` with the too_long_for_excel error added when its value is text longer than
    an Excel cell can hold (Microsoft, "Excel specifications and limits": 32,767 characters)."""
    value, problems = result
    if value.__class__ is str and len(value) > EXCEL_CELL_LIMIT:
        return value, [*problems, (ERROR, "too_long_for_excel",
                                   f"内容有 {len(value)} 个字符，超过 Excel 单元格上限 {EXCEL_CELL_LIMIT}，请精简后重新报送")]
    return result


def _coerce_column(col: list[Any], coerce: Callable) -> tuple[list[tuple[Any, list]], list[int]]:
    """Coerce a column's raw values (the coercer is pure: equal raw values give equal results):
    each distinct value once when the column's types allow it (see ``_PLAIN_KINDS``), else cell
    by cell.  Returns ``(value, problems)`` per cell and the indexes of cells with problems.
    Cells with equal raw values then share one value object: typed values are immutable (str,
    int, Decimal, date, bool, tuple of names), and the problem lists are only read."""
    kinds = set(map(type, col))
    numbers = kinds & _NUMBER_KINDS
    if kinds <= _PLAIN_KINDS and len(numbers) <= 1 and not (float in numbers and 0 in col):
        known = {v: coerce(v) for v in set(col)}
        if str in kinds:
            for v, result in known.items():
                if result[0].__class__ is str and len(result[0]) > EXCEL_CELL_LIMIT:
                    known[v] = _excel_limit(result)
        results = list(map(known.__getitem__, col))
        troubled = {v for v, (_value, problems) in known.items() if problems}
        bad = [i for i, v in enumerate(col) if v in troubled] if troubled else []
        return results, bad
    results = [_excel_limit(coerce(v)) for v in col]
    return results, [i for i, (_value, problems) in enumerate(results) if problems]


def _sole_value(cells: Sequence[Any]) -> Any:
    """``_BLANK_ROW`` when every cell is blank (None or whitespace), the value when exactly one
    is not (a footer such as 填表人：… is such a row), else ``_MANY`` — looking no further than
    the second non-blank cell (the check runs on every row of every return)."""
    found = _BLANK_ROW
    for v in cells:
        if v is None or (isinstance(v, str) and not v.strip()):
            continue
        if found is not _BLANK_ROW:
            return _MANY
        found = v
    return found


def _read_form_sheet(
    sheet: SheetData, match: HeaderMatch, file: str, unit: Unit | None, stamped: st.Stamp | None,
    coercers: dict[str, dict[str, Callable]],
) -> tuple[list[Row], list[Issue]]:
    form = match.form
    where = {"file": file, "sheet": sheet.name,
             "unit_code": unit.code if unit else "", "unit_name": unit.name if unit else ""}
    issues: list[Issue] = []
    hr = match.header_row  # 0-based
    cols = match.columns
    # --- header report -------------------------------------------------------------------
    expected_sheet = stamped.sheets.get(form.name) if stamped else None
    if expected_sheet and expected_sheet != sheet.name:
        issues.append(_issue(WARNING, "sheet_renamed",
                             f"工作表名称被改为“{sheet.name}”（原为“{expected_sheet}”），已按表头识别为{form.title}", **where))
    if stamped and stamped.fingerprints and hr + 1 != st.HEADER_ROW:
        issues.append(_issue(WARNING, "header_moved",
                             f"{form.sheet}的表头不在第 {st.HEADER_ROW} 行而在第 {hr + 1} 行（上方插入了行），已按表头位置读取",
                             row=hr + 1, **where))
    for f in form.fields:
        c = cols.get(f.name)
        if c is None:
            if f.required and not f.derived:
                issues.append(_issue(ERROR, "missing_column",
                                     f"缺少必填列“{f.label}”，本表数据无法采用；请使用下发的登记表，恢复该列后重新报送",
                                     field=f.label, row=hr + 1, **where))
            else:
                issues.append(_issue(WARNING, "missing_optional_column",
                                     f"缺少列“{f.label}”（非必填），该列按空白处理", field=f.label, row=hr + 1, **where))
            continue
        found = match.labels.get(c, "")
        if normalise_label(found) != normalise_label(f.label):
            issues.append(_issue(WARNING, "alias_header",
                                 f"表头“{_one_line(found)}”按“{f.label}”读取", field=f.label,
                                 cell=cell_address(hr + 1, c), row=hr + 1, raw=_one_line(found), **where))
    positions = [cols[f.name] for f in form.fields if f.name in cols]
    if positions != sorted(positions):
        issues.append(_issue(WARNING, "columns_reordered",
                             f"{form.sheet}的列顺序与下发的登记表不同，已按表头对应读取", row=hr + 1, **where))
    used = set(cols.values())
    extra_cols = []
    width = max((len(r) for r in sheet.rows[hr:]), default=0)
    for c in range(width):
        if c in used:
            continue
        label = match.labels.get(c)
        has_data = any(c < len(r) and not _is_blank(r[c]) for r in sheet.rows[hr + 1:])
        if label is not None or has_data:
            extra_cols.append((c, label, has_data))
    for c, label, has_data in extra_cols:
        if label is not None:
            msg = f"多出的列“{_one_line(label)}”不在登记表中，未汇总" + ("（该列有内容，请核对）" if has_data else "")
        else:
            msg = f"第 {column_letter(c)} 列没有表头但有内容，未汇总；如需汇总请填到对应列中"
        issues.append(_issue(WARNING, "extra_column", msg, cell=cell_address(hr + 1, c), row=hr + 1,
                             raw=_one_line(label or ""), **where))
    missing_required = [f for f in form.fields if f.required and not f.derived and f.name not in cols]
    # --- data rows -------------------------------------------------------------------------
    # Everything about a column is decided here once (DESIGN.md §5; issue 7: coercion is
    # compiled per column, not decided per cell), and a column is coerced as a whole: each
    # distinct value once (see _coerce_column).
    field_cols = [(f, cols.get(f.name)) for f in form.fields]
    columns = {f.name: c for f, c in field_cols}  # shared by the sheet's rows
    labels = tuple(f.label for f in form.fields)
    form_coercers = coercers[form.name]
    absent = [f.name for f, c in field_cols if c is None]
    plan = [(f.name, c, form_coercers[f.name], f.label) for f, c in field_cols if c is not None and not f.derived]
    typed = [(f.name, c) for f, c in field_cols if c is not None and f.derived]
    derived = [(f, c) for f, c in field_cols if f.derived]
    missing_issue = (
        f"所在工作表缺少必填列“{'、'.join(f.label for f in missing_required)}”，本行未采用" if missing_required else ""
    )
    unit_code, unit_name, sheet_name = where["unit_code"], where["unit_name"], sheet.name
    data = sheet.rows
    picked: list[int] = []  # 0-based sheet rows that hold data, up to a footer
    for r in range(hr + 1, len(data)):
        only = _sole_value(data[r])
        if only is _BLANK_ROW:
            continue
        if isinstance(only, str) and _FOOTER_RE.match(only):
            break  # a footer such as 填表人：… ends the table
        picked.append(r)
    lines = [data[r] for r in picked]
    n = len(lines)
    narrowest = min(map(len, lines), default=0)
    formulas = sheet.formulas
    at = {r + 1: i for i, r in enumerate(picked)} if formulas else {}
    row_issues: list[list[Issue]] = [[] for _ in range(n)]
    value_columns: list[list[Any]] = [[None] * n for _ in absent]
    for _name, c, coerce, label in plan:
        col = list(map(itemgetter(c), lines)) if c < narrowest else [v[c] if c < len(v) else None for v in lines]
        results, bad = _coerce_column(col, coerce)
        values = list(map(itemgetter(0), results))
        flagged: dict[int, Issue | None] = dict.fromkeys(bad)
        for excel_row, fc in formulas:  # formula cells: never the cached result (DESIGN.md §5)
            if fc == c and excel_row in at:
                i = at[excel_row]
                values[i] = None
                formula = formulas[(excel_row, c)]
                flagged[i] = _issue(
                    ERROR, "formula",
                    f"单元格含公式{('（=' + formula.lstrip('=') + '）') if formula else ''}，汇总不采用公式结果；请直接填写数值",
                    raw=_one_line(cell_text(col[i])), cell=cell_address(excel_row, c), row=excel_row, field=label,
                    **where)
        for i in sorted(flagged):
            if flagged[i] is not None:
                row_issues[i].append(flagged[i])
                continue
            excel_row = picked[i] + 1
            addr = cell_address(excel_row, c)
            shown = _one_line(cell_text(col[i]))[:200]
            for severity, kind, message in results[i][1]:
                row_issues[i].append(_issue(severity, kind, message, raw=shown, cell=addr, row=excel_row,
                                            field=label, **where))
        value_columns.append(values)
    for _name, c in typed:  # compared with the computed value below
        value_columns.append([v[c] if c < len(v) else None for v in lines])
    keys = [*absent, *(p[0] for p in plan), *(t[0] for t in typed)]
    rows_out: list[Row] = []
    for i, vals in enumerate(zip(*value_columns)):
        excel_row = picked[i] + 1
        row = Row(form.name, dict(zip(keys, vals)), unit_code, unit_name, file, sheet_name, excel_row, lines[i],
                  columns, labels, row_issues[i])
        for f, c in derived:
            _derive(row, f, c, sheet, where)
        if missing_issue:
            row.issues.append(_issue(ERROR, "row_missing_column", f"第 {excel_row} 行{missing_issue}",
                                     row=excel_row, **where))
        rows_out.append(row)
    hidden_rows = sheet.hidden_rows
    hidden_seen = [r + 1 for r in picked if r + 1 in hidden_rows] if hidden_rows else []
    if hidden_seen:
        shown = "、".join(str(x) for x in hidden_seen[:10]) + ("等" if len(hidden_seen) > 10 else "")
        issues.append(_issue(WARNING, "hidden_rows",
                             f"第 {shown} 行被隐藏，仍已读取汇总；如这些行不应报送，请删除后重新报送", row=hidden_seen[0], **where))
    return rows_out, issues


def _derive(row: Row, f, c: int | None, sheet: SheetData, where: dict) -> None:
    """Compute a derived field (DESIGN.md §5: formulas are never trusted) and compare with what
    the unit typed (or a formula's cached value)."""
    assert f.derived is not None
    typed = row.values.get(f.name)
    parts = [row.values.get(src) for src in f.derived.fields]
    computed: Any = None
    if all(p is not None and not isinstance(p, (str, bool, tuple)) for p in parts):
        total = sum((Decimal(str(p)) for p in parts), Decimal(0))
        computed = int(total) if f.type == "integer" and total == total.to_integral_value() else total
    row.values[f.name] = computed
    if _is_blank(typed) or c is None:
        return
    typed_num: Decimal | None
    try:
        typed_num = Decimal(cell_text(typed)) if not isinstance(typed, (bool, CellError)) else None
    except ArithmeticError:
        typed_num = None
    if computed is not None and typed_num is not None and typed_num == Decimal(str(computed)):
        return
    addr = cell_address(row.row, c)
    shown = format_value(computed) if computed is not None else "（分项不全，无法计算）"
    row.issues.append(_issue(
        WARNING, "derived_mismatch",
        f"“{f.label}”由汇总时按分项自动计算为 {shown}，表中填写的 {cell_text(typed)} 不一致，已按计算值汇总；此列无需填写",
        cell=addr, row=row.row, field=f.label, raw=cell_text(typed), **where))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


_COMPILED: list[tuple[FormDefinition, Any, dict[str, dict[str, Callable]]]] = []


def _compiled(definition: FormDefinition) -> tuple[Any, dict[str, dict[str, Callable]]]:
    """The definition's header-label index and per-field coercers, built once per definition
    object (by identity; the last few are kept) rather than once per file: 1.6 ms of every
    file's cost with the pioneer-post kit (issue 7)."""
    for d, index, coercers in _COMPILED:
        if d is definition:
            return index, coercers
    index = label_index(definition)
    coercers = {f.name: {fld.name: compile_field(fld) for fld in f.fields} for f in definition.forms}
    _COMPILED.insert(0, (definition, index, coercers))
    del _COMPILED[4:]
    return index, coercers


def read_one(path: str | Path, definition: FormDefinition, roster: Roster | None,
             limits: Limits | None = None, display: str | None = None) -> FileResult:
    """Read, identify and coerce one return (stage 1 of the merge).  Pure: depends only on its
    arguments and the file; never raises for bad data (an unreadable file gives
    ``status="unreadable"`` with the reason).  Rows are not yet accepted or rejected: duplicate
    keys and cross-form rules need all of a unit's files (see :func:`combine`).

    ``roster=None`` (``xltools check`` without a roster): the unit the stamp names is taken as
    it stands, and a file without a stamp is still checked, under a placeholder unit ``?``
    with a warning."""
    p = Path(path)
    file = display or str(path)
    try:
        book = read_return(p, limits or Limits())
    except ReturnReadError as exc:
        # The unit it came from, if the file name says so: that unit did send something.
        guess = filename_unit(p, roster) if roster is not None else None
        return FileResult(path=file, status="unreadable", reason=exc.reason,
                          unit_code=guess.code if guess else "", unit_name=guess.name if guess else "",
                          issues=[_issue(ERROR, "unreadable", f"{exc.reason}；{exc.advice}", file=file)])
    saved = saved_time(p, book.kind)
    mtime = file_mtime(p)
    index, coercers = _compiled(definition)
    matches: list[tuple[SheetData, HeaderMatch]] = []
    for sheet in book.sheets:
        if sheet.name in (st.META_SHEET, st.INSTRUCTIONS_SHEET):
            continue
        for m in find_headers(sheet, definition, index):
            matches.append((sheet, m))
    # --- identify the unit ----------------------------------------------------------------
    carriers: list[st.Stamp] = []
    meta = meta_stamp(book)
    if meta:
        carriers.append(meta)
    props = property_stamp(book)
    if props:
        carriers.append(props)
    for sheet, m in matches:
        ident = identity_on_sheet(sheet, m.header_row)
        if ident:
            carriers.append(ident)
            break
    issues: list[Issue] = []
    by_file = filename_unit(p, roster) if roster is not None else None
    foreign = [c for c in carriers if c.form_id and c.form_id != definition.id]
    if foreign and not matches:
        c = foreign[0]
        reason = f"这是表单“{c.form_id}”的文件，不是本次汇总的“{definition.id}”"
        return FileResult(path=file, status="unidentified", reason=reason, saved_at=saved,
                          issues=[_issue(ERROR, "other_form", f"{reason}；请确认是否报错了文件", file=file)])
    unit: Unit | None = None
    identified_by = ""
    stamped = carriers[0] if carriers and carriers[0].source in ("_meta", "properties") else None
    for c in carriers:
        if c.unit_code:
            unit = roster.by_code(c.unit_code) if roster is not None else Unit(c.unit_code, c.unit_name)
            identified_by = c.source
            if unit is None:
                reason = f"标识中的单位代码 {c.unit_code}（{c.unit_name}）不在填报单位名单中"
                return FileResult(path=file, status="unidentified", reason=reason, saved_at=saved,
                                  issues=[_issue(ERROR, "unknown_unit", f"{reason}；请核对名单或文件来源", file=file)])
            break
    names = {"_meta": "隐藏的标识页", "properties": "文档属性", "identity": "标识行"}
    if unit is not None:
        codes = {c.unit_code for c in carriers if c.unit_code}
        if len(codes) > 1:
            said = "，".join(f"{names[c.source]}为 {c.unit_code}" for c in carriers if c.unit_code)
            issues.append(_issue(ERROR, "identity_conflict",
                                 f"文件的标识互相矛盾（{said}），可能是转发或复制的登记表；已按{names[identified_by]}计入 {unit.code} {unit.name}，请核实后让实际填报单位用本单位的登记表重新报送",
                                 file=file))
        elif by_file is not None and by_file.code != unit.code:
            issues.append(_issue(ERROR, "forwarded",
                                 f"文件标识为 {unit.code} {unit.name}，但文件名指向 {by_file.code} {by_file.name}：可能是转发给其他单位填写的登记表；已按标识计入 {unit.code}，请核实后让实际填报单位用本单位的登记表重新报送",
                                 file=file))
        for c in carriers:
            if c.form_id == definition.id and c.version and c.version != definition.version:
                issues.append(_issue(WARNING, "old_version",
                                     f"登记表版本为 {c.version}，本次汇总使用版本 {definition.version}，请核对表头是否一致", file=file))
                break
    elif matches and by_file is not None:
        unit = by_file
        identified_by = "filename"
        issues.append(_issue(WARNING, "identified_by_filename",
                             f"文件没有标识（可能是把数据粘贴到了新工作簿），已按文件名识别为 {unit.code} {unit.name}，请核对",
                             file=file))
    elif matches and roster is None:
        unit = Unit(UNKNOWN_UNIT, "（未识别单位）")
        identified_by = "none"
        issues.append(_issue(WARNING, "no_stamp",
                             "文件没有标识（可能是把数据粘贴到了新工作簿），无法确定填报单位；汇总时须在文件名中写明单位名称，或改用下发的登记表",
                             file=file))
    if not matches:
        reason = "找不到任何登记表的表头" if book.sheets else "工作簿中没有工作表"
        return FileResult(path=file, status="unidentified", reason=reason, saved_at=saved,
                          unit_code=unit.code if unit else "", unit_name=unit.name if unit else "",
                          issues=[*issues, _issue(ERROR, "no_form", f"{reason}；请使用下发的登记表填写后重新报送", file=file)])
    for issue_index, i in enumerate(issues):
        if unit is not None:
            issues[issue_index] = i.at(unit_code=unit.code, unit_name=unit.name)
    result = FileResult(path=file, status="ok" if unit else "unidentified",
                        unit_code=unit.code if unit else "", unit_name=unit.name if unit else "",
                        identified_by=identified_by, saved_at=saved, mtime=mtime,
                        deadline=(meta.deadline if meta else "") or (props.deadline if props else ""),
                        issues=issues)
    if unit is None:
        several = filename_units(p, roster) if roster is not None else []
        if len(several) > 1:
            names = "、".join(f"{u.code} {u.name}" for u in several)
            result.reason = f"无法确定填报单位（没有标识，文件名同时符合 {names}）"
        else:
            result.reason = "无法确定填报单位（没有标识，文件名中也没有单位名称或代码）"
        result.issues.append(_issue(ERROR, "unidentified",
                                    f"{result.reason}；请在文件名中写明单位名称，或使用下发的登记表重新报送", file=file))
    seen_forms: dict[str, int] = {}
    for sheet, m in matches:
        rows, sheet_issues = _read_form_sheet(sheet, m, file, unit, stamped, coercers)
        result.rows.setdefault(m.form.name, []).extend(rows)
        result.issues.extend(sheet_issues)
        seen_forms[m.form.name] = seen_forms.get(m.form.name, 0) + 1
    for form_name, n in seen_forms.items():
        if n > 1:
            result.issues.append(_issue(WARNING, "form_on_several_sheets",
                                        f"{definition.form(form_name).title}出现在 {n} 个工作表中，已全部读取", file=file,
                                        unit_code=result.unit_code, unit_name=result.unit_name))
    if unit is None:
        for rows in result.rows.values():
            for row in rows:
                row.issues.append(_issue(ERROR, "row_unidentified", f"第 {row.row} 行所在文件无法确定填报单位，本行未采用",
                                         file=file, sheet=row.sheet, row=row.row))
    return result


# --------------------------------------------------------------------------- per unit


def _key_of(row: Row, form: Form) -> tuple | None:
    key = tuple(row.values.get(k) for k in form.key)
    if any(v is None for v in key):
        return None
    return tuple(normalise_label(format_value(v)) for v in key)


@dataclass
class UnitVerdict:
    """The row-level outcome for one unit (see :func:`judge_unit`): ``issues`` raised on its rows
    and across them, in order; the ``rejected`` rows; per form ``(accepted rows, indexes of the
    rejected rows, index → issues of accepted rows with warnings)`` in the chosen file's read
    order; ``figures``: the unit's part of each figure (:meth:`FigureTally.parts`)."""

    issues: list[Issue]
    rejected: list[Row]
    forms: dict[str, tuple[int, frozenset[int], Mapping[int, list[Issue]]]]
    figures: dict[str, Any]
    #: once :func:`_stow_verdict` has moved ``issues`` and ``rejected`` to a spill file (issue 7):
    #: ``(spill file, (offset, length), issues, error-level issues, rejected rows)``; the two
    #: lists are then empty and :meth:`load` reads them back
    stowed: tuple[str, tuple[int, int], int, int, int] | None = None

    @property
    def accepted(self) -> int:
        return sum(n for n, _, _ in self.forms.values())

    @property
    def n_issues(self) -> int:
        return self.stowed[2] if self.stowed else len(self.issues)

    @property
    def n_errors(self) -> int:
        return self.stowed[3] if self.stowed else sum(1 for i in self.issues if i.is_error)

    @property
    def n_rejected(self) -> int:
        return self.stowed[4] if self.stowed else len(self.rejected)

    def load(self) -> tuple[list[Issue], list[Row]]:
        """``(issues, rejected rows)``, read back from the spill file when stowed."""
        if self.stowed is None:
            return self.issues, self.rejected
        path, segment = self.stowed[:2]
        try:
            return read_segment(path, segment)  # type: ignore[return-value]
        except FileNotFoundError:
            raise DataError(
                f"汇总时暂存的问题清单已被删除（{path} 不存在：汇总结果已关闭或临时目录被清理），请重新汇总"
            ) from None

    def stowed_issues(self) -> list[Issue]:
        return self.load()[0]

    def stowed_rejected(self) -> list[Row]:
        return self.load()[1]


class _NoRows(frozenset):
    """The empty set of rejected rows, one object in each process (pickled by name)."""

    def __reduce__(self) -> str:
        return "_NO_ROWS"


class _NoFlags(dict):
    """The empty map of flagged rows, one object in each process (pickled by name).  Shared by
    every form without flagged rows, so it refuses to be changed."""

    def __reduce__(self) -> str:
        return "_NO_FLAGS"

    def _refuse(self, *args, **kwargs):
        raise TypeError("the shared empty map of flagged rows cannot be changed")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = __ior__ = _refuse  # type: ignore[assignment]


_NO_ROWS: frozenset[int] = _NoRows()
_NO_FLAGS: Mapping[int, list[Issue]] = _NoFlags()


def _stow_verdict(res: FileResult) -> FileResult:
    """Move the verdict's issues and rejected rows (with their raw cells) to the end of the
    file's spill file, keeping only their counts (issue 7: a round of 5,000 small returns with
    15,000 bad cells must not hold them all until the workbook is written).  Runs where the file
    was read (the pool worker), so only the counts travel back.  A result without a spill file,
    or whose spill file cannot be written to, keeps them in memory."""
    verdict, spill = res.verdict, res.spill
    if verdict is None or verdict.stowed is not None or not isinstance(spill, tuple) or not spill:
        return res
    if not verdict.issues and not verdict.rejected:
        return res
    try:
        segment = append_segment(spill[0], (verdict.issues, verdict.rejected))
    except OSError:
        return res
    res.verdict = replace(verdict, issues=[], rejected=[],
                          stowed=(str(spill[0]), segment, len(verdict.issues),
                                  sum(1 for i in verdict.issues if i.is_error), len(verdict.rejected)))
    return res


def judge_unit(definition: FormDefinition, unit_code: str, chosen: dict[str, FileResult],
               tally: FigureTally | None = None) -> UnitVerdict:
    """Judge one unit's rows: duplicate keys within the unit, cross-form references and
    ``complete_for``, then accept (no error-level issue) or reject each row.  ``chosen`` maps
    form name → the file whose rows count for that form.  Pure; runs in the worker that read a
    unit's only file, or in :func:`combine` when the unit sent several."""
    unit_rows: dict[str, list[Row]] = {f.name: chosen[f.name].load(f.name, definition) if f.name in chosen else []
                                       for f in definition.forms}
    issues: list[Issue] = []
    for form in definition.forms:
        if not form.key:
            continue
        seen: dict[tuple, Row] = {}
        for row in unit_rows[form.name]:
            k = _key_of(row, form)
            if k is None:
                continue
            if k in seen:
                first = seen[k]
                label = "、".join(form.field(n).label for n in form.key)
                shown = "、".join(format_value(row.values.get(n)) for n in form.key)
                c = _field_cell(row, form, form.key[0])
                row.issues.append(_issue(ERROR, "duplicate_key",
                                         f"{label}“{shown}”与第 {first.row} 行重复（同一单位内不能重复），请删除或合并",
                                         file=row.file, sheet=row.sheet, cell=c, row=row.row,
                                         field=form.field(form.key[0]).label, raw=shown,
                                         unit_code=row.unit_code, unit_name=row.unit_name))
            else:
                seen[k] = row
    present_forms = set(chosen)
    for form in definition.forms:
        for fld in form.fields:
            if not fld.ref or fld.ref[0] not in present_forms:
                continue
            targets = {normalise_label(format_value(r.values.get(fld.ref[1])))
                       for r in unit_rows[fld.ref[0]] if r.values.get(fld.ref[1]) is not None}
            ref_form = definition.form(fld.ref[0])
            for row in unit_rows[form.name]:
                v = row.values.get(fld.name)
                if v is None or normalise_label(format_value(v)) in targets:
                    continue
                row.issues.append(_issue(form.ref_severity, "unknown_reference",
                                         f"{fld.label}“{format_value(v)}”不在本单位的{ref_form.title}中，请与登记表中的名称保持一致",
                                         file=row.file, sheet=row.sheet, cell=_field_cell(row, form, fld.name),
                                         row=row.row, field=fld.label, raw=format_value(v),
                                         unit_code=row.unit_code, unit_name=row.unit_name))
        if form.complete_for and form.complete_for[0] in present_forms and form.name in present_forms:
            src_form = definition.form(form.complete_for[0])
            src_field = form.complete_for[1]
            have = {normalise_label(format_value(r.values.get(src_field))) for r in unit_rows[form.name]
                    if r.values.get(src_field) is not None}
            for r in unit_rows[src_form.name]:
                v = r.values.get(src_field)
                if v is None or r.has_error:
                    continue
                if normalise_label(format_value(v)) not in have:
                    sheet_name = unit_rows[form.name][0].sheet if unit_rows[form.name] else form.sheet
                    issues.append(_issue(WARNING, "missing_complete_for",
                                         f"{src_form.title}中的“{format_value(v)}”在{form.title}中没有对应行，请补填",
                                         file=chosen[form.name].path, sheet=sheet_name,
                                         field=src_form.field(src_field).label, raw=format_value(v),
                                         unit_code=chosen[form.name].unit_code,
                                         unit_name=chosen[form.name].unit_name))
    # --- accept / reject -------------------------------------------------------------------
    # Accepted rows stay where they are (memory or spill file); the verdict keeps which of
    # the file's rows were rejected and the issues of the accepted ones.
    rejected: list[Row] = []
    forms: dict[str, tuple[int, frozenset[int], Mapping[int, list[Issue]]]] = {}
    accepted_values: dict[str, list[dict[str, Any]]] = {}
    for form in definition.forms:
        rejected_at: set[int] = set()
        flagged: dict[int, list[Issue]] = {}
        values: list[dict[str, Any]] = []
        for i, row in enumerate(unit_rows[form.name]):
            if row.issues:
                issues.extend(row.issues)
                if row.has_error:
                    row.cells = row.field_cells()  # kept until the workbook is written
                    rejected.append(row)
                    rejected_at.add(i)
                    continue
                flagged[i] = row.issues
            values.append(row.values)
        accepted_values[form.name] = values
        if form.name in chosen:
            # one shared empty set and map for the (many) forms without problems: 280 bytes a
            # form a file otherwise, held until the workbook is written (issue 7)
            forms[form.name] = (len(values), frozenset(rejected_at) if rejected_at else _NO_ROWS,
                                flagged or _NO_FLAGS)
    tally = tally or FigureTally(definition, ())
    return UnitVerdict(issues=issues, rejected=rejected, forms=forms,
                       figures=tally.parts(unit_code, accepted_values))


def combine(definition: FormDefinition, roster: Roster, results: Sequence[FileResult],
            on_duplicate: str = "newest", skipped: Sequence[str] = ()) -> Consolidation:
    """Stage 2: combine per-file results into a :class:`Consolidation` (roster order; results
    may come in any order).  ``on_duplicate``: ``"newest"`` (default) uses the newer copy of each
    form and lists the other as superseded (已被替代); ``"error"`` does the same but makes it an
    error-level issue."""
    if on_duplicate not in ("newest", "error"):
        raise ValueError("on_duplicate must be 'newest' or 'error'")
    results = sorted(results, key=lambda r: r.path)
    by_unit: dict[str, list[FileResult]] = {}
    others: list[FileResult] = []
    for res in results:
        if res.status == "ok":
            by_unit.setdefault(res.unit_code, []).append(res)
        else:
            others.append(res)
    # Issues and rejected rows are kept per unit, in memory or (judged in a worker) still in the
    # spill file, and read back in order when the workbook is written (issue 7).
    issues = IssueList(_issue_order)
    order = {u.code: i for i, u in enumerate(roster)}
    n_errors = n_warnings = 0
    lean: dict[int, FileResult] = {}  # id(result) → the result without its verdict and issues
    accepted = {f.name: AcceptedRows(definition, f.name) for f in definition.forms}
    form_counts: dict[str, dict[str, int]] = {u.code: {f.name: 0 for f in definition.forms} for u in roster}
    tally = FigureTally(definition, [u.code for u in roster])
    rejected = RejectedRows()
    ledger: list[LedgerEntry] = []
    superseded_files: list[str] = []
    superseded_why: dict[str, str] = {}
    rows_superseded = 0
    deadline = ""
    for unit in roster:
        files = by_unit.get(unit.code, [])
        unit_issues: list[Issue] = []
        where = {"unit_code": unit.code, "unit_name": unit.name}
        # --- which file supplies each form -------------------------------------------------
        chosen: dict[str, list[FileResult]] = {}
        replaced: dict[tuple[str, str, bool], list[str]] = {}  # (old, newest, tie) -> form titles
        for form in definition.forms:
            having = [r for r in files if form.name in r.forms]
            if not having:
                continue
            if len(having) > 1:
                having.sort(key=_age)
                newest = having[-1]
                tie = _age(having[-2])[:2] == _age(newest)[:2]
                for old in having[:-1]:
                    replaced.setdefault((old.path, newest.path, tie), []).append(form.title)
                having = [newest]
            chosen[form.name] = having
        for (old_path, new_path, tie), titles in replaced.items():
            newest = next(r for r in files if r.path == new_path)
            what = "" if len(titles) == len(definition.forms) else f"（{'、'.join(titles)}）"
            if tie:
                sev, why = ERROR, (f"“{Path(old_path).name}”与“{Path(new_path).name}”是同一单位的重复报送{what}，"
                                   f"两份文件的保存时间相同，无法判断哪份较新，暂用后者；请确认后只保留一份")
                superseded_why[old_path] = f"与“{Path(new_path).name}”保存时间相同，无法判断哪份较新，暂用后者"
            else:
                sev = ERROR if on_duplicate == "error" else WARNING
                why = (f"同一单位重复报送{what}：已采用较新的“{Path(new_path).name}”（保存于 {_fmt_time(newest.saved_at)}），"
                       f"“{Path(old_path).name}”已被替代")
                superseded_why[old_path] = f"被同一单位较新的“{Path(new_path).name}”替代（本文件保存于 {_fmt_time(_file(files, old_path).saved_at)}）"
            unit_issues.append(_issue(sev, "duplicate_return", why, file=old_path, **where))
        used = sorted({r.path for rs in chosen.values() for r in rs})
        for r in files:
            if r.path not in used and r.path not in superseded_files:
                superseded_files.append(r.path)
            # rows of forms another copy replaced are not part of this consolidation
            rows_superseded += sum(r.count(form_name) for form_name in r.forms
                                   if r not in chosen.get(form_name, []))
        used_results = [r for r in files if r.path in used]
        for r in used_results:
            unit_issues.extend(r.issues)
            deadline = deadline or r.deadline
        # --- rows: key duplicates, cross-form references, accept / reject --------------------
        # Judged in the worker that read the file when the unit sent one file (the usual case);
        # else here, from the spill files.
        if len(files) == 1 and files[0].verdict is not None:
            verdict = files[0].verdict
        else:
            verdict = judge_unit(definition, unit.code, {f: chosen[f][0] for f in chosen})
        # The unit's issues: those found here and in its files (before), the judged ones (in
        # memory, or still in the spill file of a unit judged in a worker), then those below.
        after: list[Issue] = []
        if verdict.stowed is not None:
            rejected.add(order[unit.code], verdict.stowed_rejected, verdict.n_rejected)
        else:
            rejected.add(order[unit.code], verdict.rejected, len(verdict.rejected))
        n_acc, n_rej = verdict.accepted, verdict.n_rejected
        for form_name, (n, rejected_at, flagged) in verdict.forms.items():
            form_counts[unit.code][form_name] = n
            res = chosen[form_name][0]
            if id(res) not in lean:  # the rows' part needs the spill, not the verdict or issues
                lean[id(res)] = replace(res, issues=[], verdict=None)
            accepted[form_name].add(lean[id(res)], n, rejected_at, flagged)
        tally.add(unit.code, verdict.figures)
        if files:
            for form in definition.forms:
                if form.name not in chosen and not form.optional:
                    after.append(_issue(WARNING, "form_missing",
                                        f"报送文件中没有找到{form.title}，如本单位确无此项内容可忽略，否则请补报",
                                        file=used[0] if used else files[0].path, sheet=form.sheet, **where))
        broken = [r for r in others if r.unit_code == unit.code]
        reason = ""
        if not files and broken:
            # The unit did send something, but nothing usable: not 未报送, and not chased as such.
            for r in broken:
                after.extend(r.issues)
            used = [r.path for r in broken]
            reason = "报送的文件无法使用（" + "；".join(r.reason for r in broken) + "），请重新报送"
        issues.add(unit_issues, verdict.stowed_issues if verdict.stowed is not None else verdict.issues,
                   verdict.n_issues, after, where)
        n_err = sum(1 for i in unit_issues if i.is_error) + verdict.n_errors + sum(1 for i in after if i.is_error)
        n_warn = len(unit_issues) + verdict.n_issues + len(after) - n_err
        n_errors += n_err
        n_warnings += n_warn
        if not files and not broken:
            status = MISSING
        elif n_err:
            status = HAS_ERRORS
        elif len(files) > len(used):
            status = DUPLICATE
        else:
            status = RETURNED
        ledger.append(LedgerEntry(code=unit.code, name=unit.name, status=status,
                                  files=used, accepted=n_acc, rejected=n_rej, errors=n_err, warnings=n_warn,
                                  contact=unit.contact, phone=unit.phone, reason=reason))
    # --- files outside the roster's units ----------------------------------------------------
    other_issues: list[Issue] = []
    for path in superseded_files:
        res = _file(results, path)
        ledger.append(LedgerEntry(code=res.unit_code, name=res.unit_name, status=SUPERSEDED, files=[path],
                                  reason=f"{superseded_why.get(path, '被同一单位较新的文件替代')}，{res.rows_read} 行未计入"))
    roster_codes = {u.code for u in roster}
    for res in others:
        n_rej = 0
        for form_name in res.forms:
            for row in res.load(form_name, definition):
                row.cells = row.field_cells()
                rejected.add(order.get(row.unit_code, len(order)), [row], 1)
                other_issues.extend(row.issues)
                n_rej += 1
        if res.unit_code not in roster_codes:  # else already listed under its unit
            other_issues.extend(res.issues)
        status = UNREADABLE if res.status == "unreadable" else UNIDENTIFIED
        n_err = sum(1 for i in res.issues if i.is_error) + n_rej
        ledger.append(LedgerEntry(code="", name=res.unit_name, status=status, files=[res.path],
                                  rejected=n_rej, errors=n_err,
                                  warnings=sum(1 for i in res.issues if not i.is_error), reason=res.reason))
    # --- order, figures, counts ------------------------------------------------------------------
    issues.add((), other_issues, len(other_issues), (), None)
    n_errors += sum(1 for i in other_issues if i.is_error)
    n_warnings += sum(1 for i in other_issues if not i.is_error)
    figures, per_unit = tally.result()
    rows_read = sum(res.rows_read for res in results) - rows_superseded
    n_accepted = sum(len(v) for v in accepted.values())
    counts = {
        "units": len(roster),
        "returned": sum(1 for e in ledger[: len(roster)] if e.status != MISSING),
        "missing": sum(1 for e in ledger[: len(roster)] if e.status == MISSING),
        "files": len(results),
        "superseded": len(superseded_files),
        "unreadable": sum(1 for r in others if r.status == "unreadable"),
        "unidentified": sum(1 for r in others if r.status == "unidentified"),
        "skipped": len(skipped),
        "rows_read": rows_read,
        "rows_superseded": rows_superseded,
        "rows_accepted": n_accepted,
        "rows_rejected": len(rejected),
        "errors": n_errors,
        "warnings": n_warnings,
    }
    if counts["rows_read"] != counts["rows_accepted"] + counts["rows_rejected"]:  # pragma: no cover
        raise AssertionError(f"row accounting broken: {counts}")
    saved = [r.saved_at for r in results if r.saved_at and r.path not in superseded_files]
    return Consolidation(definition=definition, roster=roster, rows=accepted, rejected=rejected, issues=issues,
                         ledger=ledger, figures=figures, per_unit=per_unit, counts=counts,
                         skipped=[str(s) for s in skipped], superseded=superseded_files, deadline=deadline,
                         saved_at=max(saved) if saved else None, form_counts=form_counts)


def _file(results: Sequence[FileResult], path: str) -> FileResult:
    return next(r for r in results if r.path == path)


def _age(r: FileResult) -> tuple:
    """Sort key: the time saved inside the file, then the file system's time, then the path."""
    floor = datetime.min.replace(tzinfo=timezone.utc)
    return (r.saved_at or floor, r.mtime or floor, r.path)


def _issue_order(i: Issue) -> tuple:
    return (i.file, i.sheet, i.row or 0, _col_index(i.cell), i.kind)


def _col_index(cell: str) -> int:
    letters = "".join(ch for ch in cell if ch.isalpha())
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch.upper()) - 64)
    return n


def _field_cell(row: Row, form: Form, field_name: str) -> str:
    """The real cell address of a field on a row (empty when the column is missing)."""
    return row.cell(field_name)


def _fmt_time(t: datetime | None) -> str:
    if t is None:
        return "未知时间"
    return t.astimezone().strftime("%Y-%m-%d %H:%M:%S")


# --------------------------------------------------------------------------- public API


def _load(definition: FormDefinition | str | Path, roster: Roster | str | Path) -> tuple[FormDefinition, Roster]:
    if not isinstance(definition, FormDefinition):
        definition = load_form_definition(definition)
    if not isinstance(roster, Roster):
        roster = load_roster(roster)
    return definition, roster


def merge(
    definition: FormDefinition | str | Path,
    roster: Roster | str | Path,
    returns: Iterable[str | Path],
    *,
    on_duplicate: str = "newest",
    jobs: int | None = None,
    limits: Limits | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Consolidation:
    """Merge the returns of a collection round.

    ``definition``: a :class:`FormDefinition` or YAML path; ``roster``: a :class:`Roster` or a
    roster file; ``returns``: files and/or folders (searched recursively; lock and system files
    skipped and counted).  ``jobs``: worker processes (default: the machine's cores; results are
    combined in roster order so the output does not depend on it).  ``progress(done, total,
    path)`` is called after each file.

    Rows wait in a temporary directory (``TMPDIR``; about 5× the returns' size) between reading
    and writing, removed with the consolidation (:class:`SpillDir`); a file whose rows cannot be
    written there keeps them in memory.

    Returns a :class:`Consolidation`.  Raises :class:`~xltools.errors.XltoolsError` only for
    bad arguments (definition, roster, a return path that does not exist), and
    :class:`~xltools.errors.OutputError` when the temporary directory cannot be created;
    problems in the returns are issues.
    """
    definition, roster = _load(definition, roster)
    roots = [Path(r) for r in returns]
    files, skipped = find_returns(roots)
    names = display_names(roots, files)
    # Rows wait on disk between reading and writing (issue 7: memory bounded by the largest
    # return).  The directory lives as long as the consolidation and is removed with it.
    spill = SpillDir()
    results = _read_all(files, [names[f] for f in files], definition, roster, jobs, limits, progress, spill.name)
    cons = combine(definition, roster, results, on_duplicate=on_duplicate,
                   skipped=[display_names(roots, skipped)[s] for s in skipped])
    cons.sources = {names[f]: str(f) for f in files}
    cons.spill_dir = spill
    for seq in [*cons.rows.values(), cons.issues, cons.rejected]:
        if isinstance(seq, (AcceptedRows, IssueList, RejectedRows)):
            seq.spill_dir = spill
    return cons


def display_names(roots: Sequence[Path], files: Sequence[Path]) -> dict[Path, str]:
    """How each file is named in the ledger and issue list: a file found in a folder given on
    the command line is named from that folder (``round1/D01_区委办.xlsx``), a file given
    directly as given.  Unique: on a clash the full path is used."""
    out: dict[Path, str] = {}
    for f in files:
        name = str(f)
        for root in roots:
            try:
                if root.is_dir():
                    rel = Path(f).resolve().relative_to(root.resolve())
                    name = str(Path(root.resolve().name) / rel)
                    break
            except ValueError:
                continue
        out[f] = name
    seen: dict[str, int] = {}
    for name in out.values():
        seen[name] = seen.get(name, 0) + 1
    return {f: (name if seen[name] == 1 else str(f)) for f, name in out.items()}


def _read_all(files: Sequence[Path], names: Sequence[str], definition: FormDefinition, roster: Roster,
              jobs: int | None, limits: Limits | None, progress, spill_dir: str | None = None) -> list[FileResult]:
    """Read every file (stage 1), in a process pool when ``jobs`` > 1.  With ``spill_dir``, each
    file's rows are written there as soon as it is read (in the worker) and only the summary
    comes back, so neither the workers nor this process hold more than one return's rows."""
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    total = len(files)
    results: list[FileResult] = []
    if jobs <= 1 or total < 4:
        for i, (f, name) in enumerate(zip(files, names), 1):
            results.append(_stow_verdict(_read_and_spill(f, name, i, definition, roster, limits, spill_dir)))
            if progress:
                progress(i, total, name)
        return results
    import multiprocessing

    ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    # The definition, roster and limits go to each worker once, not with every file.
    with ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=ctx, initializer=_init_worker,
                             initargs=(definition, roster, limits, spill_dir)) as pool:
        chunk = max(1, min(16, total // (jobs * 4) or 1))
        try:
            for i, res in enumerate(pool.map(_read_in_worker, files, names, range(1, total + 1), chunksize=chunk), 1):
                results.append(res)
                if progress:
                    progress(i, total, res.path)
        except BaseException:
            # Ctrl-C (or any error here): drop the files not yet started, so leaving the pool
            # waits only for the ones being read, instead of reading the whole batch first.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    return results


def _read_and_spill(path: Path, name: str, index: int, definition: FormDefinition, roster: Roster | None,
                    limits: Limits | None, spill_dir: str | None) -> FileResult:
    res = read_one(path, definition, roster, limits, display=name)
    if spill_dir is None or not res.rows:
        return res
    try:
        spilled = res.spill_to(os.path.join(spill_dir, f"{index:07d}.rows"), definition)
    except OSError:
        # The disk is full or the directory went away: keep this file's rows in memory rather
        # than lose them (the merge needs more memory, nothing else changes).
        return res
    if res.status == "ok":
        # judge_unit adds issues to the rows it is given: these in-memory rows, already
        # spilled unchanged, so a second judgement (the unit sent more files) starts clean.
        spilled.verdict = judge_unit(definition, res.unit_code, {f: res for f in res.forms})
    return spilled


_WORKER: tuple[FormDefinition, Roster, Limits | None, str | None] | None = None


def _init_worker(definition: FormDefinition, roster: Roster, limits: Limits | None, spill_dir: str | None) -> None:
    global _WORKER
    # Ctrl-C reaches the whole process group: only the parent handles it.  A worker interrupted
    # inside the pool's queue machinery leaves the parent waiting for it for ever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = (definition, roster, limits, spill_dir)


def _read_in_worker(path: Path, name: str, index: int) -> FileResult:
    assert _WORKER is not None
    definition, roster, limits, spill_dir = _WORKER
    return _stow_verdict(_read_and_spill(path, name, index, definition, roster, limits, spill_dir))


@dataclass
class CheckResult:
    """The result of :func:`check` on one return: the file's result, its issues (cell-level
    included, in sheet/row/column order) and the number of rows that would be accepted/rejected."""

    path: str
    status: str
    unit_code: str
    unit_name: str
    issues: list[Issue]
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    reason: str = ""

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self.issues)


def check(path: str | Path, definition: FormDefinition | str | Path,
          roster: Roster | str | Path | None = None, *, limits: Limits | None = None) -> CheckResult:
    """Check one return as merge would (reading, identification, coercion, duplicate keys and
    cross-form rules within the file).  Without a roster, the unit is taken from the file's stamp
    as it stands.  Raises :class:`~xltools.errors.XltoolsError` for a bad definition or a path
    that does not exist."""
    if not isinstance(definition, FormDefinition):
        definition = load_form_definition(definition)
    p = Path(path)
    if not p.exists():
        raise ReturnReadError(str(p), "文件不存在", "请检查路径")
    if roster is not None and not isinstance(roster, Roster):
        roster = load_roster(roster)
    res = read_one(p, definition, roster, limits)
    if roster is None:
        roster = Roster(units=(Unit(res.unit_code, res.unit_name),) if res.status == "ok" else ())
    cons = combine(definition, roster, [res])
    return CheckResult(path=str(path), status=res.status, unit_code=res.unit_code, unit_name=res.unit_name,
                       issues=list(cons.issues), rows_read=cons.counts["rows_read"], rows_accepted=cons.counts["rows_accepted"],
                       rows_rejected=cons.counts["rows_rejected"], reason=res.reason)


__all__ = [
    "CheckResult",
    "Consolidation",
    "FileResult",
    "LedgerEntry",
    "Row",
    "check",
    "combine",
    "merge",
    "read_one",
]
