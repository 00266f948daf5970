"""The package handed to calamine as a stored copy (readers._Package.stored_copy, issue 7):
the same entries, bytes and CRCs as the return, read by calamine exactly as the original."""

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


def _stored_copies() -> list[tuple[Path, bytes, bytes]]:
    """``(path, the file's bytes, its stored copy)`` of every sample and corpus workbook that
    gets one (the others are refused or hold members that are not kept)."""
    found = []
    for path in _workbooks():
        data = path.read_bytes()
        try:
            copy = readers._Package(data, readers.Limits()).stored_copy()
        except readers._Refused:
            continue
        if copy is not None:
            found.append((path, data, copy))
    return found


def test_the_stored_copy_has_the_same_entries_stored():
    copies = _stored_copies()
    assert len(copies) >= 20  # the sample rounds alone hold more
    for path, data, copy in copies:
        with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(io.BytesIO(copy)) as stored:
            assert stored.testzip() is None, path
            a, b = original.infolist(), stored.infolist()
            assert [i.filename for i in a] == [i.filename for i in b], path
            assert [i.CRC for i in a] == [i.CRC for i in b], path
            assert {i.compress_type for i in b} == {zipfile.ZIP_STORED}, path
            for i, j in zip(a, b):
                assert original.read(i) == stored.read(j), (path, i.filename)


def test_calamine_reads_the_stored_copy_as_the_original():
    copies = _stored_copies()
    assert len(copies) >= 20
    for path, data, copy in copies:
        assert _calamine_view(copy) == _calamine_view(data), path


def test_a_return_reads_the_same_with_and_without_the_stored_copy(monkeypatch):
    for path in sorted((ROOT / "samples").rglob("*.xlsx"))[:12]:
        with_copy = dataclasses.asdict(read_return(path))
        with monkeypatch.context() as m:
            m.setattr(readers._Package, "stored_copy", lambda self, limit=0, sheets=(): None)
            without = dataclasses.asdict(read_return(path))
        assert with_copy == without, path


def _zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, body in members.items():
            zf.writestr(name, body)
    return buf.getvalue()


def test_no_stored_copy_when_an_entry_is_not_kept_or_it_would_be_too_big():
    members = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    pkg = readers._Package(_zip(members), readers.Limits())
    copy = pkg.stored_copy()
    assert copy is not None and zipfile.ZipFile(io.BytesIO(copy)).read("xl/workbook.xml") == b"<workbook/>"
    assert pkg.stored_copy(limit=5) is None  # over the limit: the original is handed over
    with_image = readers._Package(_zip({**members, "xl/media/image1.png": b"\x89PNG"}), readers.Limits())
    assert with_image.stored_copy() is None  # an image is checked but not kept
    lazy = readers._Package(_zip({**members, "xl/worksheets/sheet1.xml": b"<worksheet/>"}), readers.Limits(),
                            lazy_sheets=True)
    assert lazy.stored_copy() is None


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
def test_entries_compressed_other_than_by_deflate_get_no_stored_copy(compression, tmp_path):
    data = _rewritten(_sample_return(), compression=compression)
    assert readers._Package(data, readers.Limits()).stored_copy() is None
    path = tmp_path / "odd.xlsx"
    path.write_bytes(data)
    with pytest.raises(readers.ReturnReadError):  # calamine cannot read them, as before
        read_return(path)
