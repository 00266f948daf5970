"""Generate (下发登记表): one stamped registration workbook per unit of the roster.

Each workbook is written with XlsxWriter and contains, in this order:

* ``填表说明`` (:data:`xltools.stamp.INSTRUCTIONS_SHEET`): title, issuer, the unit the copy is
  for, the deadline, the contact, the definition's instructions as numbered paragraphs and the
  list of forms;
* one sheet per form, laid out as :mod:`xltools.stamp` says (row 1 title, row 2 identity line,
  row 3 header whose text is exactly each field's label, rows 4 … 3+max_rows data rows),
  with number formats, data validation with Chinese input and error messages on every field,
  frozen header and print setup (A4 landscape, fit to width, header rows repeated);
* ``_lists`` — only when a choice list cannot be written inline in the validation (longer than
  Excel's 255 characters, or a choice containing ``,`` or ``"``): the choices as a range;
* ``_meta`` (:data:`xltools.stamp.META_SHEET`): the stamp as text key/value cells, plain hidden.

The stamp is also written as string custom document properties ``xltools_<key>``.  Every sheet
is protected without a password; only the data cells are unlocked.  No cell holds a formula:
derived fields (``field.derived``) are left empty and computed on merge (DESIGN.md §5).

Output is deterministic: the same definition, roster, deadline and generated date give
byte-identical files (the ``created`` document property is pinned to the generated date and
XlsxWriter's in-memory mode gives the zip members a fixed timestamp).
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from . import stamp
from ._dates import chinese_date, iso_deadline
from ._io import atomic_path, prepare_dir, refuse_filled, refuse_folders, safe_filename
from .errors import OutputError, XltoolsError
from .forms import Field, Form, FormDefinition, load_form_definition
from .issues import cell_address, column_letter
from .layout import excel_length, text_units, wrapped_lines
from .resources import resolve_form_definition
from .roster import Roster, Unit, load_roster

if TYPE_CHECKING:
    from .readers import SheetData

#: Hidden sheet holding choice lists that cannot be inlined in a validation.
LISTS_SHEET = "_lists"

#: Field types whose data cells get the text number format ``@`` (kept as typed).
TEXT_TYPES = ("text", "names", "id_number", "phone", "choice")

# Excel limits (XlsxWriter documents them and drops or refuses what exceeds them).
_LIST_LIMIT = 255  # characters of an inline validation list
_TITLE_LIMIT = 32  # input/error title
_MESSAGE_LIMIT = 255  # input/error message
_CELL_LIMIT = 32767  # characters in one cell
_NAME_BYTES = 200  # a generated file name, in UTF-8 bytes

_FONT = "宋体"
_GREY_FILL = "#D9D9D9"
_LIGHT_FILL = "#F2F2F2"
_DERIVED_FILL = "#BFBFBF"
_RED = "#C00000"
_GREY_TEXT = "#595959"

#: The widest a column is made from its label alone (characters; see _plan_form).
_AUTO_WIDTH_MAX = 40
_DEFAULT_WIDTH = {
    "text": 20,
    "names": 16,
    "id_number": 21,
    "phone": 15,
    "date": 12,
    "integer": 10,
    "decimal": 12,
    "choice": 12,
    "boolean": 10,
}

_PROTECT_OPTIONS = {
    # A clerk may widen columns, heighten rows and add or remove whole data rows; locked cells
    # (title, identity line, header, derived columns) stay read-only.  Merge finds the header
    # by its labels, so inserted or deleted rows are harmless.  No password (DESIGN.md §5).
    "format_columns": True,
    "format_rows": True,
    "insert_rows": True,
    "delete_rows": True,
    "select_locked_cells": True,
    "select_unlocked_cells": True,
}


# --------------------------------------------------------------------------- public API


def generate(
    definition: FormDefinition | str | Path,
    roster: Roster | str | Path,
    out_dir: str | Path,
    *,
    deadline: str = "",
    generated: date | None = None,
    progress: Callable[[int, int, Unit], None] | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write one stamped workbook per unit of ``roster`` into ``out_dir``.

    ``definition``: a :class:`~xltools.forms.FormDefinition` or the path of its YAML file;
    ``roster``: a :class:`~xltools.roster.Roster` or the path of the roster file.
    ``deadline``: ISO date text (``2006-03-31``) shown in 填表说明 and stamped; empty means the
    definition's own ``deadline`` (if any).  ``generated``: the date stamped as ``generated`` and
    used as the workbooks' creation date; default :func:`default_generated_date`.
    ``progress(done, total, unit)`` is called after each workbook is written.

    Files are named ``<单位代码>_<单位名称>_<title>.xlsx`` (see :func:`workbook_filename`), written
    atomically, in roster order; returns their paths in that order.  ``out_dir`` is created when
    missing.  A file of that name already there is replaced only when it holds nothing beyond
    a blank form's content (an earlier blank issue; :func:`_filled`), unless ``overwrite``.  Raises
    :class:`~xltools.errors.OutputError`, before anything is written, when ``out_dir``'s parent does
    not exist, ``out_dir`` is a file, two units would get the same file name, or a file there
    holds more or cannot be read (:func:`xltools._io.refuse_filled`);
    :class:`~xltools.errors.FormDefinitionError` / :class:`~xltools.errors.RosterError` from
    loading; :class:`~xltools.errors.XltoolsError` for a deadline that is not a date.
    """
    if not isinstance(definition, FormDefinition):
        definition = load_form_definition(definition)
    _refuse_anonymous(definition)
    if not isinstance(roster, Roster):
        roster = load_roster(roster)
    deadline = _check_deadline(deadline, definition)
    generated = generated or default_generated_date()
    out = Path(out_dir)
    # File names first: a clash (also one only a case-insensitive file system sees) stops the
    # round before anything is written.
    targets: list[Path] = []
    seen: dict[str, Unit] = {}
    for unit in roster:
        name = workbook_filename(definition, unit)
        other = seen.get(name.casefold())
        if other is not None:
            raise OutputError(
                f"{out}：单位代码 {other.code} 与 {unit.code} 的工作簿文件名相同（{name}），"
                "请在填报单位名单中修改单位代码或名称"
            )
        seen[name.casefold()] = unit
        targets.append(out / name)
    prepare_dir(out)
    plan = _Plan(definition, deadline, generated)
    refuse_folders(targets)
    with tempfile.TemporaryDirectory(prefix="xltools-blank-") as scratch:
        blanks = _Blanks(plan, Path(scratch))
        if not overwrite:
            unit_of = dict(zip(targets, roster, strict=True))
            refuse_filled(targets, lambda path: _filled(path, blanks, unit_of[path]), "生成任何工作簿",
                          hint="（表单定义删去了字段或改了工作表名时，以前下发的空表也会这样：确认是空表后加 --overwrite）")
        total = len(targets)
        for done, (unit, target) in enumerate(zip(roster, targets, strict=True), start=1):
            blanks.issue(unit, target)
            if progress is not None:
                progress(done, total, unit)
    return targets


def _filled(path: Path, blanks: _Blanks, unit: Unit) -> str | None:
    """What an existing file in the way of :func:`generate` holds beyond a blank issued form:
    the first cell (and how many) holding anything where ``unit``'s blank workbook, as
    :func:`generate` would write it now, holds nothing (rows typed into a form, a sheet the unit
    added, a return of another form or a renamed copy), or that it cannot be read; None when
    every cell with content is where the blank form has content (an earlier issue, whatever its
    deadline or date).  填表说明, the stamp and the choice lists are not compared: xltools alone
    writes them, and their lines move with the deadline and the form definition.  Read with
    :func:`xltools.readers.read_return`."""
    from .readers import ReturnReadError, read_return

    try:
        book = read_return(path)
    except ReturnReadError as exc:
        return f"无法确认是未填写的登记表（{exc.reason}）"
    blank: dict[str, set[tuple[int, int]]] | None = None
    for sheet in book.sheets:
        if sheet.name in _OWN_SHEETS:
            continue  # written by xltools alone, and its lines follow the deadline and the YAML
        held = _cells_with_content(sheet)
        if not held:
            continue
        if blank is None:
            blank = blanks.cells(unit, path)
        extra = sorted(held - blank.get(sheet.name, set()))
        if extra:
            r, c = extra[0]
            more = f" 等 {len(extra)} 处" if len(extra) > 1 else " "
            return f"在“{sheet.name}”的 {cell_address(r + 1, c)}{more}填有内容"
    return None


#: Sheets of an issued workbook whose content is xltools' alone (see :func:`_filled`).
_OWN_SHEETS = frozenset({stamp.INSTRUCTIONS_SHEET, stamp.META_SHEET, LISTS_SHEET})


def _cells_with_content(sheet: SheetData) -> set[tuple[int, int]]:
    """(0-based row, column) of every cell of ``sheet`` holding something other than blanks,
    a formula (also one without a stored result, as openpyxl writes them) included."""
    held = {(r, c) for r, row in enumerate(sheet.rows) for c, v in enumerate(row)
            if v is not None and not (isinstance(v, str) and not v.strip())}
    return held | {(r - 1, c) for r, c in sheet.formulas}


class _Blanks:
    """Each unit's blank workbook for one :func:`generate` run, written at most once: a blank
    written to ``scratch`` to compare with a file in the way (:meth:`cells`) is the one
    :meth:`issue` then puts in place, copied rather than built again (a second generate into
    the same folder wrote every workbook twice: 2.5 s against 1.1 s for 48 units)."""

    def __init__(self, plan: _Plan, scratch: Path) -> None:
        self.plan = plan
        self.scratch = scratch
        self.written: dict[Path, Path] = {}

    def cells(self, unit: Unit, target: Path) -> dict[str, set[tuple[int, int]]]:
        """Sheet name → the cells with content of ``unit``'s blank workbook for ``target``
        (written to the scratch folder and read back as a return is read).  Kept by target, not
        by unit code: a roster built in code may repeat a code (a review)."""
        from .readers import read_return

        path = self.scratch / f"{len(self.written) + 1}.xlsx"
        _write_workbook(self.plan, unit, path)
        self.written[target] = path
        return {sheet.name: _cells_with_content(sheet) for sheet in read_return(path).sheets}

    def issue(self, unit: Unit, target: Path) -> None:
        """Write ``unit``'s workbook to ``target`` (atomically): the blank already written, copied,
        or else built now.  Raises :class:`~xltools.errors.OutputError` as :func:`_write_workbook`."""
        blank = self.written.get(target)
        if blank is None:
            _write_workbook(self.plan, unit, target)
            return
        try:
            with atomic_path(target) as tmp:
                shutil.copyfile(blank, tmp)
        except OSError as exc:
            raise OutputError(f"{target}：无法写入（{exc.strerror or exc}），请检查输出目录是否可写、磁盘空间是否足够") from None


def generate_workbook(
    definition: FormDefinition,
    unit: Unit,
    path: str | Path,
    *,
    deadline: str = "",
    generated: date | None = None,
) -> None:
    """Write the stamped workbook of one ``unit`` to ``path`` (atomically; see the module doc
    for its sheets).  ``deadline`` and ``generated`` as in :func:`generate`.

    Raises :class:`~xltools.errors.OutputError` when the folder of ``path`` does not exist, the
    file cannot be replaced, or XlsxWriter refuses a value (it signals that by a return code or
    a warning, never an exception; both become this error).
    """
    _refuse_anonymous(definition)
    deadline = _check_deadline(deadline, definition)
    generated = generated or default_generated_date()
    _write_workbook(_Plan(definition, deadline, generated), unit, Path(path))


def _write_workbook(plan: _Plan, unit: Unit, target: Path) -> None:
    """Write the workbook of ``unit`` to ``target``: the body of :func:`generate_workbook`, for
    a definition, deadline and date already checked and planned."""
    try:
        with atomic_path(target) as tmp:
            wb = xlsxwriter.Workbook(
                str(tmp),
                {
                    "in_memory": True,  # fixed zip timestamps, no temp files
                    "strings_to_formulas": False,
                    "strings_to_numbers": False,
                    "strings_to_urls": False,
                },
            )
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    _Builder(wb, plan, unit, target).build()
                finally:
                    wb.close()
            if caught:
                raise OutputError(f"{target}：生成失败（{caught[0].message}），请检查表单定义和填报单位名单")
    except (OSError, FileCreateError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise OutputError(f"{target}：无法写入（{reason}），请检查输出目录是否可写、磁盘空间是否足够") from None


def workbook_filename(definition: FormDefinition, unit: Unit) -> str:
    """``<单位代码>_<单位名称>_<title>.xlsx`` made safe by :func:`xltools._io.safe_filename`:
    a unit name with ``/``, ``\\``, ``:`` or ``..`` cannot leave the output folder.  Cut to at
    most 200 bytes of UTF-8 (file systems allow 255 bytes, and the temporary name used while
    writing is longer), so a long Chinese name still gives a usable file name."""
    stem = safe_filename(f"{unit.code}_{unit.name}_{definition.title}")
    while len(stem.encode("utf-8")) > _NAME_BYTES - len(".xlsx"):
        stem = safe_filename(stem[:-1])
    return stem + ".xlsx"


def default_generated_date() -> date:
    """Today's date, or the UTC date of the ``SOURCE_DATE_EPOCH`` environment variable when set
    (the reproducible-builds convention, https://reproducible-builds.org/specs/source-date-epoch/).
    Raises :class:`~xltools.errors.XltoolsError` when that variable is not a whole number."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return date.today()
    try:
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date()
    except (ValueError, OverflowError, OSError):
        raise XltoolsError(
            f"环境变量 SOURCE_DATE_EPOCH={epoch!r} 不是有效的时间戳（应为自 1970-01-01 起的秒数），请修改或删除它"
        ) from None


# --------------------------------------------------------------------------- helpers


def _refuse_anonymous(definition: FormDefinition) -> None:
    """An anonymous definition (the 十佳 ballot) must never carry a unit's identity."""
    if definition.anonymous:
        raise XltoolsError(
            f"{definition.source or definition.id}：这是无记名表单（如“十佳”推荐票）的定义，不能按单位下发；请用 xltools ballot 生成"
        )


def _check_deadline(deadline: str, definition: FormDefinition) -> str:
    where = "报送" if deadline else f"{definition.source or '表单定义'} 中的 deadline：报送"
    return iso_deadline(deadline or definition.deadline, where)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-16 code units (Excel's measure), ending in … when cut."""
    if excel_length(text) <= limit:
        return text
    out = ""
    for ch in text:
        if excel_length(out + ch) + 1 > limit:
            break
        out += ch
    return out + "…"


def _needs_range(choices: tuple[str, ...]) -> bool:
    """A choice list goes through a hidden range when Excel cannot hold it inline: over 255
    characters joined (XlsxWriter then drops it with only a warning), or a choice containing
    the list separator ``,`` or a ``"``."""
    return excel_length(",".join(choices)) > _LIST_LIMIT or any("," in c or '"' in c for c in choices)


def _rule(field: Field) -> tuple[dict, str, str]:
    """XlsxWriter data-validation options for ``field`` (without messages), the rule as a
    Chinese phrase for the input message, and the error message."""
    t = field.type
    unit = f"（单位：{field.unit}）" if field.unit else ""
    if t == "boolean":
        return {"validate": "list", "source": ["是", "否"]}, "请从下拉列表中选择“是”或“否”。", "只能填“是”或“否”，请从下拉列表中选择。"
    if t == "choice":
        shown = "、".join(field.choices)
        return (
            {"validate": "list", "source": list(field.choices)},
            f"可选：{shown}。",
            f"请从下拉列表中选择：{shown}。",
        )
    if t in ("integer", "decimal"):
        kind = "整数" if t == "integer" else "数字"
        opts: dict = {"validate": "integer" if t == "integer" else "decimal"}
        lo, hi = field.min, field.max
        if lo is not None and hi is not None:
            opts.update(criteria="between", minimum=_number(lo), maximum=_number(hi))
            phrase = f" {_number(lo)} 至 {_number(hi)} 之间的{kind}"
        elif lo is not None:
            opts.update(criteria=">=", value=_number(lo))
            phrase = f"不小于 {_number(lo)} 的{kind}"
        elif hi is not None:
            opts.update(criteria="<=", value=_number(hi))
            phrase = f"不大于 {_number(hi)} 的{kind}"
        else:
            opts.update(criteria="between", minimum=-(10**15), maximum=10**15)
            phrase = kind
        if t == "decimal" and field.decimals is not None:
            phrase += f"，最多保留 {field.decimals} 位小数"
        return opts, f"填写{phrase}{unit}。", f"请填写{phrase}{unit}，只填数字，不要带单位或文字。"
    if t == "date":
        lo = field.min or date(1900, 1, 1)
        hi = field.max or date(9999, 12, 31)
        opts = {"validate": "date", "criteria": "between", "minimum": lo, "maximum": hi}
        span = f" {lo.isoformat()} 至 {hi.isoformat()} 之间的日期" if (field.min or field.max) else "日期"
        return opts, f"填写{span}，格式如 2006-03-05。", f"请填写{span}，格式如 2006-03-05。"
    if t == "id_number":
        return (
            {"validate": "length", "criteria": "==", "value": 18},
            "填写 18 位居民身份证号码。",
            "居民身份证号码应为 18 位，请核对。",
        )
    limit = field.max_length or _CELL_LIMIT
    opts = {"validate": "length", "criteria": "<=", "value": limit}
    what = {"names": "填写姓名，多人用顿号分隔，如：张明、李华。", "phone": "填写手机或固定电话号码。"}
    phrase = what.get(t, "填写文字。")
    if field.max_length:
        return opts, f"{phrase}最多 {limit} 个字。", f"最多只能填 {limit} 个字，请精简。"
    return opts, phrase, f"内容超过单元格上限 {limit} 个字，请精简。"


# --------------------------------------------------------------------------- the plan

#: Column widths of 填表说明 (caption, text).
_INSTRUCTION_WIDTHS = (16, 78)


def _instruction_height(text: str) -> int:
    """Row height of one line of 填表说明 holding ``text``."""
    return max(18, 17 * wrapped_lines(text, _INSTRUCTION_WIDTHS[1]) + 3)


class _Line(NamedTuple):
    """One row of 填表说明.  ``text`` None: the unit's own line, filled in per workbook."""

    row: int
    caption: str
    text: str | None
    fmt: int
    height: int


class _Column(NamedTuple):
    """One field's column on its form sheet."""

    label: str
    header_fmt: int
    data_fmt: int
    validation: dict  # XlsxWriter data_validation options (XlsxWriter copies them)
    validation_what: str


class _FormPlan(NamedTuple):
    form: Form
    widths: list[int]
    total_width: int
    last_col: int
    title_fmt: int
    ident_fmt: int
    first: int  # first and last data row, 0-based
    last: int
    header_height: int
    columns: list[_Column]
    blanks: tuple[None, ...]  # one per data row: the tokens of a column of blank cells


#: A form sheet with at most this many prepared rows prints on one page (:meth:`_Builder.print_setup`).
ONE_PAGE_ROWS = 30


class _Plan:
    """Everything a workbook holds that does not depend on the unit: the sheet name of the
    choice lists, column widths, formats, data validations with their messages, row heights and
    the fixed lines of 填表说明.  Worked out once per round (the definition, deadline and date
    are the same for every unit) and shared by every unit's :class:`_Builder`.

    Formats are kept as their XlsxWriter properties, listed in the order a workbook creates
    them (each workbook needs its own Format objects); the plan refers to them by index."""

    def __init__(self, definition: FormDefinition, deadline: str, generated: date) -> None:
        self.d = definition
        self.deadline = deadline
        self.generated = generated
        self.format_props: list[dict] = []
        self._format_index: dict[tuple, int] = {}
        taken = {f.sheet.casefold() for f in definition.forms}
        name = LISTS_SHEET
        while name.casefold() in taken:
            name += "_"
        self.lists_name = name
        # (form name, field name) → (column in _lists, number of choices)
        self.list_ranges: dict[tuple[str, str], tuple[int, int]] = {}
        for form in definition.forms:
            for f in form.fields:
                if f.type == "choice" and _needs_range(f.choices):
                    self.list_ranges[(form.name, f.name)] = (len(self.list_ranges), len(f.choices))
        self._plan_instructions()
        self.forms = [self._plan_form(form) for form in definition.forms]

    def fmt(self, **props) -> int:
        """Index of the format with ``props`` (over the base font), added when new."""
        key = tuple(sorted(props.items()))
        if key not in self._format_index:
            base = {"font_name": _FONT, "font_size": 11, "valign": "vcenter"}
            base.update(props)
            self._format_index[key] = len(self.format_props)
            self.format_props.append(base)
        return self._format_index[key]

    def _plan_instructions(self) -> None:
        d = self.d
        self.instr_title = self.fmt(bold=True, font_size=16, align="center")
        self.instr_label = self.fmt(bold=True, align="right", valign="top")
        body = self.fmt(text_wrap=True, valign="top")
        strong = self.fmt(bold=True, text_wrap=True, valign="top")
        deadline_fmt = self.fmt(bold=True, font_color=_RED, valign="top")

        lines: list[_Line] = []
        row = 2

        def line(caption: str, text: str | None, cell_format: int = body) -> None:
            nonlocal row
            height = 0 if text is None else _instruction_height(text)
            lines.append(_Line(row, caption, text, cell_format, height))
            row += 1

        if d.issuer:
            line("下发单位：", d.issuer)
        line("填报单位：", None, strong)
        line("", "本工作簿专供上述单位填写，请勿转给其他单位使用。")
        if self.deadline:
            line("报送截止日期：", chinese_date(self.deadline), deadline_fmt)
        if d.contact:
            line("联系人：", d.contact)
        row += 1
        for i, para in enumerate(d.instructions, start=1):
            line("填表说明：" if i == 1 else "", f"{i}. {para}")
        if d.instructions:
            row += 1
        for i, form in enumerate(d.forms):
            desc = f"（{form.description}）" if form.description else ""
            line("表格清单：" if i == 0 else "", f"“{form.sheet}”{desc}最多可填 {form.max_rows} 行。")
        self.instr_lines = lines
        self.instr_last_row = max(row - 1, 0)

    def _plan_form(self, form: Form) -> _FormPlan:
        fields = form.fields
        # a column as wide as its label, up to 40 characters: a longer label wraps in the header
        # (a review: a 150-character label gave a column of 291.7, over Excel's 255, and a
        # printout shrunk to nothing); an explicit width is the author's
        widths = [f.width or max(_DEFAULT_WIDTH.get(f.type, 12), min(math.ceil(text_units(f.label)) + 2, _AUTO_WIDTH_MAX))
                  for f in fields]
        title_fmt = self.fmt(bold=True, font_size=16, align="center", bg_color=_LIGHT_FILL, border=1)
        ident_fmt = self.fmt(font_size=9, font_color=_GREY_TEXT, bg_color=_LIGHT_FILL, text_wrap=True, border=1)
        first, last = stamp.FIRST_DATA_ROW - 1, stamp.FIRST_DATA_ROW - 2 + form.max_rows
        header_lines = 1
        columns = []
        for c, f in enumerate(fields):
            props = {"bold": True, "align": "center", "text_wrap": True, "border": 1, "bg_color": _GREY_FILL}
            if f.derived:
                props.update(bg_color=_DERIVED_FILL, font_color=_GREY_TEXT)
            elif f.required:
                props.update(font_color=_RED)
            header_fmt = self.fmt(**props)
            header_lines = max(header_lines, wrapped_lines(f.label, widths[c]))
            columns.append(_Column(f.label, header_fmt, self._data_format(f), self._validation(form, f),
                                   f"“{f.label}”列的数据验证"))
        return _FormPlan(
            form=form,
            widths=widths,
            total_width=sum(widths),
            last_col=len(fields) - 1,
            title_fmt=title_fmt,
            ident_fmt=ident_fmt,
            first=first,
            last=last,
            header_height=max(30, 16 * header_lines + 8),
            columns=columns,
            blanks=(None,) * form.max_rows,
        )

    def _data_format(self, f: Field) -> int:
        if f.derived:
            # Computed on merge; locked, grey, and left empty (never a formula).
            return self.fmt(bg_color=_DERIVED_FILL, border=1, border_color="#808080")
        props: dict = {"locked": False, "border": 1, "border_color": "#A6A6A6", "valign": "top"}
        if f.type == "date":
            props["num_format"] = "yyyy-mm-dd"
            props["align"] = "center"
        elif f.type == "integer":
            props["num_format"] = "0"
        elif f.type == "decimal":
            props["num_format"] = "0." + "0" * f.decimals if f.decimals else ("0" if f.decimals == 0 else "General")
        elif f.type in TEXT_TYPES:
            props["num_format"] = "@"
        if f.type in ("boolean", "choice"):
            props["align"] = "center"
        if f.multiline:
            props["text_wrap"] = True
        return self.fmt(**props)

    def _validation(self, form: Form, f: Field) -> dict:
        opts, rule, error = _rule(f)
        if (form.name, f.name) in self.list_ranges:
            lcol, n = self.list_ranges[(form.name, f.name)]
            letter = column_letter(lcol)
            opts["source"] = f"='{self.lists_name}'!${letter}$1:${letter}${n}"
        if f.derived:
            rule = "" if f.help else "由汇总时自动计算，无需填写。"
        elif f.required:
            rule = "必填。" + rule
        rule = _clip(rule, _MESSAGE_LIMIT // 2)
        # The help first, cut to what Excel's 255-character limit leaves beside the rule.
        room = _MESSAGE_LIMIT - excel_length(rule) - 1
        message = f"{_clip(f.help, room)}\n{rule}" if f.help and rule else (f.help or rule)
        opts.update(
            input_title=_clip(f.label, _TITLE_LIMIT),
            input_message=_clip(message, _MESSAGE_LIMIT),
            error_title=_clip(f"“{f.label}”填写有误", _TITLE_LIMIT),
            error_message=_clip(error, _MESSAGE_LIMIT),
            error_type="stop",
        )
        return opts


# --------------------------------------------------------------------------- the builder


class _Builder:
    """Writes one unit's workbook from the round's :class:`_Plan`; kept as a class only to
    share the workbook, its formats and the unit."""

    def __init__(self, wb: Workbook, plan: _Plan, unit: Unit, target: Path) -> None:
        self.wb = wb
        self.plan = plan
        self.d = plan.d
        self.unit = unit
        self.target = target
        self.formats = [wb.add_format(props) for props in plan.format_props]

    # -- plumbing ---------------------------------------------------------------------
    def ok(self, result: int | None, ws: Worksheet, what: str) -> None:
        if result is not None and result < 0:
            raise OutputError(
                f"{self.target}：工作表“{ws.name}”{what}写入失败（XlsxWriter 返回 {result}），请检查表单定义"
            )

    def text(self, ws: Worksheet, row: int, col: int, value: str, cell_format=None) -> None:
        result = ws.write_string(row, col, value, cell_format)
        if result:  # the cell's address only for the error message
            self.ok(result, ws, f"单元格 {_addr(row, col)} ")

    def merged(self, ws: Worksheet, row: int, last_col: int, value: str, cell_format) -> None:
        if last_col == 0:
            self.text(ws, row, 0, value, cell_format)
            return
        self.ok(ws.merge_range(row, 0, row, last_col, "", cell_format), ws, f"第 {row + 1} 行合并单元格")
        self.text(ws, row, 0, value, cell_format)

    def print_setup(self, ws: Worksheet, *, landscape: bool, rows: int = 0) -> None:
        """A4, fit to one page wide; a sheet of at most ``ONE_PAGE_ROWS`` prepared ``rows`` also
        fit to one page tall (shrunk a little if need be): a newcomer's review printed the
        30-row 年度考核表 with its last 3 rows alone on a second page."""
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 1 if 0 < rows <= ONE_PAGE_ROWS else 0)  # as many pages tall as needed
        ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
        ws.center_horizontally()
        ws.set_footer("&C第 &P 页，共 &N 页")

    # -- the workbook -----------------------------------------------------------------
    def build(self) -> None:
        d, unit, generated = self.d, self.unit, self.plan.generated
        self.wb.set_properties(
            {
                "title": f"{d.title}（{unit.name}）",
                "subject": f"{d.title}——{unit.name}（单位代码 {unit.code}）填报用",
                "author": d.issuer or "xltools",
                "company": d.issuer,
                "category": "登记表",
                "keywords": f"{d.title}, {unit.code}",
                "comments": f"由 xltools 生成：表单定义 {d.id}，版本 {d.version}。请勿删除或改名工作表。",
                "created": datetime(generated.year, generated.month, generated.day),
            }
        )
        self.instructions_sheet()
        ident = stamp.identity_line(self.d, self.unit.code, self.unit.name)
        for form in self.plan.forms:
            self.form_sheet(form, ident)
        if self.plan.list_ranges:
            self.lists_sheet()
        self.meta_sheet()

    def instructions_sheet(self) -> None:
        plan, unit, fmts = self.plan, self.unit, self.formats
        ws = self.wb.add_worksheet(stamp.INSTRUCTIONS_SHEET)
        ws.set_column(0, 0, _INSTRUCTION_WIDTHS[0])
        ws.set_column(1, 1, _INSTRUCTION_WIDTHS[1])
        ws.hide_gridlines(2)
        self.merged(ws, 0, 1, self.d.title, fmts[plan.instr_title])
        self.ok(ws.set_row(0, 32), ws, "行高")
        label = fmts[plan.instr_label]
        for row, caption, text, fmt, height in plan.instr_lines:
            if text is None:  # the unit's own line
                text = f"{unit.name}（单位代码 {unit.code}）"
                height = _instruction_height(text)
            if caption:
                self.text(ws, row, 0, caption, label)
            self.text(ws, row, 1, text, fmts[fmt])
            self.ok(ws.set_row(row, height), ws, "行高")
        self.print_setup(ws, landscape=False)
        self.ok(ws.print_area(0, 0, plan.instr_last_row, 1), ws, "打印区域")
        ws.protect("", {"select_locked_cells": True, "select_unlocked_cells": True})
        ws.activate()

    def form_sheet(self, fp: _FormPlan, ident: str) -> None:
        fmts = self.formats
        ws = self.wb.add_worksheet(fp.form.sheet)
        for c, w in enumerate(fp.widths):
            self.ok(ws.set_column(c, c, w), ws, f"第 {c + 1} 列列宽")

        # Row 1: title; row 2: identity line; row 3: header.
        self.merged(ws, stamp.TITLE_ROW - 1, fp.last_col, fp.form.title, fmts[fp.title_fmt])
        self.ok(ws.set_row(stamp.TITLE_ROW - 1, 32), ws, "行高")
        self.merged(ws, stamp.IDENTITY_ROW - 1, fp.last_col, ident, fmts[fp.ident_fmt])
        self.ok(ws.set_row(stamp.IDENTITY_ROW - 1, 13 * wrapped_lines(ident, fp.total_width, 9) + 5), ws, "行高")

        header_row = stamp.HEADER_ROW - 1
        first, last = fp.first, fp.last
        for c, col in enumerate(fp.columns):
            self.text(ws, header_row, c, col.label, fmts[col.header_fmt])
            cell = fmts[col.data_fmt]
            if ws.write_column(first, c, fp.blanks, cell):
                # Name the cell XlsxWriter refused.
                for r in range(first, last + 1):
                    self.ok(ws.write_blank(r, c, None, cell), ws, f"单元格 {_addr(r, c)} ")
            self.ok(ws.data_validation(first, c, last, c, col.validation), ws, col.validation_what)
        self.ok(ws.set_row(header_row, fp.header_height), ws, "行高")

        ws.freeze_panes(stamp.FIRST_DATA_ROW - 1, 0)
        self.print_setup(ws, landscape=True, rows=last - first + 1)
        ws.repeat_rows(0, header_row)
        self.ok(ws.print_area(0, 0, last, fp.last_col), ws, "打印区域")
        ws.protect("", dict(_PROTECT_OPTIONS))

    def lists_sheet(self) -> None:
        plan = self.plan
        ws = self.wb.add_worksheet(plan.lists_name)
        for form in self.d.forms:
            for f in form.fields:
                if (form.name, f.name) not in plan.list_ranges:
                    continue
                lcol, _ = plan.list_ranges[(form.name, f.name)]
                ws.set_column(lcol, lcol, 24)
                for r, choice in enumerate(f.choices):
                    self.text(ws, r, lcol, choice)
        ws.hide()
        ws.protect()

    def meta_sheet(self) -> None:
        ws = self.wb.add_worksheet(stamp.META_SHEET)
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 60)
        items = stamp.meta_items(self.d, self.unit.code, self.unit.name, self.plan.deadline,
                                 self.plan.generated.isoformat())
        for r, (key, value) in enumerate(items):
            self.text(ws, r, 0, key)
            self.text(ws, r, 1, value)
            self.ok(self.wb.set_custom_property(stamp.PROPERTY_PREFIX + key, value, "text"), ws,
                    f"文档属性 {stamp.PROPERTY_PREFIX + key} ")
        ws.hide()  # plain hidden, not very hidden: LibreOffice keeps plain-hidden sheets
        ws.protect()


def _addr(row: int, col: int) -> str:
    return cell_address(row + 1, col)


__all__ = [
    "LISTS_SHEET",
    "TEXT_TYPES",
    "default_generated_date",
    "generate",
    "generate_workbook",
    "resolve_form_definition",
    "workbook_filename",
]
