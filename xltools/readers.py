"""Open any return (报送文件) safely and deliver its cells with real Excel coordinates.

:func:`read_return` is the only way merge opens a return.  It checks the file before any parser
touches it (DESIGN.md §5 "Hostile input"), reads cell values through python-calamine, and adds
what calamine does not report — error cells, formulas, hidden rows, merged ranges, custom
document properties — from the file's own parts.  Values are delivered raw: coercion to field
types is :mod:`xltools.coerce`'s job.

Coordinates: ``SheetData.rows[i][j]`` is the cell at Excel row ``i + 1``, column ``j`` (0-based,
``A`` = 0), always anchored at A1.  python-calamine drops leading empty rows and columns unless
``to_python(skip_empty_area=False)`` is used (its ``sheet.start`` is the offset otherwise);
we always use ``skip_empty_area=False``, so a header typed in C4 is ``rows[3][2]`` and an issue
quotes C4, not A1.

Checks made before parsing, in order (each refusal is a :class:`ReturnReadError` whose
``reason`` is the short Chinese phrase the returns ledger shows):

* empty file; file larger than :attr:`Limits.max_file_bytes`;
* the format is sniffed from the first bytes, never from the suffix: an OLE compound file
  holding ``EncryptedPackage`` is an encrypted OOXML workbook (what Excel's "encrypt with
  password" writes, MS-OFFCRYPTO), one holding ``Workbook`` is a BIFF .xls (also when named
  .xlsx), ``WordDocument`` a Word document; PDF, images, HTML, SpreadsheetML 2003, RAR/7z and
  plain text are named as what they are;
* zip containers: at most :attr:`Limits.max_zip_members` members, no two whose names differ
  only in case or slash direction; the central directory's declared total uncompressed size,
  then every member stream-decompressed with a running cap
  (:attr:`Limits.max_uncompressed_bytes`), which also verifies each member's CRC-32
  (``zipfile`` raises on a mismatch) — a truncated or bit-flipped file is refused here;
* no ``<!DOCTYPE`` / ``<!ENTITY`` in any member (also UTF-16 encoded): entity-expansion bombs are
  refused before any XML parser runs (and our own parsing goes through defusedxml);
* the used area of every sheet is measured from the file's own cell records (xlsx/xlsm: a
  regular-expression scan of the worksheet XML, :mod:`xltools.xlsx_scan`; xlsb, xls: a record
  walk, :mod:`xltools.xlsb_scan`, :mod:`xltools.xls_scan`; ods: the content.xml walk,
  :mod:`xltools.ods_scan`; each into a :class:`xltools.sheet_scan._SheetScan`) and refused above :attr:`Limits.max_rows_per_sheet` / :attr:`Limits.max_cells_per_sheet`
  *before* calamine loads the sheet — calamine builds a dense grid, so a 5 KB file with values in
  A1 and XFD1048576 would otherwise make it allocate 512 GB and abort the process;
* what calamine trusts for its allocations in binary formats is checked first, because a failed
  allocation aborts the whole process (a Rust panic only raises ``PanicException``, which is
  wrapped): in compound files the sector counts, every stream's declared size and the chains
  calamine follows (loops refused); in .xls the ``DIMENSIONS`` record (within BIFF8's 65 536 ×
  256) and the shared-string count; in .xlsb truncated row and cell records
  (tests/test_readers.py mutates fixtures of every binary format to keep this honest).

What each format delivers (limits are documented, never silent):

==========  ======  ==========  ===========  ======  ==========
format      values  CellError   formulas     hidden  properties
==========  ======  ==========  ===========  ======  ==========
xlsx/xlsm   yes     yes         text         yes     docProps/custom.xml
xlsb        yes     yes         ``""``       yes     no (the ``_meta`` sheet carries the stamp)
xls (BIFF)  yes     yes         ``""``       yes     DocumentSummaryInformation user section
ods         yes     yes [1]_    text         yes     meta.xml ``meta:user-defined``
csv         text    no          no           no      no
==========  ======  ==========  ===========  ======  ==========

.. [1] from LibreOffice's ``calcext:value-type="error"``; other ODS writers store the error
   text as a string, which is then delivered as that string.

Merged ranges come from calamine for xlsx/xls and from content.xml for ods; xlsb reports none.
Chart, dialog and macro (XLM) sheets hold no form data and are not returned.

Known behaviour of python-calamine passed through unchanged: text in an ``<is><t>`` or shared
string without ``xml:space="preserve"`` has leading/trailing whitespace trimmed (Excel and WPS
write ``preserve`` whenever such whitespace matters); ``_x000D_`` escapes are decoded to
``"\\r"``; 1904-epoch dates are converted correctly; integers in .xls come back as ``int``.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import io
import operator
import os
import posixpath
import re
import struct
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import python_calamine
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _xml_fromstring

from ._io import OLE2_MAGIC
from .errors import ReturnReadError
from .ods_scan import _M, _scan_ods
from .sheet_scan import (
    _ADVICE_ENCRYPTED,
    _ADVICE_NOT_SHEET,
    _ADVICE_RESAVE,
    _ADVICE_TRIM,
    _check_extent,
    _corrupt,
    _local,
    _Refused,
    _SheetScan,
)
from .sheet_xml import merge_cells_first
from .xls_scan import _cfb_streams, _ole_user_properties, _scan_biff, ole_last_saved
from .xlsb_scan import _scan_xlsb_sheet, _xlsb_records, _xlsb_wide_string
from .xlsx_scan import _FIRST, _SECOND, _scan_xlsx_sheet
from .zip_writer import Member, write_zip

# ---------------------------------------------------------------------------------------------
# Public data types
# ---------------------------------------------------------------------------------------------

ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")

#: Suffixes find_returns treats as spreadsheets (compared case-insensitively).
RETURN_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv")

_SKIPPED_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini", ".ds_store"})


@dataclass(frozen=True)
class CellError:
    """An Excel error value in a cell.  ``code`` is the error text as stored, e.g. ``"#N/A"``,
    ``"#DIV/0!"``, ``"#REF!"``, ``"#VALUE!"``, ``"#NAME?"``, ``"#NUM!"``, ``"#NULL!"`` (newer
    Excel versions add codes such as ``"#SPILL!"``, delivered as stored)."""

    code: str

    def __str__(self) -> str:
        return self.code


@dataclass
class SheetData:
    """One worksheet of a return.

    ``rows[i][j]`` is the Excel cell at row ``i + 1``, column ``j`` (0-based): always anchored at
    A1, rectangular (every row has the same length), trailing empty rows and columns trimmed.
    Values: ``None`` (empty, including an empty string), ``str`` (not stripped), ``int``,
    ``float`` (integral floats stay float), ``bool``, ``datetime.date``, ``datetime.datetime``,
    ``datetime.time``, ``datetime.timedelta`` or :class:`CellError`.

    ``formulas`` maps ``(row 1-based, col 0-based)`` to the formula text with a leading ``=``
    (``""`` where the file does not give it: .xls, .xlsb, followers of an xlsx shared formula,
    cells inside an array formula's range); ``rows`` holds the cached value, possibly ``None``.
    ``hidden_rows``: 1-based rows hidden in the sheet, limited to rows ``1..len(rows)`` (a hidden
    row beyond the last used row carries nothing).  ``merged``: ``(first_row 1-based, first_col
    0-based, last_row 1-based, last_col 0-based)``.
    """

    name: str
    state: str
    rows: list[list[object]]
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    hidden_rows: frozenset[int] = frozenset()
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass
class ReturnWorkbook:
    """A return as read: ``kind`` is the format found in the file's bytes (``"xlsx"``,
    ``"xlsm"``, ``"xlsb"``, ``"xls"``, ``"ods"`` or ``"csv"``), which may differ from its
    suffix; ``sheets`` in workbook order; ``properties`` the custom document properties as text
    (names as stored; booleans ``"true"``/``"false"``, numbers as written in the file)."""

    path: Path
    kind: str
    sheets: list[SheetData]
    properties: dict[str, str] = field(default_factory=dict)
    #: the last-saved time as the file records it, as text (xlsx, xlsm, xlsb: docProps/core.xml
    #: ``dcterms:modified``; ods: meta.xml ``dc:date``; xls: SummaryInformation's last-saved
    #: time, :func:`xltools.xls_scan.ole_last_saved`); None when it records none
    saved_record: str | None = None
    #: SHA-256 of the file's bytes (hex): two copies of one file are told apart from two
    #: versions (a unit's duplicate returns, :func:`xltools.combine.combine`); not compared
    digest: str = field(default="", compare=False)

    def sheet(self, name: str) -> SheetData | None:
        """The sheet called ``name``; Excel compares sheet names case-insensitively, so an
        exact match is tried first, then one ignoring case and surrounding whitespace."""
        for s in self.sheets:
            if s.name == name:
                return s
        want = _sheet_key(name)
        for s in self.sheets:
            if _sheet_key(s.name) == want:
                return s
        return None


def _sheet_key(name: str) -> str:
    """A sheet name as Excel compares it: case-insensitively, surrounding whitespace aside
    (:meth:`ReturnWorkbook.sheet`, ``read_return(..., sheets=)``)."""
    return name.strip().casefold()


@dataclass(frozen=True)
class Limits:
    """Caps applied before and while reading a return; each refusal names the cap.

    ``max_file_bytes``: size of the file on disk.  ``max_uncompressed_bytes``: total of all
    members of a zip container, declared and actually inflated.  ``max_zip_members``: entries
    in a zip's central directory.  ``max_rows_per_sheet``: last used row of any sheet (Excel's
    own limit by default).  ``max_cells_per_sheet``: rows × columns of a sheet's A1-anchored
    used area (5 million ≈ 100 000 rows × 50 columns), which bounds memory: a stray value in
    XFD1048576 is refused with its address instead of exhausting memory.
    """

    max_file_bytes: int = 200 * 2**20
    max_uncompressed_bytes: int = 1 * 2**30
    max_rows_per_sheet: int = 1_048_576
    max_cells_per_sheet: int = 5_000_000
    max_zip_members: int = 10_000


def _size_text(n: int) -> str:
    for unit, size in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} 字节"


# ---------------------------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------------------------


def read_return(path: str | Path, limits: Limits = Limits(), *,  # noqa: B008
                sheets: Collection[str] | None = None) -> ReturnWorkbook:
    """Read one return: ``path`` → :class:`ReturnWorkbook`.

    The file is read once into memory (it is at most ``limits.max_file_bytes``), opened
    read-only and never modified; every parser works on that copy.  Raises
    :class:`~xltools.errors.ReturnReadError` ``(path, reason, advice)`` for anything that
    cannot be read — encrypted, corrupt, truncated, not a spreadsheet, over a limit, a zip or
    XML bomb — and never any other exception (calamine's exceptions, and any panic from its
    Rust code, are wrapped).  See the module docstring for the checks and per-format limits.

    ``sheets``: only the worksheets whose name equals one of these, exactly or ignoring case and
    surrounding spaces (every such sheet), are delivered, in workbook order.  In an .xlsx/.xlsm
    the others are still checked as part of the zip (size, CRC, entity declarations) but not
    parsed, and their XML is not kept; they are not measured either where calamine is sure to
    resolve sheet names to the parts we do (:func:`_resolution_unambiguous`), else measured as
    in a whole read.  What
    :func:`xltools.consolidated.read_consolidated` needs to read one form sheet of a city's
    consolidated workbook (issue 7).  Other formats are read whole, then filtered.
    """
    p = Path(path)
    wanted = None if sheets is None else _SheetFilter(sheets)  # TypeError for a name not text
    try:
        if wanted is None:
            return _read(p, limits)
        book = _read(p, limits, wanted)
        book.sheets = [s for s in book.sheets if wanted(s.name)]
        return book
    except _Refused as exc:
        raise ReturnReadError(str(p), exc.reason, exc.advice) from None
    except ReturnReadError:
        raise
    except python_calamine.PasswordError:
        raise ReturnReadError(str(p), "文件已加密", _ADVICE_ENCRYPTED) from None
    except MemoryError:
        raise ReturnReadError(str(p), "文件过大，内存不足", _ADVICE_TRIM) from None
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - calamine raises many types; pyo3 panics are BaseException
        raise ReturnReadError(str(p), f"文件已损坏，无法解析（{_short(exc)}）", _ADVICE_RESAVE) from None


def is_skipped_file(path: Path) -> bool:
    """True for files that are never returns: Office lock/owner files (``~$x.xlsx``),
    LibreOffice lock files (``.~lock.x.xlsx#``), any name starting with ``.`` (hidden files,
    macOS ``.DS_Store`` and ``._x`` AppleDouble files) and Windows ``Thumbs.db`` /
    ``desktop.ini`` (case-insensitive)."""
    name = Path(path).name
    return name.startswith(("~$", ".")) or name.lower() in _SKIPPED_NAMES


def find_returns(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """Files and folders → ``(candidates, skipped)``, each sorted by path, without duplicates.

    Folders are searched recursively (symbolic links to folders are not followed; folders
    whose name starts with ``.`` are not entered and are listed in ``skipped``).  Every file
    found is a candidate — spreadsheets with the suffixes in :data:`RETURN_SUFFIXES` and any
    other file too, so merge can report it as 无法读取 (``read_return`` says what it is) —
    except lock/system/hidden files (:func:`is_skipped_file`), which go to ``skipped``.  A file
    given by name follows the same rule.  A path that does not exist raises
    :class:`~xltools.errors.ReturnReadError`.
    """
    candidates: set[Path] = set()
    skipped: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for folder, dirnames, filenames in os.walk(p):
                for d in list(dirnames):
                    if d.startswith("."):
                        skipped.add(Path(folder) / d)
                        dirnames.remove(d)
                for name in filenames:
                    f = Path(folder) / name
                    (skipped if is_skipped_file(f) else candidates).add(f)
        elif p.is_file():
            (skipped if is_skipped_file(p) else candidates).add(p)
        elif p.exists() or p.is_symlink():
            raise ReturnReadError(str(p), "不是普通文件", "请指定报送文件或其所在文件夹")
        else:
            raise ReturnReadError(str(p), "文件或文件夹不存在", "请检查路径是否写对")
    return sorted(candidates), sorted(skipped)


# ---------------------------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------------------------

_OLE_MAGIC = OLE2_MAGIC  # shared with report (old .doc, encrypted .docx)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:80]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _SheetFilter:
    """Which sheets :func:`read_return` delivers when given ``sheets``."""

    def __init__(self, names: Collection[str]) -> None:
        if isinstance(names, str) or not all(isinstance(n, str) for n in names):
            raise TypeError(f"sheets must be a collection of sheet names (text), got {names!r}")
        self._exact = set(names)
        self._folded = {_sheet_key(n) for n in names}

    def __call__(self, name: str) -> bool:
        return name in self._exact or _sheet_key(name) in self._folded


def _read(path: Path, limits: Limits, wanted: _SheetFilter | None = None) -> ReturnWorkbook:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        if path.is_symlink():
            raise _Refused("是指向不存在文件的符号链接（快捷方式）", "请报送文件本身") from None
        raise _Refused("文件不存在", "请检查路径是否写对") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Refused("是循环的符号链接（快捷方式），无法打开", "请报送文件本身") from None
        raise _Refused(f"无法打开文件（{exc.strerror or exc}）", "请检查文件权限后重试") from None
    if path.is_dir():
        raise _Refused("这是文件夹，不是文件", "请指定报送文件")
    if size == 0:
        raise _Refused("文件为空（0 字节）", "请重新保存登记表后再报送")
    if size > limits.max_file_bytes:
        raise _Refused(
            f"文件过大（{_size_text(size)}，上限 {_size_text(limits.max_file_bytes)}）", _ADVICE_TRIM
        )
    try:
        with open(path, "rb") as fh:  # read-only; never written
            # read(n) allocates n bytes up front: ask for the size stat() gave (+1 to notice
            # a file that grew in between), not for the cap.
            data = fh.read(size + 1)
    except OSError as exc:
        raise _Refused(f"无法打开文件（{exc.strerror or exc}）", "请检查文件权限后重试") from None
    if len(data) > limits.max_file_bytes:
        raise _Refused(f"文件过大（上限 {_size_text(limits.max_file_bytes)}）", _ADVICE_TRIM)
    if not data:
        raise _Refused("文件为空（0 字节）", "请重新保存登记表后再报送")

    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        book = _read_zip(path, data, limits, wanted)
    elif data.startswith(_OLE_MAGIC):
        book = _read_ole(path, data, limits)
    elif path.suffix.lower() == ".csv":
        book = _read_csv(path, data, limits)
    else:
        raise _Refused(*_not_a_spreadsheet(data))
    book.digest = hashlib.sha256(data).hexdigest()
    return book


def _not_a_spreadsheet(data: bytes) -> tuple[str, str]:
    """(reason, advice) naming what the file looks like, from its first bytes."""
    head = data[:2048]
    low = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%PDF"):
        kind = " PDF 文件"
    elif head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00",
                          b"MM\x00*")) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        kind = "图片"
    elif head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return "不是电子表格（看起来是压缩包）", "请解压后分别报送其中的登记表"
    elif head.startswith(b"{\\rtf"):
        kind = " RTF 文档"
    elif b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return ("不是电子表格（是 Excel 2003 XML 表格）",
                "请用 Excel 或 WPS 打开后另存为 .xlsx 再报送")
    elif low.startswith((b"<!doctype html", b"<html", b"<table", b"mime-version")) or b"<html" in low:
        return ("不是电子表格（看起来是网页文件，常见于系统导出的“xls”）",
                "请用 Excel 或 WPS 打开后另存为 .xlsx 再报送")
    elif _looks_like_text(head):
        kind = "纯文本文件"
    else:
        kind = "无法识别的文件格式"
        return f"不是电子表格（{kind}）", _ADVICE_NOT_SHEET
    return f"不是电子表格（看起来是{kind}）", _ADVICE_NOT_SHEET


def _looks_like_text(head: bytes) -> bool:
    """UTF-16 with a BOM, or UTF-8/GB18030 without control characters (a multi-byte character
    cut at the end of the sample is allowed)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    if b"\x00" in head:
        return False
    for enc in ("utf-8", "gb18030"):
        try:
            text = head[:-4].decode(enc) if len(head) > 4 else head.decode(enc)
        except UnicodeDecodeError:
            continue
        return not any(ord(ch) < 32 and ch not in "\t\r\n\f" for ch in text)
    return False


# ---------------------------------------------------------------------------------------------
# Zip containers: xlsx, xlsm, xlsb, ods
# ---------------------------------------------------------------------------------------------

_DTD_PATTERNS = tuple(
    pat.encode(enc) for pat in ("<!DOCTYPE", "<!ENTITY") for enc in ("ascii", "utf-16-le", "utf-16-be")
)
_DTD_OVERLAP = max(len(p) for p in _DTD_PATTERNS)
_BINARY_SUFFIXES = (".bin", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".emf", ".wmf", ".tif", ".tiff",
                    ".wdp", ".jfif", ".ico")
_KEEP_SUFFIXES = (".xml", ".rels", ".bin")
_CHUNK = 1 << 20


def _norm(name: str) -> str:
    return name.replace("\\", "/").lstrip("/").lower()


_UNICODE_PATH = 0x7075  # Info-ZIP Unicode Path extra field (APPNOTE.TXT 4.6.9)


def _check_entry_name(info: zipfile.ZipInfo) -> None:
    """Refuse an entry whose name another zip reader may read differently from Python's
    ``zipfile``: a name holding a NUL byte (``zipfile`` cuts it there), or an Info-ZIP Unicode
    Path extra field naming another path (``zipfile`` ignores the field, calamine's zip library
    follows it).  Either way calamine could load a part the checks here never saw (a hostile
    review in issue 7)."""
    if "\x00" in info.orig_filename:
        raise _corrupt("压缩包内的文件名含有空字符")
    extra, pos = info.extra, 0
    while pos + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4:pos + 4 + size]
        pos += 4 + size
        if kind == _UNICODE_PATH and len(body) >= 5:
            try:
                named = body[5:].decode("utf-8")
            except UnicodeDecodeError:
                raise _corrupt("压缩包内的文件名前后不一致") from None
            if _norm(named) != _norm(info.filename):
                raise _corrupt("压缩包内的文件名前后不一致")


class _Pieces(list):
    """What :func:`~xltools.zip_writer.write_zip` writes, kept as the pieces it writes them in
    (joined once: a stored copy is the size of the package, copied as few times as may be)."""

    write = list.append


class _Package:
    """The members of a checked zip, decompressed once; lookup by normalised name.

    With ``lazy_sheets``, the XML of .xlsx worksheets (``…/worksheets/….xml``) is checked like
    every member but not kept: :meth:`get` decompresses it again when asked, so a caller that
    reads a few sheets of a big workbook never holds the others."""

    def __init__(self, data: bytes, limits: Limits, lazy_sheets: bool = False) -> None:
        self.members: dict[str, bytes] = {}
        self.names: set[str] = set()
        self._data = data
        self._lazy: dict[str, zipfile.ZipInfo] = {}
        # every entry, in the zip's order, with its normalised name ("" for a directory) and
        # whether it is kept (see stored_copy)
        self._entries: list[tuple[zipfile.ZipInfo, str, bool]] = []
        self._check_entry_count(data, limits)
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error):
            raise _corrupt("压缩包不完整") from None
        with zf:
            infos = zf.infolist()
            if len(infos) > limits.max_zip_members:
                raise _Refused(
                    f"压缩包内文件过多（{len(infos)} 个，上限 {limits.max_zip_members} 个），疑似恶意文件",
                    _ADVICE_RESAVE,
                )
            declared = sum(i.file_size for i in infos)
            if declared > limits.max_uncompressed_bytes:
                raise self._bomb(limits)
            if any(i.flag_bits & 0x1 for i in infos):
                raise _Refused("文件已加密", _ADVICE_ENCRYPTED)
            total = 0
            for info in infos:
                _check_entry_name(info)
                name = _norm(info.filename)
                if name in self.names and not info.is_dir():
                    # Two members that differ only in case or slash direction: a reader could
                    # pick the one we did not check.
                    raise _corrupt("压缩包内有重名文件")
                self.names.add(name)
                if info.is_dir():
                    self._entries.append((info, "", True))
                    continue
                check_dtd = not (name.endswith(_BINARY_SUFFIXES) or "/media/" in f"/{name}"
                                 or "/embeddings/" in f"/{name}")
                keep = name == "mimetype" or (
                    name.endswith(_KEEP_SUFFIXES) and "vbaproject" not in name
                    and "/embeddings/" not in f"/{name}"
                )
                if keep and lazy_sheets and name.endswith(".xml") and "/worksheets/" in f"/{name}":
                    keep = False
                    self._lazy[name] = info
                chunks: list[bytes] = []
                tail = b""
                try:
                    with zf.open(info) as fh:
                        while True:
                            chunk = fh.read(_CHUNK)
                            if not chunk:
                                break
                            total += len(chunk)
                            if total > limits.max_uncompressed_bytes:
                                raise self._bomb(limits)
                            if check_dtd:
                                window = tail + chunk
                                # Every pattern holds "!" (0x21, also in UTF-16): one memchr
                                # clears nearly every chunk before the slower pair searches.
                                if b"!" in window and (b"<!" in window or b"<\x00!" in window) and any(
                                        p in window for p in _DTD_PATTERNS):
                                    raise _Refused("含有 XML 实体声明，已拒绝（疑似 XML 炸弹）",
                                                   _ADVICE_RESAVE)
                                tail = window[-_DTD_OVERLAP:]
                            if keep:
                                chunks.append(chunk)
                except _Refused:
                    raise
                except zipfile.BadZipFile as exc:
                    if "CRC" in str(exc):
                        raise _corrupt("数据校验失败，文件在传输中损坏") from None
                    raise _corrupt("压缩包不完整") from None
                except NotImplementedError:
                    raise _corrupt("不支持的压缩方式") from None
                except (EOFError, OSError, ValueError, struct.error, RuntimeError):
                    # zlib.error is a subclass of Exception only; caught below
                    raise _corrupt("压缩包不完整") from None
                except Exception as exc:  # zlib.error
                    raise _corrupt(f"压缩数据无法解开：{_short(exc)}") from None
                if keep:
                    self.members[name] = b"".join(chunks)
                self._entries.append((info, name, keep))

    @staticmethod
    def _bomb(limits: Limits) -> _Refused:
        return _Refused(f"解压后超过 {_size_text(limits.max_uncompressed_bytes)} 上限，疑似压缩炸弹",
                        _ADVICE_RESAVE)

    @staticmethod
    def _check_entry_count(data: bytes, limits: Limits) -> None:
        # End-of-central-directory record: refuse absurd entry counts before zipfile builds a
        # ZipInfo for each (APPNOTE.TXT 4.3.16).  0xFFFF means ZIP64: zipfile's count is checked.
        pos = data.rfind(b"PK\x05\x06", max(0, len(data) - 65557))
        if pos >= 0 and pos + 22 <= len(data):
            entries = struct.unpack_from("<H", data, pos + 10)[0]
            if entries != 0xFFFF and entries > limits.max_zip_members:
                raise _Refused(
                    f"压缩包内文件过多（{entries} 个，上限 {limits.max_zip_members} 个），疑似恶意文件",
                    _ADVICE_RESAVE,
                )

    def stored_copy(self, sheets: Collection[str] = (), parts: Collection[str] = ()) -> bytes:
        """The package again as a zip whose every entry is stored, not deflated, built from the
        bytes checked here: the kept entries (and of the worksheets left lazy, those named in
        ``parts``) in the same order, with the same names and CRC-32; the others (images, VBA,
        embedded files, lazy worksheets not asked for) left out, as calamine reads none of them
        (APPNOTE.TXT 4.3.7, 4.3.12, 4.3.16; compression method 0).  Written by
        :func:`~xltools.zip_writer.write_zip`, the names' bytes and UTF-8 flags kept, Zip64 records
        only where needed.  :meth:`stored_copy_file` writes the same to a file.

        calamine is never handed the return as it came (issue 7, twelfth round, a seventh hostile
        review): Python's zipfile and calamine's zip library do not always find the same member
        under one name (two end records, an end record calamine rejects and passes over, a
        Zip64 locator, a repeated Zip64 extra field), so calamine could load a part nothing here
        had measured, and a far cell there aborts the process.  The copy also spares calamine
        inflating again what this class has just inflated (a S2 return reads 15 % faster), and
        lets it read members zipfile inflated from bzip2 or LZMA.

        ``sheets``: the worksheet parts (normalised names) whose merged-cell list is moved
        before their cells (:func:`~xltools.sheet_xml.merge_cells_first`: calamine then reads
        each once, not twice), with their CRC-32 and length recomputed.  Raises ``_Refused`` for
        an entry whose length is not the one recorded."""
        out = _Pieces()
        write_zip(out, self._stored_members(sheets, parts))  # type: ignore[arg-type]
        return b"".join(out)

    def stored_copy_file(self, sheets: Collection[str] = (), parts: Collection[str] = ()) -> str:
        """:meth:`stored_copy` written to a new temporary file (``TMPDIR``), for calamine to
        open by path: a big package is not held twice more in memory (the joined copy, and
        calamine's own copy of a file-like object).  Returns the file's path; the caller removes
        it.  Raises ``OSError`` (the file removed) and ``_Refused``."""
        fd, name = tempfile.mkstemp(prefix="xltools-", suffix=".zip")
        try:
            with os.fdopen(fd, "wb") as fh:
                write_zip(fh, self._stored_members(sheets, parts))
        except BaseException:
            os.unlink(name)
            raise
        return name

    def stored_size(self, parts: Collection[str] = ()) -> int:
        """The bytes of the members :meth:`stored_copy` holds (before the moves, which keep lengths)."""
        return sum(len(self.members[name]) if kept else self._lazy[name].file_size
                   for info, name, kept in self._entries if name and (kept or name in parts))

    def _stored_members(self, sheets: Collection[str], parts: Collection[str]) -> list[Member]:
        members = []
        for info, name, kept in self._entries:
            if not kept and name not in parts:
                continue
            body = (self.members[name] if kept else self.get(name) or b"") if name else b""
            if info.file_size != len(body):
                raise _corrupt("压缩包内文件的长度与记录不符")
            crc = info.CRC
            if name in sheets:
                moved = merge_cells_first(body)
                if moved is not None:
                    body, crc = moved, zlib.crc32(moved)
            flags = info.flag_bits & 0x800  # the name's encoding: UTF-8 or code page 437, kept
            members.append(Member(info.filename, info.date_time, info.external_attr, info.create_system,
                                  zipfile.ZIP_STORED, crc, len(body), (body,),
                                  raw_name=(info.filename.encode("utf-8" if flags else "cp437"), flags)))
        return members

    def get(self, name: str) -> bytes | None:
        name = _norm(name)
        found = self.members.get(name)
        if found is None and name in self._lazy:
            # checked when the package was opened (size, CRC, no entity declarations)
            with zipfile.ZipFile(io.BytesIO(self._data)) as zf:
                found = zf.read(self._lazy[name])
        return found

    def kept(self) -> list[str]:
        """Every member :meth:`get` can return, in the zip's order of checking."""
        return [*self.members, *self._lazy]


def _read_zip(path: Path, data: bytes, limits: Limits, wanted: _SheetFilter | None = None) -> ReturnWorkbook:
    # With a sheet filter, worksheet XML is kept only on demand (_Package.get): the sheets left
    # out are never held.
    pkg = _Package(data, limits, lazy_sheets=wanted is not None)
    names = pkg.names
    if pkg.get("mimetype") is not None or "content.xml" in names:
        mimetype = (pkg.get("mimetype") or b"").strip()
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet") or (
            not mimetype and "content.xml" in names and _office_document_part(pkg) is None
        ):
            _refuse_two_formats(names, also=("_rels/.rels",))
            return _read_ods(path, pkg, limits)
        if b"opendocument.text" in mimetype:
            raise _Refused("不是电子表格（看起来是 Writer 文本文档 .odt）", _ADVICE_NOT_SHEET)
        if b"opendocument.presentation" in mimetype:
            raise _Refused("不是电子表格（看起来是演示文稿 .odp）", _ADVICE_NOT_SHEET)
    if any(n.startswith("word/") for n in names):
        raise _Refused("不是电子表格（看起来是 Word 文档）", _ADVICE_NOT_SHEET)
    if any(n.startswith("ppt/") for n in names):
        raise _Refused("不是电子表格（看起来是 PowerPoint 演示文稿）", _ADVICE_NOT_SHEET)
    wb_part = _office_document_part(pkg)
    if wb_part is None:
        if path.suffix.lower() == ".zip" or any(n.endswith((".xlsx", ".xls", ".xlsm", ".ods", ".csv"))
                                                for n in names):
            raise _Refused("不是电子表格（是压缩包）", "请解压后分别报送其中的登记表")
        raise _Refused("不是电子表格（压缩包里没有工作簿）", _ADVICE_NOT_SHEET)
    if wb_part.endswith(".bin"):
        _refuse_two_formats(names)
        return _read_xlsb(path, pkg, wb_part, limits)
    return _read_xlsx(path, pkg, wb_part, limits, wanted)


def _refuse_two_formats(names: set[str], also: tuple[str, ...] = ()) -> None:
    """Refuse an .ods or .xlsb package that also holds the parts of an .xlsx (a ``workbook.xml``,
    or one of the names ``also``): calamine, which tries the .xlsx reading first (and follows
    ``_rels/.rels`` to a folder's ``workbook.xml``), would read worksheets xltools did not
    measure for the format it read (a hostile review in issue 7's twelfth round).  No
    spreadsheet program writes such a package."""
    if any(n.endswith("workbook.xml") or n in also for n in names):
        raise _corrupt("文件同时含有两种表格格式的内容，无法确定应读哪一种")


def _office_document_part(pkg: _Package) -> str | None:
    rels = pkg.get("_rels/.rels")
    if rels is not None:
        for rel in _parse_xml(rels, "_rels/.rels"):
            if _local(rel.tag) == "Relationship" and rel.get("Type", "").endswith("/officeDocument"):
                target = _norm(rel.get("Target", ""))
                if target in pkg.members:
                    return target
    for guess in ("xl/workbook.xml", "xl/workbook.bin"):
        if guess in pkg.members:
            return guess
    return None


def _parse_xml(data: bytes, part: str) -> Element:
    try:
        return _xml_fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise _Refused("含有 XML 实体声明，已拒绝（疑似 XML 炸弹）", _ADVICE_RESAVE) from None
    except (ParseError, ValueError, UnicodeError):
        raise _corrupt(f"{part} 不是有效的 XML") from None


def _attr(el: Element, local: str) -> str | None:
    """Attribute by local name, whatever its namespace (transitional or Strict OOXML)."""
    for k, v in el.attrib.items():
        if _local(k) == local:
            return v
    return None


def _rels_targets(pkg: _Package, part: str) -> dict[str, str]:
    folder, name = posixpath.split(part)
    rels = pkg.get(posixpath.join(folder, "_rels", name + ".rels"))
    out: dict[str, str] = {}
    if rels is None:
        return out
    for rel in _parse_xml(rels, f"{folder}/_rels/{name}.rels"):
        rid, target = rel.get("Id"), rel.get("Target", "")
        if not rid or rel.get("TargetMode") == "External":
            continue
        target = target.replace("\\", "/")
        full = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        out[rid] = _norm(full)
    return out


_RE_MODIFIED = {tag: re.compile(rf"<{tag}[^>]*>([^<]+)</{tag}>".encode()) for tag in ("dcterms:modified", "dc:date")}


def _saved_record(pkg: _Package, member: str, tag: str) -> str | None:
    """The text of the first ``<tag>`` of a package member already read and checked (the
    core or meta properties), stripped; None when absent, empty or over 1 MB."""
    data = pkg.get(member)
    if data is None or len(data) >= 1_000_000:
        return None
    m = _RE_MODIFIED[tag].search(data)
    text = m.group(1).decode("utf-8", "replace").strip() if m else ""
    return text or None


def _custom_properties(pkg: _Package) -> dict[str, str]:
    part = None
    rels = pkg.get("_rels/.rels")
    if rels is not None:
        for rel in _parse_xml(rels, "_rels/.rels"):
            if rel.get("Type", "").endswith("/custom-properties"):
                part = _norm(rel.get("Target", ""))
    data = pkg.get(part or "docProps/custom.xml")
    if data is None:
        return {}
    props: dict[str, str] = {}
    for prop in _parse_xml(data, "docProps/custom.xml"):
        name = prop.get("name")
        if name is None:
            continue
        value = next(iter(prop), None)
        props[name] = "" if value is None else (value.text or "")
    return props


# --- xlsx / xlsm -------------------------------------------------------------------------------

_STATES = (  # calamine's SheetVisibleEnum is not hashable: compare by identity
    (python_calamine.SheetVisibleEnum.Visible, "visible"),
    (python_calamine.SheetVisibleEnum.Hidden, "hidden"),
    (python_calamine.SheetVisibleEnum.VeryHidden, "veryhidden"),
)


def _state(visible: object) -> str:
    for enum, text in _STATES:
        if visible == enum:
            return text
    return "visible"


def _read_xlsx(path: Path, pkg: _Package, wb_part: str, limits: Limits,
               wanted: _SheetFilter | None = None) -> ReturnWorkbook:
    content_types = pkg.get("[Content_Types].xml") or b""
    macro = b"macroEnabled" in content_types or any(n.endswith("vbaproject.bin") for n in pkg.names)
    kind = "xlsm" if macro else "xlsx"
    targets = _rels_targets(pkg, wb_part)
    sheet_parts: dict[str, str] = {}
    wb_xml = pkg.get(wb_part) or b""
    sheet_elements = [el for el in _parse_xml(wb_xml, wb_part).iter() if _local(el.tag) == "sheet"]
    _check_sheet_list(sheet_elements)
    for el in sheet_elements:
        rid = _attr(el, "id")
        if el.get("name") is not None and rid in targets:
            sheet_parts[el.get("name", "")] = targets[rid]
    # A sheet left out is not measured only where calamine is sure to resolve every name to the
    # part we do; else every sheet is measured as in a whole read (calamine then loads only the
    # wanted ones): a crafted file must never get an unmeasured part loaded.
    unambiguous = _resolution_unambiguous(pkg, wb_part, wb_xml, sheet_elements)
    skip = wanted is not None and unambiguous
    scans: dict[str, _SheetScan] = {}
    measured: set[str] = set()  # the parts the stored copy holds of the worksheets left lazy
    for name, part in sheet_parts.items():
        if skip and wanted is not None and not wanted(name):
            continue  # neither measured nor handed to calamine (_assemble skips it too)
        xml = pkg.get(part)
        if xml is None:
            continue
        scan = _scan_xlsx_sheet(xml, part)
        del xml
        _check_extent(scan, name, limits)
        scans[name] = scan
        measured.add(part)
    # Any other part holding cells (an unusual package layout calamine might resolve
    # differently): measured too, so nothing reaches calamine unmeasured.
    mapped = set(sheet_parts.values())
    for member in pkg.kept():
        if member in mapped or not member.endswith(".xml"):
            continue
        xml = pkg.get(member)
        if xml is not None and b"sheetData" in xml:
            _check_extent(_scan_xlsx_sheet(xml, member), member, limits)
            measured.add(member)
    properties = _custom_properties(pkg)
    saved = _saved_record(pkg, "docProps/core.xml", "dcterms:modified")
    # (a selective read moves nothing: its sheets are the few a report needs)
    moved = _read_only_as_sheets(pkg, sheet_parts, scans, targets) if unambiguous and wanted is None else set()
    return _from_copy(pkg, lambda source: _assemble(path, kind, source, scans, properties, limits, wanted=wanted,
                                                     saved_record=saved), sheets=moved, parts=measured)


def _check_sheet_list(sheet_elements: list[Element]) -> None:
    """Refuse a workbook whose sheet list xltools and calamine could map to parts differently:
    two sheets of exactly one name (xltools keeps the last, calamine's lookup by name the
    first; names equal but for case, such as Maße and MASSE, are two sheets to both, and
    LibreOffice writes them), or a ``<sheet>`` with more than one attribute named ``id``
    (xltools reads the first, calamine ``r:id``).  Either let calamine load a part xltools
    never measured — a far cell there aborts the process (a hostile review in issue 7's twelfth
    round).  Excel, WPS and LibreOffice write neither.  Raises ``_Refused``."""
    seen: set[str] = set()
    for el in sheet_elements:
        name = el.get("name")
        if name is not None:
            # XML turns a literal tab or line break in a value into a space, calamine does not
            # (and it decodes &#9; as XML does): compared with those as spaces, "A&#9;B" and a
            # literal "A<tab>B" are one name to calamine, as a ninth review found
            key = name.translate(_WHITESPACE_AS_SPACE)
            if key in seen:
                raise _corrupt(f"工作簿中有两张同名的工作表“{name}”")  # one line: ReturnReadError
            seen.add(key)
        if sum(_local(k) == "id" for k in el.attrib) > 1:
            raise _corrupt(f"工作表“{name or ''}”的关系标识不止一个")


_WHITESPACE_AS_SPACE = {9: 32, 10: 32, 13: 32}


_REL_NAMESPACES = ("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}",
                   "{http://purl.oclc.org/ooxml/officeDocument/relationships}")
_RE_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\s[^>]*>")
_RE_NAME_VALUE = re.compile(rb"""\sname\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_RE_PLAIN_SHEET_TARGET = re.compile(r"(?:/xl/)?worksheets/[A-Za-z0-9_]+\.xml")


def _resolution_unambiguous(pkg: _Package, wb_part: str, wb_xml: bytes, sheet_elements: list[Element]) -> bool:
    """Whether calamine is sure to resolve each sheet name to the part :func:`_read_xlsx` does,
    so that ``read_return(..., sheets=)`` may leave the other sheets unmeasured.  Each way the
    two were seen to differ (a hostile review in issue 7's fifth round, each of which made
    calamine load an unmeasured far cell and abort the process) is refused here: a workbook part
    other than ``xl/workbook.xml`` (calamine does not follow ``_rels/.rels``); a ``<sheet>``
    with any ``id`` attribute but the one relationships ``r:id`` calamine reads; a name holding
    a tab, line break or character reference (XML normalises attribute values, calamine does
    not); repeated relationship ids; a worksheet target other than a plain
    ``worksheets/x.xml`` or ``/xl/worksheets/x.xml``.  Anything else: False, measure all.

    And calamine does follow ``_rels/.rels`` (python-calamine 0.9.1, crate 0.37: the *last*
    officeDocument relationship at any depth, existing or not, whose folder then gives its
    ``workbook.xml``, workbook relationships and ``sharedStrings.xml``), where xltools takes the
    first target that exists: so ``_rels/.rels`` must name exactly one office document,
    ``xl/workbook.xml``, with no reference to resolve (a hostile review in issue 7's twelfth
    round had calamine read another folder's workbook: an unmeasured part loaded on a selective
    read, a measured sheet read as the shared strings)."""
    if wb_part != "xl/workbook.xml" or not _one_office_document_at_xl(pkg):
        return False
    for el in sheet_elements:
        ids = [k for k in el.attrib if _local(k) == "id"]
        if len(ids) != 1 or not ids[0].startswith(_REL_NAMESPACES):
            return False
    tags = _RE_SHEET_TAG.findall(wb_xml)
    if len(tags) != len(sheet_elements):
        return False
    for tag in tags:
        m = _RE_NAME_VALUE.search(tag)
        if m is None or any(ch in (m.group(1) if m.group(1) is not None else m.group(2)) for ch in b"\t\r\n&"):
            return False
    rels = pkg.get("xl/_rels/workbook.xml.rels")
    if rels is None:
        return False
    seen: set[str] = set()
    for rel in _parse_xml(rels, "xl/_rels/workbook.xml.rels"):
        rid = rel.get("Id", "")
        if rid in seen:
            return False
        seen.add(rid)
        if rel.get("Type", "").endswith("/worksheet") and (
                rel.get("TargetMode") == "External"
                or not _RE_PLAIN_SHEET_TARGET.fullmatch(rel.get("Target", ""))):
            return False
    return True


def _one_office_document_at_xl(pkg: _Package) -> bool:
    """Whether ``_rels/.rels`` names one office document only, ``xl/workbook.xml``, in a way
    xltools and calamine read alike (see :func:`_resolution_unambiguous`)."""
    raw = pkg.get("_rels/.rels")
    if raw is None or b"&" in raw:
        return False
    lowered = raw.lower()
    if lowered.count(b'/officedocument"') + lowered.count(b"/officedocument'") != 1:
        return False  # calamine takes the last such relationship, xltools the first that exists
    found = [rel for rel in _parse_xml(raw, "_rels/.rels").iter()
             if rel.get("Type", "").lower().endswith("/officedocument")]
    return len(found) == 1 and found[0].get("Target") in ("xl/workbook.xml", "/xl/workbook.xml")


_RE_WORKSHEET_PART = re.compile(r"xl/worksheets/[a-z0-9_]+\.xml")
#: Most bytes of other relationships parts searched for a worksheet's name (:func:`_read_only_as_sheets`).
_OTHER_RELS_LIMIT = 1 << 20


def _read_only_as_sheets(pkg: _Package, sheet_parts: dict[str, str], scans: dict[str, _SheetScan],
                         targets: dict[str, str]) -> set[str]:
    """The measured worksheet parts (normalised names) whose merged-cell list may be moved in
    calamine's copy (:func:`~xltools.sheet_xml.merge_cells_first`): asked only where
    :func:`_resolution_unambiguous` holds, so that calamine reads each as the sheet it was
    measured for; and only a plain ``xl/worksheets/x.xml`` that no other relationship of the
    workbook, and no other relationships part at all, names (a hostile review in issue 7's twelfth
    round: a part calamine also read as the shared strings, its text changed by the move).  None
    when the other relationships parts hold a reference (``&``) or over 1 MB between them."""
    uses = Counter(targets.values())
    others = [body for name in pkg.kept() if name.endswith(".rels") and name != "xl/_rels/workbook.xml.rels"
              and (body := pkg.get(name)) is not None]
    if sum(map(len, others)) > _OTHER_RELS_LIMIT or any(b"&" in body for body in others):
        return set()  # a name written with references, or too much to search once per sheet
    others = [body.lower() for body in others]
    return {part for name, part in sheet_parts.items()
            if name in scans and uses[part] == 1 and _RE_WORKSHEET_PART.fullmatch(part)
            and not any(posixpath.basename(part).encode() in body for body in others)}


# --- xlsb (records: xltools.xlsb_scan) -------------------------------------------------------


def _read_xlsb(path: Path, pkg: _Package, wb_part: str, limits: Limits) -> ReturnWorkbook:
    wb = pkg.get(wb_part) or b""
    targets = _rels_targets(pkg, wb_part)
    scans: dict[str, _SheetScan] = {}
    try:
        for rt, pos, size in _xlsb_records(wb):
            if rt == 0x9C and size >= 8:  # BrtBundleSh: hsState, iTabID, strRelID, strName
                rid, p = _xlsb_wide_string(wb, pos + 8)
                name, _ = _xlsb_wide_string(wb, p)
                part = targets.get(rid)
                sheet = pkg.get(part) if part else None
                if sheet is not None:
                    scan = _scan_xlsb_sheet(sheet)
                    _check_extent(scan, name, limits)
                    scans[name] = scan
        measured = {targets.get(r) for r in targets}
        for member, buf in pkg.members.items():
            if member.endswith(".bin") and "sheets/" in member and member not in measured:
                _check_extent(_scan_xlsb_sheet(buf), member, limits)
    except struct.error:
        raise _corrupt("xlsb 记录不完整") from None
    saved = _saved_record(pkg, "docProps/core.xml", "dcterms:modified")
    return _from_copy(pkg, lambda source: _assemble(path, "xlsb", source, scans, {}, limits, saved_record=saved))


# --- ods (content.xml: xltools.ods_scan) -----------------------------------------------------


def _ods_properties(pkg: _Package) -> dict[str, str]:
    meta = pkg.get("meta.xml")
    if meta is None:
        return {}
    props: dict[str, str] = {}
    for el in _parse_xml(meta, "meta.xml").iter(_M + "user-defined"):
        name = el.get(_M + "name")
        if name is not None:
            props[name] = el.text or ""
    return props


def _read_ods(path: Path, pkg: _Package, limits: Limits) -> ReturnWorkbook:
    content = pkg.get("content.xml")
    if content is None:
        raise _corrupt("缺少 content.xml")
    scans = _scan_ods(content, limits)
    properties, saved = _ods_properties(pkg), _saved_record(pkg, "meta.xml", "dc:date")
    return _from_copy(pkg, lambda source: _assemble(path, "ods", source, scans, properties, limits,
                                                     saved_record=saved))


# ---------------------------------------------------------------------------------------------
# OLE compound files (MS-CFB): .xls, encrypted OOXML, Word/PowerPoint binaries (the streams,
# the BIFF walk and the properties: xltools.xls_scan)
# ---------------------------------------------------------------------------------------------

def _read_ole(path: Path, data: bytes, limits: Limits) -> ReturnWorkbook:
    try:
        streams = _cfb_streams(data)
    except struct.error:
        raise _corrupt("复合文档不完整") from None
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise _Refused("文件已加密", _ADVICE_ENCRYPTED)
    book = streams.get("Workbook") or streams.get("Book")
    if book is None:
        if "WordDocument" in streams:
            raise _Refused("不是电子表格（看起来是 Word 文档）", _ADVICE_NOT_SHEET)
        if "PowerPoint Document" in streams:
            raise _Refused("不是电子表格（看起来是 PowerPoint 演示文稿）", _ADVICE_NOT_SHEET)
        raise _Refused("不是电子表格（无法识别的复合文档）", _ADVICE_NOT_SHEET)
    try:
        ordered = _scan_biff(book, limits)
    except struct.error:
        raise _corrupt("xls 记录不完整") from None
    props = _ole_user_properties(streams.get("\x05DocumentSummaryInformation", b""))
    saved = ole_last_saved(streams.get("\x05SummaryInformation", b""))
    return _assemble(path, "xls", data, dict(ordered), props, limits, [s for _, s in ordered], saved_record=saved)


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------


def _csv_delimiter(text: str) -> str:
    """Tab for a tab-separated file (Excel's "Unicode text" and "Text (tab delimited)" saved
    with a .csv name), else comma: decided by the first of the first 20 lines holding either —
    a tab and no comma means tabs (a title line above the header holds neither)."""
    for line in text.splitlines()[:20]:
        if "\t" in line or "," in line:
            return "\t" if "," not in line else ","
    return ","


def _read_csv(path: Path, data: bytes, limits: Limits) -> ReturnWorkbook:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        if b"\x00" in data[:4096]:
            raise _Refused("不是电子表格（不是文本格式的 CSV）", _ADVICE_NOT_SHEET)
        encodings = ("utf-8", "gb18030")
    for enc in encodings:
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _Refused("CSV 文件编码无法识别", "请另存为 UTF-8 编码的 CSV 或 .xlsx 再报送")
    rows: list[list[object]] = []
    width = 0
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=_csv_delimiter(text)):
            if len(rows) >= limits.max_rows_per_sheet:
                raise _Refused(f"CSV 超过 {limits.max_rows_per_sheet} 行上限", _ADVICE_TRIM)
            rows.append([v if v != "" else None for v in record])
            width = max(width, len(record))
            if len(rows) * width > limits.max_cells_per_sheet:
                raise _Refused(f"CSV 超过 {limits.max_cells_per_sheet} 个单元格上限", _ADVICE_TRIM)
    except csv.Error as exc:
        raise _Refused(f"CSV 格式错误（第 {len(rows) + 1} 行：{exc}）", "请用 Excel 打开后另存为 .xlsx 再报送") from None
    sheet = SheetData(name=path.stem, state="visible", rows=_rectangle(rows, {}))
    return ReturnWorkbook(path=path, kind="csv", sheets=[sheet], properties={})


# ---------------------------------------------------------------------------------------------
# Assembly: calamine values + our scan
# ---------------------------------------------------------------------------------------------


#: A stored copy bigger than this (bytes) goes to a temporary file that calamine opens by path.
_COPY_IN_MEMORY_LIMIT = 32 << 20


def _from_copy(pkg: _Package, assemble: Callable[[bytes | str], ReturnWorkbook],
               sheets: Collection[str] = (), parts: Collection[str] = ()) -> ReturnWorkbook:
    """``assemble`` given the package's stored copy (:meth:`_Package.stored_copy`): the bytes,
    or for a copy over 32 MB the path of a temporary file holding it, removed afterwards (held
    in memory, an .ods's 300 MB content.xml was held about three times over).  A temporary file
    that cannot be written: the bytes."""
    if pkg.stored_size(parts) <= _COPY_IN_MEMORY_LIMIT:
        return assemble(pkg.stored_copy(sheets, parts))
    try:
        name = pkg.stored_copy_file(sheets, parts)
    except OSError:
        return assemble(pkg.stored_copy(sheets, parts))
    try:
        return assemble(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _assemble(path: Path, kind: str, data: bytes | str, scans: dict[str, _SheetScan],
              properties: dict[str, str], limits: Limits,
              ordered: list[_SheetScan] | None = None,
              wanted: _SheetFilter | None = None, saved_record: str | None = None) -> ReturnWorkbook:
    """Values from calamine for every worksheet our own pass has measured (by name, or for
    .xls by position, since BIFF5 names depend on a code page); never hand calamine a sheet
    whose size we have not checked.  With ``wanted``, the other sheets are skipped.  ``data``:
    the package's bytes, or the path of a file holding them (:func:`_from_copy`)."""
    if isinstance(data, str):
        wb = python_calamine.CalamineWorkbook.from_path(data)
    else:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    sheets: list[SheetData] = []
    with wb:
        metas = wb.sheets_metadata
        for i, meta in enumerate(metas):
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            if wanted is not None and not wanted(meta.name):
                continue
            scan = scans.get(meta.name)
            if scan is None and ordered is not None and len(ordered) == len(metas):
                scan = ordered[i]
            if scan is None:
                raise _corrupt(f"工作表“{meta.name}”的数据位置无法确定")
            sheet = wb.get_sheet_by_name(meta.name)
            end = sheet.end
            if end is not None:
                check = _SheetScan()
                check.see(end[0] + 1, end[1])
                _check_extent(check, meta.name, limits)
            raw = sheet.to_python(skip_empty_area=False)
            sheets.append(_sheet_data(meta.name, _state(meta.visible), raw, scan,
                                      sheet.merged_cell_ranges))
    return ReturnWorkbook(path=path, kind=kind, sheets=sheets, properties=properties, saved_record=saved_record)


def _sheet_data(name: str, state: str, raw: list[list[object]], scan: _SheetScan,
                calamine_merged: list[tuple[tuple[int, int], tuple[int, int]]] | None) -> SheetData:
    # calamine's fresh row lists are reused, their "" (an empty cell) set to None in place
    rows: list[list[object]] = raw
    for r in rows:
        if "" in r:
            _blank_to_none(r)
    formulas = dict(scan.formulas)
    # Cells of array formulas / data tables: clipped to the used area.
    last_row = max([len(rows), *(r for r, _ in formulas), *(r for r, _ in scan.errors)])
    last_col = max([max(map(len, rows), default=0) - 1, *(c for _, c in formulas),
                    *(c for _, c in scan.errors)])
    for r0, c0, r1, c1 in scan.formula_ranges:
        for r in range(r0, min(r1, last_row) + 1):
            for c in range(c0, min(c1, last_col) + 1):
                formulas.setdefault((r, c), "")
    for (r, c), code in scan.errors.items():
        _put(rows, r, c, CellError(code))
    for r, c in formulas:
        _put(rows, r, c, None, only_extend=True)
    rows = _rectangle(rows, formulas)
    n = len(rows)
    hidden = {r for r in scan.hidden_rows if r <= n}
    for a, b in scan.hidden_ranges:
        hidden.update(range(a, min(b, n) + 1))
    if scan.hidden_by_default:
        hidden.update(r for r in range(1, n + 1) if r not in scan.visible_rows)
    if scan.merged is not None:
        merged = list(scan.merged)
    else:
        merged = [(a[0] + 1, a[1], b[0] + 1, b[1]) for a, b in (calamine_merged or [])]
    return SheetData(name=name, state=state, rows=rows, formulas=formulas,
                     hidden_rows=frozenset(hidden), merged=merged)


def _blank_to_none(row: list[object]) -> None:
    """Every ``""`` of ``row`` set to None, found by ``list.count`` and ``list.index`` (C
    scans) rather than a Python test per cell, and without the ``ValueError`` that ends an
    ``index`` search past the last one (raised and caught once a row, it cost more than the
    scans)."""
    i = -1
    for _ in range(row.count("")):
        i = row.index("", i + 1)
        row[i] = None


def _put(rows: list[list[object]], r: int, c: int, value: object, only_extend: bool = False) -> None:
    while len(rows) < r:
        rows.append([])
    row = rows[r - 1]
    if len(row) <= c:
        row.extend([None] * (c + 1 - len(row)))
    if not only_extend:
        row[c] = value


def _rectangle(rows: list[list[object]], formulas: dict[tuple[int, int], str]) -> list[list[object]]:
    """Trim trailing empty rows/columns (keeping formula cells) and pad rows to one width."""
    # Fast path (calamine's grid): every row as wide as the last one, a value in the last row
    # and in the last column, no formula outside — nothing to trim or pad, ``rows`` is returned.
    n = len(rows)
    width = len(rows[-1]) if rows else 0
    if (width and rows[-1].count(None) != width
            and list(map(len, rows)).count(width) == n
            and list(map(operator.itemgetter(width - 1), rows)).count(None) != n
            and max(map(_FIRST, formulas), default=0) <= n
            and max(map(_SECOND, formulas), default=-1) < width):
        return rows
    last_row, last_col = 0, -1
    for i, r in enumerate(rows):
        for j in range(len(r) - 1, last_col, -1):
            if r[j] is not None:
                last_col = j
                break
        if last_row < i + 1 and r.count(None) != len(r):  # a value (no value type equals None)
            last_row = i + 1
    for r, c in formulas:
        last_row, last_col = max(last_row, r), max(last_col, c)
    width = last_col + 1
    out = []
    for r in rows[:last_row]:
        r = r[:width]
        if len(r) < width:
            r = r + [None] * (width - len(r))
        out.append(r)
    while len(out) < last_row:
        out.append([None] * width)
    return out


__all__ = [
    "ERROR_CODES",
    "RETURN_SUFFIXES",
    "CellError",
    "Limits",
    "ReturnWorkbook",
    "SheetData",
    "find_returns",
    "is_skipped_file",
    "read_return",
]
