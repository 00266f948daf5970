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


def test_a_sheet_without_merged_cells_gets_an_empty_list_before_its_cells():
    assert merge_cells_first(HEAD + DATA + TAIL) == HEAD + b"<mergeCells></mergeCells>" + DATA + TAIL


def test_spacing_and_line_breaks_as_some_programs_write_them():
    merges = b'<mergeCells  count="1" >\n  <mergeCell ref="C3:D4" />\n</mergeCells>'
    data = DATA.replace(b"<sheetData>", b"<sheetData\n>")
    assert merge_cells_first(HEAD + data + b"\n" + merges + TAIL) == HEAD + merges + data + b"\n" + TAIL


@pytest.mark.parametrize("xml", [
    HEAD + DATA + b"<!-- <mergeCells/> -->" + MERGES + TAIL,              # a comment anywhere
    HEAD + DATA.replace(b"<v>0</v>", b"<v><![CDATA[1]]></v>") + MERGES + TAIL,  # CDATA
    HEAD + DATA + MERGES + MERGES + TAIL,                                 # two lists
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
])
def test_any_other_shape_is_left_as_it_came(xml):
    assert merge_cells_first(xml) is None


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
    assert checked >= 100 and moved >= 450


def test_a_return_reads_the_same_with_and_without_the_move(monkeypatch, tmp_path):
    read = refused = 0
    for path in [_merged_workbook(tmp_path / "merged.xlsx"), *_workbooks()]:
        def outcome(path: Path = path) -> object:
            try:
                return dataclasses.asdict(read_return(path))
            except ReturnReadError as exc:
                return str(exc)
        with_move = outcome()
        with monkeypatch.context() as m:
            m.setattr(readers, "merge_cells_first", lambda xml: None)
            without = outcome()
        assert with_move == without, path
        read += isinstance(with_move, dict)
        refused += isinstance(with_move, str)
    assert read >= 110 and refused >= 5
    merged = read_return(tmp_path / "merged.xlsx")
    assert merged.sheets[0].merged == [(1, 0, 1, 3), (5, 3, 9, 3), (20, 1, 20, 2)]


def test_the_move_is_made_for_the_sheets_merge_reads(monkeypatch, tmp_path):
    seen: list[bytes] = []

    def spy(xml: bytes) -> bytes | None:
        out = merge_cells_first(xml)
        seen.append(out is not None)
        return out

    monkeypatch.setattr(readers, "merge_cells_first", spy)
    read_return(_merged_workbook(tmp_path / "merged.xlsx"))
    assert seen == [True, True]
