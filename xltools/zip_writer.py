"""A zip package written from members that are already compressed (issue 7).

Why: the consolidated workbook's form sheets are hundreds of megabytes of XML at city scale, and
deflating them was a third of the write.  Python's :mod:`zipfile` compresses what it is given,
in the thread that writes, and cannot take a member that is already compressed.  Here a sheet's
rows are deflated on a second thread as they are written (:class:`DeflatingSink`; zlib releases
the GIL), and the package is then put together from raw deflate streams: the members XlsxWriter
built are copied as they are stored (:func:`raw_member`), each spliced sheet is its head, its
rows and its tail deflated apart and joined (:func:`write_zip`).

Deflate streams join: a stream ended with ``Z_SYNC_FLUSH`` ends on a byte boundary with a block
that is not the last, so it can be followed by another stream of raw deflate blocks, and the
last piece alone is finished (``Z_FINISH``; RFC 1951 §3.2.3: BFINAL marks the last block; zlib
manual, ``deflate()`` with ``Z_SYNC_FLUSH``).  The zip records (local header, central directory,
Zip64 records when a size or offset needs them) follow PKWARE's APPNOTE.TXT 6.3 §4.3–4.5, with
the same limits and fields Python's :mod:`zipfile` uses, so the result reads the same in Excel,
WPS, LibreOffice, calamine and :mod:`zipfile`.
"""

from __future__ import annotations

import io
import queue
import shutil
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: The level :mod:`zipfile` and XlsxWriter deflate at (zlib's default, 6).
LEVEL = zlib.Z_DEFAULT_COMPRESSION
_CHUNK = 1 << 20
#: Sizes and offsets from this on need Zip64 fields (the limit :mod:`zipfile` uses).
_ZIP64_LIMIT = (1 << 31) - 1
_COUNT_LIMIT = 0xFFFF
_FULL = 0xFFFFFFFF


@dataclass(frozen=True)
class Deflated:
    """Bytes deflated by :class:`DeflatingSink` or :func:`deflate_file`: the raw deflate stream in ``path``
    (ended with a sync flush, not finished: a piece to join), the CRC-32 and length of the
    uncompressed bytes, and the stream's length."""

    path: Path
    crc: int
    size: int
    compressed: int


def deflate_file(src: Path, dst: Path) -> Deflated:
    """Deflate ``src`` to ``dst`` as :class:`DeflatingSink` does what is written to it (the
    same stream: raw, at :data:`LEVEL`, ending with ``Z_SYNC_FLUSH`` so that a finished piece
    may follow it), 1 MB at a time.  Raises ``OSError``."""
    sink = DeflatingSink(dst)
    try:
        with open(src, "rb") as fin:
            shutil.copyfileobj(fin, sink, _CHUNK)
    finally:
        sink.close()
    return sink.deflated


class DeflatingSink(io.RawIOBase):
    """A writable binary stream whose bytes are deflated on another thread into ``dst`` as they
    come (raw deflate at :data:`LEVEL`, ended with ``Z_SYNC_FLUSH``: a piece to join): the rows of a sheet are compressed while the next rows are being written, and
    never lie on disk uncompressed.  zlib compresses and checksums without holding the GIL
    (CPython's zlib module), so the two threads run on two cores.

    Wrap it in a buffered writer (1 MB pieces: :func:`text_stream`).  At most
    ``4 × piece`` bytes wait between the threads.  :meth:`close` waits for the last piece and
    raises what went wrong on the other thread (``OSError`` writing ``dst``); after it,
    :attr:`deflated` is the result.  A failure on the other thread also fails the next
    :meth:`write`; the thread keeps taking pieces until closed, so a writer never waits on it
    for ever."""

    def __init__(self, dst: Path) -> None:
        super().__init__()
        self._dst = dst
        self._pieces: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._result: Deflated | None = None
        self._abandoned = False  # the writer was interrupted: drop the pieces still queued
        self._thread = threading.Thread(target=self._deflate, name="xltools-deflate", daemon=True)
        self._thread.start()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        if self.closed:
            raise ValueError("I/O operation on closed file.")
        if self._error is not None:
            raise self._failure()
        piece = bytes(data)
        self._pieces.put(piece)
        return len(piece)

    def close(self) -> None:
        """End the stream and wait for the other thread.  Interrupted (Ctrl-C) while the queue
        is full, it still hands the thread its end, tells it to drop what is left, waits, and
        then raises the interruption: no thread or open file is left behind."""
        if self.closed:
            return
        interrupted: BaseException | None = None
        ended = False
        while self._thread.is_alive():  # the thread ends only once it has taken the end (None)
            try:
                if not ended:
                    try:
                        self._pieces.put(None, timeout=0.1)
                        ended = True
                    except queue.Full:
                        continue
                self._thread.join(0.1)
            except BaseException as exc:  # KeyboardInterrupt, SystemExit: finish the hand-over first
                interrupted = interrupted or exc
                self._abandoned = True
        super().close()
        if interrupted is not None:
            raise interrupted
        if self._error is not None:
            raise self._failure()

    def _failure(self) -> BaseException:
        """The other thread's error, as a new exception each time it is raised here (raising
        one object again makes it its own context)."""
        error = self._error
        fresh = OSError(*error.args) if isinstance(error, OSError) else RuntimeError(str(error))
        fresh.__cause__ = error
        return fresh

    @property
    def deflated(self) -> Deflated:
        """What was written, deflated (after :meth:`close`)."""
        if self._result is None:
            raise ValueError(f"{self._dst} 尚未写完")
        return self._result

    def _deflate(self) -> None:
        ended = False  # the end (None) taken from the queue
        try:
            packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
            crc = size = written = 0
            with open(self._dst, "wb") as out:
                while (piece := self._pieces.get()) is not None:
                    if self._abandoned:
                        raise _Abandoned
                    crc = zlib.crc32(piece, crc)
                    size += len(piece)
                    written += out.write(packer.compress(piece))
                ended = True
                written += out.write(packer.flush(zlib.Z_SYNC_FLUSH))
            self._result = Deflated(self._dst, crc, size, written)
        except BaseException as exc:  # handed to the writing thread by write() and close()
            self._error = exc
            while not ended:  # take what is still written, up to the end, so no writer waits
                ended = self._pieces.get() is None


class _Abandoned(Exception):
    """The writer was interrupted: the thread stops deflating (see :meth:`DeflatingSink.close`)."""


def text_stream(sink: io.RawIOBase) -> io.TextIOWrapper:
    """``sink`` as a UTF-8 text stream (no newline translation) writing 1 MB at a time; closing
    it closes ``sink``."""
    return io.TextIOWrapper(io.BufferedWriter(sink, _CHUNK), encoding="utf-8", newline="")


def deflate_piece(data: bytes, last: bool) -> bytes:
    """``data`` as a raw deflate piece: finished when ``last``, else sync-flushed (see the
    module's docstring)."""
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, row) for row in matrix]


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``a + b`` from ``crc1`` = CRC-32 of ``a``, ``crc2`` = CRC-32 of ``b`` and
    ``len2`` = ``len(b)``, without reading either: ``crc1`` is carried through ``len2`` zero
    bytes by squaring the one-zero-bit operator over GF(2) (the method of zlib's
    ``crc32_combine``, which :mod:`zlib` does not expose), then ``crc2`` is added.  The
    polynomial is zlib's (reflected 0xEDB88320)."""
    if len2 <= 0:
        return crc1
    one_bit = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    operator = _gf2_square(_gf2_square(one_bit))  # four zero bits
    while len2:
        operator = _gf2_square(operator)  # 8, 16, 32 … zero bits: one byte, two, four …
        if len2 & 1:
            crc1 = _gf2_times(operator, crc1)
        len2 >>= 1
    return crc1 ^ crc2


@dataclass(frozen=True)
class Member:
    """One member to write: its name, the date and attributes to record (as
    :class:`zipfile.ZipInfo` has them), the CRC-32 and length of its uncompressed bytes, and
    its stored bytes as pieces: ``bytes``, or ``(path, offset, length)`` to copy from a file.
    ``raw_name``: the name's bytes and its UTF-8 flag (0 or 0x800) as another zip recorded
    them, to be kept as they were; else the name is written in UTF-8, flagged when not ASCII."""

    name: str
    date_time: tuple[int, int, int, int, int, int]
    external_attr: int
    create_system: int
    compress_type: int
    crc: int
    size: int
    pieces: tuple[bytes | tuple[Path, int, int], ...]
    raw_name: tuple[bytes, int] | None = None

    @property
    def compressed(self) -> int:
        return sum(len(p) if isinstance(p, bytes) else p[2] for p in self.pieces)


def raw_member(path: Path, info: zipfile.ZipInfo) -> Member:
    """``info``'s member of the zip at ``path`` as it is stored there, to be copied without being
    decompressed: its data starts after the local header (30 bytes, the name and the local
    extra field, whose lengths the local header gives: APPNOTE 4.3.7).  Raises ``ValueError``
    for a member that is encrypted or has its sizes after the data (XlsxWriter writes
    neither), ``OSError``."""
    if info.flag_bits & 0x9:  # 0x1 encrypted, 0x8 sizes in a data descriptor
        raise ValueError(f"{path}：{info.filename} 不能原样复制")
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise ValueError(f"{path}：{info.filename} 的本地文件头不完整")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    start = info.header_offset + 30 + name_len + extra_len
    return Member(info.filename, info.date_time, info.external_attr, info.create_system,
                  info.compress_type, info.CRC, info.file_size, ((path, start, info.compress_size),))


def _dos_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    """MS-DOS time and date fields (APPNOTE 4.4.6); before 1980, which they cannot hold,
    1980-01-01 00:00."""
    y, mo, d, h, mi, s = date_time
    if y < 1980:
        return 0, 0x21
    return h << 11 | mi << 5 | s // 2, (y - 1980) << 9 | mo << 5 | d


def _pieces(member: Member) -> Iterator[bytes]:
    for piece in member.pieces:
        if isinstance(piece, bytes):
            yield piece
            continue
        path, offset, left = piece
        with open(path, "rb") as fh:
            fh.seek(offset)
            while left:
                chunk = fh.read(min(_CHUNK, left))
                if not chunk:
                    raise ValueError(f"{path} 在复制时变短了")
                left -= len(chunk)
                yield chunk


def write_zip(fh: BinaryIO, members: Iterable[Member]) -> None:
    """Write a zip of ``members`` to ``fh`` (at its start), in order, each with its sizes and
    CRC in the local header (no data descriptors), then the central directory.  Zip64 fields
    are written only where a size, an offset or the member count needs them (APPNOTE 4.5.3;
    Excel refuses a package with Zip64 fields it does not need).  Raises ``OSError``."""
    central: list[bytes] = []
    offset = 0
    for m in members:
        compressed = m.compressed
        dos_time, dos_date = _dos_time(m.date_time)
        name, flags = m.raw_name or (m.name.encode("utf-8"), 0 if m.name.isascii() else 0x800)
        big = m.size > _ZIP64_LIMIT or compressed > _ZIP64_LIMIT
        version = 45 if big or offset > _ZIP64_LIMIT else 20  # as zipfile records them
        extra = struct.pack("<HHQQ", 1, 16, m.size, compressed) if big else b""
        sizes = (_FULL, _FULL) if big else (compressed, m.size)
        header = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", version, 0, flags, m.compress_type,
                             dos_time, dos_date, m.crc, *sizes, len(name), len(extra))
        fh.write(header + name + extra)
        for chunk in _pieces(m):
            fh.write(chunk)
        # the central record: Zip64 fields for what does not fit, in APPNOTE 4.5.3's order
        wide = [v for v in (m.size, compressed) if big] + ([offset] if offset > _ZIP64_LIMIT else [])
        cextra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
        central.append(struct.pack(
            "<4s4B4HL2L5HLL", b"PK\x01\x02", version, m.create_system, version, 0, flags, m.compress_type,
            dos_time, dos_date, m.crc, *sizes, len(name), len(cextra), 0, 0, 0, m.external_attr,
            _FULL if offset > _ZIP64_LIMIT else offset) + name + cextra)
        offset += len(header) + len(name) + len(extra) + compressed
    start = offset
    for record in central:
        fh.write(record)
    size = sum(map(len, central))
    count = len(central)
    if count > _COUNT_LIMIT or start > _ZIP64_LIMIT or size > _ZIP64_LIMIT:
        fh.write(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, start))
        fh.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, start + size, 1))
        count, size, start = min(count, 0xFFFF), min(size, _FULL), min(start, _FULL)  # as zipfile: the true ones in Zip64
    fh.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, size, start, 0))


__all__ = ["Deflated", "DeflatingSink", "Member", "crc32_combine", "deflate_file", "deflate_piece", "raw_member",
           "text_stream", "write_zip"]
