"""Issue 7: the consolidated workbook's package is written from members already compressed
(xltools.zip_writer): XlsxWriter's members copied as stored, the form sheets' rows deflated on
another thread and joined to their head and tail.  What is written must read back member for
member in zipfile, calamine and LibreOffice, with Zip64 records exactly where they are needed."""

from __future__ import annotations

import errno
import os
import random
import struct
import tempfile
import threading
import time
import zipfile
import zlib
from pathlib import Path

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

import xltools.consolidated as consolidated
import xltools.zip_writer as zw
from xltools.errors import OutputError
from xltools.merge import merge

ROOT = Path(__file__).resolve().parent.parent


def _data(rng: random.Random, n: int) -> bytes:
    """Bytes that compress as XML does (repeats) with noise (random runs)."""
    words = [b"<c r=\"A1\" t=\"inlineStr\"><is><t>", "先锋岗".encode(), b"</t></is></c>", b"<row r=\"7\">"]
    out = bytearray()
    while len(out) < n:
        out += rng.choice(words) if rng.random() < 0.7 else rng.randbytes(rng.randint(1, 40))
    return bytes(out[:n])


@pytest.mark.parametrize("seed", range(12))
def test_crc32_combine_is_the_crc_of_the_joined_bytes(seed):
    rng = random.Random(seed)
    a = rng.randbytes(rng.choice([0, 1, 3, 1000]))
    b = rng.randbytes(rng.choice([0, 1, 2, 7, 8, 255, 4096, 100_003]))
    assert zw.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


def test_crc32_combine_over_a_long_run_of_zeros():
    # a length with high bits set (2**31 + 5 bytes would be slow to build): zeros' CRC is known
    # by feeding them in chunks
    n = (1 << 24) + 12_345
    zeros = bytes(1 << 20)
    crc = zlib.crc32(b"head")
    for i in range(0, n, len(zeros)):
        crc = zlib.crc32(zeros[: min(len(zeros), n - i)], crc)
    tail_crc = 0
    for i in range(0, n, len(zeros)):
        tail_crc = zlib.crc32(zeros[: min(len(zeros), n - i)], tail_crc)
    assert zw.crc32_combine(zlib.crc32(b"head"), tail_crc, n) == crc


@pytest.mark.parametrize("sizes", [(0, 0, 0), (10, 0, 5), (0, 3_000_000, 0), (500, 2_500_000, 90), (1, 1, 1)])
def test_pieces_deflated_apart_inflate_to_the_joined_bytes(tmp_path, sizes):
    rng = random.Random(sum(sizes))
    head, body, tail = (_data(rng, n) for n in sizes)
    src = tmp_path / "body.xml"
    src.write_bytes(body)
    d = zw.deflate_file(src, tmp_path / "body.deflate")
    assert (d.size, d.crc, d.compressed) == (len(body), zlib.crc32(body), (tmp_path / "body.deflate").stat().st_size)
    stream = zw.deflate_piece(head, last=False) + d.path.read_bytes() + zw.deflate_piece(tail, last=True)
    inflate = zlib.decompressobj(-15)
    assert inflate.decompress(stream) == head + body + tail
    assert inflate.eof and inflate.unused_data == b""  # one stream, finished by the tail alone


def _xlsxwriter_book(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("先锋岗登记表")
    for r in range(300):
        ws.write_row(r, 0, [f"第{r}行", r * 1.5, "见附件"])
    wb.close()


def _members(path: Path) -> list[tuple]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return [(i.filename, i.date_time, i.external_attr, i.create_system, i.compress_type, i.CRC, i.file_size,
                 z.read(i)) for i in z.infolist()]


def test_members_copied_as_stored_give_the_same_package(tmp_path):
    built = tmp_path / "built.xlsx"
    _xlsxwriter_book(built)
    with zipfile.ZipFile(built) as z:
        members = [zw.raw_member(built, info) for info in z.infolist()]
    out = tmp_path / "copy.xlsx"
    with open(out, "wb") as fh:
        zw.write_zip(fh, members)
    assert _members(out) == _members(built)
    # the stored bytes themselves were copied, not compressed again
    with zipfile.ZipFile(built) as a, zipfile.ZipFile(out) as b:
        assert [i.compress_size for i in a.infolist()] == [i.compress_size for i in b.infolist()]
    sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("先锋岗登记表").to_python()
    assert sheet[299] == ["第299行", 448.5, "见附件"]


def _member(name: str, data: bytes, **kw) -> zw.Member:
    return zw.Member(name, (2024, 3, 5, 14, 30, 58), 0o644 << 16, 3, zipfile.ZIP_DEFLATED, zlib.crc32(data),
                     len(data), (zw.deflate_piece(data, last=True),), **kw)


def _records(path: Path) -> dict[bytes, int]:
    """How many of each zip record signature the file holds: a count over the bytes, exact for
    these few small members (fixed data that holds no signature)."""
    raw = path.read_bytes()
    return {sig: raw.count(sig) for sig in (b"PK\x03\x04", b"PK\x01\x02", b"PK\x06\x06", b"PK\x06\x07", b"PK\x05\x06")}


def test_no_zip64_records_where_none_are_needed(tmp_path):
    out = tmp_path / "small.zip"
    with open(out, "wb") as fh:
        zw.write_zip(fh, [_member("a.xml", b"<a/>" * 50), _member("文件.xml", "中文".encode() * 9)])
    assert _records(out) == {b"PK\x03\x04": 2, b"PK\x01\x02": 2, b"PK\x06\x06": 0, b"PK\x06\x07": 0, b"PK\x05\x06": 1}
    with zipfile.ZipFile(out) as z:
        infos = z.infolist()
        assert [i.filename for i in infos] == ["a.xml", "文件.xml"]
        assert [i.flag_bits & 0x800 for i in infos] == [0, 0x800]  # UTF-8 names flagged
        assert [i.extra for i in infos] == [b"", b""] and infos[0].date_time == (2024, 3, 5, 14, 30, 58)
        assert infos[0].external_attr == 0o644 << 16 and z.read("文件.xml") == "中文".encode() * 9


def test_zip64_records_where_sizes_offsets_and_counts_need_them(tmp_path, monkeypatch):
    # the limits lowered, so that small members cross them as a province's sheets would
    monkeypatch.setattr(zw, "_ZIP64_LIMIT", 200)
    monkeypatch.setattr(zw, "_COUNT_LIMIT", 3)
    rng = random.Random(7)
    data = [b"<x/>" * 10, rng.randbytes(300), b"<y/>", b"<z/>" * 3, b"end"]
    out = tmp_path / "big.zip"
    with open(out, "wb") as fh:
        zw.write_zip(fh, [_member(f"m{i}.xml", d) for i, d in enumerate(data)])
    with zipfile.ZipFile(out) as z:
        assert [z.read(f"m{i}.xml") for i in range(5)] == data
        infos = z.infolist()
        # the second member is over the limit: Zip64 sizes in both headers; the later ones
        # start past the limit: a Zip64 offset in the central record only
        assert infos[0].extra == b""
        assert struct.unpack("<HHQQ", infos[1].extra) == (1, 16, 300, infos[1].compress_size)
        assert all(struct.unpack("<HHQ", i.extra)[:2] == (1, 8) for i in infos[2:])
        assert [struct.unpack("<HHQ", i.extra)[2] for i in infos[2:]] == [i.header_offset for i in infos[2:]]
    with open(out, "rb") as fh:  # the local header of the big member carries its sizes in Zip64
        fh.seek(infos[1].header_offset)
        local = fh.read(30 + len("m1.xml") + 20)
    assert struct.unpack("<LL", local[18:26]) == (0xFFFFFFFF, 0xFFFFFFFF) and local[4] == 45
    counts = _records(out)
    assert counts[b"PK\x06\x06"] == 1 and counts[b"PK\x06\x07"] == 1 and counts[b"PK\x05\x06"] == 1
    end = out.read_bytes()[-22:]
    assert struct.unpack("<4s4H2LH", end)[3:5] == (5, 5)  # below 0xFFFF: the true count there too


@pytest.fixture(scope="module")
def round1(kit_path, roster_path):
    return merge(kit_path, roster_path, [ROOT / "samples" / "returns" / "round1"], jobs=1)


class _FullDisk:
    """A file whose writes fail as on a full disk, after ``room`` bytes."""

    def __init__(self, room: int) -> None:
        self.room = room

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, data: bytes) -> int:
        self.room -= len(data)
        if self.room < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return len(data)


def _deflate_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "xltools-deflate"]


def test_sink_deflates_what_is_written_on_another_thread(tmp_path):
    rng = random.Random(3)
    text = _data(rng, 5_000_000).decode("utf-8", "replace")
    sink = zw.DeflatingSink(tmp_path / "rows.deflate")
    with zw.text_stream(sink) as fh:
        for i in range(0, len(text), 7_777):
            fh.write(text[i:i + 7_777])
    d = sink.deflated
    body = text.encode("utf-8")
    assert (d.size, d.crc, d.compressed) == (len(body), zlib.crc32(body), d.path.stat().st_size)
    assert zlib.decompressobj(-15).decompress(d.path.read_bytes() + zw.deflate_piece(b"", last=True)) == body
    assert not _deflate_threads()


def test_sink_hands_a_failure_on_its_thread_to_the_writer(tmp_path, monkeypatch):
    monkeypatch.setattr(zw, "open", lambda *a, **k: _FullDisk(1_000), raising=False)
    sink = zw.DeflatingSink(tmp_path / "rows.deflate")
    with pytest.raises(OSError, match="No space left"):
        with zw.text_stream(sink) as fh:
            for _ in range(200):  # 200 MB: never waits for ever on the failed thread
                fh.write("x" * 1_000_000 + "先锋岗")
    assert sink.closed and not _deflate_threads()
    with pytest.raises(ValueError):
        _ = sink.deflated


def test_sink_failing_at_its_last_write_does_not_hang(tmp_path, monkeypatch):
    """The disk fills at the final flush, after the end was taken from the queue: close()
    still returns (with the error) instead of waiting for an end that will not come again."""
    monkeypatch.setattr(zw, "open", lambda *a, **k: _FullDisk(0), raising=False)
    outcome: list[BaseException | None] = []

    def write_and_close():
        sink = zw.DeflatingSink(tmp_path / "rows.deflate")
        try:
            with zw.text_stream(sink) as fh:
                fh.write("先锋岗")  # too little for zlib to emit before the flush
            outcome.append(None)
        except OSError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=write_and_close, daemon=True)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "close() hung"
    assert isinstance(outcome[0], OSError) and outcome[0].errno == errno.ENOSPC


class _SlowZlib:
    """zlib whose compressor takes ``delay`` seconds a piece, counting the pieces."""

    def __init__(self, delay: float) -> None:
        self.delay, self.pieces = delay, 0

    def __getattr__(self, name):
        return getattr(zlib, name)

    def compressobj(self, *args):
        real, outer = zlib.compressobj(*args), self

        class Slow:
            def compress(self, data):
                outer.pieces += 1
                time.sleep(outer.delay)
                return real.compress(data)

            def flush(self, mode):
                return real.flush(mode)

        return Slow()


def test_ctrl_c_while_closing_still_ends_the_thread(tmp_path, monkeypatch):
    """Ctrl-C lands while close() waits for room in a full queue: the thread still gets its
    end, drops the pieces left, and close() raises the interruption; nothing stays open."""
    slow = _SlowZlib(0.3)
    monkeypatch.setattr(zw, "zlib", slow)
    sink = zw.DeflatingSink(tmp_path / "rows.deflate")
    for _ in range(5):  # one being deflated, four waiting
        sink.write(b"x" * 1000)
    real_put, calls = sink._pieces.put, []

    def put(item, *args, **kwargs):
        calls.append(item)
        if item is None and calls.count(None) == 1:
            raise KeyboardInterrupt  # as Ctrl-C would, before the end is queued
        return real_put(item, *args, **kwargs)

    sink._pieces.put = put
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        sink.close()
    assert sink.closed and not sink._thread.is_alive() and not _deflate_threads()
    assert slow.pieces <= 2 and time.monotonic() - started < 1.5  # the queued pieces dropped
    with pytest.raises(ValueError, match="closed file"):
        sink.write(b"more")  # a closed sink refuses, it does not wait for a thread that is gone


def test_the_threads_error_is_raised_fresh_each_time(tmp_path, monkeypatch):
    monkeypatch.setattr(zw, "open", lambda *a, **k: _FullDisk(0), raising=False)
    sink = zw.DeflatingSink(tmp_path / "rows.deflate")
    errors = []
    for _ in range(200):  # random bytes: zlib writes at once, and the full disk refuses
        try:
            sink.write(os.urandom(100_000))
        except OSError as exc:
            errors.append(exc)
            if len(errors) == 3:
                break
    try:
        sink.close()
    except OSError as exc:
        errors.append(exc)
    assert errors and all(e.errno == errno.ENOSPC for e in errors)
    for e in errors:  # a finite chain: no exception is its own context
        seen, link = set(), e
        while link is not None:
            assert id(link) not in seen
            seen.add(id(link))
            link = link.__context__
    assert len({id(e) for e in errors}) == len(errors)


def test_a_full_scratch_disk_while_deflating_names_the_scratch_folder(round1, tmp_path, monkeypatch):
    monkeypatch.setattr(zw, "open", lambda *a, **k: _FullDisk(10_000), raising=False)
    out = tmp_path / "out" / "汇总表.xlsx"
    out.parent.mkdir()
    with pytest.raises(OutputError, match="临时文件夹 .* 写入出错（No space left on device），汇总表没有写出"):
        consolidated.write_consolidated(round1, out)
    assert list(out.parent.iterdir()) == [] and not _deflate_threads()


def test_an_error_while_writing_leaves_no_deflating_thread(round1, tmp_path, monkeypatch):
    """A failure in the middle of the rows (a value that cannot be written) and one after
    every form sheet (here in the issue list): no thread left, no output, no scratch files."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def broken(*args, **kwargs):
        raise RuntimeError("issue list")

    monkeypatch.setattr(consolidated, "_wrapped_height", broken)
    with pytest.raises(RuntimeError, match="issue list"):
        consolidated.write_consolidated(round1, tmp_path / "c.xlsx")
    assert not _deflate_threads() and not (tmp_path / "c.xlsx").exists() and list(scratch.iterdir()) == []


def test_a_scratch_folder_that_cannot_be_made_is_named(round1, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-such-folder"))
    out = tmp_path / "c.xlsx"
    with pytest.raises(OutputError, match="临时文件夹 .*no-such-folder 写入出错（No such file or directory），汇总表没有写出"):
        consolidated.write_consolidated(round1, out)
    assert not out.exists()


@pytest.mark.parametrize("limits", [(600, 0xFFFF), (10**9, 5), (600, 5)])
def test_a_consolidated_workbook_with_zip64_records_reads_the_same(round1, tmp_path, monkeypatch, limits):
    """The limits lowered so that the sample round's package needs Zip64 sizes, offsets or the
    member count: zipfile and calamine read every member and sheet as in the plain package."""
    plain = consolidated.write_consolidated(round1, tmp_path / "plain.xlsx")
    monkeypatch.setattr(zw, "_ZIP64_LIMIT", limits[0])
    monkeypatch.setattr(zw, "_COUNT_LIMIT", limits[1])
    wide = consolidated.write_consolidated(round1, tmp_path / "wide.xlsx")
    assert b"PK\x06\x06" in wide.read_bytes() and b"PK\x06\x06" not in plain.read_bytes()
    assert _members(wide) == _members(plain)
    a, b = CalamineWorkbook.from_path(str(plain)), CalamineWorkbook.from_path(str(wide))
    assert a.sheet_names == b.sheet_names and len(a.sheet_names) > 8
    for name in a.sheet_names:
        assert a.get_sheet_by_name(name).to_python() == b.get_sheet_by_name(name).to_python(), name
