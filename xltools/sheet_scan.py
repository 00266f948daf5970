"""What a reader's own pass over a sheet measures before calamine is given it, shared by the
scanners of every format (:mod:`xltools.xlsx_scan` for .xlsx/.xlsm worksheets,
:mod:`xltools.xlsb_scan`, :mod:`xltools.ods_scan` and :mod:`xltools.xls_scan`): the extent (so a sheet too large is refused
before calamine allocates it), formulas, error cells, hidden rows and merged ranges, as a
:class:`_SheetScan`; and the internal refusal (:class:`_Refused`) that
:func:`xltools.readers.read_return` turns into a :class:`~xltools.errors.ReturnReadError` naming
the file.  Positions are 1-based rows and 0-based columns."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .issues import cell_address

if TYPE_CHECKING:
    from .readers import Limits

# ---------------------------------------------------------------------------------------------
# Internal failure: carries the ledger reason and advice until read_return adds the path
# ---------------------------------------------------------------------------------------------

_ADVICE_RESAVE = "请重新保存为 .xlsx 后再报送"
_ADVICE_NOT_SHEET = "请报送填写好的登记表（.xlsx）"
_ADVICE_ENCRYPTED = "请取消密码保护后重新保存再报送"
_ADVICE_TRIM = "请删除表格下方或右侧多余的内容后重新保存再报送"


class _Refused(Exception):
    def __init__(self, reason: str, advice: str = _ADVICE_RESAVE) -> None:
        super().__init__(reason)
        self.reason = reason
        self.advice = advice


def _corrupt(what: str) -> _Refused:
    return _Refused(f"文件已损坏（{what}）")




def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_RE_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


def _col_index(letters: str | bytes) -> int:
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.upper().decode("ascii"):
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _parse_ref(ref: str) -> tuple[int, int] | None:
    m = _RE_REF.fullmatch(ref)
    if not m:
        return None
    return int(m.group(2)), _col_index(m.group(1))


def _parse_range(ref: str) -> tuple[int, int, int, int] | None:
    first, _, last = ref.partition(":")
    a = _parse_ref(first)
    b = _parse_ref(last) if last else a
    if a is None or b is None:
        return None
    return min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])


@dataclass
class _SheetScan:
    """What our own pass over a sheet found; positions 1-based row, 0-based column."""

    last_row: int = 0  # 1-based, 0 = no cells
    last_col: int = -1
    far_cell: tuple[int, int] = (0, 0)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    formula_ranges: list[tuple[int, int, int, int]] = field(default_factory=list)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    visible_rows: set[int] = field(default_factory=set)
    hidden_by_default: bool = False
    hidden_ranges: list[tuple[int, int]] = field(default_factory=list)
    merged: list[tuple[int, int, int, int]] | None = None

    def see(self, row: int, col: int) -> None:
        if row > self.last_row:
            self.last_row = row
            self.far_cell = (row, col)
        if col > self.last_col:
            self.last_col = col
            self.far_cell = (row, col)


def _check_extent(scan: _SheetScan, sheet: str, limits: Limits) -> None:
    rows, cols = scan.last_row, scan.last_col + 1
    where = f"工作表“{sheet}”"
    if rows > limits.max_rows_per_sheet:
        raise _Refused(f"{where}有 {rows} 行，超过 {limits.max_rows_per_sheet} 行上限", _ADVICE_TRIM)
    if rows * cols > limits.max_cells_per_sheet:
        far = cell_address(*scan.far_cell) if scan.far_cell[0] else ""
        raise _Refused(
            f"{where}的数据区域过大（A1:{cell_address(rows, cols - 1)}，{rows * cols} 个单元格，"
            f"上限 {limits.max_cells_per_sheet} 个{('；最远的内容在 ' + far) if far else ''}）",
            _ADVICE_TRIM,
        )
