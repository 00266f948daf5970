"""The roster (填报单位名单): xlsx and csv in the encodings Chinese offices produce, header
aliases, title rows, and refusals naming the row."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from xltools.errors import RosterError
from xltools.roster import Roster, Unit, load_roster

ROWS = [
    ["单位代码", "单位名称", "联系人", "联系电话"],
    ["D01", "区委办", "王晓燕", "0571-88001234"],
    ["D02", "区人大办", "李建国", "0571-88001235"],
    ["D03", "区政府办", "", ""],
]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write_number(r, c, value)
    wb.close()
    return path


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    text = "\r\n".join(",".join(row) for row in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def expected_units() -> tuple[Unit, ...]:
    return (
        Unit("D01", "区委办", "王晓燕", "0571-88001234"),
        Unit("D02", "区人大办", "李建国", "0571-88001235"),
        Unit("D03", "区政府办", "", ""),
    )


def test_sample_roster(roster_path):
    roster = load_roster(roster_path)
    assert isinstance(roster, Roster)
    assert len(roster) == 48
    assert roster.units[0].code == "D01" and roster.units[0].name == "区委办"
    assert roster.units[-1].code == "D48" and roster.units[-1].name == "区科协"
    assert len({u.code for u in roster}) == 48 and len({u.name for u in roster}) == 48
    assert all(u.contact and u.phone.startswith("0571-") for u in roster)
    assert roster.source == str(roster_path)


def test_xlsx(tmp_path):
    roster = load_roster(write_xlsx(tmp_path / "名单.xlsx", ROWS))
    assert roster.units == expected_units()
    assert roster.by_code("D02").name == "区人大办"
    assert roster.by_code("D99") is None
    assert roster.index("D03") == 2 and roster.index("D99") == 3
    assert [u.code for u in roster] == ["D01", "D02", "D03"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings(tmp_path, encoding):
    roster = load_roster(write_csv(tmp_path / "名单.csv", ROWS, encoding))
    assert roster.units == expected_units()


def test_csv_with_quoted_comma_in_a_name(tmp_path):
    p = tmp_path / "名单.csv"
    p.write_text('单位代码,单位名称\nD01,"区委办,区政府办联合组"\n', encoding="utf-8")
    assert load_roster(p).units == (Unit("D01", "区委办,区政府办联合组"),)


@pytest.mark.parametrize(
    "header",
    [
        ["代码", "单位", "填报人", "电话"],
        ["单位编码", "部门名称", "联系人姓名", "手机"],
        ["编号", "部门", "联系人", "联系方式"],
        ["编码", "填报单位", "联系人", "联系电话"],
        ["code", "name", "contact", "phone"],
        ["单位代码：", "单位 名称", "联系人", "联系电话"],  # trailing colon, stray space
        ["*单位代码", "*单位名称", "联系人", "联系电话"],  # required-markers
        ["单位代码", "单位名称\n", "联系人", "联系电话"],  # a line break in the header cell
    ],
)
def test_header_aliases(tmp_path, header):
    rows = [header, *ROWS[1:]]
    assert load_roster(write_xlsx(tmp_path / "名单.xlsx", rows)).units == expected_units()


def test_columns_in_any_order_and_extra_columns(tmp_path):
    rows = [["序号", "联系电话", "单位名称", "备注", "单位代码"],
            [1, "0571-1", "区委办", "", "D01"], [2, "", "区人大办", "新增", "D02"]]
    roster = load_roster(write_xlsx(tmp_path / "名单.xlsx", rows))
    assert roster.units == (Unit("D01", "区委办", "", "0571-1"), Unit("D02", "区人大办"))


def test_title_rows_above_the_header(tmp_path):
    rows = [["区直机关党员先锋岗填报单位名单"], [], ["（2006年3月）"], *ROWS]
    assert load_roster(write_xlsx(tmp_path / "名单.xlsx", rows)).units == expected_units()
    p = write_csv(tmp_path / "名单.csv", [["区直机关填报单位名单", "", ""], *ROWS], "gbk")
    assert load_roster(p).units == expected_units()


def test_blank_rows_are_skipped_and_whitespace_tidied(tmp_path):
    rows = [ROWS[0], ["D01", " 区委办 ", "王 晓燕", ""], ["", "", "", ""], [], ["D02", "区人大办", "", ""]]
    roster = load_roster(write_xlsx(tmp_path / "名单.xlsx", rows))
    assert roster.units == (Unit("D01", "区委办", "王 晓燕"), Unit("D02", "区人大办"))


def test_codes_typed_as_numbers(tmp_path):
    rows = [["单位代码", "单位名称"], [1.0, "区委办"], [2, "区人大办"], [12.5, "区政府办"], [1001, "区纪委"]]
    roster = load_roster(write_xlsx(tmp_path / "名单.xlsx", rows))
    assert [u.code for u in roster] == ["1", "2", "12.5", "1001"]


def test_duplicate_code_names_both_rows(tmp_path):
    rows = [*ROWS, ["D02", "区政协办", "", ""]]
    with pytest.raises(RosterError) as info:
        load_roster(write_xlsx(tmp_path / "名单.xlsx", rows))
    msg = str(info.value)
    assert "名单.xlsx" in msg
    assert "第 5 行单位代码 D02 与第 3 行重复" in msg


def test_number_and_text_code_clash(tmp_path):
    rows = [["单位代码", "单位名称"], [1, "区委办"], ["1", "区人大办"]]
    with pytest.raises(RosterError, match="第 3 行单位代码 1 与第 2 行重复"):
        load_roster(write_xlsx(tmp_path / "名单.xlsx", rows))


def test_blank_name_names_the_row_and_code(tmp_path):
    rows = [*ROWS[:2], ["D02", "", "李建国", ""]]
    with pytest.raises(RosterError, match=r"第 3 行（单位代码 D02）单位名称为空"):
        load_roster(write_xlsx(tmp_path / "名单.xlsx", rows))


def test_blank_code_names_the_row(tmp_path):
    rows = [["名单"], *ROWS[:2], ["", "区人大办", "李建国", ""]]
    with pytest.raises(RosterError, match="第 4 行单位代码为空"):
        load_roster(write_xlsx(tmp_path / "名单.xlsx", rows))


def test_all_row_problems_reported_at_once(tmp_path):
    rows = [ROWS[0], ["D01", "区委办"], ["", "区人大办"], ["D03", ""], ["D01", "区政协办"]]
    with pytest.raises(RosterError) as info:
        load_roster(write_xlsx(tmp_path / "名单.xlsx", rows))
    msg = str(info.value)
    assert "第 3 行单位代码为空" in msg
    assert "第 4 行（单位代码 D03）单位名称为空" in msg
    assert "第 5 行单位代码 D01 与第 2 行重复" in msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    "header", [["单位名称", "联系人"], ["单位代码", "联系人"], ["单位代码", "单位名称（全称）"], ["甲", "乙"]]
)
def test_missing_column(tmp_path, header):
    p = write_xlsx(tmp_path / "名单.xlsx", [header, ["D01", "区委办"]])
    with pytest.raises(RosterError) as info:
        load_roster(p)
    assert str(p) in str(info.value)
    assert "单位代码" in str(info.value) and "单位名称" in str(info.value)


def test_header_only(tmp_path):
    with pytest.raises(RosterError, match="没有任何单位"):
        load_roster(write_csv(tmp_path / "名单.csv", [ROWS[0]], "utf-8"))


def test_missing_file(tmp_path):
    with pytest.raises(RosterError) as info:
        load_roster(tmp_path / "没有这个名单.xlsx")
    assert "没有这个名单.xlsx" in str(info.value) and "不存在" in str(info.value)


def test_unsupported_format(tmp_path):
    p = tmp_path / "名单.docx"
    p.write_bytes(b"PK\x03\x04")
    with pytest.raises(RosterError, match=r"不支持的名单格式 \.docx"):
        load_roster(p)


def test_corrupt_xlsx(tmp_path):
    p = tmp_path / "坏的.xlsx"
    p.write_bytes(b"this is not a workbook")
    with pytest.raises(RosterError) as info:
        load_roster(p)
    assert "坏的.xlsx" in str(info.value) and "无法读取" in str(info.value)


@pytest.mark.parametrize("second", [["d01", "区人大办"], ["Ｄ０１", "区人大办"], ["D02", "区委办"], ["D02", "区委办 "]])
def test_codes_and_names_equal_after_normalising_are_duplicates(tmp_path, second):
    path = write_csv(tmp_path / "r.csv", [["单位代码", "单位名称"], ["D01", "区委办"], second], "utf-8")
    with pytest.raises(RosterError, match="第 3 行"):
        load_roster(path)
