"""A workbook's sheet list must map names to parts the same way for xltools and calamine
(readers._check_sheet_list, issue 7, a hostile review in the twelfth round): else calamine loads
a part xltools never measured, and a far cell there aborts the process.  The far cells here are
harmless (Z900): a regression shows as 900 rows delivered, not as a crash."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from packages import relationships, sheet_list, workbook_xml, xlsx_package

from xltools.readers import ReturnReadError, read_return

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NEAR = '<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>'
FAR = '<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="900"><c r="Z900"><v>2</v></c></row></sheetData></worksheet>'


@pytest.mark.parametrize("sheets", [None, ["A"]])
@pytest.mark.parametrize(("listed", "targets", "parts", "reason"), [
    # two sheets of one name: xltools kept the last, calamine read the first (a part not kept)
    ('<sheet name="A" sheetId="1" r:id="rId1"/><sheet name="A" sheetId="2" r:id="rId2"/>',
     {"rId1": "worksheets/far.dat", "rId2": "worksheets/sheet1.xml"},
     {"xl/worksheets/far.dat": FAR, "xl/worksheets/sheet1.xml": NEAR}, "同名的工作表“A”"),
    # the same with plain parts, a third sheet sharing the first's part
    ('<sheet name="A" sheetId="1" r:id="rId1"/><sheet name="A" sheetId="2" r:id="rId2"/>'
     '<sheet name="B" sheetId="3" r:id="rId1"/>',
     {"rId1": "worksheets/sheet1.xml", "rId2": "worksheets/sheet2.xml"},
     {"xl/worksheets/sheet1.xml": FAR, "xl/worksheets/sheet2.xml": NEAR}, "同名的工作表“A”"),
    # a tab written as &#9; and literally: XML makes the literal one a space, calamine keeps it
    ('<sheet name="A&#9;B" sheetId="1" r:id="rId1"/><sheet name="A\tB" sheetId="2" r:id="rId2"/>',
     {"rId1": "worksheets/sheet1.xml", "rId2": "worksheets/sheet2.xml"},
     {"xl/worksheets/sheet1.xml": NEAR, "xl/worksheets/sheet2.xml": FAR}, "同名的工作表“A B”"),
    # an id in another namespace before r:id: xltools read the first, calamine r:id
    ('<sheet name="A" sheetId="1" x:id="rId2" r:id="rId1"/>',
     {"rId1": "worksheets/far.dat", "rId2": "worksheets/sheet1.xml"},
     {"xl/worksheets/far.dat": FAR, "xl/worksheets/sheet1.xml": NEAR}, "关系标识不止一个"),
])
def test_a_sheet_list_read_two_ways_is_refused_in_one_line(listed, targets, parts, reason, sheets, tmp_path):
    path = xlsx_package(tmp_path / "list.xlsx", listed, targets, parts)
    with pytest.raises(ReturnReadError) as caught:
        read_return(path, sheets=sheets)
    assert reason in caught.value.reason and "文件已损坏" in caught.value.reason


@pytest.mark.parametrize(("first", "second"), [("Maße", "Masse"), ("Data", "DATA"), ("ﬁnal", "final")])
def test_names_equal_only_when_case_folded_are_two_sheets(first, second, tmp_path):
    # LibreOffice writes Maße beside Masse; xltools and calamine both look names up exactly
    path = xlsx_package(tmp_path / "fold.xlsx", f'<sheet name="{first}" sheetId="1" r:id="rId1"/>'
                     f'<sheet name="{second}" sheetId="2" r:id="rId2"/>',
                     {"rId1": "worksheets/sheet1.xml", "rId2": "worksheets/sheet2.xml"},
                     {"xl/worksheets/sheet1.xml": NEAR, "xl/worksheets/sheet2.xml": FAR})
    book = read_return(path)
    assert [(s.name, len(s.rows)) for s in book.sheets] == [(first, 1), (second, 900)]


def test_distinct_names_and_one_id_each_read_as_before(tmp_path):
    path = xlsx_package(tmp_path / "plain.xlsx",
                     '<sheet name="A" sheetId="1" r:id="rId1"/><sheet name="B" sheetId="2" r:id="rId2"/>',
                     {"rId1": "worksheets/sheet1.xml", "rId2": "worksheets/sheet2.xml"},
                     {"xl/worksheets/sheet1.xml": NEAR, "xl/worksheets/sheet2.xml": FAR})
    book = read_return(path)
    assert [s.name for s in book.sheets] == ["A", "B"]
    assert len(book.sheets[0].rows) == 1 and len(book.sheets[1].rows) == 900


def test_a_control_character_in_a_sheet_name_keeps_the_message_on_one_line(tmp_path):
    path = xlsx_package(tmp_path / "name.xlsx", '<sheet name="a&#13;b" sheetId="1" r:id="rId1"/>'
                     '<sheet name="a&#13;b" sheetId="2" r:id="rId2"/>',
                     {"rId1": "worksheets/sheet1.xml", "rId2": "worksheets/sheet2.xml"},
                     {"xl/worksheets/sheet1.xml": NEAR, "xl/worksheets/sheet2.xml": NEAR})
    with pytest.raises(ReturnReadError) as caught:
        read_return(path)
    text = str(caught.value)
    assert "\r" not in text and "\n" not in text and "同名的工作表“a b”" in text


# --- the zip itself: Python's zipfile and calamine's zip library must not find two members ----

def _local(name: str, body: bytes) -> bytes:
    n = name.encode()
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, zlib.crc32(body), len(body), len(body),
                       len(n), 0) + n + body


def _central(name: str, body: bytes, offset: int) -> bytes:
    n = name.encode()
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, zlib.crc32(body), len(body),
                       len(body), len(n), 0, 0, 0, 0, 0, offset) + n


def _end(count: int, size: int, offset: int, disk: int = 0) -> bytes:
    return struct.pack("<IHHHHIIH", 0x06054B50, disk, 0, count, count, size, offset, 0)


def _two_end_records(near: str, far: str) -> bytes:
    """A package where zipfile reads sheet1.xml as ``near`` and calamine's zip library as
    ``far``: two central directories, the last one's end record on "disk 1" (zipfile ignores
    disk numbers; the zip library rejects the record and falls back to the earlier one, which
    points at another local entry of the same name).  An image member is there too: before the
    twelfth round it made xltools hand calamine the file as it came (a seventh review)."""
    parts = [("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Default Extension="xml" ContentType="application/xml"/></Types>'),
             ("_rels/.rels", relationships(("rId1", "officeDocument", "xl/workbook.xml"))),
             ("xl/workbook.xml", workbook_xml(sheet_list([("A", "rId1")]))),
             ("xl/_rels/workbook.xml.rels", relationships(("rId1", "worksheet", "worksheets/sheet1.xml"))),
             ("xl/worksheets/sheet1.xml", near), ("xl/media/image1.png", "\x89PNG")]
    entries = [(name, body.encode("latin-1") if name.endswith(".png") else body.encode()) for name, body in parts]
    out, offsets = b"", {}
    for name, body in entries:
        offsets[name] = len(out)
        out += _local(name, body)
    far_at = len(out)
    out += _local("xl/worksheets/sheet1.xml", far.encode())
    sheet = "xl/worksheets/sheet1.xml"
    to_far = b"".join(_central(n, far.encode() if n == sheet else b, far_at if n == sheet else offsets[n])
                      for n, b in entries)
    at = len(out)
    out += to_far + _end(len(entries), len(to_far), at)
    to_near = b"".join(_central(n, b, offsets[n]) for n, b in entries)
    at = len(out)
    return out + to_near + _end(len(entries), len(to_near), at, disk=1)


@pytest.mark.parametrize("sheets", [None, ["A"]])
def test_calamine_reads_the_members_zipfile_read_not_the_file_as_it_came(sheets, tmp_path):
    path = tmp_path / "two_ends.xlsx"
    path.write_bytes(_two_end_records(NEAR, FAR))
    with zipfile.ZipFile(path) as zf:
        assert zf.read("xl/worksheets/sheet1.xml") == NEAR.encode()  # what xltools measures
    book = read_return(path, sheets=sheets)
    assert len(book.sheets[0].rows) == 1  # the far part would give 900 rows


def test_a_big_copy_goes_through_a_temporary_file_that_is_removed(monkeypatch, tmp_path):
    import tempfile

    from xltools import readers

    sample = sorted((Path(__file__).resolve().parent.parent / "samples" / "returns").rglob("*.xlsx"))[0]
    in_memory = read_return(sample)
    monkeypatch.setattr(readers, "_COPY_IN_MEMORY_LIMIT", 0)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    opened: list[str] = []
    real = readers.python_calamine.CalamineWorkbook.from_path
    monkeypatch.setattr(readers.python_calamine.CalamineWorkbook, "from_path",
                        lambda name: (opened.append(name), real(name))[1])
    assert read_return(sample) == in_memory
    assert len(opened) == 1 and opened[0].startswith(str(tmp_path)) and list(tmp_path.iterdir()) == []


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "returns"


@pytest.mark.parametrize(("fixture", "extra"), [
    ("same-values-lo.ods", "xl/workbook.xml"),
    ("same-values-lo.ods", "_rels/.rels"),
    ("binary-workbook.xlsb", "xl/workbook.xml"),
])
def test_an_ods_or_xlsb_holding_an_xlsx_too_is_refused(fixture, extra, tmp_path):
    # calamine tries the .xlsx reading first: it would read worksheets xltools never measured
    src = FIXTURES / fixture
    assert read_return(src).sheets  # the fixture alone reads
    path = tmp_path / fixture
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info))
        zout.writestr(extra, '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')
    with pytest.raises(ReturnReadError) as caught:
        read_return(path)
    assert "两种表格格式" in caught.value.reason
