"""The roster (填报单位名单): the units a collection round is issued to.

A roster is a table with a header row and one row per unit, read from ``.xlsx``/``.xls``/
``.ods`` (first visible sheet, through :func:`xltools.readers.read_return`) or ``.csv`` (UTF-8 with or without BOM, else GBK).
Columns are found by header text, not position:

==========  ==========================================================
column      accepted header texts
==========  ==========================================================
code        单位代码, 代码, 单位编码, 编码, 编号
name        单位名称, 填报单位, 单位, 部门名称, 部门
contact     联系人, 联系人姓名, 填报人 (optional)
phone       联系电话, 电话, 手机, 联系方式 (optional)
==========  ==========================================================

A missing code or name column, a duplicate code or name (compared after NFKC and case
folding: ``D01``, ``d01`` and ``Ｄ０１`` are one code), a blank code or blank name is a
:class:`~xltools.errors.RosterError` naming the file and row.  Blank rows are skipped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .errors import RosterError
from .forms import normalise_label

_COLUMNS = {
    "code": ("单位代码", "代码", "单位编码", "编码", "编号", "code"),
    "name": ("单位名称", "填报单位", "单位", "部门名称", "部门", "name"),
    "contact": ("联系人", "联系人姓名", "填报人", "contact"),
    "phone": ("联系电话", "电话", "手机", "联系方式", "phone"),
}


@dataclass(frozen=True)
class Unit:
    """One unit (填报单位) of the roster: ``code`` (单位代码, text), ``name`` (单位名称),
    ``contact`` (联系人) and ``phone`` (联系电话), both possibly empty."""

    code: str
    name: str
    contact: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Roster:
    """The units in roster order (the order every output follows) and the file they came from."""

    units: tuple[Unit, ...]
    source: str = ""

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self):
        return iter(self.units)

    def by_code(self, code: str) -> Unit | None:
        """The (first) unit with ``code``, or None."""
        return self._codes.get(code)

    @cached_property
    def _codes(self) -> dict[str, Unit]:
        codes: dict[str, Unit] = {}
        for u in self.units:
            codes.setdefault(u.code, u)
        return codes

    def index(self, code: str) -> int:
        """Position of the unit with ``code`` in roster order (``len(self)`` if absent)."""
        for i, u in enumerate(self.units):
            if u.code == code:
                return i
        return len(self.units)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "code"):  # an Excel error value such as #N/A
        return str(value.code)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _read_rows(path: Path) -> list[list[str]]:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes nearly anything
            raise RosterError(f"{path}：无法识别文件编码，请另存为 UTF-8 编码的 CSV")
        return [[_cell_text(c) for c in row] for row in csv.reader(io.StringIO(text))]
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"):
        # Through the safe reader: python-calamine aborts the process on some corrupt files.
        from .errors import ReturnReadError
        from .readers import read_return

        try:
            book = read_return(path)
        except ReturnReadError as exc:
            raise RosterError(f"{path}：无法读取填报单位名单（{exc.reason}），请确认文件未加密、未损坏") from None
        visible = [s for s in book.sheets if s.state == "visible"] or book.sheets
        if not visible:
            raise RosterError(f"{path}：名单文件中没有工作表")
        return [[_cell_text(c) for c in row] for row in visible[0].rows]
    raise RosterError(f"{path}：不支持的名单格式 {suffix or '(无扩展名)'}，请使用 .xlsx 或 .csv")


def load_roster(path: str | Path) -> Roster:
    """Read a roster file and return a :class:`Roster` in file order.

    The header is the first row that names both a code column and a name column (title rows
    above it are allowed).  Raises :class:`~xltools.errors.RosterError` for a missing file, an
    unreadable file, a missing column, a blank code or name, or a duplicate code — naming the
    row (``第 5 行``) so the committee can fix the list.
    """
    p = Path(path)
    if not p.is_file():
        raise RosterError(f"{p}：填报单位名单文件不存在")
    rows = _read_rows(p)
    wanted = {k: {normalise_label(a) for a in v} for k, v in _COLUMNS.items()}
    header_at = None
    cols: dict[str, int] = {}
    for i, row in enumerate(rows[:20]):
        found: dict[str, int] = {}
        for j, cell in enumerate(row):
            n = normalise_label(cell)
            for key, names in wanted.items():
                if n in names and key not in found:
                    found[key] = j
        if "code" in found and "name" in found:
            header_at, cols = i, found
            break
    if header_at is None:
        raise RosterError(f"{p}：找不到表头，名单须有“单位代码”和“单位名称”两列")
    units: list[Unit] = []
    seen: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    problems: list[str] = []
    for i, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        def get(key: str, row: list[str] = row) -> str:
            j = cols.get(key)
            return row[j] if j is not None and j < len(row) else ""

        code, name = get("code"), get("name")
        if not any(row):
            continue
        if not code:
            problems.append(f"第 {i} 行单位代码为空")
            continue
        if not name:
            problems.append(f"第 {i} 行（单位代码 {code}）单位名称为空")
            continue
        # Codes and names that differ only in width or case (D01, d01, Ｄ０１) are the same unit.
        key, name_key = normalise_label(code), normalise_label(name)
        if key in seen:
            problems.append(f"第 {i} 行单位代码 {code} 与第 {seen[key]} 行重复")
            continue
        if name_key in seen_names:
            problems.append(f"第 {i} 行单位名称“{name}”与第 {seen_names[name_key]} 行重复")
            continue
        seen[key] = i
        seen_names[name_key] = i
        units.append(Unit(code=code, name=name, contact=get("contact"), phone=get("phone")))
    if problems:
        raise RosterError(f"{p}：填报单位名单有误：{'；'.join(problems)}。请修改名单后重试")
    if not units:
        raise RosterError(f"{p}：填报单位名单中没有任何单位")
    return Roster(units=tuple(units), source=str(p))


__all__ = ["Roster", "Unit", "load_roster"]
