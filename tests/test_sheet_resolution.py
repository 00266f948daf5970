"""A workbook's sheet list must map names to parts the same way for xltools and calamine
(readers._check_sheet_list, issue 7, a hostile review in the twelfth round): else calamine loads
a part xltools never measured, and a far cell there aborts the process.  The far cells here are
harmless (Z900): a regression shows as 900 rows delivered, not as a crash."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from xltools.readers import ReturnReadError, read_return

REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NEAR = '<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>'
FAR = '<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row><row r="900"><c r="Z900"><v>2</v></c></row></sheetData></worksheet>'


def _workbook(path: Path, sheets: str, targets: dict[str, str], parts: dict[str, str]) -> Path:
    """A package whose workbook lists ``sheets`` (the <sheet> elements as written), with
    relationship id → target and the given parts."""
    rels = "".join(f'<Relationship Id="{rid}" Type="{REL}/worksheet" Target="{t}"/>' for rid, t in targets.items())
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                    '<Default Extension="xml" ContentType="application/xml"/></Types>')
        zf.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    f'xmlns:r="{REL}" xmlns:x="urn:x"><sheets>{sheets}</sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                    f'relationships">{rels}</Relationships>')
        for name, body in parts.items():
            zf.writestr(name, body)
    return path


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
    # names equal but for case, as Excel never allows
    ('<sheet name="Data" sheetId="1" r:id="rId1"/><sheet name="DATA" sheetId="2" r:id="rId2"/>',
     {"rId1": "worksheets/sheet1.xml", "rId2": "worksheets/sheet2.xml"},
     {"xl/worksheets/sheet1.xml": NEAR, "xl/worksheets/sheet2.xml": NEAR}, "同名的工作表“DATA”"),
    # an id in another namespace before r:id: xltools read the first, calamine r:id
    ('<sheet name="A" sheetId="1" x:id="rId2" r:id="rId1"/>',
     {"rId1": "worksheets/far.dat", "rId2": "worksheets/sheet1.xml"},
     {"xl/worksheets/far.dat": FAR, "xl/worksheets/sheet1.xml": NEAR}, "关系标识不止一个"),
])
def test_a_sheet_list_read_two_ways_is_refused_in_one_line(listed, targets, parts, reason, sheets, tmp_path):
    path = _workbook(tmp_path / "list.xlsx", listed, targets, parts)
    with pytest.raises(ReturnReadError) as caught:
        read_return(path, sheets=sheets)
    assert reason in caught.value.reason and "文件已损坏" in caught.value.reason


def test_distinct_names_and_one_id_each_read_as_before(tmp_path):
    path = _workbook(tmp_path / "plain.xlsx",
                     '<sheet name="A" sheetId="1" r:id="rId1"/><sheet name="B" sheetId="2" r:id="rId2"/>',
                     {"rId1": "worksheets/sheet1.xml", "rId2": "worksheets/sheet2.xml"},
                     {"xl/worksheets/sheet1.xml": NEAR, "xl/worksheets/sheet2.xml": FAR})
    book = read_return(path)
    assert [s.name for s in book.sheets] == ["A", "B"]
    assert len(book.sheets[0].rows) == 1 and len(book.sheets[1].rows) == 900


def test_a_control_character_in_a_sheet_name_keeps_the_message_on_one_line(tmp_path):
    path = _workbook(tmp_path / "name.xlsx", '<sheet name="A&#13;B" sheetId="1" r:id="rId1"/>'
                     '<sheet name="a&#13;b" sheetId="2" r:id="rId2"/>',
                     {"rId1": "worksheets/sheet1.xml", "rId2": "worksheets/sheet2.xml"},
                     {"xl/worksheets/sheet1.xml": NEAR, "xl/worksheets/sheet2.xml": NEAR})
    with pytest.raises(ReturnReadError) as caught:
        read_return(path)
    text = str(caught.value)
    assert "\r" not in text and "\n" not in text and "同名的工作表“a b”" in text
