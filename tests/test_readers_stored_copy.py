"""The package handed to calamine as a stored copy (readers._Package.stored_copy, issue 7):
the kept entries with the same bytes and CRCs as the return, read by calamine exactly as the
original; since the twelfth round calamine is never handed the return as it came."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pytest
import python_calamine

from xltools import readers
from xltools.readers import read_return

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def _workbooks() -> list[Path]:
    found = sorted((ROOT / "samples").rglob("*.xlsx"))
    corpus = SHARED / "corpus"
    if corpus.is_dir():
        found += sorted(p for p in corpus.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm"))
    return found


def _calamine_view(data: bytes) -> list:
    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    out = []
    for meta in wb.sheets_metadata:
        try:
            sheet = wb.get_sheet_by_name(meta.name)
            out.append((meta.name, str(meta.typ), str(meta.visible), sheet.to_python(skip_empty_area=False),
                        sheet.merged_cell_ranges, sheet.end))
        except python_calamine.CalamineError as exc:
            out.append((meta.name, type(exc).__name__))
    return out


def _stored_copies() -> list[tuple[Path, bytes, bytes, set[str]]]:
    """``(path, the file's bytes, its stored copy, the names left out)`` of every sample and
    corpus workbook that is not refused."""
    found = []
    for path in _workbooks():
        data = path.read_bytes()
        try:
            pkg = readers._Package(data, readers.Limits())
            copy = pkg.stored_copy()
        except readers._Refused:
            continue
        left_out = {info.filename for info, name, kept in pkg._entries if not kept}
        found.append((path, data, copy, left_out))
    return found


def test_the_stored_copy_has_the_same_entries_stored():
    copies = _stored_copies()
    assert len(copies) >= 20  # the sample rounds alone hold more
    if (SHARED / "corpus").is_dir():  # some corpus file has an image or the like (the samples none)
        assert sum(bool(left_out) for *_, left_out in copies) >= 1
    for path, data, copy, left_out in copies:
        with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(io.BytesIO(copy)) as stored:
            assert stored.testzip() is None, path
            a = [i for i in original.infolist() if i.filename not in left_out]
            b = stored.infolist()
            assert [i.filename for i in a] == [i.filename for i in b], path
            assert [i.CRC for i in a] == [i.CRC for i in b], path
            assert {i.compress_type for i in b} == {zipfile.ZIP_STORED}, path
            for i, j in zip(a, b):
                assert original.read(i) == stored.read(j), (path, i.filename)


def test_calamine_reads_the_stored_copy_as_the_original():
    copies = _stored_copies()
    assert len(copies) >= 20
    for path, data, copy, _left_out in copies:
        assert _calamine_view(copy) == _calamine_view(data), path


def test_a_return_reads_the_same_with_and_without_the_stored_copy(monkeypatch):
    for path in sorted((ROOT / "samples").rglob("*.xlsx"))[:12]:
        with_copy = dataclasses.asdict(read_return(path))
        with monkeypatch.context() as m:
            m.setattr(readers._Package, "stored_copy", lambda self, sheets=(), parts=(): self._data)  # as it came
            without = dataclasses.asdict(read_return(path))
        assert with_copy == without, path


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return buf.getvalue()


def test_what_is_not_kept_is_left_out_of_the_copy():
    members = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    pkg = readers._Package(_zip(members), readers.Limits())
    assert zipfile.ZipFile(io.BytesIO(pkg.stored_copy())).read("xl/workbook.xml") == b"<workbook/>"
    with_image = readers._Package(_zip({**members, "xl/media/image1.png": b"\x89PNG"}), readers.Limits())
    with zipfile.ZipFile(io.BytesIO(with_image.stored_copy())) as zf:  # an image is checked, not kept
        assert zf.namelist() == ["[Content_Types].xml", "xl/workbook.xml"]
    lazy = readers._Package(_zip({**members, "xl/worksheets/sheet1.xml": b"<worksheet/>",
                                  "xl/worksheets/sheet2.xml": b"<worksheet>2</worksheet>"}),
                            readers.Limits(), lazy_sheets=True)
    with zipfile.ZipFile(io.BytesIO(lazy.stored_copy())) as zf:  # lazy worksheets only when asked for
        assert "xl/worksheets/sheet1.xml" not in zf.namelist()
    with zipfile.ZipFile(io.BytesIO(lazy.stored_copy(parts={"xl/worksheets/sheet2.xml"}))) as zf:
        assert zf.read("xl/worksheets/sheet2.xml") == b"<worksheet>2</worksheet>" and zf.testzip() is None
        assert "xl/worksheets/sheet1.xml" not in zf.namelist()


@pytest.mark.parametrize("name", ["数据/表.xml", "xl/Ünïcode.xml", "plain.xml"])
def test_entry_names_keep_their_encoding(name):
    pkg = readers._Package(_zip({name: b"<a/>", "b.rels": b"<r/>"}), readers.Limits())
    copy = pkg.stored_copy()
    with zipfile.ZipFile(io.BytesIO(copy)) as zf:
        assert zf.namelist() == [name, "b.rels"] and zf.read(name) == b"<a/>"


def test_a_directory_entry_is_copied_as_it_was():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/", b"")
        zf.writestr("xl/workbook.xml", b"<workbook/>")
    copy = readers._Package(buf.getvalue(), readers.Limits()).stored_copy()
    with zipfile.ZipFile(io.BytesIO(copy)) as zf:
        assert zf.namelist() == ["xl/", "xl/workbook.xml"] and zf.getinfo("xl/").is_dir()
        assert zf.testzip() is None


def _sample_return() -> bytes:
    return sorted((ROOT / "samples" / "returns").rglob("*.xlsx"))[0].read_bytes()


def _rewritten(data: bytes, rename=None, extra=None, compression=None) -> bytes:
    """The workbook again with its first worksheet renamed (the name held in the entry header)
    and/or given an extra field, or every entry compressed another way."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            target = zipfile.ZipInfo(info.filename, info.date_time)
            target.compress_type = compression or zipfile.ZIP_DEFLATED
            if info.filename == "xl/worksheets/sheet1.xml":
                if rename:
                    target.filename = rename
                if extra:
                    target.extra = extra
            dst.writestr(target, body)
    return out.getvalue()


def test_a_name_with_a_nul_byte_is_refused(tmp_path):
    path = tmp_path / "nul.xlsx"
    path.write_bytes(_rewritten(_sample_return(), rename="xl/worksheets/sheet1.xml\x00zz"))
    with pytest.raises(readers.ReturnReadError) as caught:
        read_return(path)
    assert "空字符" in caught.value.reason


def _unicode_path(name: str, header_name: str) -> bytes:
    import struct
    import zlib

    body = b"\x01" + struct.pack("<I", zlib.crc32(header_name.encode())) + name.encode("utf-8")
    return struct.pack("<HH", 0x7075, len(body)) + body


def test_a_unicode_path_field_naming_another_part_is_refused(tmp_path):
    # Python's zipfile ignores the field, calamine's zip library follows it: the two would read
    # different parts under one name
    path = tmp_path / "other.xlsx"
    extra = _unicode_path("xl/worksheets/other.xml", "xl/worksheets/sheet1.xml")
    path.write_bytes(_rewritten(_sample_return(), extra=extra))
    with pytest.raises(readers.ReturnReadError) as caught:
        read_return(path)
    assert "文件名前后不一致" in caught.value.reason


def test_a_unicode_path_field_naming_the_same_part_is_read(tmp_path):
    path = tmp_path / "same.xlsx"
    extra = _unicode_path("xl/worksheets/sheet1.xml", "xl/worksheets/sheet1.xml")
    path.write_bytes(_rewritten(_sample_return(), extra=extra))
    plain = tmp_path / "plain.xlsx"
    plain.write_bytes(_rewritten(_sample_return()))
    assert dataclasses.asdict(read_return(path))["sheets"] == dataclasses.asdict(read_return(plain))["sheets"]


@pytest.mark.parametrize("compression", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_entries_compressed_other_than_by_deflate_read_as_the_deflated_return(compression, tmp_path):
    # zipfile inflates bzip2 and LZMA; calamine, which could not, reads the stored copy (since
    # the twelfth round: before, a kept docProps part in bzip2 refused the whole return)
    path = tmp_path / "odd.xlsx"
    path.write_bytes(_rewritten(_sample_return(), compression=compression))
    plain = tmp_path / "plain.xlsx"
    plain.write_bytes(_rewritten(_sample_return()))
    assert dataclasses.asdict(read_return(path))["sheets"] == dataclasses.asdict(read_return(plain))["sheets"]
