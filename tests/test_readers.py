"""xltools.readers: every return opened safely, cells at their real Excel coordinates.

Fixtures are built by tests/fixtures/returns/make_fixtures.py (committed, each named for the
fault it shows); the large ones (a million formatted rows) are built here in a temp folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import random
import re
import shutil
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from xltools.errors import ReturnReadError, XltoolsError
from xltools.readers import (
    CellError,
    Limits,
    ReturnWorkbook,
    SheetData,
    find_returns,
    is_skipped_file,
    read_return,
)

FIXTURES = Path(__file__).parent / "fixtures" / "returns"


def _load_builder():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


mf = _load_builder()


def fx(name: str) -> Path:
    path = FIXTURES / name
    assert path.exists(), f"missing fixture {name}: run tests/fixtures/returns/make_fixtures.py"
    return path


def refused(path: Path, limits: Limits = Limits()) -> ReturnReadError:  # noqa: B008
    with pytest.raises(ReturnReadError) as info:
        read_return(path, limits)
    err = info.value
    assert err.path == str(path)
    assert err.reason and err.advice
    assert "\n" not in str(err) and str(path) in str(err)
    return err


def only_sheet(wb: ReturnWorkbook) -> SheetData:
    assert len(wb.sheets) == 1
    return wb.sheets[0]


# ---------------------------------------------------------------------------------------------
# coordinates and values
# ---------------------------------------------------------------------------------------------


def test_header_at_c4_keeps_real_coordinates():
    sheet = only_sheet(read_return(fx("header-at-C4.xlsx")))
    assert sheet.name == "登记表" and sheet.state == "visible"
    assert sheet.rows[3] == [None, None, "序号", "单位名称", "人数"]
    assert sheet.rows[4] == [None, None, 1.0, "区委办", 12.0]
    assert sheet.rows[5] == [None, None, 2.0, "区财政局", 30.0]
    assert sheet.rows[:3] == [[None] * 5] * 3
    assert len(sheet.rows) == 6
    assert isinstance(sheet.rows[4][2], float)  # integral floats stay float


def test_hidden_rows_reported_and_their_values_kept():
    sheet = only_sheet(read_return(fx("hidden-rows.xlsx")))
    assert sheet.hidden_rows == frozenset({3, 5})
    assert [r[0] for r in sheet.rows] == [f"第{i}行" for i in range(1, 7)]
    assert sheet.rows[2] == ["第3行", 3.0]


def test_zero_height_sheet_hides_rows_without_a_row_element():
    sheet = only_sheet(read_return(fx("zero-height-default.xlsx")))
    assert sheet.rows == [["一"], ["二"], [None], ["四"]]
    assert sheet.hidden_rows == frozenset({3})


def test_formula_with_cached_zero():
    sheet = only_sheet(read_return(fx("formula-cached-zero.xlsx")))
    assert sheet.rows == [[None, 10.0], [None, 20.0], [None, 30.0], [None, 0.0]]
    assert sheet.formulas == {(4, 1): "=SUM(B1:B3)"}


def test_formula_without_cached_value_incl_shared_formula():
    sheet = only_sheet(read_return(fx("formula-no-cached-value.xlsx")))
    assert sheet.rows == [[2.0], [None], [None], [None]]
    assert sheet.formulas == {(2, 0): "=A1*2", (3, 0): "=A1+1", (4, 0): ""}


def test_error_values_become_cell_errors():
    sheet = only_sheet(read_return(fx("error-values.xlsx")))
    assert sheet.rows[0] == ["除零", "查无", "引用"]
    assert sheet.rows[1] == [CellError("#DIV/0!"), CellError("#N/A"), CellError("#REF!")]
    assert sheet.formulas == {(2, 0): "=1/0", (2, 1): "=NA()", (2, 2): "=#REF!+1"}
    assert str(sheet.rows[1][1]) == "#N/A"


def test_xlsm_with_vba_project_is_read_not_run():
    path = fx("macro-enabled.xlsm")
    with zipfile.ZipFile(path) as zf:
        assert "xl/vbaProject.bin" in zf.namelist()
    wb = read_return(path)
    assert wb.kind == "xlsm"
    assert only_sheet(wb).rows == [["名称", "数量"], ["宏文件", 7.0]]


def test_xlsb_values_errors_hidden_rows_and_formulas():
    wb = read_return(fx("binary-workbook.xlsb"))
    assert wb.kind == "xlsb"
    sheet = only_sheet(wb)
    assert sheet.name == "登记表"
    assert sheet.rows == [
        ["单位名称", "人数"],
        ["区委办", 12.0],
        ["隐藏行", CellError("#N/A")],
        ["除零", CellError("#DIV/0!")],
    ]
    assert sheet.hidden_rows == frozenset({3})
    assert sheet.formulas == {(4, 1): ""}


@pytest.mark.parametrize("name", ["csv-gbk.csv", "csv-utf8-bom.csv", "csv-utf8.csv"])
def test_csv_encodings_give_text_cells(name):
    wb = read_return(fx(name))
    assert wb.kind == "csv" and wb.properties == {}
    sheet = only_sheet(wb)
    assert sheet.name == Path(name).stem
    assert sheet.rows == [
        ["单位名称", "人数", "备注"],
        ["区委办", "12", " 前后有空格 "],  # no type guessing, no stripping
        ["区财政局", "30", None],
    ]


def test_csv_utf16_with_bom(tmp_path):
    path = tmp_path / "unicode.csv"
    path.write_bytes(mf.CSV_TEXT.encode("utf-16"))
    assert only_sheet(read_return(path)).rows[1] == ["区委办", "12", " 前后有空格 "]


def test_csv_with_binary_content_is_refused(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"a,b\x00\x01\x02" * 10)
    assert "CSV" in refused(path).reason


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "gb18030"])
def test_tab_separated_csv_reads_like_comma_separated(tmp_path, encoding):
    # Excel's "Unicode text" (UTF-16, tabs) and "Text (tab delimited)" saved under a .csv name
    comma = tmp_path / "comma.csv"
    comma.write_text("党员先锋岗登记表\n单位,人数,备注\n区委办,12,\"含,逗号\"\n", encoding="utf-8")
    tabbed = tmp_path / "tabbed.csv"
    tabbed.write_bytes("党员先锋岗登记表\n单位\t人数\t备注\n区委办\t12\t含,逗号\n".encode(encoding))
    expected = [["党员先锋岗登记表", None, None], ["单位", "人数", "备注"], ["区委办", "12", "含,逗号"]]
    assert only_sheet(read_return(comma)).rows == expected
    assert only_sheet(read_return(tabbed)).rows == expected


def test_comma_csv_with_tabs_inside_values_stays_comma_separated(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("单位,备注\n区委办,\"a\tb\"\n", encoding="utf-8")
    assert only_sheet(read_return(path)).rows == [["单位", "备注"], ["区委办", "a\tb"]]


def test_csv_ragged_rows_are_padded(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,c\n1\n\n", encoding="utf-8")
    assert only_sheet(read_return(path)).rows == [["a", "b", "c"], ["1", None, None]]


# ---------------------------------------------------------------------------------------------
# the same workbook through LibreOffice: .xlsx, .xls and .ods agree
# ---------------------------------------------------------------------------------------------

SAME_ROWS = [
    [None, "党员先锋岗登记表", None, None, None],
    [None, None, None, None, None],
    [None, "单位名称", "岗位数", "成立日期", "备注"],
    [None, "区委办", 3.0, dt.date(2024, 3, 5), "  前后空格  "],
    [None, "区财政局", 2.5, dt.date(2023, 12, 31), CellError("#DIV/0!")],
    [None, "隐藏行单位", 1.0, None, None],
]


def check_same_values(wb: ReturnWorkbook) -> None:
    assert [s.name for s in wb.sheets] == ["登记表", "_meta"]
    form, meta = wb.sheets
    assert form.rows == SAME_ROWS
    assert form.hidden_rows == frozenset({6})
    assert form.merged == [(1, 1, 1, 4)]
    assert set(form.formulas) == {(5, 4)}
    assert meta.state == "hidden" and meta.rows == [["form_id", "pioneer_posts"]]
    assert wb.properties["xltools_form_id"] == "pioneer_posts"


@pytest.mark.parametrize(
    "name, kind",
    [("same-values.xlsx", "xlsx"), ("same-values-lo.xls", "xls"), ("same-values-lo.ods", "ods"),
     ("xls-named-xlsx.xlsx", "xls")],
)
def test_same_workbook_in_every_format(name, kind):
    wb = read_return(fx(name))
    assert wb.kind == kind
    check_same_values(wb)


def test_formula_text_where_the_format_keeps_it():
    assert read_return(fx("same-values.xlsx")).sheets[0].formulas == {(5, 4): "=1/0"}
    assert read_return(fx("same-values-lo.ods")).sheets[0].formulas == {(5, 4): "=1/0"}
    assert read_return(fx("same-values-lo.xls")).sheets[0].formulas == {(5, 4): ""}


@pytest.mark.parametrize("fmt", ["xls", "ods", "xlsx"])
def test_libreoffice_round_trip_now(soffice, tmp_path, fmt):
    """Convert with the installed LibreOffice at test time (catches LibreOffice upgrades)."""
    out = soffice(fx("same-values.xlsx"), fmt, tmp_path / fmt)
    wb = read_return(out)
    assert wb.kind == fmt
    check_same_values(wb)


# ---------------------------------------------------------------------------------------------
# refusals
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, reason",
    [
        ("zero-byte.xlsx", "文件为空（0 字节）"),
        ("truncated-zip.xlsx", "文件已损坏（压缩包不完整）"),
        ("docx-renamed.xlsx", "不是电子表格（看起来是 Word 文档）"),
        ("pdf-renamed.xlsx", "不是电子表格（看起来是 PDF 文件）"),
        ("random-bytes.xlsx", "不是电子表格（无法识别的文件格式）"),
        ("text-renamed.xlsx", "不是电子表格（看起来是纯文本文件）"),
        ("html-disguised.xls", "不是电子表格（看起来是网页文件"),
        ("entity-bomb.xlsx", "含有 XML 实体声明，已拒绝（疑似 XML 炸弹）"),
        ("zip-bomb-lying-size.xlsx", "文件已损坏"),
        ("stray-cell-XFD1048576.xlsx", "工作表“Sheet1”的数据区域过大（A1:XFD1048576"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(name, reason):
    assert refused(fx(name)).reason.startswith(reason)


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "不是电子表格（看起来是图片）"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "不是电子表格（看起来是图片）"),
        (b"Rar!\x1a\x07\x00" + bytes(64), "不是电子表格（看起来是压缩包）"),
        ("{\\rtf1\\ansi 单位}".encode(), "不是电子表格（看起来是 RTF 文档）"),
        (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
         b"</Workbook>", "不是电子表格（是 Excel 2003 XML 表格）"),
        ("\ufeff单位名称\t人数\n".encode("utf-16-le"), "不是电子表格（看起来是纯文本文件）"),
    ],
)
def test_other_formats_are_named(tmp_path, content, reason):
    path = tmp_path / "报送.xlsx"
    path.write_bytes(content)
    assert refused(path).reason == reason


def test_stray_far_cell_names_the_cell_and_what_to_do():
    err = refused(fx("stray-cell-XFD1048576.xlsx"))
    assert "最远的内容在 XFD1048576" in err.reason
    assert "删除" in err.advice


def test_encrypted_ooxml_is_recognised_whatever_the_suffix(tmp_path, shared_dir):
    src = shared_dir / "corpus" / "calamine" / "pass_protected.xlsx"
    for suffix in (".xlsx", ".xlsm", ".xls", ".csv"):
        path = tmp_path / f"protected{suffix}"
        shutil.copyfile(src, path)
        err = refused(path)
        assert err.reason == "文件已加密"
        assert err.advice == "请取消密码保护后重新保存再报送"


@pytest.mark.parametrize(
    "cells",
    [
        '<c r="XFD1048576" x="/>"><v>1</v></c>',  # a ">" inside a value must not hide the cell
        "<c x=' r=\"B2\"' r=\"XFD1048576\"><v>1</v></c>",  # nor an r= inside another value
        '<c r="XFD1048576"\n\t><v>1</v></c>',
        '<x:c r="XFD1048576"><x:v>1</x:v></x:c>',
    ],
)
def test_far_cells_cannot_be_hidden_from_the_extent_check(tmp_path, cells):
    xml = mf._sheet(f'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">{cells}</row>')
    xml = xml.replace("<worksheet ", '<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ')
    path = tmp_path / "hidden-far-cell.xlsx"
    mf._zip(path, mf.minimal_xlsx_members(xml))
    assert "数据区域过大" in refused(path).reason


@pytest.mark.parametrize("ref", ["AAAA1", "A99999999", "A1 ", "1A"])
def test_cell_addresses_outside_the_grid_are_refused(tmp_path, ref):
    path = tmp_path / "bad-ref.xlsx"
    mf._zip(path, mf.minimal_xlsx_members(mf._sheet(f'<row r="1"><c r="{ref}"><v>1</v></c></row>')))
    assert "单元格地址无效" in refused(path).reason


def test_entity_bomb_is_refused_fast_in_bounded_memory(tmp_path):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        refused(fx("entity-bomb.xlsx"))
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 20 * 2**20


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_entity_declarations_in_utf16_parts_are_refused(tmp_path, encoding):
    bom = "\ufeff".encode(encoding)
    xml = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE t [<!ENTITY a "aaaa">]>'
           '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')
    members = mf.minimal_xlsx_members(mf._sheet('<row r="1"><c r="A1"><v>1</v></c></row>'))
    members["xl/sharedStrings.xml"] = bom + xml.encode(encoding)
    path = tmp_path / "utf16-bomb.xlsx"
    mf._zip(path, members)
    assert "XML 实体" in refused(path).reason


def test_zip_bomb_is_refused_by_the_uncompressed_cap():
    small = Limits(max_uncompressed_bytes=4 * 2**20)
    tracemalloc.start()
    try:
        err = refused(fx("zip-bomb.xlsx"), small)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.reason == "解压后超过 4 MB 上限，疑似压缩炸弹"
    assert peak < 4 * 2**20  # refused from the declared sizes, before inflating anything
    # under the default 1 GB cap the same file is an ordinary workbook
    assert only_sheet(read_return(fx("zip-bomb.xlsx"))).rows == [["正常内容"]]


def test_member_inflating_past_its_declared_size_is_refused():
    err = refused(fx("zip-bomb-lying-size.xlsx"), Limits(max_uncompressed_bytes=4 * 2**20))
    assert err.reason.startswith("文件已损坏")


def test_uncompressed_cap_applies_to_the_total_of_all_members(tmp_path):
    members = mf.minimal_xlsx_members(mf._sheet('<row r="1"><c r="A1"><v>1</v></c></row>'))
    members["xl/media/a.bin"] = bytes(3 * 2**20)  # each member under the cap, the total over it
    members["xl/media/b.bin"] = bytes(3 * 2**20)
    path = tmp_path / "two-members.xlsx"
    mf._zip(path, members)
    assert refused(path, Limits(max_uncompressed_bytes=5 * 2**20)).reason == "解压后超过 5 MB 上限，疑似压缩炸弹"
    assert read_return(path, Limits(max_uncompressed_bytes=7 * 2**20)).sheets[0].rows == [[1.0]]


def test_file_size_cap(tmp_path):
    err = refused(fx("header-at-C4.xlsx"), Limits(max_file_bytes=1024))
    assert err.reason.startswith("文件过大")


def test_zip_member_count_cap(tmp_path):
    members = mf.minimal_xlsx_members(mf._sheet('<row r="1"><c r="A1"><v>1</v></c></row>'))
    for i in range(30):
        members[f"customXml/item{i}.xml"] = b"<a/>"
    path = tmp_path / "many-members.xlsx"
    mf._zip(path, members)
    assert "压缩包内文件过多" in refused(path, Limits(max_zip_members=20)).reason
    assert read_return(path).sheets[0].rows == [[1.0]]


@pytest.mark.parametrize(
    "name", ["header-at-C4.xlsx", "same-values-lo.xls", "same-values-lo.ods", "binary-workbook.xlsb",
             "csv-gbk.csv"],
)
def test_row_and_cell_caps_name_the_sheet(name):
    wb = read_return(fx(name))
    sheet = wb.sheets[0]
    rows, cols = len(sheet.rows), len(sheet.rows[0])
    err = refused(fx(name), Limits(max_rows_per_sheet=rows - 1))
    assert "行上限" in err.reason
    err = refused(fx(name), Limits(max_cells_per_sheet=rows * cols - 1))
    assert "上限" in err.reason
    assert read_return(fx(name), Limits(max_rows_per_sheet=rows, max_cells_per_sheet=rows * cols))


def test_nonexistent_path_and_folder(tmp_path):
    err = refused(tmp_path / "nope.xlsx")
    assert err.reason == "文件不存在"
    err = refused(tmp_path)
    assert "文件夹" in err.reason


def test_ole_file_that_is_not_a_workbook(tmp_path, shared_dir):
    # A BIFF .xls whose Workbook stream was renamed: a compound file, but no workbook in it.
    data = bytearray(fx("same-values-lo.xls").read_bytes())
    name = "Workbook".encode("utf-16-le")
    pos = data.find(name)
    assert pos > 0
    data[pos:pos + len(name)] = "Notebook".encode("utf-16-le")
    path = tmp_path / "renamed-stream.xls"
    path.write_bytes(bytes(data))
    assert refused(path).reason == "不是电子表格（无法识别的复合文档）"


def test_xls_with_filepass_record_is_encrypted(tmp_path):
    # Turn the globals' INTERFACEHDR record (0x00E1, code page 1200) into FILEPASS (0x002F):
    # the record an "encrypt with password" .xls carries.
    data = bytearray(fx("same-values-lo.xls").read_bytes())
    pos = data.find(bytes.fromhex("e100 0200 b004"))
    assert pos > 0
    data[pos:pos + 2] = bytes.fromhex("2f00")
    assert data.find(bytes.fromhex("e100 0200 b004")) == -1
    path = tmp_path / "protected.xls"
    path.write_bytes(bytes(data))
    assert refused(path).reason == "文件已加密"


def test_zip_members_differing_only_in_case_are_refused(tmp_path):
    members = mf.minimal_xlsx_members(mf._sheet('<row r="1"><c r="A1"><v>1</v></c></row>'))
    members["xl/worksheets/Sheet1.xml"] = mf._sheet('<row r="9"><c r="XFD9"><v>1</v></c></row>').encode()
    path = tmp_path / "case-twins.xlsx"
    mf._zip(path, members)
    assert refused(path).reason == "文件已损坏（压缩包内有重名文件）"


def test_array_formula_marks_its_whole_range(tmp_path):
    body = ('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="array" ref="B1:B2">A1:A2*2</f>'
            '<v>2</v></c></row><row r="2"><c r="A2"><v>3</v></c><c r="B2"><v>6</v></c></row>')
    path = tmp_path / "array-formula.xlsx"
    mf._zip(path, mf.minimal_xlsx_members(mf._sheet(body)))
    sheet = only_sheet(read_return(path))
    assert sheet.rows == [[1.0, 2.0], [3.0, 6.0]]
    assert sheet.formulas == {(1, 1): "=A1:A2*2", (2, 1): ""}


def test_formula_text_is_unescaped(tmp_path):
    body = '<row r="1"><c r="A1" t="str"><f>IF(B1&gt;0,"&amp;","&lt;")</f><v>&amp;</v></c></row>'
    path = tmp_path / "escaped-formula.xlsx"
    mf._zip(path, mf.minimal_xlsx_members(mf._sheet(body)))
    sheet = only_sheet(read_return(path))
    assert sheet.rows == [["&"]]
    assert sheet.formulas == {(1, 0): '=IF(B1>0,"&","<")'}


def test_zip_of_returns_says_unzip(tmp_path):
    path = tmp_path / "全部报送.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(fx("header-at-C4.xlsx"), "区委办.xlsx")
    err = refused(path)
    assert err.reason == "不是电子表格（是压缩包）" and "解压" in err.advice


# ---------------------------------------------------------------------------------------------
# hostile mutations: never another exception, never a hang
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["header-at-C4.xlsx", "same-values-lo.xls", "same-values-lo.ods", "binary-workbook.xlsb"],
)
def test_mutated_and_truncated_files_read_or_raise_return_read_error(tmp_path, name):
    data = fx(name).read_bytes()
    rng = random.Random(name)
    variants = [data[:n] for n in sorted(rng.sample(range(1, len(data)), 40))]
    for _ in range(120):
        b = bytearray(data)
        for pos in rng.sample(range(len(b)), rng.randint(1, 4)):
            b[pos] = rng.randrange(256)
        variants.append(bytes(b))
    path = tmp_path / name
    start = time.perf_counter()
    outcomes = {"read": 0, "refused": 0}
    for v in variants:
        path.write_bytes(v)
        try:
            read_return(path)
            outcomes["read"] += 1
        except ReturnReadError as exc:
            assert exc.reason
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0
    assert time.perf_counter() - start < 30


# ---------------------------------------------------------------------------------------------
# speed: a million formatted-but-empty rows; a district's batch
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["row", "cell"])
def test_million_formatted_empty_rows_read_in_the_time_of_real_rows(tmp_path, style):
    path = tmp_path / f"million-{style}.xlsx"
    mf.million_formatted_rows(path, style)
    start = time.perf_counter()
    sheet = only_sheet(read_return(path))
    elapsed = time.perf_counter() - start
    assert sheet.rows == [["单位名称", "人数"], ["区委办", 12.0], ["区财政局", 30.0]]
    # ≈0.5 s (rows) / ≈1.1 s (cells) on a 2-core machine, most of it calamine parsing 42/84 MB
    # of XML; no Python work per empty row.
    assert elapsed < 5.0, f"{elapsed:.2f}s"


def _district_return(path: Path, unit: int) -> None:
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": dt.datetime(2024, 5, 1)})
    wb.set_custom_property("xltools_unit_code", f"D{unit:02d}")
    ws = wb.add_worksheet("党员先锋岗")
    ws.write_row("A1", ["党员先锋岗工作台账"])
    ws.write_row("A3", [f"字段{j}" for j in range(12)])
    for r in range(3, 43):
        ws.write_row(r, 0, [f"岗位{r}", r, 2.5, "是", dt.date(2024, 3, 5).isoformat()] + [f"内容{j}" for j in range(7)])
    ws.write_formula("B44", "=SUM(B4:B43)")
    meta = wb.add_worksheet("_meta")
    meta.write_row("A1", ["unit_code", f"D{unit:02d}"])
    meta.hide()
    wb.close()


def test_a_district_batch_of_48_returns_reads_quickly(tmp_path):
    paths = []
    for unit in range(48):
        path = tmp_path / f"D{unit:02d}.xlsx"
        _district_return(path, unit)
        paths.append(path)
    start = time.perf_counter()
    books = [read_return(p) for p in paths]
    elapsed = time.perf_counter() - start
    assert [b.properties["xltools_unit_code"] for b in books] == [f"D{u:02d}" for u in range(48)]
    assert all(len(b.sheets[0].rows) == 44 and b.sheets[0].formulas == {(44, 1): "=SUM(B4:B43)"}
               for b in books)
    assert elapsed < 1.0, f"{elapsed:.2f}s for 48 returns"


# ---------------------------------------------------------------------------------------------
# find_returns / is_skipped_file
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, skipped",
    [
        ("~$登记表.xlsx", True),
        (".~lock.登记表.xlsx#", True),
        ("Thumbs.db", True),
        ("thumbs.DB", True),
        (".DS_Store", True),
        ("desktop.ini", True),
        ("Desktop.INI", True),
        ("._登记表.xlsx", True),
        (".hidden.xlsx", True),
        ("登记表.xlsx", False),
        ("说明.txt", False),
        ("a~$b.xlsx", False),
    ],
)
def test_is_skipped_file(name, skipped):
    assert is_skipped_file(Path("/some/folder") / name) is skipped


def test_find_returns_walks_folders_and_sorts(tmp_path):
    files = [
        "区委办.xlsx", "区财政局.XLS", "sub/区人社局.ods", "sub/deeper/区民政局.csv", "sub/说明.txt",
        "~$区委办.xlsx", ".~lock.区委办.xlsx#", "Thumbs.db", "sub/.DS_Store", "sub/desktop.ini",
        ".git/config", "sub/._区人社局.ods", "宏.XLSM",
    ]
    for name in files:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    single = tmp_path.parent / f"{tmp_path.name}-single.xlsb"
    single.write_bytes(b"x")
    try:
        candidates, skipped = find_returns([tmp_path, str(tmp_path / "区委办.xlsx"), single])
    finally:
        single.unlink()
    assert candidates == sorted([
        tmp_path / "区委办.xlsx", tmp_path / "区财政局.XLS", tmp_path / "sub/区人社局.ods",
        tmp_path / "sub/deeper/区民政局.csv", tmp_path / "sub/说明.txt", tmp_path / "宏.XLSM", single,
    ])
    assert skipped == sorted([
        tmp_path / "~$区委办.xlsx", tmp_path / ".~lock.区委办.xlsx#", tmp_path / "Thumbs.db",
        tmp_path / "sub/.DS_Store", tmp_path / "sub/desktop.ini", tmp_path / ".git",
        tmp_path / "sub/._区人社局.ods",
    ])


def test_find_returns_explicit_lock_file_is_skipped(tmp_path):
    lock = tmp_path / "~$x.xlsx"
    lock.write_bytes(b"x")
    assert find_returns([lock]) == ([], [lock])


def test_find_returns_missing_path(tmp_path):
    with pytest.raises(ReturnReadError) as info:
        find_returns([tmp_path / "不存在的文件夹"])
    assert info.value.reason == "文件或文件夹不存在"
    assert isinstance(info.value, XltoolsError)


# ---------------------------------------------------------------------------------------------
# never modified; lookup
# ---------------------------------------------------------------------------------------------


def test_sources_are_byte_identical_after_reading():
    checked = 0
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix == ".py" or not path.is_file():
            continue
        before = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        try:
            read_return(path)
        except ReturnReadError:
            pass
        after = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        assert before == after, path.name
        checked += 1
    assert checked >= 25


def test_sheet_lookup_exact_then_case_and_space_insensitive(shared_dir):
    wb = read_return(shared_dir / "corpus" / "real-forms" / "department_budget_template.xlsx")
    name = "部门国有资本经营预算拨款表 "  # the trailing space is in the file
    assert wb.sheet(name).name == name
    assert wb.sheet("部门国有资本经营预算拨款表").name == name
    wb = read_return(fx("hidden-rows.xlsx"))
    assert wb.sheet("SHEET1") is wb.sheets[0]
    assert wb.sheet("Sheet2") is None


def _recorded_time_read_again(path: Path, kind: str) -> dt.datetime | None:
    """The reference: the file opened a second time, its core (xlsx) or meta (ods) properties
    searched for the last-saved time, read as UTC when it has no zone."""
    import re

    if kind not in ("xlsx", "xlsm", "ods"):
        return None
    member, tag = ("meta.xml", "dc:date") if kind == "ods" else ("docProps/core.xml", "dcterms:modified")
    with zipfile.ZipFile(path) as z:
        if member not in z.namelist():
            return None
        m = re.search(rf"<{tag}[^>]*>([^<]+)</{tag}>", z.read(member).decode("utf-8", "replace"))
    if m is None:
        return None
    try:
        t = dt.datetime.fromisoformat(m.group(1).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    t = t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)
    return t.astimezone(dt.timezone.utc).replace(microsecond=0)


def test_the_saved_time_read_with_the_package_is_the_one_read_from_the_file_again(tmp_path):
    # read_one takes the recorded last-saved time from the package it has read (saved_time)
    # instead of opening the file a second time: the same time for every kind of sample and
    # corpus file, None where none is recorded
    from xltools.identify import saved_time

    root = Path(__file__).resolve().parent.parent
    paths = sorted((root / "samples").rglob("*.*"))
    # a return whose core properties record no last-saved time (the corpus has some; this one
    # is here so the case is covered without ../shared too)
    sample = sorted((root / "samples" / "returns" / "final").glob("*.xlsx"))[0]
    unsaved = tmp_path / "无保存时间.xlsx"
    with zipfile.ZipFile(sample) as src, zipfile.ZipFile(unsaved, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>", b"", data)
                assert b"dcterms:modified" not in data
            dst.writestr(info, data)
    paths.append(unsaved)
    corpus = root.parent / "shared" / "corpus"
    if corpus.is_dir():
        paths += sorted(p for p in corpus.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm", ".ods", ".xls"))
    seen = {"with": 0, "without": 0, "xls": 0}
    import json

    beijing = dt.timezone(dt.timedelta(hours=8))
    manifest = json.loads((root / "samples" / "returns" / "expected.json").read_text(encoding="utf-8"))
    xls_saved = {(r, e["file"]): dt.datetime.fromisoformat(e["saved"]).replace(tzinfo=beijing).astimezone(dt.timezone.utc)
                 for r in ("round1", "final") for e in manifest[r]["files"] if e["file"].endswith(".xls")}
    assert len(xls_saved) >= 6
    for path in paths:
        if path.suffix.lower() not in (".xlsx", ".xlsm", ".ods", ".xls", ".csv"):
            continue
        try:
            book = read_return(path)
        except ReturnReadError:
            continue
        if book.kind == "xls":
            # the reference for an .xls: the sample's manifest (Beijing time), else a plausible time
            got = saved_time(book)
            if (path.parent.name, path.name) in xls_saved:
                assert got == xls_saved[(path.parent.name, path.name)], path
            assert got is None or dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc) <= got <= dt.datetime.now(dt.timezone.utc), path
            seen["xls"] += got is not None
            continue
        want = _recorded_time_read_again(path, book.kind)
        assert saved_time(book) == want, path
        seen["with" if want else "without"] += 1
    assert seen["with"] >= 50 and seen["without"] >= 1 and seen["xls"] >= 6, seen


def test_xls_last_saved_time_from_summary_information():
    # Excel, WPS and LibreOffice record an .xls's last-saved time in the OLE SummaryInformation
    # stream (a VT_FILETIME, UTC); the sample's D06 was saved 2006-01-17 15:39 Beijing time.
    from xltools.xls_scan import ole_last_saved

    sample = Path(__file__).resolve().parent.parent / "samples" / "returns" / "round1" / "D06_区委组织部_党员先锋岗工作台账.xls"
    assert read_return(sample).saved_record == "2006-01-17T07:39:00Z"
    assert ole_last_saved(b"") is None and ole_last_saved(b"\x00" * 400) is None

    def stream(pid: int, vt: int, ticks: int) -> bytes:
        # MS-OLEPS: 28-byte header, one FMTID/offset pair, a section of one property
        header = struct.pack("<HHI16sI", 0xFFFE, 0, 0x00020006, bytes(16), 1)
        section = struct.pack("<II", 8 + 8 + 12, 1) + struct.pack("<II", pid, 16) + struct.pack("<HHQ", vt, 0, ticks)
        return header + bytes.fromhex("e0859ff2f94f6810ab9108002b27b3d9") + struct.pack("<I", 48) + section

    ticks = (dt.datetime(2006, 1, 17, 7, 39) - dt.datetime(1601, 1, 1)) // dt.timedelta(microseconds=1) * 10
    assert ole_last_saved(stream(13, 0x40, ticks)) == "2006-01-17T07:39:00Z"
    assert ole_last_saved(stream(12, 0x40, ticks)) is None  # the creation time is not the save time
    assert ole_last_saved(stream(13, 0x40, 0)) is None  # a template's zero
    assert ole_last_saved(stream(13, 0x1E, ticks)) is None  # not a FILETIME
    assert ole_last_saved(stream(13, 0x40, ticks)[:70]) is None  # cut short: no crash

