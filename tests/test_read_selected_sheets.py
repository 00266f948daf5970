"""Issue 7: reading only some sheets of a workbook — ``read_return(..., sheets=...)``,
``read_consolidated(path, forms)`` and ``xltools report`` reading only the forms its templates
reach.  What is read must be exactly what a whole read gives; what is left out must never be
parsed or held; the zip's own checks must still cover every member."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from packages import relationships, sheet_list, workbook_xml, xlsx_package

import xltools.readers as readers
from xltools.cli import cli
from xltools.consolidated import DATA_SHEET, read_consolidated, write_consolidated
from xltools.errors import ReturnReadError
from xltools.merge import merge
from xltools.readers import Limits, read_return
from xltools.report import BUNDLED_TEMPLATES, forms_used, report

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "returns"
RETURN = sorted((ROOT / "samples" / "returns" / "round1").glob("*.xlsx"))[0]
DAY = dt.date(2024, 12, 31)


def _sheet_facts(s):
    return (s.name, s.state, s.rows, s.formulas, s.hidden_rows, s.merged)


# --------------------------------------------------------------------------- read_return


def test_only_the_named_sheets_are_delivered_equal_to_a_whole_read():
    whole = read_return(RETURN)
    names = [s.name for s in whole.sheets]
    assert len(names) >= 5
    for pick in ([names[1]], [names[3], names[1]], names, []):
        part = read_return(RETURN, sheets=pick)
        assert [s.name for s in part.sheets] == [n for n in names if n in pick]  # workbook order
        assert [_sheet_facts(s) for s in part.sheets] == [_sheet_facts(whole.sheet(n)) for n in names if n in pick]
        assert part.properties == whole.properties and part.kind == whole.kind


def test_sheet_names_match_as_the_workbook_lookup_does():
    name = read_return(RETURN).sheets[1].name
    assert [s.name for s in read_return(RETURN, sheets=[f"  {name.upper()} "]).sheets] == [name]
    assert read_return(RETURN, sheets=["没有这个工作表"]).sheets == []


@pytest.mark.parametrize("name", ["same-values.xlsx", "same-values-lo.ods", "same-values-lo.xls",
                                  "binary-workbook.xlsb", "csv-utf8.csv"])
def test_every_format_filters_to_the_same_sheets(name):
    whole = read_return(FIXTURES / name)
    first = whole.sheets[0].name
    part = read_return(FIXTURES / name, sheets=[first])
    assert [_sheet_facts(s) for s in part.sheets] == [_sheet_facts(whole.sheets[0])]


def _workbook_with_bad_second_sheet(tmp_path: Path, bad_xml: bytes) -> Path:
    """A copy of a sample return whose second worksheet part is replaced by ``bad_xml``."""
    out = tmp_path / "bad-second-sheet.xlsx"
    with zipfile.ZipFile(RETURN) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        parts = sorted(n for n in src.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, bad_xml if info.filename == parts[1] else data)
    return out


def test_a_sheet_left_out_is_still_checked_as_part_of_the_zip(tmp_path):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')
    path = _workbook_with_bad_second_sheet(tmp_path, bomb)
    first = read_return(RETURN).sheets[0].name
    with pytest.raises(ReturnReadError, match="XML"):
        read_return(path, sheets=[first])


def test_a_sheet_left_out_is_neither_measured_nor_parsed(tmp_path):
    # A stray cell at XFD1048576 in the sheet left out: a whole read refuses the file (the extent
    # check), a read of the other sheets never looks at it.
    far = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
           b'spreadsheetml/2006/main"><sheetData><row r="1048576"><c r="XFD1048576" t="inlineStr">'
           b'<is><t>x</t></is></c></row></sheetData></worksheet>')
    path = _workbook_with_bad_second_sheet(tmp_path, far)
    with pytest.raises(ReturnReadError):
        read_return(path)
    whole = read_return(RETURN)
    first = whole.sheets[0].name
    assert [_sheet_facts(s) for s in read_return(path, sheets=[first]).sheets] == [_sheet_facts(whole.sheets[0])]


def test_worksheet_xml_left_out_is_not_held():
    data = RETURN.read_bytes()
    lazy = readers._Package(data, Limits(), lazy_sheets=True)
    eager = readers._Package(data, Limits())
    sheets = [n for n in eager.members if "/worksheets/" in n and n.endswith(".xml")]
    assert sheets and not any(n in lazy.members for n in sheets)
    assert all(lazy.get(n) == eager.members[n] for n in sheets)  # decompressed again on demand
    assert sorted(lazy.kept()) == sorted(eager.members)


# --------------------------------------------------------------------------- read_consolidated


@pytest.fixture(scope="module")
def consolidated(kit, roster, tmp_path_factory) -> Path:
    with merge(kit, roster, [ROOT / "samples" / "returns" / "round1"], jobs=1) as cons:
        return write_consolidated(cons, tmp_path_factory.mktemp("cons") / "汇总表.xlsx")


def test_read_consolidated_reads_only_the_forms_asked_for(consolidated, kit, sheets_read):
    whole = read_consolidated(consolidated)
    assert set(whole["forms"]) == {f.name for f in kit.forms}
    asked = sheets_read
    asked.clear()
    part = read_consolidated(consolidated, forms={"assessment", "posts"})
    assert set(part["forms"]) == {"assessment", "posts"}
    for name in part["forms"]:
        assert part["forms"][name] == whole["forms"][name] and part["forms"][name]
    assert {k: v for k, v in part.items() if k != "forms"} == {k: v for k, v in whole.items() if k != "forms"}
    sheets = {f.name: f.sheet for f in kit.forms}
    assert asked == [[DATA_SHEET], sorted([sheets["assessment"], sheets["posts"]])]
    asked.clear()
    none = read_consolidated(consolidated, forms=())
    assert none["forms"] == {} and asked == [[DATA_SHEET]]
    assert none["figures"] == whole["figures"]


# --------------------------------------------------------------------------- report


def test_forms_used_by_the_bundled_templates():
    """What is read in the first pass: top10's two forms, the posts posts_by_unit groups, and
    the forms the tags name (forms.get('results'), p.deeds …); whatever else a template reaches
    is read when it reaches it (test_report_lazy_rows.py)."""
    assert set(BUNDLED_TEMPLATES) == {"work_report", "commendation", "deeds_compilation"}
    assert forms_used(["commendation"]) == {"assessment", "posts"}
    joined = {"posts", "deeds", "results", "stories"}  # the compilation never uses p.assessment
    assert forms_used(["deeds_compilation"]) == joined
    assert forms_used(["work_report"]) == {"posts", "results"}  # `'results' in forms` names none
    assert forms_used(["commendation"], extra={"top10": []}) == set()  # a tally's top ten
    assert forms_used(["commendation", "deeds_compilation"]) == joined | {"assessment"}
    assert forms_used(["deeds_compilation"], extra={"forms": {"posts": []}}) == set()


def _document_text(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("word/document.xml").decode("utf-8")


def test_report_reads_only_what_its_templates_reach_and_writes_the_same(consolidated, kit, tmp_path, sheets_read):
    full = read_consolidated(consolidated)  # every form, as before issue 7's change
    want = {t: _document_text(report([t], full, tmp_path / f"full-{t}.docx", date=DAY)[0])
            for t in BUNDLED_TEMPLATES}
    sheets = {f.name: f.sheet for f in kit.forms}
    asked = sheets_read
    asked.clear()
    got = _document_text(report(["commendation"], consolidated, tmp_path / "c.docx", date=DAY)[0])
    assert got == want["commendation"] and "先锋岗" in got
    assert asked == [[DATA_SHEET], sorted([sheets["assessment"], sheets["posts"]])]
    asked.clear()
    # the work report lists each post's results: the deeds (most of a round's rows) stay unread
    got = _document_text(report(["work_report"], consolidated, tmp_path / "w.docx", date=DAY)[0])
    assert got == want["work_report"]
    assert asked == [[DATA_SHEET], sorted([sheets["posts"], sheets["results"]])]
    asked.clear()
    # the compilation reaches a post's deeds, results and story, not its assessment
    got = _document_text(report(["deeds_compilation"], consolidated, tmp_path / "d.docx", date=DAY)[0])
    assert got == want["deeds_compilation"]
    assert asked == [[DATA_SHEET], sorted(sheets[f] for f in ("posts", "deeds", "results", "stories"))]


def test_cli_report_of_the_commendation_reads_two_form_sheets(consolidated, tmp_path, sheets_read):
    asked = sheets_read
    asked.clear()
    out = tmp_path / "表彰.docx"
    result = CliRunner().invoke(cli, ["report", "commendation", "--data", str(consolidated), "--out", str(out),
                                      "--date", "2024-12-31"])
    assert result.exit_code == 0, result.output
    assert out.is_file() and len(asked) == 2 and len(asked[1]) == 2
    listed = CliRunner().invoke(cli, ["report", "commendation", "--list-vars", "--data", str(consolidated)])
    assert listed.exit_code == 0 and "✓ top10" in listed.output and "✗" not in listed.output


# --------------------------------------------------------------------------- hostile resolution
# Found by a hostile review: where our sheet-name → part resolution and calamine's differ, a
# sheet left out unmeasured could be the part calamine loads for a wanted sheet — with a far cell
# there, calamine allocates the dense grid and aborts the process.  Such files are measured whole.

_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')


def _sheet_xml(far: str) -> str:
    row = int(re.sub(r"[A-Z]", "", far))
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><sheetData>'
            f'<row r="1"><c r="A1" t="inlineStr"><is><t>甲</t></is></c></row>'
            + (f'<row r="{row}"><c r="{far}" t="inlineStr"><is><t>x</t></is></c></row>' if row > 1 else "")
            + "</sheetData></worksheet>")


def _hostile_book(path: Path, sheets: str, rels: list[tuple[str, str]], office_doc: str = "xl/workbook.xml",
                  extra_workbook: str | None = None, far: str = "A500") -> Path:
    parts = {"xl/worksheets/ok.xml": _sheet_xml("A1"), "xl/worksheets/bad.xml": _sheet_xml(far)}
    if extra_workbook is not None:  # what calamine reads whatever _rels/.rels says
        parts = {"xl/workbook.xml": workbook_xml(extra_workbook),
                 "xl/_rels/workbook.xml.rels": relationships(*((i, "worksheet", t) for i, t in rels)), **parts}
    return xlsx_package(path, sheets, dict(rels), parts, office_document=office_doc)


HOSTILE = {
    # an unprefixed id="rId2" before r:id: we took the first (ok.xml), calamine reads r:id (bad.xml)
    "id_attribute": dict(sheets='<sheet name="W" sheetId="1" id="rId2" r:id="rId1"/><sheet name="U" sheetId="2" r:id="rId1"/>',
                         rels=[("rId1", "worksheets/bad.xml"), ("rId2", "worksheets/ok.xml")]),
    # _rels/.rels names another workbook part; calamine reads xl/workbook.xml, where W is bad.xml
    "workbook_part": dict(sheets='<sheet name="W" sheetId="1" r:id="rId2"/><sheet name="U" sheetId="2" r:id="rId1"/>',
                          rels=[("rId1", "worksheets/bad.xml"), ("rId2", "worksheets/ok.xml")],
                          office_doc="xl/wb2.xml",
                          extra_workbook='<sheet name="W" sheetId="1" r:id="rId1"/>'),
    # a literal tab becomes a space in our parse, stays a tab in calamine's
    "tab_in_name": dict(sheets='<sheet name="P\tQ" sheetId="1" r:id="rId1"/><sheet name="P&#9;Q" sheetId="2" r:id="rId2"/>',
                        rels=[("rId1", "worksheets/bad.xml"), ("rId2", "worksheets/ok.xml")]),
}
WANT = {"id_attribute": "W", "workbook_part": "W", "tab_in_name": "P\tQ"}
#: Since the twelfth round a <sheet> with two id attributes, or two names calamine reads as one
#: (a tab written literally and as &#9;), is refused as it is listed
#: (readers._check_sheet_list), whole read or selective.
REFUSED_AS_LISTED = {"id_attribute": "关系标识不止一个", "tab_in_name": "同名的工作表"}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_an_ambiguous_workbook_is_measured_whole(case, tmp_path, monkeypatch):
    path = _hostile_book(tmp_path / f"{case}.xlsx", **HOSTILE[case])
    small = Limits(max_rows_per_sheet=100)
    with pytest.raises(ReturnReadError) as whole:
        read_return(path, small)
    scanned: list[str] = []
    real = readers._scan_xlsx_sheet
    monkeypatch.setattr(readers, "_scan_xlsx_sheet", lambda xml, part: scanned.append(part) or real(xml, part))
    with pytest.raises(ReturnReadError) as part:
        read_return(path, small, sheets=[WANT[case]])
    assert part.value.reason == whole.value.reason
    if case in REFUSED_AS_LISTED:  # refused from the sheet list alone, before any part is read
        assert REFUSED_AS_LISTED[case] in part.value.reason and scanned == []
    else:
        assert "xl/worksheets/bad.xml" in scanned  # measured by us, before calamine saw it


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_an_ambiguous_workbook_with_a_far_cell_is_refused_not_a_crash(case, tmp_path):
    path = _hostile_book(tmp_path / f"{case}.xlsx", far="XFD1048576", **HOSTILE[case])
    code = ("import sys; from xltools.readers import read_return, ReturnReadError\n"
            "try:\n    read_return(sys.argv[1], sheets=[sys.argv[2]])\nexcept ReturnReadError as e:\n"
            "    print('refused', e.reason)\n")
    run = subprocess.run([sys.executable, "-c", code, str(path), WANT[case]], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and run.stdout.startswith("refused"), (run.returncode, run.stderr[-300:])
    assert REFUSED_AS_LISTED.get(case, "XFD1048576") in run.stdout


def test_sheets_must_be_names():
    with pytest.raises(TypeError):
        read_return(RETURN, sheets="先锋岗登记表")  # a string, not a collection of names
    with pytest.raises(TypeError):
        read_return(RETURN, sheets=[None])


def test_a_workbook_calamine_finds_in_another_folder_leaves_no_part_unmeasured(monkeypatch, tmp_path):
    # A hostile review (issue 7, twelfth round): calamine follows _rels/.rels to the last office
    # document even when it names no part, and reads that folder's workbook, whose sheet "A" is
    # the part a selective read of A left unmeasured.  Such a package is now measured whole.
    path = xlsx_package(tmp_path / "folders.xlsx", sheet_list([("A", "rId1"), ("B", "rId2")]),
                        {"rId1": "worksheets/sheet1.xml", "rId2": "worksheets/sheet2.xml"}, {
        "_rels/.rels": relationships(("rId1", "officeDocument", "xl/worksheets/none.xml")),
        "xl/worksheets/sheet1.xml": '<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>',
        "xl/worksheets/sheet2.xml": '<worksheet><sheetData><row r="900"><c r="Z900"><v>1</v></c></row>'
                                    '</sheetData></worksheet>',
        "xl/worksheets/workbook.xml": workbook_xml(sheet_list([("A", "rId1")])),
        "xl/worksheets/_rels/workbook.xml.rels": relationships(("rId1", "worksheet", "sheet2.xml")),
    })
    scanned: list[str] = []
    scan = readers._scan_xlsx_sheet
    monkeypatch.setattr(readers, "_scan_xlsx_sheet", lambda xml, part: (scanned.append(part), scan(xml, part))[1])
    read_return(path, sheets=["A"])
    assert "xl/worksheets/sheet2.xml" in scanned
