"""Per return: one file → its rows and issues (the first stage of :func:`xltools.merge.merge`).

:func:`read_one` is a pure function of ``(path, definition, roster)``: it opens the return
safely (:func:`xltools.readers.read_return`), identifies the unit and the form (``_meta`` sheet →
custom properties → identity line → file name), finds each form's sheet and header by
normalised labels and aliases, reads the data rows and coerces every cell (:mod:`xltools.coerce`),
a column at a time.  Its :class:`FileResult` combines with the others in any order
(:mod:`xltools.combine`), so the files can be read by a process pool and, one day, by a cluster.
:meth:`FileResult.spill_to` moves the rows to a spill file (:mod:`xltools.spill`, issue 7).
"""

from __future__ import annotations

import math
import pickle
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from itertools import compress, groupby, repeat
from operator import attrgetter, is_, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import stamp as st
from .coerce import compiled, format_value
from .errors import DataError, ReturnReadError
from .forms import FormDefinition, normalise_label
from .headers import (
    MONEY_IN,
    HeaderMatch,
    find_headers,
    header_at,
    header_of,
    label_index,
    unit_like,
)
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
from .readers import CellError, Limits, SheetData, read_return
from .roster import Roster, Unit
from .spill import (
    append_segment,
    read_segment,
    write_segments,
)

if TYPE_CHECKING:
    from .combine import UnitVerdict


EXCEL_CELL_LIMIT = 32767
#: The unit code ``check`` uses for a file without a stamp when no roster is given.
UNKNOWN_UNIT = "?"
_FOOTER_RE = re.compile(r"^\s*(注|说明|备注|填表人|制表人|审核人|负责人|联系人|填报人|单位负责人|填表日期|制表日期)\s*[:：]")
#: A clerk's total line: 合计 / 总计 / 小计 / 共计 / 累计, or one of the page's or table's
#: (本页小计, 本表合计, 以上合计), alone in the row's first non-blank cell.
_TOTAL_RE = re.compile(r"^\s*(?:(?:本\s*页|本\s*表|以\s*上|全\s*年)\s*)?(合|总|小|共|累)\s*计\s*[:：]?\s*$")
#: The next item of a note (2. …, （2）…, 二、…): a note's line, not a form row.
_NOTE_ITEM = re.compile(
    r"^\s*(?:\d{1,2}\s*(?:[.．、](?!\d)|[)）])"  # 2. 2、 2) 2）
    r"|[一二三四五六七八九十]{1,3}\s*[、.．]"  # 二、
    r"|[（(]\s*[\d一二三四五六七八九十]{1,3}\s*[)）]"  # （2） (二)
    r"|[\u2460-\u2473\u2776-\u277f]"  # ② ❷
    r"|第\s*[\d一二三四五六七八九十]{1,3}\s*[，,、.．：:])"  # 第二，
)
#: First characters of the texts the two patterns match: most rows need neither regex.
_FOOTER_START = frozenset("注说备填制审负联单合总小共累本以全")
#: First characters of a row looked at one by one: a footer's, a total's, an identity line's (表单：…).
_STOP_START = _FOOTER_START | {"表"}


#: Sheets of ours that hold no data: the stamp and what a correction copy adds (the
#: instructions, and copies of them, are known by their name's start).
_NOT_FOR_DATA = frozenset({st.META_SHEET, st.NOTES_SHEET, st.MARKS_SHEET})


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
        return tuple(map(self.values.get, names))

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
    #: whether ``saved_at`` was recorded inside the file (else it is ``mtime``)
    saved_inside: bool = False
    deadline: str = ""
    rows: dict[str, list[Row]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    #: SHA-256 of the file's bytes (:attr:`xltools.readers.ReturnWorkbook.digest`), "" when unread
    digest: str = ""
    #: the roster unit the file name names when its stamp names another (a forwarded workbook:
    #: counted under the stamp's unit; the named unit's ledger line says where its file went)
    named_for: str = ""
    #: form name → number of rows; set when the rows are spilled
    counts: dict[str, int] = field(default_factory=dict)
    #: (spill file, form name → (offset, length)) once the rows are on disk
    spill: tuple[str, dict[str, tuple[int, int]]] | None = None
    #: the unit's verdict if this turns out to be its only file (judged while the rows were
    #: in memory; :func:`combine` uses it then, else judges again)
    verdict: UnitVerdict | None = None
    #: form name → its rows column by column, one :class:`SheetColumns` per sheet, as
    #: :func:`read_one` made them (what :meth:`spill_to` stores with ``as_read=True``; dropped
    #: with the rows, and by the merge for a result it does not spill)
    columnar: dict[str, list[SheetColumns]] = field(default_factory=dict, repr=False, compare=False)

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
        make = _dict_maker(tuple(names))
        out: list[Row] = []
        for sheet, columns, numbers, values, raw, issues in self._blocks(form_name):
            present = _present(columns)
            for i, (row, vals, cells) in enumerate(zip(numbers, map(make, *values), zip(*raw) if raw else repeat(()))):
                out.append(Row(form_name, vals, code, name, file, sheet, row,
                               dict(zip(present, cells)), columns, labels, list(issues.get(i, ()))))
        return out

    def values(self, form_name: str, definition: FormDefinition) -> list[tuple[str, int, tuple]]:
        """``(sheet, row, values in field order)`` of the rows read for ``form_name``, in read
        order, without building :class:`Row` objects (what the consolidated workbook needs)."""
        if self.spill is None:
            names = [f.name for f in definition.form(form_name).fields]
            return [(r.sheet, r.row, r.field_values(names)) for r in self.rows.get(form_name, ())]
        out: list[tuple[str, int, tuple]] = []
        for sheet, _columns, numbers, values, _raw, _issues in self._blocks(form_name):
            out += zip(repeat(sheet), numbers, zip(*values))
        return out

    def _blocks(self, form_name: str) -> list[tuple]:
        """The spilled rows of ``form_name`` as :meth:`spill_to` wrote them: one block per
        source sheet, ``(sheet, columns, row numbers, value columns in field order, raw-cell
        columns in _present order, row index → issues)``; a raw column stored as the index of
        the values column it was, object for object, is that column again."""
        assert self.spill is not None
        path, segments = self.spill
        if form_name not in segments:
            return []
        try:
            blocks = read_segment(path, segments[form_name])
        except FileNotFoundError:
            raise DataError(
                f"{self.path}：汇总时暂存的数据行已被删除（{path} 不存在：汇总结果已关闭或临时目录被清理），请重新汇总"
            ) from None
        for _sheet, _columns, _numbers, values, raw, _issues in blocks:
            raw[:] = [values[col] if col.__class__ is int else col for col in raw]
        return blocks

    def spill_to(self, path: str | Path, definition: FormDefinition, *, as_read: bool = False) -> FileResult:
        """Write the rows to ``path`` (pickle, one segment per form; see :meth:`_blocks` for
        the layout) and return a copy of this result without them (``counts`` and ``spill``
        set).  Column by column: a few lists per sheet rather than tuples per row, and a raw
        column holding its field's values (text as typed; see :func:`_same_cells`) is stored as
        the index of that values column (issue 7: the spill was a tenth of a return's cost).

        ``as_read=True``: the caller vouches that no row's values, cells or issues list was
        changed since :func:`read_one` made them (the merge spills straight after reading);
        the columns ``read_one`` kept (:attr:`columnar`) are then stored as they are, for the
        sheets whose rows are still those very Row objects in that order.  By default the
        rows are transposed as they stand now.  Raises ``OSError`` (disk full, directory
        gone)."""
        records: dict[str, list[tuple]] = {}
        for form_name, rows in self.rows.items():
            names = [f.name for f in definition.form(form_name).fields]
            parts = _by_sheet(rows)
            known = self.columnar.get(form_name, ()) if as_read else ()
            if known and len(known) == len(parts) and all(map(SheetColumns.holds, known, parts, repeat(names))):
                records[form_name] = [_block_of(part, names, sheet.values, sheet.raw) for part, sheet in zip(parts, known)]
            else:  # rows made elsewhere, or maybe changed since: transposed from the rows
                records[form_name] = [_block(part, names) for part in parts]
        segments = write_segments(path, records)
        counts = {form_name: len(rows) for form_name, rows in self.rows.items()}
        return replace(self, rows={}, counts=counts, spill=(str(path), segments), columnar={})


@dataclass(frozen=True, slots=True)
class PackedResult:
    """A :class:`FileResult` as :func:`xltools.merge.merge` holds it until
    :func:`xltools.combine.combine` reaches its unit: what ``combine`` sorts, groups and counts
    by (``path``, ``status``, ``unit_code``, ``rows_read``, ``saved_at``, ``named_for``), and the whole result
    pickled — appended to the return's own spill file (``stored``: path and ``(offset, length)``),
    or, for a file with no spill file (unreadable, no rows, a full disk), in ``blob``.

    Issue 7: a spilled result of a small return is about 0.9 KB pickled and 4.3 KB as objects
    (its verdict's per-form tuples and sets, the figure parts' ``Decimal`` s, the strings), and a
    province's 5,000 results were all held while the pool's workers read the rest — the total,
    not the largest return, is what grew.  Stored, each waits as a few short strings.
    :meth:`unpack` gives a new, equal :class:`FileResult` (pickle's round trip); it raises
    ``FileNotFoundError`` once the spill directory is gone."""

    path: str
    status: str
    unit_code: str
    rows_read: int
    saved_at: datetime | None
    blob: bytes | None
    stored: tuple[str, tuple[int, int]] | None = None
    named_for: str = ""

    @classmethod
    def of(cls, res: FileResult) -> PackedResult:
        keys = (res.path, res.status, res.unit_code, res.rows_read, res.saved_at)
        if isinstance(res.spill, tuple) and res.spill:
            try:
                return cls(*keys, None, (res.spill[0], append_segment(res.spill[0], res)), named_for=res.named_for)
            except OSError:
                pass  # the disk is full or the directory went away: keep it in memory
        return cls(*keys, pickle.dumps(res, pickle.HIGHEST_PROTOCOL), named_for=res.named_for)

    def unpack(self) -> FileResult:
        if self.stored is not None:
            return read_segment(*self.stored)  # type: ignore[return-value]
        assert self.blob is not None
        return pickle.loads(self.blob)


@lru_cache(maxsize=64)
def _dict_maker(keys: tuple[str, ...]) -> Callable[..., dict[str, Any]]:
    """``make(v0, v1, …) -> {keys[0]: v0, keys[1]: v1, …}`` (keys in that order), for
    ``map(make, *columns)``: a dict display with constant keys, compiled once per tuple of keys
    as the dataclasses module compiles ``__init__``.  CPython builds it presized, in one
    instruction (BUILD_CONST_KEY_MAP), with no tuple per row: 2,000 rows of 13 fields in 1.2
    instead of 2.0 ms for ``dict(zip(keys, row))`` (issue 7: a row's dict was the costliest
    line of reading a sheet).  The keys are written as ``repr`` literals, whatever they hold."""
    params = ", ".join(f"v{i}" for i in range(len(keys)))
    items = ", ".join(f"{key!r}: v{i}" for i, key in enumerate(keys))
    return eval(f"lambda {params}: {{{items}}}", {})  # noqa: S307 - only repr literals and v0, v1, …


def _by_sheet(rows: list[Row]) -> list[list[Row]]:
    """``rows`` cut where the columns map changes (rows come sheet by sheet, each sheet's rows
    sharing one map object): one part in the usual case, found without a loop over the rows."""
    n = len(rows)
    if not n:
        return []
    maps = list(map(id, map(_COLUMNS, rows)))
    if maps.count(maps[0]) == n:
        return [rows]
    return [list(map(itemgetter(1), run)) for _, run in groupby(zip(maps, rows), itemgetter(0))]


@dataclass(frozen=True, slots=True, eq=False)
class SheetColumns:
    """One sheet's rows of a form column by column, as :func:`_read_form_sheet` had them: the
    :class:`Row` objects made from them (to tell that a sheet's rows are still these; their
    columns map and row numbers are the block's), the form's field names, the typed values per
    field (in field order) and the raw cells per present column (in :func:`_present` order).  Issue 7:
    :meth:`FileResult.spill_to` stores these instead of transposing the rows back (a twentieth
    of a S2 return's cost)."""

    rows: list[Row]
    names: tuple[str, ...]
    values: list[list[Any]]
    raw: list[list[Any]]

    def holds(self, part: list[Row], names: list[str]) -> bool:
        """Whether ``part`` (a sheet's rows, from :func:`_by_sheet`) are this sheet's rows, for
        a form with fields ``names``."""
        return len(part) == len(self.rows) and all(map(is_, part, self.rows)) and tuple(names) == self.names


def _block(part: list[Row], names: list[str]) -> tuple:
    """One spilled block (see :meth:`FileResult._blocks`) of a sheet's rows, column by column,
    with the rows transposed by ``zip`` rather than read cell by cell (for rows that
    :func:`read_one` did not make: :class:`SheetColumns`)."""
    columns = part[0].columns
    dicts = list(map(_VALUES, part))
    try:  # read_one sets every field of a row; a row built otherwise may lack some
        values = list(map(list, zip(*map(itemgetter(*names), dicts)))) if len(names) > 1 else None
    except KeyError:
        values = None
    if values is None:
        values = [[d.get(name) for d in dicts] for name in names]
    present = _present(columns)
    cells = list(map(_CELLS, part))
    if present and set(map(type, cells)) == {list} and min(map(len, cells)) > max(present):
        picked = map(itemgetter(*present), cells) if len(present) > 1 else zip(map(itemgetter(present[0]), cells))
        raw: list[Any] = list(map(list, zip(*picked)))
    else:
        raw = [list(col) for col in zip(*map(_raw_cells, part))] if present else []
    return _block_of(part, names, values, raw)


def _block_of(part: list[Row], names: list[str], values: list[list[Any]], raw: list[list[Any]]) -> tuple:
    """The spilled block of ``part`` from its columns: a raw column that is its field's values
    (the same objects, or equal cells of the same types) stored as the index of that values
    column, and the rows' issues as they are now (a verdict adds more after the spill)."""
    columns = part[0].columns
    fields = [names.index(name) for name, c in columns.items() if c is not None]
    raw = [k if _same_cells(col, values[k]) else col for k, col in zip(fields, raw)]
    issue_lists = list(map(_ISSUES, part))
    issues = {i: tuple(issue_lists[i]) for i in compress(range(len(part)), issue_lists)}
    return part[0].sheet, columns, list(map(_ROW, part)), values, raw, issues


_COLUMNS = attrgetter("columns")
_VALUES = attrgetter("values")
_CELLS = attrgetter("cells")
_ISSUES = attrgetter("issues")
_ROW = attrgetter("row")


def _same_cells(raw: list[Any], values: list[Any]) -> bool:
    """Whether a raw column may be stored as the values column beside it (see
    :meth:`FileResult.spill_to`): the same objects, or cell for cell of the same type and equal,
    for types whose equal values are the same in every respect (str, int, bool, date: the text
    a clerk typed is its own value; not float, where -0.0 == 0.0, nor datetime, whose fold
    equality ignores).  Read back, the raw cells are then those value objects."""
    if all(map(is_, raw, values)):
        return True
    return (raw == values and set(map(type, raw)) <= _EQUAL_IS_SAME
            and all(map(is_, map(type, raw), map(type, values))))


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


# --------------------------------------------------------------------------- per file


def _issue(severity: str, kind: str, message: str, **where: Any) -> Issue:
    return Issue(severity=severity, kind=kind, message=message, **where)


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


_BLANK_ROW = object()
#: Raw value types a column may mix and still be coerced one distinct value at a time: no
#: value of one type equals a value of another (``1 == 1.0 == True`` would merge in a dict,
#: so at most one of int, float and bool may occur; ``0.0 == -0.0`` prints differently, so a
#: column holding -0.0 is coerced cell by cell: :func:`_negative_zero`).
_PLAIN_KINDS = frozenset({type(None), str, date, datetime, int, float, bool})
_NUMBER_KINDS = frozenset({int, float, bool})
_NUMBERS_OR_NONE = frozenset({int, float, bool, type(None)})
_EQUAL_IS_SAME = frozenset({str, int, bool, date, type(None)})


def _excel_limit(result: tuple[Any, list]) -> tuple[Any, list]:
    """``result`` with the too_long_for_excel error added when its value is text longer than
    an Excel cell can hold (Microsoft, "Excel specifications and limits": 32,767 characters)."""
    value, problems = result
    if value.__class__ is str and len(value) > EXCEL_CELL_LIMIT:
        return value, [*problems, (ERROR, "too_long_for_excel",
                                   f"内容有 {len(value)} 个字符，超过 Excel 单元格上限 {EXCEL_CELL_LIMIT}，请精简后重新报送")]
    return result


def _coerce_column(col: list[Any], coerce: Callable) -> tuple[list[tuple[Any, list]], list[int], dict | None]:
    """Coerce a column's raw values (the coercer is pure: equal raw values give equal results):
    each distinct value once when the column's types allow it (see ``_PLAIN_KINDS``), else cell
    by cell.  Returns ``(value, problems)`` per cell, the indexes of cells with problems, and
    the distinct values (a dict keyed by one object per value; None when coerced cell by cell).
    Cells with equal raw values then share one value object: typed values are immutable (str,
    int, Decimal, date, bool, tuple of names), and the problem lists are only read."""
    kinds = set(map(type, col))
    numbers = kinds & _NUMBER_KINDS
    if kinds <= _PLAIN_KINDS and len(numbers) <= 1 and not (float in numbers and 0 in col and _negative_zero(col)):
        many = getattr(coerce, "many", None)  # plain strings in one batch (coerce.compile_field)
        known = many(col) if many is not None else {v: coerce(v) for v in set(col)}
        if str in kinds:
            for v, result in known.items():
                if result[0].__class__ is str and len(result[0]) > EXCEL_CELL_LIMIT:
                    known[v] = _excel_limit(result)
        results = list(map(known.__getitem__, col))
        troubled = {v for v, (_value, problems) in known.items() if problems}
        bad = [i for i, v in enumerate(col) if v in troubled] if troubled else []
        return results, bad, known
    results = [_excel_limit(coerce(v)) for v in col]
    return results, [i for i, (_value, problems) in enumerate(results) if problems], None


def _negative_zero(col: list[Any]) -> bool:
    """Whether the column holds -0.0: it equals 0.0, so the two would share one coerced value,
    but they are typed and shown apart (``Decimal("-0")``).  Asked only of a column holding a
    zero; a column of numbers with zeros (an amount of 0, the usual case) is still coerced one
    distinct value at a time."""
    return any(math.copysign(1.0, v) < 0 for v in col if v.__class__ is float and v == 0)


def _repeats_header(cells: Sequence[Any], labels: dict[int, str]) -> bool:
    """Whether a row holds the header's own texts in at least half of the header's columns (and
    two): a table pasted below itself, header included."""
    same = sum(1 for c, text in labels.items() if c < len(cells) and cells[c] == text)
    return same >= max(2, (len(labels) + 1) // 2)


def _rows_text(rows: Sequence[int]) -> str:
    """Excel row numbers for a message, the first ten of them: ``4、5、9`` or ``4、5、…、13等``."""
    return "、".join(map(str, rows[:10])) + ("等" if len(rows) > 10 else "")


def _first_cell(cells: Sequence[Any]) -> tuple[int, Any]:
    """``(column, value)`` of the row's first non-blank cell (None and whitespace are blank), or
    ``(-1, _BLANK_ROW)`` — looking no further than that cell (it runs on every row of every
    return)."""
    for c, v in enumerate(cells):
        if v is None or (v.__class__ is str and not v.strip()):
            continue
        return c, v
    return -1, _BLANK_ROW


#: A cell of a signature or contact line under a footer: a short label and a colon
#: (联系电话：, 填报日期：), or a seal or signature (（单位盖章）, 签字).
_SIGNATURE_CELL = re.compile(r"^\s*[\u4e00-\u9fff]{1,8}\s*[:：]|盖章|签字|签名|公章")


def _signature_line(row: list[Any]) -> bool:
    """Whether ``row`` (below a footer) reads as a signature or contact line, not a form row."""
    return any(v.__class__ is str and _SIGNATURE_CELL.search(v) for v in row)


def _data_after(data: list[list[Any]], start: int, least: int = 2) -> list[int]:
    """Excel rows from 0-based row ``start`` on that hold ``least`` or more values (and two at
    least: data, not the lines of a note) and do not start with a footer label.  With ``least``
    more than half the form's fields, a stamp, phone and date line under a footer is not data."""
    found = []
    for r in range(start, len(data)):
        values = [v for v in data[r] if not _is_blank(v)]
        if len(values) >= max(2, least) and not (values[0].__class__ is str and _FOOTER_RE.match(values[0])):
            found.append(r + 1)
    return found


def _read_form_sheet(
    sheet: SheetData, match: HeaderMatch, file: str, unit: Unit | None, stamped: st.Stamp | None,
    built: _Compiled, under: Any = None, also_on: str = "",
) -> tuple[list[Row], list[Issue], SheetColumns | None, HeaderMatch | None]:
    """One form's table on a sheet: its rows (coerced, not yet judged), the sheet's issues, the
    same rows column by column, and the header of another form's table pasted below this one's
    data (read next by :func:`read_one`; the rows from its title on are not this table's).
    ``under`` is the form whose table this one was pasted under, if it was; ``also_on`` the
    sheet of the same file whose rows of this form were read already (its own sheet, or a copy
    pasted there): the pasted rows are then rejected (a copy would count twice, a review; rows
    added there are the clerk's to move)."""
    form = match.form
    coercers = built.coercers
    where = {"file": file, "sheet": sheet.name,
             "unit_code": unit.code if unit else "", "unit_name": unit.name if unit else ""}
    issues: list[Issue] = []
    hr = match.header_row  # 0-based
    cols = dict(match.columns)
    ambiguous = _repeated_columns(sheet, match, cols, issues, where)
    # --- header report -------------------------------------------------------------------
    if under is form:  # the same form's header again below, its columns in another order
        issues.append(_issue(WARNING, "header_repeated",
                             f"第 {hr + 1} 行又出现了表头，列的顺序或列与上方的表头不同，其后的行已按这一行的表头读取",
                             row=hr + 1, cell=cell_address(hr + 1, min(match.columns.values())), **where))
    elif under is not None and also_on:
        issues.append(_issue(ERROR, "pasted_table",
                             f"第 {hr + 1} 行起是{form.title}的内容（粘贴在{under.title}的下方），而工作表“{also_on}”中也有"
                             f"{form.title}的数据，无法确定是重复还是补充，这些行未采用；如是补充，请移到工作表“{form.sheet}”中后重新报送",
                             row=hr + 1, cell=cell_address(hr + 1, min(match.columns.values())), **where))
    elif under is not None:  # not where the form was issued, and said so: neither moved nor renamed
        issues.append(_issue(WARNING, "pasted_table",
                             f"第 {hr + 1} 行起是{form.title}的内容（粘贴在{under.title}的下方），已按{form.title}读取；"
                             f"请把它移回工作表“{form.sheet}”，以后按下发的登记表分表填写",
                             row=hr + 1, cell=cell_address(hr + 1, min(match.columns.values())), **where))
    elif sheet.state != "visible":  # read all the same, as hidden rows are: said, as they are
        issues.append(_issue(WARNING, "hidden_sheet",
                             f"工作表“{sheet.name}”被隐藏，仍已读取汇总；如这张表不应报送，请删除后重新报送", **where))
    expected_sheet = stamped.sheets.get(form.name) if stamped else None
    if expected_sheet and expected_sheet != sheet.name and under is None:
        issues.append(_issue(WARNING, "sheet_renamed",
                             f"工作表名称被改为“{sheet.name}”（原为“{expected_sheet}”），已按表头识别为{form.title}", **where))
    if stamped and stamped.fingerprints and hr + 1 != st.HEADER_ROW and under is None:
        issues.append(_issue(WARNING, "header_moved",
                             f"{form.sheet}的表头不在第 {st.HEADER_ROW} 行而在第 {hr + 1} 行（上方插入了行），已按表头位置读取",
                             row=hr + 1, **where))
    # issued from another version of the definition (the stamp's header differs from the form's
    # now): a column the definition gained or renamed since is the committee's to settle, not
    # the unit's (a review: 48 units told to "恢复该列" they were never sent)
    issued = stamped.fingerprints.get(form.name) if stamped else None
    other_version = bool(issued) and issued != form.fingerprint
    # a column headed with the field's label in another unit (涉及金额（元） for 万元): not read,
    # never 10,000 times too large, but said as what it is
    used = set(cols.values()).union(*match.repeated.values())
    unit_columns = {c: found for c, text in match.labels.items() if c not in used
                    for found in [_other_unit(text, form)] if found[0]}  # column → (field, unit written)
    elsewhere = {f.name: (c, written) for c, (f, written) in unit_columns.items()}
    # a line above the header giving the unit of the amounts (金额单位：元): a money column
    # whose header names no unit of its own is in that unit (a review: amounts in 元 summed as
    # 万元); one not the field's is not read, as a header in another unit is not
    stated = _stated_money_unit(sheet.rows[:hr])
    if stated:
        for f in form.fields:
            c = cols.get(f.name)
            if (c is not None and f.unit in _MONEY_UNITS and stated != f.unit
                    and not MONEY_IN.search(normalise_label(match.labels.get(c, "")))):
                unit_columns[c] = (f, stated)
                elsewhere[f.name] = (c, stated)
                del cols[f.name]
    for f in form.fields:
        c = cols.get(f.name)
        if c is None:
            why = ""
            near = None
            if f.name in elsewhere:
                at, written = elsewhere[f.name]
                why = (f"；表中的“{_one_line(match.labels[at])}”（{column_letter(at)} 列）单位为“{written}”，"
                       f"登记表要求“{f.unit}”，未按此列读取")
            else:
                near = _near_miss(f, match.labels, used)
                if near is not None:
                    why = (f"；表中的“{_one_line(match.labels[near])}”（{column_letter(near)} 列）像是此列，"
                           f"但表头括号中的说明可能改变数字的含义（单位、倍数），未按此列读取")
            if f.required and not f.derived:
                if other_version and not why:
                    text = (f"缺少必填列“{f.label}”，本表数据无法采用：本文件按另一版表单定义下发，当时的登记表表头与现在的定义不同；"
                            "请核对表单定义（改过的列名把原名加入 aliases，新增的列可设为非必填），或改用下发时的定义汇总")
                elif near is not None and f.name not in elsewhere:
                    text = (f"缺少必填列“{f.label}”{why}，本表数据无法采用；请按登记表的要求填写该列，"
                            f"并把表头改回“{f.label}”后重新报送")
                else:
                    text = f"缺少必填列“{f.label}”{why}，本表数据无法采用；请使用下发的登记表，恢复该列后重新报送"
                issues.append(_issue(ERROR, "missing_column", text, field=f.label, row=hr + 1, **where))
            else:
                issues.append(_issue(WARNING, "missing_optional_column",
                                     f"缺少列“{f.label}”（非必填）{why}，该列按空白处理", field=f.label, row=hr + 1, **where))
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

    def report_extra_columns(end: int) -> list[int]:
        """Columns this table does not read, in its rows up to ``end`` (0-based, exclusive:
        a table pasted below has columns of its own, a review), reported; returns those of them
        that hold something below the header."""
        extra_cols = []
        width = max((len(r) for r in sheet.rows[hr:end]), default=0)
        for c in range(width):
            if c in used:
                continue
            label = match.labels.get(c)
            has_data = any(c < len(r) and not _is_blank(r[c]) for r in sheet.rows[hr + 1:end])
            if label is not None or has_data:
                extra_cols.append((c, label, has_data))
        for c, label, has_data in extra_cols:
            at, raw = hr, label or ""  # the header cell, or a headerless column's first filled cell
            if c in unit_columns:
                f, written = unit_columns[c]
                msg = (f"表头“{_one_line(label)}”的单位“{written}”与登记表要求的“{f.unit}”不同，该列未汇总；"
                       f"请按{f.unit}填写，并把表头改回登记表的写法")
            elif label is not None and other_version:
                msg = (f"多出的列“{_one_line(label)}”不在现在的表单定义中，未汇总（本文件按另一版定义下发）；"
                       "若它就是现在的某个字段，请在表单定义中把它加入该字段的 aliases")
            elif label is not None:
                msg = f"多出的列“{_one_line(label)}”不在登记表中，未汇总" + ("（该列有内容，请核对）" if has_data else "")
            else:
                # named by its first filled cell (the header cell above it is empty: a newcomer's
                # review was sent to look at J3 for data typed in J5)
                at = next(r for r in range(hr + 1, end)
                          if c < len(sheet.rows[r]) and not _is_blank(sheet.rows[r][c]))
                raw = cell_text(sheet.rows[at][c])
                msg = (f"第 {column_letter(c)} 列没有表头但有内容（从 {cell_address(at + 1, c)} 起），未汇总；"
                       "如需汇总请填到对应列中")
            issues.append(_issue(WARNING, "extra_column", msg, cell=cell_address(at + 1, c), row=at + 1,
                                 raw=_one_line(raw), **where))
        return [c for c, _label, has_data in extra_cols if has_data]

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
    ambiguous_issue = f"所在工作表的表头“{'、'.join(ambiguous)}”重复且都有内容，无法确定采用哪一列，本行未采用" if ambiguous else ""
    unit_code, unit_name, sheet_name = where["unit_code"], where["unit_name"], sheet.name
    data = sheet.rows
    picked: list[int] = []  # 0-based sheet rows that hold data, up to a footer
    totals: list[int] = []  # Excel rows of 合计 lines, skipped
    headers_again: list[int] = []  # Excel rows repeating the header (a table pasted twice), skipped
    header_texts = frozenset(match.labels.values())
    # Footer and total labels count wherever a row's first value stands, except in a row whose
    # first column is covered by a merge from above: there the first value is data (an indicator
    # named 合计 in 工作成效表, its 先锋岗名称 merged over the post's indicator rows).
    lead = min((c for c in cols.values() if c is not None), default=0)
    under_merge = {r for r0, c0, r1, c1 in sheet.merged if c0 <= lead <= c1 for r in range(r0 + 1, r1 + 1)}
    footer: tuple[int, str] | None = None  # (0-based row, text) of the footer that ended the table
    in_note = False  # inside a note between the header and the data: its one-value lines too
    # Rows whose first cell holds a number, a date, or a text that can start neither a footer
    # nor a total line and is no header label: data, whatever else they hold (the loop below
    # would pick each of them).  Only the rows between them are looked at one by one (issue
    # 7: this loop ran over every row of every return), and every row inside a note.
    n_data = len(data)
    # the texts that may start another form's table pasted below (its title, a label)
    marks = built.other_marks[form.name]
    own_labels = built.own_labels[form.name]
    pasted: HeaderMatch | None = None
    table_end = n_data  # 0-based row where another form's table pasted below begins
    foreign: tuple[int, st.Stamp] | None = None  # (0-based row, identity) of another unit's line
    # one set per sheet for the texts that stop the run of rows: one look-up per row, not four
    stop_texts = header_texts | marks | own_labels | {form.title}
    stops = [r for r, v in enumerate([row[0] if row else None for row in data[hr + 1:]], hr + 1)
             if v is None or v.__class__ is str and (v in stop_texts or v.lstrip()[:1] in _STOP_START
                                                     or not v.strip())]
    stops.append(n_data)
    k = 0
    r_next = hr + 1
    while r_next < n_data:
        stop = stops[k]
        if not in_note and r_next < stop:
            picked.extend(range(r_next, stop))
            r_next = stop
            continue
        if r_next == stop:
            k += 1
        r = r_next
        r_next += 1
        at, first = _first_cell(data[r])
        if first is _BLANK_ROW:
            continue
        if in_note and first.__class__ is str and _NOTE_ITEM.match(first) and _first_cell(data[r][at + 1:])[1] is _BLANK_ROW:
            continue  # the note's next item (2. 日期按…): one numbered value, no field data
        in_note = False
        if first.__class__ is str:
            # the title or identity line of a table pasted below, alone on its row
            ident = st.parse_identity_line(first) if first.lstrip()[:1] == "表" else None
            block_line = ((first == form.title or ident is not None)
                          and _first_cell(data[r][at + 1:])[1] is _BLANK_ROW)
            if ident is not None and _other_unit_line(ident, unit):
                foreign = (r, ident)  # another unit's table pasted below: not this unit's rows
                table_end = r
                break
            if (first in marks or first in header_texts or block_line) and (
                    pasted := _pasted_table(data, r, form.name, built)) is not None:
                # the rows above it that are that table's identity line: not this table's data
                start = r
                while picked and st.parse_identity_line(_first_cell(data[picked[-1]])[1]) is not None:
                    start = picked.pop()
                table_end = r
                # an identity line of another unit from there to its header: never this unit's
                for q in range(start, pasted.header_row):
                    line = st.parse_identity_line(_first_cell(data[q])[1])
                    if line is not None and _other_unit_line(line, unit):
                        foreign, pasted = (q, line), None
                        break
                break
            if (first in header_texts and _repeats_header(data[r], match.labels)
                    or first in own_labels and first not in header_texts):
                # the header again (as written, or in other words: aliases, an older version's)
                again = header_of(data, r, built.definition, built.index, form.name)
                if again is not None and any(match.columns.get(name, c) != c for name, c in again.columns.items()):
                    pasted, table_end = again, r  # a field in another column: a table of its own below
                    break
                if again is not None or first in header_texts:
                    headers_again.append(r + 1)
                    continue
            if block_line:
                headers_again.append(r + 1)  # this table's own, pasted again
                continue
            if first.lstrip()[:1] in _FOOTER_START and (at <= lead or r + 1 not in under_merge):
                if _FOOTER_RE.match(first):
                    if not picked and _data_after(data, r + 1, len(field_cols) // 2 + 1):
                        in_note = True  # a note between the header and the data: not the end
                        continue
                    footer = (r, first)
                    break  # a footer such as 填表人：… (and what follows it on the line) ends the table
                # a clerk's total line, skipped and named (a row under a merge from above, whose
                # 合计 is an indicator's name, never reaches here)
                if _TOTAL_RE.match(first):
                    totals.append(r + 1)  # xltools computes its own
                    continue
        picked.append(r)
    if report_extra_columns(table_end) and picked:
        # rows with something only in columns the form does not have (序号 numbered in advance
        # past the data, a review: 10 rows rejected, 60 errors): no row of the form
        field_columns = [c for c in cols.values() if c is not None]
        kept = [r for r in picked if any(c < len(data[r]) and not _is_blank(data[r][c]) for c in field_columns)]
        if len(kept) < len(picked):
            empty = sorted(set(picked) - set(kept))
            issues.append(_issue(WARNING, "no_form_values",
                                 f"第 {_rows_text([r + 1 for r in empty])} 行只有登记表以外的列有内容（如预先编好的序号），"
                                 f"登记表各列都是空的，未作为数据读取", row=empty[0] + 1, **where))
            picked = kept
    if foreign is not None:
        at_row, line = foreign
        after = _data_after(data, at_row + 1)
        said = f"第 {at_row + 1} 行是另一单位（{line.unit_code} {line.unit_name}）的标识行"
        if after:
            issues.append(_issue(
                ERROR, "other_unit_rows",
                f"{said}，其后第 {_rows_text(after)} 行是该单位的登记表内容，未读取、未计入汇总；"
                f"请删除这些行后重新报送（该单位的数据应由该单位报送）", row=after[0], cell=cell_address(after[0], lead),
                raw=_one_line(cell_text(data[at_row][_first_cell(data[at_row])[0]])), **where))
        else:
            issues.append(_issue(WARNING, "other_unit_rows", f"{said}，其下没有数据，未读取；请删除该行",
                                 row=at_row + 1, **where))
    if footer is not None:
        after = _data_after(data, footer[0] + 1)
        # never dropped in silence: data below a footer is named, and a row that fills more than
        # half the fields (a post entered under 填表人：…) is an error: it is missing from the figures
        full = {r for r in _data_after(data, footer[0] + 1, len(field_cols) // 2 + 1)
                if not _signature_line(data[r - 1])}
        said = _one_line(footer[1])
        said = said if len(said) <= 24 else said[:23] + "…"
        if full:
            rows = sorted(full)
            issues.append(_issue(
                ERROR, "rows_after_footer",
                f"第 {footer[0] + 1} 行“{said}”是表尾，其后第 {_rows_text(rows)} 行填有数据，未读取、未计入汇总；"
                f"请移到表尾之前后重新报送", row=rows[0], cell=cell_address(rows[0], lead), **where))
        rest = [r for r in after if r not in full]
        if rest:
            issues.append(_issue(
                WARNING, "rows_after_footer",
                f"第 {footer[0] + 1} 行“{said}”是表尾，其后第 {_rows_text(rest)} 行的内容未读取；"
                f"如是数据，请移到表尾之前后重新报送", row=rest[0], **where))
    if headers_again:
        shown = _rows_text(headers_again)
        issues.append(_issue(WARNING, "header_repeated", f"第 {shown} 行重复了表头，未作为数据读取",
                             row=headers_again[0], **where))
    if totals:
        shown = _rows_text(totals)
        issues.append(_issue(WARNING, "total_row", f"第 {shown} 行是合计行，未作为数据读取（合计由汇总时计算）",
                             row=totals[0], **where))
    merge_issues, covered = _merged_data_cells(sheet, hr, picked, field_cols, where)
    issues += merge_issues
    lines = [data[r] for r in picked]
    n = len(lines)
    narrowest = min(map(len, lines), default=0)
    # Rows all as wide (calamine's grid) and not much wider than the form: the columns cut by
    # one zip rather than one pass over the rows per field.
    by_column = (list(zip(*lines)) if lines and narrowest == max(map(len, lines)) and narrowest <= 2 * len(field_cols) + 8
                 else None)
    formulas = sheet.formulas
    # formula cells among the picked rows, by column: (index in the picked rows, Excel row)
    formula_cells: dict[int, list[tuple[int, int]]] = {}
    if formulas:
        at = {r + 1: i for i, r in enumerate(picked)}
        for excel_row, fc in formulas:
            if excel_row in at:
                formula_cells.setdefault(fc, []).append((at[excel_row], excel_row))
    row_issues: list[list[Issue]] = [[] for _ in range(n)]
    value_columns: list[list[Any]] = [[None] * n for _ in absent]
    raw_columns: dict[str, list[Any]] = {}  # field name → its cells in the picked rows
    for name, c, coerce, label in plan:
        col = _column(lines, c, narrowest, by_column)
        results, bad, distinct = _coerce_column(col, coerce)
        values = list(map(itemgetter(0), results))
        if (distinct is not None and len(distinct) < n and c < narrowest and not _same_cells(col, values)
                and not set(map(type, distinct)) <= _NUMBERS_OR_NONE):
            # Equal raw cells become one object, the one the typed value came from (same type,
            # same value: see _PLAIN_KINDS), so that the spill file stores each once — only
            # where the raw column will be stored beside its values (see _same_cells) and holds
            # something pickle keeps once (it writes each number out in full anyway).
            one = dict(zip(distinct, distinct))
            raw_columns[name] = shared = list(map(one.__getitem__, col))
            for line, v in zip(lines, shared):
                line[c] = v
        else:
            raw_columns[name] = col
        flagged: dict[int, Issue | None] = dict.fromkeys(bad)
        for i, excel_row in formula_cells.get(c, ()):  # never the cached result (DESIGN.md §5)
            values[i] = None
            formula = formulas[(excel_row, c)]
            written = "=" + formula.lstrip("=") if formula else ""
            # 原值: the result Excel showed, or the formula when the file keeps none
            shown = _one_line(cell_text(col[i])) or written
            flagged[i] = _issue(
                ERROR, "formula",
                f"单元格含公式{f'（{written}）' if written else ''}，汇总不采用公式结果；"
                f"请直接填写{_WHAT_TO_TYPE.get(form.field(name).type, '内容')}",
                raw=shown, cell=cell_address(excel_row, c), row=excel_row, field=label, **where)
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
    for (i, _c), issue in covered.items():  # the merge explains the blank: no 必填项未填写 besides
        row_issues[i] = [x for x in row_issues[i] if not (x.kind == "required" and x.cell == issue.cell)]
        row_issues[i].append(issue)
    for name, c in typed:  # compared with the computed value below
        raw_columns[name] = cells = _column(lines, c, narrowest, by_column)
        value_columns.append(cells)
    keys = [*absent, *(p[0] for p in plan), *(t[0] for t in typed)]
    # the rows built by map over the columns (no Python loop per row); what only some sheets
    # need (derived fields, a missing or repeated column) added after
    rows_out: list[Row] = list(map(
        Row, repeat(form.name), map(_dict_maker(tuple(keys)), *value_columns), repeat(unit_code),
        repeat(unit_name), repeat(file), repeat(sheet_name), [r + 1 for r in picked], lines, repeat(columns),
        repeat(labels), row_issues))
    if derived or missing_issue or ambiguous_issue or also_on:
        for row in rows_out:
            for f, c in derived:
                _derive(row, f, c, sheet, where)
            if also_on:
                row.issues.append(_issue(ERROR, "row_pasted_table",
                                         f"第 {row.row} 行在粘贴于{under.title}下方的{form.title}中（工作表“{also_on}”中也有该表的数据），本行未采用",
                                         row=row.row, **where))
            if missing_issue:
                row.issues.append(_issue(ERROR, "row_missing_column", f"第 {row.row} 行{missing_issue}",
                                         row=row.row, **where))
            if ambiguous_issue:
                row.issues.append(_issue(ERROR, "row_repeated_column", f"第 {row.row} 行{ambiguous_issue}",
                                         row=row.row, **where))
    hidden_rows = sheet.hidden_rows
    hidden_seen = [r + 1 for r in picked if r + 1 in hidden_rows] if hidden_rows else []
    if hidden_seen:
        shown = _rows_text(hidden_seen)
        issues.append(_issue(WARNING, "hidden_rows",
                             f"第 {shown} 行被隐藏，仍已读取汇总；如这些行不应报送，请删除后重新报送", row=hidden_seen[0], **where))
    if not rows_out:
        return rows_out, issues, None, pasted
    # The same rows column by column, as FileResult.spill_to stores them (see SheetColumns),
    # from the columns at hand: the spill then need not transpose them back from the rows.
    by_name = dict(zip(keys, value_columns))
    for f, _c in derived:
        by_name[f.name] = [row.values[f.name] for row in rows_out]
    names = tuple(f.name for f in form.fields)
    block = SheetColumns(rows_out, names, [by_name[name] for name in names],
                         [raw_columns[name] for name, c in columns.items() if c is not None])
    return rows_out, issues, block, pasted


#: What a clerk should type instead of a formula, by field type.
_WHAT_TO_TYPE = {"integer": "数值", "decimal": "数值", "date": "日期", "boolean": "“是”或“否”", "choice": "选项"}


#: Lines that are not blank from a pasted table's title to its header: title, a unit line
#: (金额单位：万元), the identity line, the header.
_PASTED_LOOKAHEAD = 4


def _reject_copied_rows(rows: list[Row], file: str) -> None:
    """An error on each row of a form that repeats, value for value, a row of the same form read
    from another sheet of the file before it: a sheet copied (办实事（备份）) or a table kept on
    two sheets counted every row twice, with a warning only (a review).  Rows of one sheet are
    never compared with each other (two like deeds on one day are the clerk's to list)."""
    sheets = {row.sheet for row in rows}
    if len(sheets) < 2:
        return
    first_sheet: dict[Any, str] = {}
    for row in rows:
        try:
            key = tuple(sorted(row.values.items()))
            hash(key)
        except TypeError:
            continue
        seen = first_sheet.setdefault(key, row.sheet)
        if seen != row.sheet:
            row.issues.append(_issue(ERROR, "copied_row",
                                     f"第 {row.row} 行与工作表“{seen}”中的一行完全相同（可能是复制的工作表），未重复计入；"
                                     f"如确是另一条记录，请在“{seen}”中补填后重新报送",
                                     file=file, sheet=row.sheet, row=row.row,
                                     unit_code=row.unit_code, unit_name=row.unit_name))


def _other_unit_line(line: st.Stamp, unit: Unit | None) -> bool:
    """Whether an identity line found among a table's rows names a unit other than the one the
    file counts for (another unit's table pasted in: its rows are never this unit's)."""
    return unit is not None and bool(line.unit_code) and line.unit_code != unit.code


def _pasted_table(data: list[list[Any]], r: int, form_name: str, built: _Compiled) -> HeaderMatch | None:
    """The header of another form's table starting at 0-based row ``r`` (its header row, or its
    title, a unit line and the identity line before it: within the next four lines that are not
    blank, blank rows between them skipped up to twelve rows down), else None."""
    seen = 0
    for h in range(r, min(r + 3 * _PASTED_LOOKAHEAD, len(data))):
        if _first_cell(data[h])[1] is _BLANK_ROW:
            continue  # a blank row between the pasted title and its header
        found = header_at(data, h, built.definition, built.index, form_name)
        if found is not None:
            return found
        seen += 1
        if seen == _PASTED_LOOKAHEAD:
            break
    return None


def _column(lines: list[list[Any]], c: int, narrowest: int, by_column: list[tuple] | None) -> list[Any]:
    """Column ``c`` of ``lines`` as a new list (None beyond a short row's end), from
    ``by_column`` (``zip(*lines)``) when given."""
    if by_column is not None:
        return list(by_column[c]) if c < narrowest else [None] * len(lines)
    return list(map(itemgetter(c), lines)) if c < narrowest else [v[c] if c < len(v) else None for v in lines]


_UNIT_SUFFIX = re.compile(r"^(.*?)[（(]\s*(?:单位\s*[:：])?\s*([^()（）]+?)\s*[)）]\s*$")


_MONEY_UNITS = ("元", "万元", "亿元")
#: A line above a table stating the unit of its amounts: 金额单位：元, 单位：万元.
_UNIT_LINE = re.compile(r"(?:金额)?单位\s*[:：]\s*([十百千万亿]*元)")


def _stated_money_unit(rows: list[list[Any]]) -> str:
    """The money unit a line above the header states (``金额单位：元`` → ``"元"``), or ""."""
    for row in rows:
        for v in row:
            if v.__class__ is str and "单位" in v:
                m = _UNIT_LINE.search(unicodedata.normalize("NFKC", v))
                if m:
                    return m.group(1)
    return ""


def _near_miss(f: Any, labels: dict[int, str], used: set[int]) -> int | None:
    """The first column not read as any field whose header is one of ``f``'s labels followed
    by a bracketed note (``参与党员人数（1-500）``, ``涉及金额（千）``: a number field's note that
    may change the numbers, see :mod:`xltools.headers`): named in the missing
    column's message so the clerk knows which header to put back.  Only a bracket after the
    whole label: 党员联系电话 is no 党员姓名 written as 党员."""
    names = [normalise_label(lab) for lab in f.labels]
    for c, text in sorted(labels.items()):
        key = normalise_label(text)
        if c not in used and any(key.startswith(n) and key[len(n):len(n) + 1] in ("(", "[", "【") for n in names):
            return c
    return None


def _other_unit(text: str, form: Any) -> tuple[Any, str]:
    """``(field, unit written)`` when header ``text`` is a label of one of ``form``'s fields
    that has a unit, followed in brackets by a different unit (``涉及金额（元）`` for a field in
    万元); else ``(None, "")``."""
    m = _UNIT_SUFFIX.match(str(text))
    if m is None:
        return None, ""
    base, written = normalise_label(m.group(1)), m.group(2).strip()
    if not unit_like(normalise_label(written)):  # a note (1-500, 含责任人, 老百姓), not a unit
        return None, ""
    for f in form.fields:
        if f.unit and written != f.unit and any(normalise_label(lab) == base for lab in f.labels):
            return f, written
    return None, ""


def _repeated_columns(sheet: SheetData, match: HeaderMatch, cols: dict[str, int | None], issues: list[Issue],
                      where: dict) -> list[str]:
    """Fields whose header label appears over more than one column (a clerk copied a column:
    a hostile review's members figure fell by 11 while the real column was called 多出的列).
    When only one of those columns holds anything below the header, it is the field's column
    (``cols`` is updated) with a warning; when several do, which one is the form's is not known:
    an error, and the field's label is returned so that every data row is rejected (nothing is
    guessed; DESIGN.md §5).  Returns the labels of the ambiguous fields."""
    ambiguous: list[str] = []
    hr = match.header_row
    data = sheet.rows[hr + 1:]
    labels = {f.name: f.label for f in match.form.fields}
    for name, at in match.repeated.items():
        label = labels[name]
        filled = [c for c in at if any(c < len(r) and not _is_blank(r[c]) for r in data)]
        letters = "、".join(column_letter(c) for c in at)
        # the headers as the clerk sees them: an alias (党员人数) is named as written
        written = list(dict.fromkeys(_one_line(match.labels.get(c, label)) for c in at))
        said = (f"表头“{label}”出现了 {len(at)} 次（{letters} 列）" if written == [label] else
                f"表头{'、'.join(f'“{t}”' for t in written)}都是“{label}”，共 {len(at)} 列（{letters} 列）")
        if len(filled) <= 1:
            chosen = filled[0] if filled else at[0]
            cols[name] = chosen
            issues.append(_issue(WARNING, "repeated_column",
                                 f"{said}，其余的列没有内容，已按 "
                                 f"{column_letter(chosen)} 列读取；请删除多余的列",
                                 cell=cell_address(hr + 1, chosen), row=hr + 1, field=label, **where))
        else:
            ambiguous.append(label)
            issues.append(_issue(ERROR, "repeated_column",
                                 f"{said}，且 {'、'.join(map(column_letter, filled))} "
                                 f"列都有内容，无法确定哪一列是本表的数据，本表的数据行均未采用；请删除多余的一列后重新报送",
                                 cell=cell_address(hr + 1, at[1]), row=hr + 1, field=label, **where))
    return ambiguous


def _merged_data_cells(sheet: SheetData, hr: int, picked: list[int], field_cols: list[tuple[Any, int | None]],
                       where: dict) -> tuple[list[Issue], dict[tuple[int, int], Issue]]:
    """Merged ranges among a form's data rows (a clerk merges 所在科室 over two posts of the same
    section).  Excel, WPS and LibreOffice keep a merged range's value in its first cell only and
    show it over the whole range, so read as it stands every other row would be blank there.

    * In the range's first column, a field that is not a number takes the value in every data
      row of the range (``sheet.rows`` is changed in place), with one warning for the range:
      what the clerk sees is what is read.
    * A number is never copied (20 people shown over two posts would count 40): it stays in the
      first row, and each other data row gets an issue at its cell.
    * The range's other columns (a merge across fields) are blank; each data row gets the same
      kind of issue there.

    Such an issue is an error when the field is required (it replaces 必填项未填写, which the
    clerk, seeing the value, would not understand), else a warning.  A covered cell that holds a
    value of its own (LibreOffice can keep them hidden under a merge) keeps it, with an issue
    naming both values — an error for a number, which the clerk cannot see.  A header cell
    merged down into the data makes those data cells unreadable (the same kind of issue).  A
    range listed twice counts once; empty ranges and rows that are not data rows are left alone.

    Returns ``(sheet-level warnings, {(index in picked, column): the row's issue})``; ``hr`` is
    the 0-based header row, ``picked`` the 0-based data rows."""
    warnings: list[Issue] = []
    covered: dict[tuple[int, int], Issue] = {}
    if not sheet.merged:
        return warnings, covered
    at = {r + 1: i for i, r in enumerate(picked)}  # Excel row → index among the data rows
    fields = {c: f for f, c in field_cols if c is not None and not f.derived}
    data = sheet.rows
    for r0, c0, r1, c1 in dict.fromkeys(sheet.merged):  # a range listed twice is one range
        rng = f"{cell_address(r0, c0)}:{cell_address(r1, c1)}"
        if r0 <= hr + 1:
            # a header cell merged down into the data: those data cells cannot be read
            for c in range(c0, c1 + 1):
                f = fields.get(c)
                for r in range(hr + 2, r1 + 1) if f is not None else ():
                    if r in at:
                        addr = cell_address(r, c)
                        covered[at[r], c] = _issue(
                            ERROR if f.required else WARNING, "merged_cells",
                            f"{addr} 在合并单元格 {rng} 中（表头和数据行被合并在一起），本行的“{f.label}”无法读取；"
                            f"请取消合并后逐行填写", cell=addr, row=r, field=f.label, raw="", **where)
            continue
        anchor = data[r0 - 1][c0] if r0 - 1 < len(data) and c0 < len(data[r0 - 1]) else None
        # starting on a row that is not data (blank, a note, a total), or shown empty: only values
        # hidden under it have anything to say
        empty = _is_blank(anchor) or r0 not in at
        shown = "" if _is_blank(anchor) else _one_line(cell_text(anchor))[:50]
        filled: list[int] = []
        for c in range(c0, c1 + 1):
            f = fields.get(c)
            if f is None:
                continue
            numeric = f.type in ("integer", "decimal")
            for r in range(r0, r1 + 1):
                if (r, c) == (r0, c0) or r not in at:
                    continue
                row = data[r - 1]
                if c < len(row) and not _is_blank(row[c]):
                    # a value hidden under the merge (LibreOffice can keep them): the row's own,
                    # read, but the clerk sees the range's value there — never in silence, and a
                    # number (a figure the clerk cannot see) is an error
                    own = _one_line(cell_text(row[c]))[:50]
                    addr = cell_address(r, c)
                    covered[at[r], c] = _issue(
                        ERROR if numeric else WARNING, "merged_hidden_value",
                        f"{addr} 在合并单元格 {rng} 中，被合并遮住的单元格里还有“{own}”，"
                        + (f"表格上显示的是“{shown}”；" if shown else "表格上显示为空；")
                        + ("无法确定本行的数值，本行未采用；请取消合并后逐行填写" if numeric
                           else f"已按“{own}”读取，请核对；请取消合并后逐行填写"),
                        cell=addr, row=r, field=f.label, raw=own, **where)
                    continue
                if empty:
                    continue
                if c == c0 and not numeric:
                    if c >= len(row):
                        row.extend([None] * (c + 1 - len(row)))
                    row[c] = anchor
                    filled.append(r)
                    continue
                addr = cell_address(r, c)
                if c == c0:
                    message = (f"{addr} 在合并单元格 {rng} 中：合并后的数值 {shown} 只计入第 {r0} 行，"
                               f"本行的“{f.label}”按空白处理；如需逐行统计，请取消合并后分别填写")
                else:
                    message = (f"{addr} 在合并单元格 {rng} 中：其中的内容已按 {column_letter(c0)} 列读取，"
                               f"本行的“{f.label}”按空白处理；请取消合并后分别填写")
                covered[at[r], c] = _issue(ERROR if f.required else WARNING, "merged_cells", message,
                                           cell=addr, row=r, field=f.label, raw="", **where)
        if filled:
            rows = "、".join(map(str, [r0, *filled]))
            warnings.append(_issue(
                WARNING, "merged_cells",
                f"{rng} 是合并单元格，已把“{shown}”计入其中的每一行（第 {rows} 行），请核对；登记表中请不要合并单元格",
                cell=cell_address(r0, c0), row=r0, field=fields[c0].label, raw=shown, **where))
    return warnings, covered


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
    if computed is None:  # a part is blank or not a number: its own issue says which
        message = (f"“{f.label}”由汇总时按分项自动计算，但分项有误或未填全，暂无法计算，表中填写的 "
                   f"{cell_text(typed)} 未采用；请先改正或补全分项，此列无需填写")
    else:
        message = (f"“{f.label}”由汇总时按分项自动计算为 {format_value(computed)}，表中填写的 "
                   f"{cell_text(typed)} 不一致，已按计算值汇总；此列无需填写")
    row.issues.append(_issue(WARNING, "derived_mismatch", message, cell=addr, row=row.row, field=f.label,
                             raw=cell_text(typed), **where))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


@dataclass(frozen=True)
class _Compiled:
    """What every file of a merge needs of the definition, built once (issue 7): the header
    label index (:func:`xltools.headers.label_index`), the per-field coercers, and per form the
    texts that may start another form's table pasted below its data (other forms' labels,
    aliases, titles and sheet names, as written in the definition)."""

    definition: FormDefinition
    index: Any
    coercers: dict[str, dict[str, Callable]]
    other_marks: dict[str, frozenset[str]]
    #: per form, its labels and aliases as written: a row starting with one may be its header
    #: again, written with other names (an older version's header left under the new one)
    own_labels: dict[str, frozenset[str]]


_COMPILED: list[_Compiled] = []


def _compiled(definition: FormDefinition) -> _Compiled:
    """The definition's :class:`_Compiled`, built once per definition object (by identity; the
    last few are kept) rather than once per file: 1.6 ms of every file's cost with the
    pioneer-post kit (issue 7).  The coercers come from the one per-field cache
    (:func:`xltools.coerce.compiled`), which :func:`~xltools.coerce.coerce_value` uses too."""
    for c in _COMPILED:
        if c.definition is definition:
            return c
    labels = {f.name: frozenset(lab for fld in f.fields for lab in fld.labels) for f in definition.forms}
    marks = {f.name: labels[f.name] | {f.title, f.sheet} for f in definition.forms}
    built = _Compiled(
        definition, label_index(definition),
        {f.name: {fld.name: compiled(fld) for fld in f.fields} for f in definition.forms},
        {f.name: frozenset().union(*(m for name, m in marks.items() if name != f.name)) for f in definition.forms},
        labels)
    _COMPILED.insert(0, built)
    del _COMPILED[4:]
    return built


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
    recorded = saved_time(book)
    mtime = file_mtime(p)
    saved = recorded or mtime
    built = _compiled(definition)
    matches: list[tuple[SheetData, HeaderMatch]] = []
    for sheet in book.sheets:
        if sheet.name in (st.META_SHEET, st.INSTRUCTIONS_SHEET):
            continue
        for m in find_headers(sheet, definition, built.index):
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
        if foreign:  # the headers are this form's, a stamp names another: say so, never in silence
            said = "，".join(f"{names[c.source]}为“{c.form_id}”" for c in foreign)
            issues.append(_issue(WARNING, "other_form_stamp",
                                 f"文件的标识中表单不一致（{said}，本次汇总的是“{definition.id}”）；已按表头读取，"
                                 f"请确认是否报错了文件", file=file))
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
                             "文件没有标识（可能是把数据粘贴到了新工作簿），不带名单检查时无法确定填报单位；汇总时按名单和文件名中的"
                             "单位名称或代码识别，请确认文件名写明了单位，或改用下发的登记表",
                             file=file))
    if not matches:
        reason = "找不到任何登记表的表头" if book.sheets else "工作簿中没有工作表"
        # The unit it came from, if the stamp or else the file name says so (as for an unreadable
        # file): that unit did send something, unusable — not 未报送 with the file apart.
        unit = unit or by_file
        return FileResult(path=file, status="unidentified", reason=reason, saved_at=saved,
                          unit_code=unit.code if unit else "", unit_name=unit.name if unit else "",
                          issues=[*issues, _issue(ERROR, "no_form", f"{reason}；请使用下发的登记表填写后重新报送", file=file)])
    for issue_index, i in enumerate(issues):
        if unit is not None:
            issues[issue_index] = i.at(unit_code=unit.code, unit_name=unit.name)
    result = FileResult(path=file, status="ok" if unit else "unidentified",
                        unit_code=unit.code if unit else "", unit_name=unit.name if unit else "",
                        identified_by=identified_by, saved_at=saved, mtime=mtime, saved_inside=recorded is not None,
                        deadline=(meta.deadline if meta else "") or (props.deadline if props else ""),
                        issues=issues, digest=book.digest,
                        named_for=by_file.code if unit and by_file and by_file.code != unit.code else "")
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
    # Each sheet's own table first, then the tables pasted below them: a pasted table whose
    # form already has rows in this file (its own sheet, or a copy pasted elsewhere) is
    # rejected, never counted twice (a review: one table pasted under two sheets counted 4
    # deeds for 2).  ``filled``: form name → the sheet its rows were read from.
    filled: dict[str, str] = {}
    queue: list[tuple[SheetData, HeaderMatch, Any]] = []  # (sheet, pasted header, form it is under)

    def read_table(sheet: SheetData, m: HeaderMatch, under: Any) -> None:
        also_on = filled.get(m.form.name, "") if under is not None and under is not m.form else ""
        rows, sheet_issues, block, pasted = _read_form_sheet(sheet, m, file, unit, stamped, built, under, also_on)
        result.rows.setdefault(m.form.name, []).extend(rows)
        if block is not None:
            result.columnar.setdefault(m.form.name, []).append(block)
        result.issues.extend(sheet_issues)
        if rows and not also_on:
            filled.setdefault(m.form.name, sheet.name)
        if pasted is not None:
            queue.append((sheet, pasted, m.form))

    for sheet, first in matches:
        seen_forms[first.form.name] = seen_forms.get(first.form.name, 0) + 1
        read_table(sheet, first, None)
    while queue:
        read_table(*queue.pop(0))
    for rows in result.rows.values():
        _reject_copied_rows(rows, file)
    matched = {id(sheet) for sheet, _m in matches}
    for sheet in book.sheets:
        if (id(sheet) in matched or sheet.name in _NOT_FOR_DATA or sheet.state != "visible"
                or sheet.name.startswith(st.INSTRUCTIONS_SHEET)):
            continue  # a hidden sheet (a dropdown's list, WPS's own) or a copy of the instructions
        filled = sum(1 for row in sheet.rows for v in row if not _is_blank(v))
        if filled:  # a sheet the unit added (本单位备注 …): never left out in silence
            result.issues.append(_issue(WARNING, "other_sheet",
                                        f"工作表“{sheet.name}”不是登记表（找不到表头），其中 {filled} 个单元格的内容未读取；"
                                        "如是要报送的数据，请填入相应的登记表", file=file, sheet=sheet.name,
                                        unit_code=result.unit_code, unit_name=result.unit_name))
    for form_name, n in seen_forms.items():
        if n > 1:
            result.issues.append(_issue(WARNING, "form_on_several_sheets",
                                        f"{definition.form(form_name).title}出现在 {n} 个工作表中，已全部读取", file=file,
                                        unit_code=result.unit_code, unit_name=result.unit_name))
    if unit is not None and not any(result.rows.values()):
        # A blank form sent back (or the issue folder merged by mistake) is no return of data:
        # never 已报送 in silence (a newcomer's review: 48 blank forms merged as 48/48, exit 0).
        result.issues.append(_issue(ERROR, "empty_return",
                                    "各登记表都没有填写数据（报送的可能是未填写的登记表），请填写后重新报送",
                                    file=file, unit_code=result.unit_code, unit_name=result.unit_name))
    if unit is None:
        for rows in result.rows.values():
            for row in rows:
                row.issues.append(_issue(ERROR, "row_unidentified", f"第 {row.row} 行所在文件无法确定填报单位，本行未采用",
                                         file=file, sheet=row.sheet, row=row.row))
    return result
