"""What an .xls return holds, read from the bytes before calamine sees them: the streams of an
OLE compound file (MS-CFB; :func:`_cfb_streams`, with every chain, count and declared size that
calamine trusts for its allocations checked first), the sheets of a BIFF5/BIFF8 workbook stream
with each sheet's extent, formulas, error cells and hidden rows (MS-XLS §2.4;
:func:`_scan_biff`), and the user-defined document properties that carry the stamp
(MS-OLEPS; :func:`_ole_user_properties`).  Split out of :mod:`xltools.readers`, whose
``_read_ole`` calls these; refusals are :class:`xltools.sheet_scan._Refused`."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from .sheet_scan import _ADVICE_ENCRYPTED, _check_extent, _corrupt, _Refused, _SheetScan

if TYPE_CHECKING:
    from .readers import Limits

#: BErr error codes (MS-XLS §2.5.10, the same in MS-XLSB) → the text Excel shows.
_BIFF_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?",
                0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA"}

_OLE_WANTED = frozenset({"Workbook", "Book", "\x05DocumentSummaryInformation", "\x05SummaryInformation"})
_FREE = 0xFFFFFFFA  # sector numbers >= this are markers (end of chain, free, FAT, DIFAT)


def _cfb_streams(data: bytes) -> dict[str, bytes]:
    """Top-level entries of a compound file (MS-CFB §2): name → content for the streams in
    ``_OLE_WANTED``, ``b""`` for the others.  Chains are followed with loop guards, so a
    hostile file cannot make this spin."""
    if len(data) < 512:
        raise _corrupt("复合文档头不完整")
    ssz = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    mssz = 1 << struct.unpack_from("<H", data, 0x20)[0]
    if ssz not in (512, 4096) or mssz != 64:
        raise _corrupt("复合文档头无效")
    (n_fat, dir_start, _tx, cutoff, minifat_start, n_minifat, difat_start,
     n_difat) = struct.unpack_from("<IIIIIIII", data, 0x2C)
    n_sectors = max(0, (len(data) - ssz) // ssz)

    def sector(i: int) -> bytes:
        if i >= n_sectors:
            raise _corrupt("复合文档扇区越界")
        off = (i + 1) * ssz
        return data[off:off + ssz]

    if cutoff != 4096:  # MS-CFB 2.2: MUST be 4096; calamine assumes it
        raise _corrupt("复合文档头无效")
    fat_secs = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < _FREE]
    s, seen = difat_start, 0
    while s < _FREE:
        seen += 1
        if seen > n_sectors:  # a DIFAT chain that loops would make calamine spin forever
            raise _corrupt("复合文档扇区链损坏")
        entries = struct.unpack(f"<{ssz // 4}I", sector(s))
        fat_secs.extend(e for e in entries[:-1] if e < _FREE)
        s = entries[-1]
    fat_bytes = b"".join(sector(i) for i in fat_secs[: max(n_fat, len(fat_secs))])
    fat = struct.unpack(f"<{len(fat_bytes) // 4}I", fat_bytes)

    def chain(start: int, table: tuple[int, ...]) -> list[int]:
        out: list[int] = []
        while start < _FREE:
            if start >= len(table) or len(out) > len(table):
                raise _corrupt("复合文档扇区链损坏")
            out.append(start)
            start = table[start]
        return out

    # calamine sizes its buffers from these counts and from each entry's declared stream size
    # (a corrupt size made it request 343 GB and abort the process): refuse any that cannot fit
    # in the file before calamine sees it.
    n_dir = struct.unpack_from("<I", data, 0x28)[0]
    if max(n_fat, n_dir, n_minifat, n_difat) > n_sectors + 1:
        raise _corrupt("复合文档头的扇区数超出文件大小")
    directory = b"".join(sector(i) for i in chain(dir_start, fat))
    entries = []
    for off in range(0, len(directory) - 127, 128):
        e = directory[off:off + 128]
        name_len = struct.unpack_from("<H", e, 64)[0]
        name = e[: max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
        etype = e[66]
        left, right, child = struct.unpack_from("<III", e, 68)
        start, size = struct.unpack_from("<IQ", e, 116)
        if etype in (2, 5) and size > len(data):
            raise _corrupt("复合文档中的数据流长度超出文件大小")
        entries.append((name, etype, left, right, child, start, size))
    if not entries or entries[0][1] != 5:
        raise _corrupt("复合文档目录损坏")
    root = entries[0]
    ministream = b"".join(sector(i) for i in chain(root[5], fat))[: root[6]] if root[6] else b""
    minifat: tuple[int, ...] = ()
    if n_minifat and minifat_start < _FREE:
        mf = b"".join(sector(i) for i in chain(minifat_start, fat))
        minifat = struct.unpack(f"<{len(mf) // 4}I", mf)

    def read(start: int, size: int) -> bytes:
        if size < 4096:
            return b"".join(ministream[i * mssz:(i + 1) * mssz] for i in chain(start, minifat))[:size]
        return b"".join(sector(i) for i in chain(start, fat))[:size]

    out: dict[str, bytes] = {}
    stack, visited = [root[4]], set()
    while stack:  # the root's children form a red-black tree: walk left/right siblings
        i = stack.pop()
        if i >= len(entries) or i in visited:
            continue
        visited.add(i)
        name, etype, left, right, _child, start, size = entries[i]
        stack.extend((left, right))
        if etype == 2 and name in _OLE_WANTED:
            out[name] = read(start, size)
        elif etype in (1, 2):
            out.setdefault(name, b"")
    return out


_BIFF_VALUE_CELLS = {0x00FD, 0x0204, 0x0203, 0x027E, 0x00D6, 0x0205, 0x0006}  # LABELSST LABEL NUMBER RK RSTRING BOOLERR FORMULA


def _biff_records(book: bytes, pos: int) -> Iterator[tuple[int, int, int]]:
    end = len(book)
    while pos + 4 <= end:
        rt, size = struct.unpack_from("<HH", book, pos)
        body = pos + 4
        if body + size > end:
            raise _corrupt("xls 记录不完整")
        yield rt, body, size
        pos = body + size


def _continues(book: bytes, pos: int) -> Iterator[tuple[int, int, int]]:
    """The CONTINUE records (0x003C) directly following the record that ends at ``pos``."""
    for rt, body, size in _biff_records(book, pos):
        if rt != 0x003C:
            return
        yield rt, body, size


def _check_dimensions(book: bytes, pos: int, size: int) -> None:
    if size == 14:
        rf, rl = struct.unpack_from("<II", book, pos)
        cf, cl = struct.unpack_from("<HH", book, pos + 8)
    elif size == 10:
        rf, rl, cf, cl = struct.unpack_from("<HHHH", book, pos)
    else:
        return  # calamine rejects other lengths with an error
    if rl and cl and not (rf < rl <= 65536 and cf < cl <= 256):  # BIFF8 sheet limits
        raise _corrupt("xls 工作表尺寸记录无效")


def _scan_biff(book: bytes, limits: Limits) -> list[tuple[str, _SheetScan]]:
    """One (name, scan) per BOUNDSHEET record, in workbook order (the order calamine lists
    sheets in, chart and macro sheets included; those are not walked)."""
    biff8 = True
    codepage = "cp1252"
    sheets: list[tuple[str, int, int]] = []
    for rt, pos, size in _biff_records(book, 0):
        if rt == 0x0809 and size >= 2 and not sheets:  # BOF: vers 0x0600 = BIFF8, 0x0500 = BIFF5
            biff8 = struct.unpack_from("<H", book, pos)[0] >= 0x0600
        elif rt == 0x002F:  # FILEPASS: the workbook is encrypted
            raise _Refused("文件已加密", _ADVICE_ENCRYPTED)
        elif rt == 0x0042 and size >= 2:  # CODEPAGE (used for BIFF5 names)
            cp = struct.unpack_from("<H", book, pos)[0]
            codepage = "cp1252" if cp in (1200, 0x8000, 0x8001) else f"cp{cp}"
        elif rt == 0x00FC and size >= 8:  # SST: calamine reserves cstUnique strings up front
            unique = struct.unpack_from("<i", book, pos + 4)[0]
            available = size + sum(s for _, _, s in _continues(book, pos + size))
            if not 0 <= unique <= available // 3:  # every string takes at least 3 bytes
                raise _corrupt("xls 共享字符串表记录无效")
        elif rt == 0x0085 and size >= 7:  # BOUNDSHEET: lbPlyPos, hsState, dt, name
            offset, dt, cch = struct.unpack_from("<I", book, pos)[0], book[pos + 5], book[pos + 6]
            if biff8 and size >= 8:
                wide = book[pos + 7] & 1
                raw = book[pos + 8: pos + 8 + cch * (2 if wide else 1)]
                name = raw.decode("utf-16-le" if wide else "latin-1", "replace")
            else:
                try:
                    name = book[pos + 7: pos + 7 + cch].decode(codepage, "replace")
                except LookupError:
                    name = book[pos + 7: pos + 7 + cch].decode("latin-1")
            sheets.append((name, offset, dt))
        elif rt == 0x000A:  # EOF of the globals substream
            break
    out: list[tuple[str, _SheetScan]] = []
    for name, offset, _dt in sheets:
        scan = _SheetScan()
        out.append((name, scan))
        # Chart and macro sheets are walked too: calamine builds a grid for every substream.
        depth = 0
        for rt, pos, size in _biff_records(book, offset):
            if rt in (0x0809, 0x0409, 0x0209, 0x0009):  # BOF (embedded charts nest)
                depth += 1
            elif rt == 0x000A:
                depth -= 1
                if depth <= 0:
                    break
            elif depth != 1 or size < 6:
                continue
            elif rt in _BIFF_VALUE_CELLS:
                row, col = struct.unpack_from("<HH", book, pos)
                row += 1
                scan.see(row, col)
                if rt == 0x0006 and size >= 14:
                    scan.formulas[(row, col)] = ""
                    if book[pos + 12: pos + 14] == b"\xff\xff" and book[pos + 6] == 2:
                        scan.errors[(row, col)] = _BIFF_ERRORS.get(book[pos + 8], "#VALUE!")
                elif rt == 0x0205 and size >= 8 and book[pos + 7] == 1:
                    scan.errors[(row, col)] = _BIFF_ERRORS.get(book[pos + 6], "#VALUE!")
            elif rt == 0x00BD:  # MULRK: rw, colFirst, RkRec…, colLast in the last two bytes
                row = struct.unpack_from("<H", book, pos)[0] + 1
                scan.see(row, struct.unpack_from("<H", book, pos + size - 2)[0])
            elif rt == 0x0200:  # DIMENSIONS: calamine reserves (rows × cols) cells from it
                _check_dimensions(book, pos, size)
            elif rt == 0x0208 and size >= 16:  # ROW: flags byte at offset 12, fDyZero = 0x20
                if book[pos + 12] & 0x20:
                    scan.hidden_rows.add(struct.unpack_from("<H", book, pos)[0] + 1)
        _check_extent(scan, name, limits)
    return out


# FMTID_SummaryInformation {F29F85E0-4FF9-1068-AB91-08002B27B3D9} as stored (MS-OLEPS), and its
# last-saved time (PIDSI_LASTSAVE_DTM, a VT_FILETIME).
_FMTID_SUMMARY = bytes.fromhex("e0859ff2f94f6810ab9108002b27b3d9")
_PID_LASTSAVE_DTM = 13
_VT_FILETIME = 0x40
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)


def ole_last_saved(stream: bytes) -> str | None:
    """The last-saved time in an OLE SummaryInformation stream (MS-OLEPS §2.21; MS-OSHARED
    §2.3.3.2.1: PIDSI_LASTSAVE_DTM, a VT_FILETIME of 100 ns units since 1601-01-01 UTC) as ISO
    8601 UTC (``2006-01-17T07:39:00Z``), the form of an .xlsx's ``dcterms:modified``; Excel,
    WPS and LibreOffice write it on every save of an .xls.  None when absent, malformed, or
    not a time between 1980 and 9999 (a template's zero)."""
    try:
        if len(stream) < 48 or struct.unpack_from("<I", stream, 24)[0] < 1 or stream[28:44] != _FMTID_SUMMARY:
            return None
        offset = struct.unpack_from("<I", stream, 44)[0]
        n = struct.unpack_from("<I", stream, offset + 4)[0]
        for i in range(min(n, 1_000)):
            pid, off = struct.unpack_from("<II", stream, offset + 8 + 8 * i)
            if pid != _PID_LASTSAVE_DTM:
                continue
            if struct.unpack_from("<H", stream, offset + off)[0] != _VT_FILETIME:
                return None
            ticks = struct.unpack_from("<Q", stream, offset + off + 4)[0]
            saved = _FILETIME_EPOCH + timedelta(microseconds=ticks // 10)
            return saved.strftime("%Y-%m-%dT%H:%M:%SZ") if 1980 <= saved.year <= 9999 else None
    except (struct.error, OverflowError):
        return None
    return None


# FMTID_UserDefinedProperties {D5CDD505-2E9C-101B-9397-08002B2CF9AE} as stored (MS-OLEPS).
_FMTID_USER = bytes.fromhex("05d5cdd59c2e1b10939708002b2cf9ae")


def _ole_user_properties(stream: bytes) -> dict[str, str]:
    """User-defined properties from DocumentSummaryInformation's second section (MS-OLEPS
    §2.21 PropertySetStream, FMTID_UserDefinedProperties).  The properties are a secondary
    carrier of the stamp (the ``_meta`` sheet is the first), so a malformed set gives ``{}``
    rather than refusing the file."""
    try:
        return _parse_user_properties(stream)
    except (struct.error, LookupError, UnicodeError, ValueError):
        return {}


def _parse_user_properties(stream: bytes) -> dict[str, str]:
    if (len(stream) < 68 or struct.unpack_from("<I", stream, 24)[0] < 2
            or stream[48:64] != _FMTID_USER):
        return {}
    offset = struct.unpack_from("<I", stream, 64)[0]
    if offset + 8 > len(stream):
        return {}
    n = struct.unpack_from("<I", stream, offset + 4)[0]
    ids: dict[int, int] = {}
    for i in range(min(n, 10_000)):
        pid, off = struct.unpack_from("<II", stream, offset + 8 + 8 * i)
        ids[pid] = offset + off
    codepage = "cp1252"
    if 1 in ids and struct.unpack_from("<H", stream, ids[1])[0] == 0x0002:
        cp = struct.unpack_from("<H", stream, ids[1] + 4)[0]
        codepage = "utf-16-le" if cp == 1200 else f"cp{cp}"
    names: dict[int, str] = {}
    if 0 in ids:
        pos = ids[0]
        count = struct.unpack_from("<I", stream, pos)[0]
        pos += 4
        for _ in range(min(count, 10_000)):
            pid, length = struct.unpack_from("<II", stream, pos)
            pos += 8
            if codepage == "utf-16-le":
                names[pid] = stream[pos:pos + 2 * length].decode(codepage, "replace").rstrip("\x00")
                pos += 2 * length + (2 * length) % 4
            else:
                names[pid] = stream[pos:pos + length].decode(codepage, "replace").rstrip("\x00")
                pos += length
    props: dict[str, str] = {}
    for pid, name in names.items():
        if pid not in ids:
            continue
        pos = ids[pid]
        vt = struct.unpack_from("<H", stream, pos)[0]
        pos += 4
        if vt == 0x1E:  # VT_LPSTR
            length = struct.unpack_from("<I", stream, pos)[0]
            value = stream[pos + 4:pos + 4 + length].decode(codepage, "replace").rstrip("\x00")
        elif vt == 0x1F:  # VT_LPWSTR
            length = struct.unpack_from("<I", stream, pos)[0]
            value = stream[pos + 4:pos + 4 + 2 * length].decode("utf-16-le", "replace").rstrip("\x00")
        elif vt == 0x03:  # VT_I4
            value = str(struct.unpack_from("<i", stream, pos)[0])
        elif vt == 0x05:  # VT_R8
            value = repr(struct.unpack_from("<d", stream, pos)[0])
        elif vt == 0x0B:  # VT_BOOL
            value = "true" if struct.unpack_from("<H", stream, pos)[0] else "false"
        else:
            continue
        props[name] = value
    return props
