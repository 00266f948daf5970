"""The bundled sample returns (samples/returns/) hold what samples/make_returns.py promises.

Read with python-calamine only (no xltools.merge): the round-1 and final folders have exactly the
expected files and format mix, each stamped file carries its unit's code in ``_meta``, the final
returns add up to the seed speech's figures, and every planted fault sits at the address recorded
in samples/returns/expected.json.
"""

from __future__ import annotations

import importlib.util
import json
import re
import zipfile
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
RETURNS = SAMPLES / "returns"
EXPECTED = json.loads((RETURNS / "expected.json").read_text(encoding="utf-8"))
SHEETS = {"posts": "先锋岗登记表", "deeds": "办实事做好事登记表", "results": "工作成效表", "assessment": "年度考核表"}
HEADER_ROW = 3  # 1-based, the generated layout (xltools/stamp.py)


def grid(path: Path, sheet: str) -> list[list[object]]:
    """All cells of a sheet from A1 (calamine keeps leading empty rows/columns with
    skip_empty_area=False, so grid[r-1][c] is the real cell)."""
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def cell(rows: list[list[object]], address: str) -> object:
    m = re.fullmatch(r"([A-Z]+)(\d+)", address)
    assert m, address
    col = 0
    for ch in m[1]:
        col = col * 26 + ord(ch) - 64
    r = int(m[2]) - 1
    if r >= len(rows) or col - 1 >= len(rows[r]):
        return ""
    return rows[r][col - 1]


def as_text(value: object) -> str:
    """A cell value as the text a clerk typed: 25.0 → "25", "" for an empty cell."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def records(path: Path, form: str, header_row: int = HEADER_ROW) -> list[dict[str, object]]:
    """Data rows of a form sheet as {header label: value}, stopping at the first empty row."""
    rows = grid(path, SHEETS[form])
    header = [str(h) for h in rows[header_row - 1]]
    out = []
    for row in rows[header_row:]:
        if not any(v not in ("", None) for v in row):
            break
        out.append(dict(zip(header, row, strict=False)))
    return out


def files_of(rnd: str) -> list[dict]:
    return EXPECTED[rnd]["files"]


@pytest.fixture(scope="module")
def final_data() -> dict[str, dict[str, list[dict]]]:
    """form → unit code → rows, read from every final file."""
    data: dict[str, dict[str, list[dict]]] = {f: {} for f in SHEETS}
    for entry in files_of("final"):
        path = RETURNS / "final" / entry["file"]
        for form in SHEETS:
            data[form][entry["unit_code"]] = records(path, form)
    return data


def test_sample_data_holds_the_seed_figures():
    spec = importlib.util.spec_from_file_location("sample_data", SAMPLES / "sample_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.check()  # raises AssertionError on any broken rule
    assert len(module.POSTS) == 106


@pytest.mark.parametrize("rnd, count", [("round1", 46), ("final", 48)])
def test_folder_holds_exactly_the_expected_files(rnd, count):
    on_disk = sorted(p.name for p in (RETURNS / rnd).iterdir())
    assert on_disk == sorted(e["file"] for e in files_of(rnd))
    assert len(on_disk) == count


def test_round1_returned_and_missing_units():
    r1 = EXPECTED["round1"]
    units = Counter(e["unit_code"] for e in r1["files"])
    assert len(units) == 45 and sorted(units) == r1["returned"]
    assert r1["missing"] == ["D31", "D42", "D47"]
    assert not set(r1["missing"]) & set(units)
    assert {"D13", "D23"} <= set(units)
    assert [u for u, n in units.items() if n > 1] == [r1["superseded"]["unit_code"]]
    final_units = [e["unit_code"] for e in files_of("final")]
    assert len(final_units) == len(set(final_units)) == 48


@pytest.mark.parametrize("rnd", ["round1", "final"])
def test_format_mix(rnd):
    suffixes = Counter(Path(e["file"]).suffix for e in files_of(rnd))
    assert suffixes[".xls"] >= 5 and suffixes[".ods"] >= 5 and suffixes[".xlsx"] >= 30
    writers = Counter(e["written_by"] for e in files_of(rnd))
    assert 3 <= writers["openpyxl"] <= 6
    # The extension is what the bytes are: OLE2 for .xls, zip (ODF mimetype first) for .ods.
    for e in files_of(rnd):
        head = (RETURNS / rnd / e["file"]).read_bytes()[:100]
        if e["file"].endswith(".xls"):
            assert head.startswith(b"\xd0\xcf\x11\xe0"), e["file"]
        else:
            assert head.startswith(b"PK\x03\x04"), e["file"]
            assert (b"opendocument.spreadsheet" in head) == e["file"].endswith(".ods"), e["file"]


@pytest.mark.parametrize("rnd", ["round1", "final"])
def test_meta_unit_code_matches(rnd):
    pasted = EXPECTED["round1"]["pasted"]["file"] if rnd == "round1" else None
    for e in files_of(rnd):
        wb = CalamineWorkbook.from_path(str(RETURNS / rnd / e["file"]))
        if e["file"] == pasted:
            assert "_meta" not in wb.sheet_names
            continue
        meta = dict(wb.get_sheet_by_name("_meta").to_python())
        assert meta["unit_code"] == e["unit_code"], e["file"]
        assert meta["form_id"] == "pioneer_posts"
        visibility = {s.name: str(s.visible) for s in wb.sheets_metadata}
        assert "Hidden" in visibility["_meta"], e["file"]
        assert wb.sheet_names[0] == "填表说明"


def test_final_posts_add_up_to_the_seed_figures(final_data):
    posts = [r for rows in final_data["posts"].values() for r in rows]
    assert len(posts) == 106
    assert sum(r["是否窗口单位"] == "是" for r in posts) == 29
    assert sum(len(str(r["党员责任人"]).split("、")) for r in posts) == 109
    assert sum(int(r["参与党员人数"]) for r in posts) == 764
    assert sum(1 for rows in final_data["posts"].values() if rows) == 48
    assert all(isinstance(r["设岗日期"], (date, datetime)) for r in posts)
    assert all(r["是否设置标牌"] in ("是", "否") for r in posts)
    assert sum(r["是否设置标牌"] == "是" for r in posts) == EXPECTED["final"]["figures"]["signed_posts"]


def test_final_deeds_and_grades_match_expected_figures(final_data):
    figures = EXPECTED["final"]["figures"]
    deeds = [r for rows in final_data["deeds"].values() for r in rows]
    assert len(deeds) == figures["deeds_total"]
    assert sum(int(r["受益群众人数"] or 0) for r in deeds) == figures["beneficiaries"]
    amount = sum((Decimal(str(r["涉及金额（万元）"])) for r in deeds if r["涉及金额（万元）"] != ""), Decimal(0))
    assert amount == Decimal(str(figures["deeds_amount"]))
    assert sum(r["群众评价"] == "满意" for r in deeds) == figures["satisfied_deeds"]
    assert all(isinstance(r["日期"], (date, datetime)) for r in deeds)
    assert {r["事项类别"] for r in deeds} <= {"政策咨询", "办事服务", "维权帮扶", "矛盾调解", "志愿服务", "其他"}
    # every deed names a post its unit registered
    for unit, rows in final_data["deeds"].items():
        names = {p["先锋岗名称"] for p in final_data["posts"][unit]}
        assert {r["先锋岗名称"] for r in rows} <= names, unit
    grades = [r["考核等次"] for rows in final_data["assessment"].values() for r in rows]
    assert grades.count("优秀") == figures["excellent_posts"]


def test_labour_and_procuratorate_results(final_data):
    labour = {r["指标名称"]: r for r in final_data["results"]["D23"]}
    assert set(labour) == {"受理投诉举报案件", "涉及劳动者人数", "追回欠薪"}
    assert {k: (r["先锋岗名称"], r["本年值"], r["计量单位"]) for k, r in labour.items()} == {
        "受理投诉举报案件": ("维权党员先锋岗", 2103, "件"),
        "涉及劳动者人数": ("维权党员先锋岗", 9970, "人"),
        "追回欠薪": ("维权党员先锋岗", 491.3, "万元"),
    }
    (case,) = final_data["results"]["D13"]
    assert (case["先锋岗名称"], case["指标名称"], case["上年值"], case["本年值"], case["计量单位"]) == (
        "公诉科党员先锋岗", "人均办案数", 14.5, 33.9, "件")
    assert round((case["本年值"] - case["上年值"]) / case["上年值"] * 100, 1) == 133.8


def test_assessment_covers_every_post_and_ranks_a_clear_top_ten(final_data):
    bands = [(b["min_total"], b["grade"]) for b in EXPECTED["final"]["grade_bands"]]
    scores = ["为民意识强", "岗位能力强", "服务质量好", "模范作用好", "服务对象满意"]
    totals = []
    for unit, rows in final_data["assessment"].items():
        assert [r["先锋岗名称"] for r in rows] == [p["先锋岗名称"] for p in final_data["posts"][unit]], unit
        for r in rows:
            values = [int(r[s]) for s in scores]
            assert all(0 <= v <= 20 for v in values)
            total = sum(values)
            assert r["考核等次"] == next(g for low, g in bands if total >= low)
            assert r["总分"] in ("", total)  # typed by a few units, and then correctly
            totals.append((total, unit, r["先锋岗名称"]))
    totals.sort(key=lambda t: -t[0])
    assert len(totals) == 106
    head = [t[0] for t in totals[:20]]
    assert len(set(head[:10])) == 10 and head[9] > head[10] == head[11] > head[12]
    assert len(set(head)) == 19  # exactly one tie among the first twenty
    assert [(u, p) for _, u, p in totals[:10]] == [
        (t["unit_code"], t["post_name"]) for t in EXPECTED["final"]["top_ten"]]


@pytest.mark.parametrize("bad", EXPECTED["round1"]["bad_cells"], ids=lambda b: b["unit_code"])
def test_planted_bad_cell(bad):
    rows = grid(RETURNS / "round1" / bad["file"], bad["sheet"])
    assert as_text(rows[HEADER_ROW - 1][ord(bad["cell"][0]) - 65]) == bad["field"]
    assert as_text(cell(rows, bad["cell"])) == bad["raw"]
    # the unit's final file has the corrected value in the same cell
    final = next(e["file"] for e in files_of("final") if e["unit_code"] == bad["unit_code"])
    fixed = cell(grid(RETURNS / "final" / final, bad["sheet"]), bad["cell"])
    if isinstance(fixed, (date, datetime)):
        fixed = fixed.isoformat()[:10]
    assert fixed == bad["value"] and as_text(fixed) != bad["raw"]


def test_planted_bad_cells_are_one_per_unit_and_cover_both_levels():
    bad = EXPECTED["round1"]["bad_cells"]
    assert len({b["unit_code"] for b in bad}) == len(bad) == 6
    assert Counter(b["level"] for b in bad) == {"警告": 3, "错误": 3}
    assert {b["raw"] for b in bad} >= {"2005.3.5", "十二", "走访慰问", "", "25"}
    assert {Path(b["file"]).suffix for b in bad} == {".xlsx", ".xls", ".ods"}


def test_title_row_and_swapped_columns():
    tr = EXPECTED["round1"]["title_row"]
    rows = grid(RETURNS / "round1" / tr["file"], tr["sheet"])
    assert str(cell(rows, tr["title_cell"])).startswith("区环保局")
    header = [as_text(v) for v in rows[tr["header_row"] - 1]]
    assert header[1:3] == tr["swapped"][::-1]
    assert rows[tr["first_data_row"] - 1][1] in ("是", "否")  # 是否窗口单位 now in column B


def test_pasted_workbook_has_header_and_data_but_no_stamp():
    pa = EXPECTED["round1"]["pasted"]
    path = RETURNS / "round1" / pa["file"]
    wb = CalamineWorkbook.from_path(str(path))
    assert wb.sheet_names == ["Sheet1", "Sheet2", "Sheet3", "Sheet4"]
    with zipfile.ZipFile(path) as z:
        custom = z.read("docProps/custom.xml").decode() if "docProps/custom.xml" in z.namelist() else ""
    assert "xltools_" not in custom
    rows = wb.get_sheet_by_name(pa["sheets"]["先锋岗登记表"]).to_python(skip_empty_area=False)
    assert rows[0][:3] == ["先锋岗名称", "所在科室", "是否窗口单位"]
    assert not any("表单：" in as_text(v) for row in rows for v in row)
    final = next(e["file"] for e in files_of("final") if e["unit_code"] == pa["unit_code"])
    assert [r[0] for r in rows[1:]] == [p["先锋岗名称"] for p in records(RETURNS / "final" / final, "posts")]


def _saved_time(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        core = z.read("docProps/core.xml").decode()
    return re.search(r"<dcterms:modified[^>]*>([^<]+)<", core)[1]


def test_duplicate_copies_are_ordered_by_the_time_saved_inside():
    sup = EXPECTED["round1"]["superseded"]
    old, new = RETURNS / "round1" / sup["file"], RETURNS / "round1" / sup["superseded_by"]
    assert _saved_time(old) < _saved_time(new)
    assert as_text(cell(grid(old, sup["sheet"]), sup["cell"])) == str(sup["raw_in_superseded"])
    assert as_text(cell(grid(new, sup["sheet"]), sup["cell"])) == str(sup["value_in_current"])
    assert sup["superseded_by"].endswith("（修改稿）.xlsx")


def test_round1_equals_final_where_nothing_went_wrong():
    final = {e["unit_code"]: e["file"] for e in files_of("final")}
    unchanged = [e for e in files_of("round1") if e["kind"] in ("stamped", "corrected")]
    assert len(unchanged) == 45 - 8  # 6 bad-cell units, the title-row unit and the pasted one differ
    for e in unchanged:
        assert e["file"] == final[e["unit_code"]]
        assert (RETURNS / "round1" / e["file"]).read_bytes() == (RETURNS / "final" / e["file"]).read_bytes()


def test_committed_samples_stay_small():
    total = sum(p.stat().st_size for p in RETURNS.rglob("*") if p.is_file())
    assert total < 5_000_000


def test_readme_describes_every_round1_file_and_bad_cell():
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    chinese = readme.split("## English")[0]
    for e in files_of("round1"):
        assert f"`{e['file']}`" in chinese, e["file"]
    for b in EXPECTED["round1"]["bad_cells"]:
        line = next((ln for ln in chinese.splitlines() if f"`{b['file']}`" in ln and ln.startswith("|")), "")
        assert f"| {b['sheet']} | {b['cell']} |" in line and line.rstrip(" |").endswith(b["level"]), b["file"]
    for code in EXPECTED["round1"]["missing"]:
        assert code in chinese


@pytest.mark.parametrize("rnd", ["round1", "final"])
def test_time_saved_inside_each_zip_file_is_its_return_time(rnd):
    for e in files_of(rnd):
        path = RETURNS / rnd / e["file"]
        local = datetime.fromisoformat(e["saved"])  # Beijing time
        if e["file"].endswith(".xlsx"):
            utc = datetime.fromisoformat(_saved_time(path).replace("Z", ""))
            assert utc == local - timedelta(hours=8), e["file"]
        elif e["file"].endswith(".ods"):
            with zipfile.ZipFile(path) as z:
                meta = z.read("meta.xml").decode()
            assert re.search(r"<dc:date>([^<]+)<", meta)[1] == local.isoformat(), e["file"]
        if rnd == "round1":
            assert local <= datetime(2006, 1, 20, 23, 59)
