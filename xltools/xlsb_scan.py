"""The safety scan of an .xlsb worksheet part (MS-XLSB binary records, before calamine reads
them): extent, formula cells and error cells as a :class:`xltools.sheet_scan._SheetScan`, and the
record walk (:func:`_xlsb_records`) that :mod:`xltools.readers` also uses for the workbook part.  Split out of
:mod:`xltools.readers`, which measures every sheet with it before calamine loads one.  Records
that calamine would read past their end are refused (:func:`xltools.sheet_scan._corrupt`)."""

from __future__ import annotations

import struct
from collections.abc import Iterator

from .sheet_scan import _corrupt, _SheetScan
from .xls_scan import _BIFF_ERRORS


def _xlsb_records(buf: bytes) -> Iterator[tuple[int, int, int]]:
    """(record type, body offset, body length) per MS-XLSB §2.1.4 (7-bit varint type and size)."""
    pos, end = 0, len(buf)
    while pos < end:
        rt = buf[pos]
        pos += 1
        if rt & 0x80:
            if pos >= end:
                raise _corrupt("xlsb 记录不完整")
            rt = (rt & 0x7F) | ((buf[pos] & 0x7F) << 7)
            pos += 1
        size = shift = 0
        for _ in range(4):
            if pos >= end:
                raise _corrupt("xlsb 记录不完整")
            b = buf[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        if pos + size > end:
            raise _corrupt("xlsb 记录不完整")
        yield rt, pos, size
        pos += size


# Cell records BrtCellRk … BrtFmlaError (BrtCellBlank 0x01 holds no value) with their minimum
# sizes (MS-XLSB §2.4): calamine reads a short record's fields from its previous record's
# buffer, so a truncated record would put a cell where our walk did not see one — refuse it.
_XLSB_CELLS = {0x02: 12, 0x03: 9, 0x04: 9, 0x05: 16, 0x06: 12, 0x07: 12, 0x08: 18, 0x09: 22,
               0x0A: 15, 0x0B: 15}
_XLSB_FORMULAS = (0x08, 0x09, 0x0A, 0x0B)
_XLSB_ERRORS = (0x03, 0x0B)


def _xlsb_wide_string(buf: bytes, pos: int) -> tuple[str, int]:
    n = struct.unpack_from("<I", buf, pos)[0]
    pos += 4
    if n == 0xFFFFFFFF:
        return "", pos
    raw = buf[pos:pos + 2 * n]
    if len(raw) != 2 * n:
        raise _corrupt("xlsb 工作簿记录不完整")
    return raw.decode("utf-16-le", "replace"), pos + 2 * n


def _scan_xlsb_sheet(buf: bytes) -> _SheetScan:
    scan = _SheetScan()
    row = 0
    for rt, pos, size in _xlsb_records(buf):
        if rt == 0x00:  # BrtRowHdr: rw u32 … byte 11 bit 4 = fDyZero (hidden)
            if size < 17:
                raise _corrupt("xlsb 行记录不完整")
            row = struct.unpack_from("<I", buf, pos)[0] + 1
            if buf[pos + 11] & 0x10:
                scan.hidden_rows.add(row)
        elif rt in _XLSB_CELLS:
            if size < _XLSB_CELLS[rt]:
                raise _corrupt("xlsb 单元格记录不完整")
            col = struct.unpack_from("<I", buf, pos)[0]
            scan.see(row, col)
            if rt in _XLSB_FORMULAS:
                scan.formulas[(row, col)] = ""
            if rt in _XLSB_ERRORS:
                scan.errors[(row, col)] = _BIFF_ERRORS.get(buf[pos + 8], "#VALUE!")
    return scan
