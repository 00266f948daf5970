"""Every file of the shared conformance corpus (../shared/corpus/, all folders, all
extensions) goes through read_return: it either reads or is refused with a Chinese reason —
never another exception, never a crash, never a hang (each file in a worker process with an
enforced time bound).  A handful of files are then checked for known values.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import re
import time
from pathlib import Path

import pytest

from xltools.errors import ReturnReadError
from xltools.readers import CellError, read_return

TIME_BOUND = 10.0  # seconds per file, enforced from the parent process
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _read_summary(path: str) -> tuple[str, str, float]:
    """Run in a worker: ("read", kind + sheet count, seconds) or ("refused", reason, seconds),
    or ("other", exception text, seconds) for anything that is not a ReturnReadError."""
    start = time.perf_counter()
    try:
        wb = read_return(path)
        outcome = ("read", f"{wb.kind}:{len(wb.sheets)}")
    except ReturnReadError as exc:
        outcome = ("refused", exc.reason)
    except BaseException as exc:  # noqa: BLE001 - the point is to report it
        outcome = ("other", f"{type(exc).__name__}: {exc}")
    return outcome[0], outcome[1], time.perf_counter() - start


def corpus_files(shared_dir: Path) -> list[Path]:
    files = sorted(p for p in (shared_dir / "corpus").rglob("*") if p.is_file())
    assert len(files) >= 60, "the shared corpus is missing files"
    return files


def test_every_corpus_file_reads_or_is_refused(shared_dir):
    files = corpus_files(shared_dir)
    problems: list[str] = []
    outcomes: dict[str, tuple[str, str, float]] = {}
    # A fresh interpreter per pool: a crash or hang in one file cannot take the test run down.
    pool = multiprocessing.get_context("spawn").Pool(2)
    try:
        pending = {p: pool.apply_async(_read_summary, (str(p),)) for p in files}
        deadline_each = TIME_BOUND + 20  # + interpreter start-up of the spawned workers
        for path, job in pending.items():
            try:
                outcomes[path.name] = status, detail, seconds = job.get(timeout=deadline_each)
            except multiprocessing.TimeoutError:
                problems.append(f"{path}: no answer within {deadline_each:.0f}s (hang?)")
                continue
            if status == "other":
                problems.append(f"{path}: raised {detail}")
            elif status == "refused" and not _CJK.search(detail):
                problems.append(f"{path}: reason is not Chinese: {detail!r}")
            if seconds > TIME_BOUND:
                problems.append(f"{path}: took {seconds:.1f}s")
    finally:
        pool.terminate()
        pool.join()
    assert not problems, "\n".join(problems)
    # Each kind of file ends where it should.
    assert outcomes["README.md"][0] == "refused"
    assert all(outcomes[p.name][0] == "refused" for p in files if p.suffix == ".docx")
    assert outcomes["pass_protected.xlsx"][:2] == ("refused", "文件已加密")
    read = [p for p in files if outcomes[p.name][0] == "read"]
    assert {outcomes[p.name][1].split(":")[0] for p in read} == {"xlsx", "xls", "ods"}
    assert len(read) >= 45


def _sheet(path: Path, name: str | None = None):
    wb = read_return(path)
    return wb.sheet(name) if name else wb.sheets[0]


def test_header_row_on_row_9_stays_row_9(shared_dir):
    sheet = _sheet(shared_dir / "corpus" / "calamine" / "header-row.xlsx")
    assert sheet.rows[2] == [None, None, "Note 1", None]
    assert sheet.rows[8] == ["Columns", "Column A", "Column B", "Column C"]
    assert sheet.rows[9] == ["put data here", 1.0, 2.0, 3.0]
    assert all(v is None for row in sheet.rows[3:8] for v in row)


def test_errors_xlsx_error_codes(shared_dir):
    wb = read_return(shared_dir / "corpus" / "calamine" / "errors.xlsx")
    sheet = wb.sheet("Feuil1")
    assert [row[0] for row in sheet.rows] == [
        CellError(code) for code in ("#DIV/0!", "#NAME?", "#VALUE!", "#NULL!", "#REF!", "#NUM!", "#N/A")
    ]
    assert sheet.formulas[(1, 0)] == "=5/0"
    assert sheet.formulas[(7, 0)] == "=VLOOKUP(B1,B1,B1,3)"
    # its <row r="20" hidden="1"/> is beyond the last used row: nothing to report
    assert sheet.hidden_rows == frozenset()
    assert wb.sheet("Feuil2").rows == []


def test_password_protected_workbook_is_reported_encrypted(shared_dir):
    with pytest.raises(ReturnReadError) as info:
        read_return(shared_dir / "corpus" / "calamine" / "pass_protected.xlsx")
    assert info.value.reason == "文件已加密"
    assert "取消密码保护" in info.value.advice


def test_strict_open_xml_reads(shared_dir):
    sheet = _sheet(shared_dir / "corpus" / "calamine" / "strict_iso_paths.xlsx")
    assert sheet.name == "ml_out"
    assert len(sheet.rows) == 76 and len(sheet.rows[0]) == 18
    assert sheet.rows[0][:3] == ["Item", "Thickness", "Number Off Bends"]
    assert sheet.rows[1][:3] == ["150-031260-001_B", 1.5, 7.0]


@pytest.mark.parametrize("name", ["has_x000D_.xlsx", "has_x000D_inline.xlsx"])
def test_x000d_escape_decodes_to_carriage_return(shared_dir, name):
    assert _sheet(shared_dir / "corpus" / "calamine" / name).rows == [["ABC\r\nDEF"]]


def test_corrupted_copy_is_refused_and_the_original_reads(shared_dir):
    folder = shared_dir / "corpus" / "real-forms"
    with pytest.raises(ReturnReadError) as info:
        read_return(folder / "pms-39c28c4-招标意向征集登记表模板.xlsx")
    assert info.value.reason.startswith("文件已损坏")
    sheet = _sheet(folder / "招标意向征集登记表模板.xlsx")
    assert (1, 0, 1, 16) in sheet.merged and (2, 3, 2, 16) in sheet.merged
    assert sheet.rows[0][0].startswith("招标")


@pytest.mark.parametrize("name", ["date.xlsx", "date.xls", "date_1904.xlsx"])
def test_dates_are_dates_in_both_epochs(shared_dir, name):
    sheet = _sheet(shared_dir / "corpus" / "calamine" / name)
    assert sheet.rows == [
        [dt.date(2021, 1, 1), 15.0],
        [dt.date(2021, 1, 2), 16.0],
        [dt.timedelta(days=10, seconds=54610), 17.0],
    ]


def test_sheet_states_and_chart_sheet_left_out(shared_dir):
    wb = read_return(shared_dir / "corpus" / "calamine" / "any_sheets.xlsx")
    assert [(s.name, s.state) for s in wb.sheets] == [
        ("Visible", "visible"), ("Hidden", "hidden"), ("VeryHidden", "veryhidden"),
    ]


def test_merged_ranges_xlsx_and_ods(shared_dir):
    assert _sheet(shared_dir / "corpus" / "calamine" / "merge_cells.xlsx").merged == [
        (1, 0, 1, 1), (2, 0, 4, 0), (2, 1, 4, 3),
    ]
    covered = _sheet(shared_dir / "corpus" / "calamine" / "covered.ods")
    assert covered.rows == [["a1"], ["a2"], ["a3"]]
    assert covered.merged == [(2, 0, 3, 0)]


def test_cells_without_r_attributes_keep_positions(shared_dir):
    sheet = _sheet(shared_dir / "corpus" / "calamine" / "issue_261.xlsx")
    assert len(sheet.rows) == 66 and len(sheet.rows[0]) == 7
    assert sheet.rows[0][0] == "String Value 32"


def test_xls_and_xlsx_of_the_same_form_agree(shared_dir):
    folder = shared_dir / "corpus" / "real-forms"
    xls = read_return(folder / "演示：工资条模板.xls")
    xlsx = read_return(folder / "演示：工资条模板.xlsx")
    assert [s.name for s in xls.sheets] == [s.name for s in xlsx.sheets] == ["工资表", "工资条"]
    for a, b in zip(xls.sheets, xlsx.sheets):
        assert a.rows == b.rows
        assert a.hidden_rows == b.hidden_rows
    assert xls.sheet("工资条").hidden_rows == frozenset({1, 8})
    assert "正常\n工时" in [v for row in xls.sheets[0].rows for v in row]


def test_phantom_extent_and_long_digit_strings(shared_dir):
    sheet = _sheet(shared_dir / "corpus" / "real-forms" / "read_row_npe.xlsx")
    assert sheet.rows == [["Test Data"], ["20220331215854083057"], ["20220331220030430799"],
                          ["20220331220644309468"]]


def test_wps_custom_properties_and_trailing_space_sheet_name(shared_dir):
    wb = read_return(shared_dir / "corpus" / "real-forms" / "budget_template.xls")
    assert wb.kind == "xls"
    assert wb.properties["KSOProductBuildVer"] == "2052-12.1.0.24657"
    assert "单位国有资本经营预算拨款表 " in [s.name for s in wb.sheets]
