"""The merged-cell list moved before the cells in the copy handed to calamine
(xltools.sheet_xml.merge_cells_first, issue 7): calamine reads the same values, merged ranges
and extents as from the return itself, and a part of any unusual shape is left as it came."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pytest
import python_calamine
import xlsxwriter
from packages import one_sheet_package

from xltools import readers
from xltools.readers import ReturnReadError, read_return
from xltools.sheet_xml import merge_cells_first

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

HEAD = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="x"><dimension ref="A1:B2"/>'
DATA = b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>'
MERGES = b'<mergeCells count="2"><mergeCell ref="A1:B1"/><mergeCell ref="A2:A3"/></mergeCells>'
TAIL = b'<pageMargins left="0.7"/></worksheet>'


def test_the_list_is_moved_before_the_cells_and_nothing_else_changes():
    xml = HEAD + DATA + MERGES + TAIL
    assert merge_cells_first(xml) == HEAD + MERGES + DATA + TAIL


def test_a_sheet_without_merged_cells_is_left_as_it_came():
    # an empty list put first would stop calamine's second pass before an error it finds today
    assert merge_cells_first(HEAD + DATA + TAIL) is None


def test_a_part_built_to_make_the_checks_slow_is_left_as_it_came():
    # a 16 MB run of tags between the cells and the list took seconds to check (a third review)
    padding = b"<a/>" * (20 << 10)  # 80 KB, over the 64 KB looked at
    assert merge_cells_first(HEAD + DATA + padding + MERGES + TAIL) is None
    assert merge_cells_first(HEAD + DATA + padding[:4096] + MERGES + TAIL) is not None
    head = HEAD.replace(b"<dimension", b"<sheetPr>" + b"<a/>" * (20 << 10) + b"</sheetPr><dimension")
    assert merge_cells_first(head + DATA + MERGES + TAIL) is None


def test_only_the_first_of_two_lists_moves_the_one_calamine_stops_at():
    assert merge_cells_first(HEAD + DATA + MERGES + MERGES + TAIL) == HEAD + MERGES + DATA + MERGES + TAIL


def test_elements_between_the_cells_and_the_list_stay_where_they_were():
    between = b'<sheetProtection sheet="1"/><autoFilter ref="A1:B2"><filterColumn colId="0"/></autoFilter>'
    xml = HEAD + DATA + between + MERGES + TAIL
    assert merge_cells_first(xml) == HEAD + MERGES + DATA + between + TAIL


def test_spacing_and_line_breaks_as_some_programs_write_them():
    merges = b'<mergeCells  count="1" >\n  <mergeCell ref="C3:D4" />\n</mergeCells>'
    data = DATA.replace(b"<sheetData>", b"<sheetData\n>")
    assert merge_cells_first(HEAD + data + b"\n" + merges + TAIL) == HEAD + merges + data + b"\n" + TAIL


# Shapes where a byte search finds a tag calamine's parser does not see as one, or the bytes moved
# would close or be swallowed by markup left open (a hostile review in issue 7): each read
# differently by calamine once rewritten, so each must be left as it came.
_LIST = b'<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>'
_HIDDEN = {
    "list in a processing instruction": HEAD + DATA + b"<?keep " + _LIST + b"?></worksheet>",
    "list in an attribute value": HEAD + DATA + b"<extLst x='" + _LIST + b"'/></worksheet>",
    "list swallowed by an open tag": HEAD + DATA + b"<foo " + _LIST + b"</worksheet>",
    "sheetData in a processing instruction": HEAD + b"<?keep <sheetData ?>" + DATA + _LIST + TAIL,
    "sheetData in an attribute value": HEAD + b"<sheetPr codeName='<sheetData '/>" + DATA + _LIST + TAIL,
    "a tag left open before the cells": HEAD + b"<sheetPr " + DATA + TAIL,
    "a tag left open before the cells, a list after": HEAD + b"<sheetPr " + DATA + _LIST + TAIL,
    "a tag left open after the cells": HEAD + DATA + b'<pageMargins left="0.7"',
    "the part cut short": HEAD + DATA + b"<pageMargins/></worksheet",
    "a lone <": HEAD + DATA + b"<",
    "a processing instruction left open": HEAD + DATA + b"<pageMargins/><?x ",
    "a list then a processing instruction left open": HEAD + DATA + _LIST + b"<?x ",  # see _READ_ALIKE
    "a second declaration after the cells": HEAD + DATA + b"<?xml?>" + TAIL,
    "a closing tag in an attribute value": HEAD + DATA + b'<x y="</sheetData>"/>' + _LIST + TAIL,
    "vertical tab in the list": HEAD + DATA + b'<mergeCells\x0bcount="1"><mergeCell\x0cref="A1:B1"/></mergeCells>' + TAIL,
    # a second review: the end tag swallowed among the cells, a second one after the list
    "a processing instruction among the cells": HEAD + DATA.replace(b"</sheetData>", b"<?x </sheetData>")
    + _LIST + b"?></sheetData ></worksheet>",
    "a quote among the cells": HEAD + DATA.replace(b"</sheetData>", b"<foo a='</sheetData>")
    + _LIST + b"'/></sheetData ></worksheet>",
    "a prefixed sheetData before the cells": HEAD + b"<x:sheetData></x:sheetData>" + DATA + _LIST + b"<?x ",
    "end tags closing nothing before the list": HEAD + DATA + b"</worksheet></worksheet>" + _LIST + TAIL,
    "end tags closing nothing, no list": HEAD + DATA + b"</worksheet></worksheet>",
    "an end tag closing nothing among balanced ones": HEAD + DATA + b"<a><b/></a></c>" + _LIST + TAIL,
    # a third review: an empty <sheetData/> (calamine's cell pass then parses no cells), text or
    # bytes between the cells and the list that quick-xml refuses, a swallowed end tag closed there
    "an empty sheetData, a list in a processing instruction":
        HEAD + b"<sheetData /><?x </sheetData>" + _LIST + b"?></worksheet>",
    "an empty sheetData, a list in a quote": HEAD + b"<sheetData /><foo a='</sheetData>" + _LIST + b"'/></worksheet>",
    "an empty sheetData, end tags closing nothing": HEAD + DATA.replace(b"<sheetData>", b"<sheetData />")
    .replace(b"</sheetData>", b"</x></y></sheetData>") + _LIST + TAIL,
    "an empty sheetData, a bare ampersand": HEAD + b"<sheetData x='1'/>R&D</sheetData>" + _LIST + TAIL,
    "a bare ampersand before the list": HEAD + DATA + b"R&D" + _LIST + TAIL,
    "an ampersand in a tag's text before the list": HEAD + DATA + b"<a>R&D</a>" + _LIST + TAIL,
    "a byte that is not UTF-8 before the list": HEAD + DATA + b"\xff" + _LIST + TAIL,
    "a byte that is not UTF-8 in a value before the list": HEAD + DATA + b'<a b="\xff"/>' + _LIST + TAIL,
    "a swallowed end tag closed before the list": HEAD + DATA.replace(b"</sheetData>", b"<?x </sheetData>?>")
    + b'<c r="B1">' + _LIST + b"</c></worksheet>",
    "a swallowed end tag closed by a quote before the list": HEAD + DATA.replace(b"</sheetData>", b"<foo a='</sheetData>'>")
    + b'<c r="B1">' + _LIST + b"</c></foo></worksheet>",
}


#: Rewritten, and read alike: calamine's second pass stops at the list, before what follows it.
_READ_ALIKE = {"a list then a processing instruction left open"}


@pytest.mark.parametrize("xml", [
    HEAD + DATA + b"<!-- <mergeCells/> -->" + MERGES + TAIL,              # a comment anywhere
    HEAD + DATA.replace(b"<v>0</v>", b"<v><![CDATA[1]]></v>") + MERGES + TAIL,  # CDATA
    HEAD + DATA.replace(b"</row>", b"</row>" + MERGES) + TAIL,            # a list among the cells
    HEAD + MERGES + DATA + MERGES + TAIL,                                 # one before, one after
    HEAD + DATA + MERGES.replace(b"A1:B1", b"$A$1:B1") + TAIL,            # a reference not plain
    HEAD + DATA + MERGES.replace(b"A1:B1", b"a1:b1") + TAIL,
    HEAD + DATA + MERGES.replace(b'<mergeCell ref="A2:A3"/>', b'<mergeCell ref="A2:A3"></mergeCell>') + TAIL,
    HEAD + DATA + b"<mergeCells/>" + TAIL,                                # an empty element
    HEAD + DATA + MERGES.replace(b"mergeCells", b"x:mergeCells") + TAIL,  # a prefix
    HEAD + DATA.replace(b"sheetData", b"x:sheetData") + MERGES + TAIL,
    HEAD + DATA.replace(b"<sheetData>", b"<sheetDataX>") + MERGES + TAIL,
    HEAD + b"<sheetData/>" + MERGES + TAIL,                               # no cells element to put it before
    HEAD + DATA + b'<extLst mergeCells="1"/>' + MERGES + TAIL,            # the name used elsewhere
    HEAD + TAIL,
    *(xml for name, xml in _HIDDEN.items() if name not in _READ_ALIKE),
])
def test_any_other_shape_is_left_as_it_came(xml):
    assert merge_cells_first(xml) is None


def test_the_declaration_and_a_byte_order_mark_are_plain():
    xml = b"\xef\xbb\xbf" + HEAD + DATA + MERGES + TAIL
    assert merge_cells_first(xml) == b"\xef\xbb\xbf" + HEAD + MERGES + DATA + TAIL


def _workbooks(fixtures: bool = True) -> list[Path]:
    """The samples, the corpus and (with ``fixtures``) the hostile and odd test fixtures, which
    only ``read_return`` may open: some would abort calamine before their extent is checked."""
    found = sorted((ROOT / "samples").rglob("*.xlsx"))
    corpus = SHARED / "corpus"
    if corpus.is_dir():
        found += sorted(p for p in corpus.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm"))
    if fixtures:
        found += sorted(p for p in (ROOT / "tests" / "fixtures").rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm"))
    return found


def _calamine_view(data: bytes) -> list:
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.CalamineError as exc:  # not a workbook calamine knows (a renamed .docx)
        return [type(exc).__name__]
    out = []
    for meta in wb.sheets_metadata:
        try:
            sheet = wb.get_sheet_by_name(meta.name)
            out.append((meta.name, sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges, sheet.end,
                        sheet.start, sheet.height, sheet.width))
        except python_calamine.CalamineError as exc:
            out.append((meta.name, type(exc).__name__))
    return out


def _merged_workbook(path: Path) -> Path:
    """A workbook whose sheets hold merged cells in the header and among the data, and one sheet
    with none."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("表一")
    ws.merge_range("A1:D1", "标题")
    ws.write_row(1, 0, ["序号", "姓名", "金额", "备注"])
    for r in range(2, 40):
        ws.write_row(r, 0, [r - 1, f"张{r}", r * 1.5, "说明" * (r % 4)])
    ws.merge_range("D5:D9", "合并的备注")
    ws.merge_range("B20:C20", "跨两列")
    plain = wb.add_worksheet("表二")
    plain.write_row(0, 0, ["a", 1, 2.5])
    wb.close()
    return path


def test_calamine_reads_every_workbook_the_same_with_the_lists_moved(tmp_path):
    checked = moved = 0
    for path in [_merged_workbook(tmp_path / "merged.xlsx"), *_workbooks(fixtures=False)]:
        data = path.read_bytes()
        try:
            pkg = readers._Package(data, readers.Limits())
        except readers._Refused:
            continue
        sheets = {name for name in pkg.members if "/worksheets/" in f"/{name}" and name.endswith(".xml")}
        plain, rewritten = pkg.stored_copy(), pkg.stored_copy(sheets=sheets)
        if rewritten is None:
            continue
        with zipfile.ZipFile(io.BytesIO(rewritten)) as zf:
            assert zf.testzip() is None, path  # the CRCs of the rewritten parts are right
            moved += sum(zf.read(n) != pkg.members[n] for n in sheets if n in zf.namelist())
        assert _calamine_view(rewritten) == _calamine_view(plain) == _calamine_view(data), path
        checked += 1
    # the samples alone (a checkout without ../shared): 72 workbooks, 346 parts; with the corpus more
    least_checked, least_moved = (100, 360) if (SHARED / "corpus").is_dir() else (70, 340)
    assert checked >= least_checked and moved >= least_moved


def _read_both_ways(path: Path, monkeypatch) -> tuple[object, object]:
    """``read_return(path)`` as a dict (or its error's text) with the move and without it."""

    def outcome() -> object:
        try:
            return dataclasses.asdict(read_return(path))
        except ReturnReadError as exc:
            return str(exc)

    with_move = outcome()
    with monkeypatch.context() as m:
        m.setattr(readers, "merge_cells_first", lambda xml: None)
        return with_move, outcome()


def test_a_return_reads_the_same_with_and_without_the_move(monkeypatch, tmp_path):
    read = refused = 0
    for path in [_merged_workbook(tmp_path / "merged.xlsx"), *_workbooks()]:
        with_move, without = _read_both_ways(path, monkeypatch)
        assert with_move == without, path
        read += isinstance(with_move, dict)
        refused += isinstance(with_move, str)
    assert read >= (110 if (SHARED / "corpus").is_dir() else 80) and refused >= 5
    merged = read_return(tmp_path / "merged.xlsx")
    assert merged.sheets[0].merged == [(1, 0, 1, 3), (5, 3, 9, 3), (20, 1, 20, 2)]


_CELLS = (b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c><c r="B1"><v>2</v></c></row>'
          b'<row r="2"><c r="A2"><v>3</v></c></row></sheetData>')


@pytest.mark.parametrize("name", sorted(_HIDDEN))
def test_a_hostile_part_reads_the_same_with_the_rewrite_in_place(name, monkeypatch, tmp_path):
    xml = _HIDDEN[name].replace(DATA, _CELLS)
    with_move, without = _read_both_ways(one_sheet_package(tmp_path / "hostile.xlsx", xml), monkeypatch)
    assert with_move == without


_REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def test_a_part_calamine_also_reads_in_another_role_is_not_rewritten(monkeypatch, tmp_path):
    # A fourth review: <sheet x:id="rId2" r:id="rId1"> made xltools take the shared strings for
    # the sheet (any attribute named id) where calamine reads r:id; the "sheet" it measured and
    # rewrote was the shared-string table, whose text the move changed.
    workbook = (b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="' + _REL
                + b'" xmlns:x="urn:x"><sheets><sheet name="S1" sheetId="1" x:id="rId2" r:id="rId1"/></sheets></workbook>')
    rels = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="' + _REL + b'/worksheet" Target="worksheets/sheet1.xml"/>'
            b'<Relationship Id="rId2" Type="' + _REL + b'/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    strings = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
               b'<si><t>B<sheetData>C</t></si></sst></sheetData><mergeCells count="1">   <mergeCell ref="A1:B1"/>'
               b'   </mergeCells>')
    assert merge_cells_first(strings) is not None  # the part alone has the shape
    sheet = HEAD.replace(b'xmlns="x"', b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"') + (
        b'<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>')
    path = one_sheet_package(tmp_path / "alias.xlsx", sheet, {
        "xl/workbook.xml": workbook, "xl/_rels/workbook.xml.rels": rels, "xl/sharedStrings.xml": strings})
    with_move, without = _read_both_ways(path, monkeypatch)
    assert with_move == without
    # since a sixth review the two ids are refused from the sheet list, before any part is read
    assert isinstance(with_move, str) and "关系标识不止一个" in with_move


_OFFICE_DOCUMENT = _REL + b"/officeDocument"


def _root_rels(*targets: bytes) -> bytes:
    return (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + b"".join(b'<Relationship Id="rId%d" Type="%s" Target="%s"/>' % (i, _OFFICE_DOCUMENT, t)
                       for i, t in enumerate(targets, 1))
            + b"</Relationships>")


def test_a_workbook_calamine_finds_in_another_folder_gets_no_move(monkeypatch, tmp_path):
    # A fifth review: calamine takes the last officeDocument relationship of _rels/.rels, even
    # one naming no part, and reads that folder's workbook.xml and sharedStrings.xml; xltools took
    # xl/workbook.xml and moved the list in xl/worksheets/sharedStrings.xml, calamine's strings.
    strings_and_sheet = (b'<worksheet><sst><si><t>B<sheetData><row r="1"><c r="A1"><v>2</v></c></row></sheetData>'
                         b'<mergeCells count="1"> <mergeCell ref="A1:B1"/> </mergeCells>C</t></si></sst></worksheet>')
    assert merge_cells_first(strings_and_sheet) is not None
    workbook = (b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="' + _REL
                + b'"><sheets><sheet name="S1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    rels = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
            b'Id="rId1" Type="' + _REL + b'/worksheet" Target="%s"/></Relationships>')
    parts = {"xl/workbook.xml": workbook, "xl/_rels/workbook.xml.rels": rels % b"worksheets/sharedStrings.xml",
             "xl/worksheets/sharedStrings.xml": strings_and_sheet,
             "xl/worksheets/workbook.xml": workbook, "xl/worksheets/_rels/workbook.xml.rels": rels % b"sheet1.xml"}
    offered: list[bytes] = []
    monkeypatch.setattr(readers, "merge_cells_first", lambda xml: offered.append(xml))
    for root in (_root_rels(b"xl/worksheets/none.xml"), _root_rels(b"xl/workbook.xml", b"xl/worksheets/workbook.xml")):
        path = one_sheet_package(tmp_path / "folders.xlsx", b'<worksheet><sheetData><row r="1"><c r="A1" t="s">'
                                   b'<v>0</v></c></row></sheetData></worksheet>', {**parts, "_rels/.rels": root})
        read_return(path)
        assert offered == []


@pytest.mark.parametrize(("root", "plain"), [
    (_root_rels(b"xl/workbook.xml"), True),
    (_root_rels(b"/xl/workbook.xml"), True),
    (_root_rels(b"xl/workbook.xml", b"xl/workbook.xml"), False),       # two: calamine takes the last
    (_root_rels(b"xl/other/workbook.xml"), False),
    (_root_rels(b"xl/workbook&#46;xml"), False),                        # a reference to resolve
    (_root_rels(b"xl/workbook.xml").replace(b"</Relationships>", b"<x><Relationship Id='r9' Type='"
                                             + _OFFICE_DOCUMENT + b"' Target='a/b.xml'/></x></Relationships>"), False),
])
def test_the_root_relationships_must_name_one_office_document_at_xl(root, plain, tmp_path):
    path = one_sheet_package(tmp_path / "root.xlsx", HEAD + DATA + TAIL, {"_rels/.rels": root})
    pkg = readers._Package(path.read_bytes(), readers.Limits())
    assert readers._one_office_document_at_xl(pkg) is plain


def test_a_sheet_named_by_another_relationship_is_not_rewritten(monkeypatch, tmp_path):
    offered: list[bool] = []
    monkeypatch.setattr(readers, "merge_cells_first", lambda xml: offered.append(True))
    xml = HEAD.replace(b'xmlns="x"', b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
    plain = one_sheet_package(tmp_path / "plain.xlsx", xml + _CELLS + _LIST + TAIL)
    read_return(plain)
    assert offered == [True]
    offered.clear()
    other = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship '
             b'Id="rId9" Type="' + _REL + b'/worksheet" Target="../worksheets/sheet1.xml"/></Relationships>')
    named = one_sheet_package(tmp_path / "named.xlsx", xml + _CELLS + _LIST + TAIL,
                                {"xl/worksheets/_rels/sheet1.xml.rels": other})
    read_return(named)
    assert offered == []


def test_a_plain_one_sheet_workbook_is_rewritten_and_reads_its_cells_and_merges(tmp_path):
    xml = HEAD.replace(b'xmlns="x"', b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"')
    path = one_sheet_package(tmp_path / "plain.xlsx", xml + _CELLS + _LIST + TAIL)
    assert merge_cells_first(xml + _CELLS + _LIST + TAIL) is not None
    sheet = read_return(path).sheets[0]
    assert sheet.rows == [["x", 2], [3, None]] and sheet.merged == [(1, 0, 1, 1)]


def test_the_move_is_made_for_the_sheets_merge_reads(monkeypatch, tmp_path):
    seen: list[bool] = []

    def spy(xml: bytes) -> bytes | None:
        out = merge_cells_first(xml)
        seen.append(out is not None)
        return out

    monkeypatch.setattr(readers, "merge_cells_first", spy)
    read_return(_merged_workbook(tmp_path / "merged.xlsx"))
    assert seen == [True, False]  # 表一 has merged cells, 表二 none
