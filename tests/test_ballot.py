"""xltools.ballot: anonymous “十佳” ballots issued from the consolidated workbook of the bundled
sample returns, filled by script the ways voters do (and misdo), counted, and checked against
counts computed here from the marks set."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import xltools.commands.ballot  # noqa: F401  (registers the commands until commands/__init__ does)
from xltools.ballot import (
    BLANK,
    INVALID,
    VALID,
    Candidate,
    ballot,
    ballot_definition,
    candidates_fingerprint,
    load_candidates,
    mark_of,
    tally,
    write_tally,
)
from xltools.cli import cli
from xltools.consolidated import read_consolidated, write_consolidated
from xltools.errors import DataError, OutputError, ReturnReadError, XltoolsError
from xltools.forms import load_form_definition
from xltools.generate import generate_workbook
from xltools.merge import merge
from xltools.report import render_template, report_context, top_ten
from xltools.roster import Roster, Unit, load_roster

ROOT = Path(__file__).resolve().parent.parent
FINAL = ROOT / "samples" / "returns" / "final"
SHEET = "推荐表"
FIRST = 4  # first candidate row

# Votes wanted per candidate (序号 → votes) over the 16 valid ballots: a tie (5, 5) across the
# tenth place; 93.75, 81.25, 68.75, 56.25, 43.75, 31.25 % test ROUND_HALF_UP.
TARGETS = {5: 15, 12: 14, 1: 13, 40: 12, 77: 11, 3: 10, 99: 9, 106: 8, 60: 7, 33: 5, 34: 5, 70: 3, 20: 1}
MARK_FORMS = ["√", "✓", "✔", "是", 1, "Y", "y", " √ ", "Ｙ", "１", True]


@pytest.fixture(scope="module")
def consolidated(tmp_path_factory, kit, roster_path) -> Path:
    out = tmp_path_factory.mktemp("cons") / "汇总表.xlsx"
    return write_consolidated(merge(kit, roster_path, [FINAL]), out)


@pytest.fixture(scope="module")
def issued(tmp_path_factory, consolidated) -> list[Path]:
    return ballot(consolidated, 30, tmp_path_factory.mktemp("issue") / "选票", generated=date(2006, 1, 5),
                  deadline="2006-01-25")


def meta(path: Path) -> dict[str, str]:
    wb = openpyxl.load_workbook(path)
    return {r[0]: r[1] for r in wb["_meta"].iter_rows(values_only=True)}


def mark(src: Path, dst: Path, marks: dict[int, object], edit=None) -> Path:
    """Copy a ballot setting 推荐 of candidate 序号 → value, as a voter's Excel would."""
    wb = openpyxl.load_workbook(src)
    ws = wb[SHEET]
    for number, value in marks.items():
        assert ws.cell(row=FIRST - 1 + number, column=1).value == number
        ws.cell(row=FIRST - 1 + number, column=4, value=value)
    if edit:
        edit(wb)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def distribute(targets: dict[int, int], n: int) -> list[set[int]]:
    """Spread the wanted votes over n ballots, each candidate at most once per ballot."""
    marks: list[set[int]] = [set() for _ in range(n)]
    for cand, votes in targets.items():
        for b in sorted(range(n), key=lambda i: (len(marks[i]), i))[:votes]:
            marks[b].add(cand)
    return marks


def expected_standings(valid_marks: list[set[int]], n_candidates: int) -> list[tuple[int, int, int, Decimal, bool]]:
    """(rank, 序号, votes, share, tie) of the top ten computed by hand from the marks."""
    votes = Counter(m for marks in valid_marks for m in marks)
    counted = sorted(((votes[c], c) for c in range(1, n_candidates + 1) if votes[c]), key=lambda x: (-x[0], x[1]))
    out = []
    for v, c in counted:
        rank = 1 + sum(1 for w, _ in counted if w > v)
        if rank > 10:
            break
        share = (Decimal(v) * 100 / len(valid_marks)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        out.append((rank, c, v, share, [w for w, _ in counted].count(v) > 1))
    return out


# --------------------------------------------------------------------------- issuing


def test_ballot_definition_loads_as_a_form_definition(kit_path):
    d = load_form_definition(kit_path.parent / "top10_ballot.yaml")
    assert d.id == "top10_ballot"
    assert [f.label for f in d.forms[0].fields] == ["序号", "单位", "先锋岗名称", "推荐"]
    assert d.forms[0].field("mark").choices == ("√",)
    assert ballot_definition()[0] == d


def test_candidates_are_every_registered_post_in_roster_order(consolidated, roster):
    posts = read_consolidated(consolidated)["forms"]["posts"]
    cands = load_candidates(consolidated)
    assert len(cands) == len(posts) == 106
    assert [(c.unit_code, c.unit_name, c.post_name) for c in cands] == [
        (p["unit_code"], p["unit_name"], p["post_name"]) for p in posts]
    assert [c.number for c in cands] == list(range(1, 107))
    order = [u.code for u in roster]
    assert [order.index(c.unit_code) for c in cands] == sorted(order.index(c.unit_code) for c in cands)


def test_ballot_files(issued, consolidated, tmp_path):
    assert [p.name for p in issued] == [f"选票_{k:03d}.xlsx" for k in range(1, 31)]
    numbers = [meta(p)["ballot_no"] for p in issued]
    assert sorted(numbers) == [f"{k:03d}" for k in range(1, 31)]
    assert numbers != sorted(numbers)  # shuffled over the files
    again = ballot(consolidated, 30, tmp_path / "again", generated=date(2006, 1, 5), deadline="2006-01-25")
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in issued]  # deterministic

    cands = load_candidates(consolidated)
    wb = openpyxl.load_workbook(issued[0])
    assert wb.sheetnames == ["填表说明", SHEET, "_candidates", "_meta"]
    assert [wb[n].sheet_state for n in wb.sheetnames] == ["visible", "visible", "hidden", "hidden"]
    ws = wb[SHEET]
    assert [c.value for c in ws[3]] == ["序号", "单位", "先锋岗名称", "推荐"]
    rows = list(ws.iter_rows(min_row=FIRST, values_only=True))
    assert rows == [(c.number, c.unit_name, c.post_name, None) for c in cands]
    # OOXML sheetProtection: an attribute set means that action is NOT allowed
    assert ws.protection.sheet and ws.protection.deleteRows and ws.protection.insertRows
    last = FIRST + len(cands) - 1
    for r in range(1, last + 1):
        for col in "ABC":
            assert ws[f"{col}{r}"].protection.locked
    assert all(not ws[f"D{r}"].protection.locked for r in range(FIRST, last + 1))
    assert ws["D3"].protection.locked
    (dv,) = ws.data_validations.dataValidation
    assert (dv.type, dv.formula1, str(dv.sqref)) == ("list", '"√"', f"D{FIRST}:D{last}")
    assert dv.showErrorMessage and dv.errorStyle in (None, "stop")  # absent means stop (ECMA-376)
    m = meta(issued[0])
    assert set(m) == {"stamp_format", "form_id", "form_version", "form_title", "ballot_no", "ballots_issued",
                      "max_marks", "candidates_count", "candidates_fingerprint", "deadline", "generated"}
    assert (m["form_id"], m["ballots_issued"], m["candidates_count"], m["max_marks"]) == ("top10_ballot", "30", "106", "10")
    assert m["candidates_fingerprint"] == candidates_fingerprint(cands)
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props == {f"xltools_{k}": v for k, v in m.items()}
    assert f"选票编号 {m['ballot_no']}" in ws["A2"].value
    instructions = " ".join(str(v) for r in wb["填表说明"].iter_rows(values_only=True) for v in r if v)
    for phrase in ("无记名投票", "最多推荐 10 个", "选择 √", m["ballot_no"], "2006年1月25日"):
        assert phrase in instructions


def test_no_formulas_anywhere(issued):
    for p in issued:
        with zipfile.ZipFile(p) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    assert not re.search(rb"<f[ >]", z.read(name)), (p.name, name)
        wb = openpyxl.load_workbook(p)
        assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)


def _cells(path: Path) -> dict[tuple[str, str], object]:
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.value is not None}


def test_roster_ballots_carry_no_unit_identity(consolidated, roster, tmp_path):
    paths = ballot(consolidated, roster, tmp_path / "a", generated=date(2006, 1, 5))
    assert len(paths) == len(roster) == 48
    # Who the voters are changes nothing: the roster reversed gives the very same files.
    reverse = Roster(units=tuple(reversed(roster.units)))
    other = ballot(consolidated, reverse, tmp_path / "b", generated=date(2006, 1, 5))
    assert [p.read_bytes() for p in other] == [p.read_bytes() for p in paths]
    # Two ballots differ in their ballot number and nothing else.
    a, b = paths[0], paths[1]
    na, nb = meta(a)["ballot_no"], meta(b)["ballot_no"]
    ca, cb = _cells(a), _cells(b)
    assert ca.keys() == cb.keys()
    differ = {k for k in ca if ca[k] != cb[k]}
    assert differ == {("填表说明", "B4"), ("推荐表", "A2"), ("_meta", "B5")}
    for k in differ:
        assert str(ca[k]).replace(na, "#") == str(cb[k]).replace(nb, "#")
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        assert za.namelist() == zb.namelist()
        for name in za.namelist():
            if name not in ("xl/sharedStrings.xml", "docProps/custom.xml"):
                assert za.read(name) == zb.read(name), name
        blob = b"".join(za.read(n) for n in za.namelist())
    # No unit's telephone or contact (which identify a unit, unlike a candidate's name) appears.
    text = blob.decode("utf-8", "replace")
    for u in roster:
        assert u.phone not in text


def test_ballot_errors(consolidated, issued, tmp_path):
    with pytest.raises(XltoolsError, match="选票张数"):
        ballot(consolidated, 0, tmp_path / "zero")
    with pytest.raises(DataError, match="不是 xltools 生成的汇总表"):
        ballot(issued[0], 3, tmp_path / "x")
    with pytest.raises(OutputError, match="其他选票文件"):
        ballot(consolidated, 3, issued[0].parent)  # 选票_004 … 030 would be stale
    with pytest.raises(XltoolsError, match="不是有效日期"):
        ballot(consolidated, 3, tmp_path / "d", deadline="2006-13-01")


@pytest.mark.parametrize("value, expected", [
    ("√", True), ("✓", True), ("✔", True), ("是", True), ("1", True), (1, True), (1.0, True), ("Y", True),
    ("y", True), ("Ｙ", True), ("１", True), (" √ ", True), (True, True),
    (None, None), ("", None), ("   ", None), ("\u3000", None),
    ("×", False), ("x", False), (0, False), ("0", False), ("否", False), ("N", False), (2, False),
    ("√√", False), ("推荐", False), (False, False), ("○", False),
])
def test_mark_values(value, expected):
    assert mark_of(value) is expected


# --------------------------------------------------------------------------- counting


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, issued, kit, soffice):
    """28 files returned for 30 ballots issued: 17 filled validly (one of them copied, so both
    copies are void; one re-saved as .ods), 11 √, two blank, ×, 0, a deleted candidate row, a
    changed ballot number, a random workbook and a registration workbook; plus a lock file."""
    box = tmp_path_factory.mktemp("returned") / "交回"
    box.mkdir()
    work = box.parent / "work"
    spread = distribute(TARGETS, 16)
    planned: dict[str, set[int]] = {}  # file name → marks set, for the ballots meant to be valid
    forms = iter(MARK_FORMS * 20)
    k = 0
    for i in range(17):
        src = issued[i]
        marks = {50, 51} if i == 4 else spread[k]
        if i != 4:
            k += 1
        values = {m: next(forms) for m in sorted(marks)}
        if i == 2:  # re-saved as .ods by LibreOffice
            soffice(mark(src, work / src.name, values), "ods", box)
            planned[src.stem + ".ods"] = marks
        else:
            mark(src, box / src.name, values)
            planned[src.name] = marks
    shutil.copy(box / issued[4].name, box / "选票_005_副本.xlsx")  # same ballot number twice
    mark(issued[17], box / issued[17].name, {n: "√" for n in range(1, 12)})  # 11 marks
    shutil.copy(issued[18], box / issued[18].name)  # blank
    shutil.copy(issued[19], box / issued[19].name)  # blank
    mark(issued[20], box / issued[20].name, {1: "√", 2: "×"})
    mark(issued[21], box / issued[21].name, {1: "√", 3: 0})
    mark(issued[22], box / issued[22].name, {1: "√", 2: "√"}, edit=lambda wb: wb[SHEET].delete_rows(FIRST - 1 + 50))
    unreturned = meta(issued[24])["ballot_no"]

    def renumber(wb):
        ws = wb["_meta"]
        row = next(r for r in ws.iter_rows() if r[0].value == "ballot_no")
        row[1].value = unreturned

    mark(issued[23], box / issued[23].name, {1: "√"}, edit=renumber)
    junk = openpyxl.Workbook()
    junk.active.append(["姓名", "票数"])
    junk.active.append(["张三", 3])
    junk.save(box / "随便一个表.xlsx")
    generate_workbook(kit, Unit("D01", "区委办"), box / "D01_区委办_党员先锋岗工作台账.xlsx", generated=date(2006, 1, 4))
    (box / "~$选票_001.xlsx").write_bytes(b"lock")
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in box.iterdir()}
    result = tally([box])
    return {"box": box, "planned": planned, "dup": issued[4].name, "result": result, "issued": issued,
            "hashes": hashes}


def by_file(result):
    return {Path(r.file).name: r for r in result.records}


def test_tally_counts(scenario):
    result = scenario["result"]
    assert result.counts == {"issued": 30, "returned": 27, "valid": 16, "invalid": 9, "blank": 2}
    assert result.skipped == ["交回/~$选票_001.xlsx"]
    recs = by_file(result)
    planned = scenario["planned"]
    for name, marks in planned.items():
        if name == scenario["dup"]:
            continue
        assert recs[name].status == VALID, (name, recs[name].reasons)
        assert set(recs[name].marks) == marks
    assert {n for n, r in recs.items() if r.status == BLANK} == {"选票_019.xlsx", "选票_020.xlsx"}
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in scenario["box"].iterdir()} == scenario["hashes"]


def test_invalid_ballots_and_reasons(scenario):
    recs = by_file(scenario["result"])
    invalid = {n: "；".join(r.reasons) for n, r in recs.items() if r.status == INVALID}
    assert set(invalid) == {scenario["dup"], "选票_005_副本.xlsx", "选票_018.xlsx", "选票_021.xlsx",
                            "选票_022.xlsx", "选票_023.xlsx", "选票_024.xlsx", "随便一个表.xlsx",
                            "D01_区委办_党员先锋岗工作台账.xlsx"}
    number = int(meta(scenario["issued"][4])["ballot_no"])
    for name in (scenario["dup"], "选票_005_副本.xlsx"):
        assert f"选票编号 {number:03d} 重复（共 2 份" in invalid[name]
        assert recs[name].number == number
    assert "推荐了 11 个，超过 10 个" in invalid["选票_018.xlsx"]
    assert "填写了“×”" in invalid["选票_021.xlsx"]
    assert "填写了“0”" in invalid["选票_022.xlsx"]
    assert "候选名单被改动" in invalid["选票_023.xlsx"] and "第 53 行" in invalid["选票_023.xlsx"]
    assert "选票编号被改动" in invalid["选票_024.xlsx"]
    assert invalid["随便一个表.xlsx"] == "不是选票（没有选票标识）"
    assert invalid["D01_区委办_党员先锋岗工作台账.xlsx"] == "不是选票（是表单“pioneer_posts”的文件）"
    # the changed number is that of a ballot not returned: it voids nothing else
    assert sum(1 for r in recs.values() if "重复" in "".join(r.reasons)) == 2


def test_ranking_against_hand_count(scenario, consolidated):
    result = scenario["result"]
    valid_marks = [m for n, m in scenario["planned"].items() if n != scenario["dup"]]
    assert len(valid_marks) == 16
    expected = expected_standings(valid_marks, 106)
    got = [(s.rank, s.candidate.number, s.votes, s.share, s.tie) for s in result.top10]
    assert got == expected
    # the scenario's tie across tenth place and the rounding mode, checked by hand
    assert [(r, c, v) for r, c, v, _, _ in expected[-2:]] == [(10, 33, 5), (10, 34, 5)]
    assert expected[0][3] == Decimal("93.8") and expected[2][3] == Decimal("81.3")  # 15/16, 13/16 half up
    assert result.tie_at_10 and len(result.top10) == 11
    cands = {c.number: c for c in load_candidates(consolidated)}
    assert all(s.candidate == cands[s.candidate.number] for s in result.standings)
    assert sum(s.votes for s in result.standings) == sum(len(m) for m in valid_marks)


def test_result_workbook_and_json(scenario, tmp_path):
    result = scenario["result"]
    xlsx, js = write_tally(result, tmp_path / "计票结果.xlsx", tmp_path / "计票结果.json")
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["计票结果", "选票明细", "废票"]
    text = [str(v) for r in wb["计票结果"].iter_rows(values_only=True) for v in r if v is not None]
    assert any("第 10 名有并列" in t for t in text)
    sheet = wb["计票结果"]
    assert [sheet.row_dimensions[r].height for r in (2, 3)] == [36, 36]  # two lines each fit
    rows = list(wb["计票结果"].iter_rows(values_only=True))
    head = rows.index(("名次", "单位", "先锋岗名称", "得票", "得票率", "备注"))
    table = rows[head + 1:]
    assert len(table) == 106
    first = table[0]
    assert (first[0], first[3], first[4], first[5]) == (1, 15, "93.8％", "进入前十")
    tied = [r for r in table if r[1:3] in {(c.candidate.unit_name, c.candidate.post_name) for c in result.top10[-2:]}]
    assert [r[5] for r in tied] == ["进入前十，并列第 10 名，待研究确定"] * 2
    detail = list(wb["选票明细"].iter_rows(values_only=True))
    assert detail[0] == ("选票编号", "文件", "结果", "原因", "推荐数", "推荐的序号")
    assert len(detail) - 1 == 27
    assert Counter(r[2] for r in detail[1:]) == {VALID: 16, INVALID: 9, BLANK: 2}
    assert len(list(wb["废票"].iter_rows(values_only=True))) - 1 == 9
    data = __import__("json").loads(js.read_text(encoding="utf-8"))
    assert set(data) == {"top10", "ballots", "tie_at_10"}
    assert data["ballots"] == {"issued": 30, "returned": 27, "valid": 16, "invalid": 9, "blank": 2}
    assert data["tie_at_10"] is True and len(data["top10"]) == 11
    report_keys = set(top_ten({"assessment": [{"unit_code": "D01", "post_name": "x", "total": 1}]}, [])[0])
    for item, s in zip(data["top10"], result.top10):
        assert report_keys | {"votes", "share"} <= set(item)
        assert (item["rank"], item["unit_code"], item["post_name"], item["votes"], item["tie"]) == (
            s.rank, s.candidate.unit_code, s.candidate.post_name, s.votes, s.tie)
        assert Decimal(str(item["share"])) == s.share


def test_commendation_renders_from_the_tally(scenario, consolidated):
    from docx import Document

    top10 = scenario["result"].to_json()["top10"]
    ctx = report_context(consolidated, extra={"top10": top10}, date=date(2006, 1, 28))
    doc = Document(io.BytesIO(render_template("commendation", ctx)))
    text = "\n".join(p.text for p in doc.paragraphs)
    last = top10[-1]
    assert f"第10名有并列，共{len(top10)}个先锋岗的得票进入前十名（并列第{last['rank']}名，各得{last['votes']}票）" in text
    for item in top10:
        assert f"{item['unit_name']}“{item['post_name']}”" in text


def test_commendation_from_a_tally_of_fewer_than_ten_asks_the_committee(scenario, consolidated):
    from docx import Document

    top10 = scenario["result"].to_json()["top10"][:4]  # only four posts got votes
    ctx = report_context(consolidated, extra={"top10": top10}, date=date(2006, 1, 28))
    text = "\n".join(p.text for p in Document(io.BytesIO(render_template("commendation", ctx))).paragraphs)
    assert "【注：得票的先锋岗只有4个，不足十个；请党工委研究确定后删除本注。】" in text
    assert "决定对以下4个党员先锋岗" in text and "并列" not in text


def test_a_long_tie_note_gets_a_row_as_high_as_its_lines(scenario, tmp_path, monkeypatch):
    # A newcomer's review: the tie note (every tied post named) wrapped over the rows below its
    # fixed two-line row.  At the merged width of 107 column units, about 50 汉字 a line.
    import xltools.ballot as ballot_module

    note = "第 10 名有并列：" + "、".join(f"区第{i}局“第{i}窗口党员先锋岗”" for i in range(16)) + " 各得 5 票"
    monkeypatch.setattr(ballot_module, "summary_lines", lambda result: ["发出选票 30 张。", note])
    xlsx, _ = write_tally(scenario["result"], tmp_path / "计票结果.xlsx", tmp_path / "计票结果.json")
    sheet = openpyxl.load_workbook(xlsx)["计票结果"]
    assert sheet["A3"].value == note and len(note) > 200
    lines = -(-sum(2.1 if ord(ch) > 0x2E80 else 1.1 for ch in note) // 105.5)
    assert lines >= 5 and sheet.row_dimensions[3].height == 15 * lines + 6
    assert sheet.row_dimensions[2].height == 36
    # a tie of very many posts: Excel's highest row, 409 pt (a review)
    monkeypatch.setattr(ballot_module, "summary_lines", lambda result: ["发出选票 30 张。", note * 10])
    xlsx, _ = write_tally(scenario["result"], tmp_path / "计票结果2.xlsx", tmp_path / "计票结果2.json")
    assert openpyxl.load_workbook(xlsx)["计票结果"].row_dimensions[3].height == 408.75  # in XlsxWriter's 0.75 pt steps


def test_no_tie_across_tenth_place(issued, tmp_path):
    """Ties inside the top ten are shown, a full ballot of exactly 10 marks is valid, and one vote
    less puts the eleventh candidate out."""
    box = tmp_path / "box"
    mark(issued[0], box / "a.xlsx", {n: "√" for n in range(1, 11)})  # exactly 10
    mark(issued[1], box / "b.xlsx", {**{n: "√" for n in range(1, 10)}, 11: "√"})
    mark(issued[2], box / "c.xlsx", {1: "√", 2: "√", 10: "√"})
    shutil.copy(issued[3], box / "d.xlsx")
    result = tally([box])
    assert result.counts == {"issued": 30, "returned": 4, "valid": 3, "invalid": 0, "blank": 1}
    expected = expected_standings([set(range(1, 11)), {*range(1, 10), 11}, {1, 2, 10}], 106)
    assert [(s.rank, s.candidate.number, s.votes, s.share, s.tie) for s in result.top10] == expected
    assert [s.rank for s in result.top10] == [1, 1, 3, 3, 3, 3, 3, 3, 3, 3]
    assert [s.share for s in result.top10][:3] == [Decimal("100.0"), Decimal("100.0"), Decimal("66.7")]
    assert not result.tie_at_10
    eleventh = next(s for s in result.standings if s.candidate.number == 11)
    assert (eleventh.rank, eleventh.votes, eleventh.tie) == (11, 1, False)


def test_ballots_from_two_issues(consolidated, issued, tmp_path):
    cands = load_candidates(consolidated)[:20]
    other = ballot([Candidate(c.number, c.unit_code, c.unit_name, c.post_name) for c in cands], 2,
                   tmp_path / "other", generated=date(2006, 1, 5))
    box = tmp_path / "box"
    box.mkdir()
    for p in [*issued[:3], *other]:
        shutil.copy(p, box / f"{p.parent.name}_{p.name}")
    result = tally([box])
    reasons = {Path(r.file).name: "".join(r.reasons) for r in result.records}
    assert [n for n, r in reasons.items() if "不是本次评选的选票" in r] == [f"other_{p.name}" for p in other]
    assert result.counts["blank"] == 3 and result.issued == 30
    shutil.copy(other[0], box / "extra.xlsx")  # now 3 against 3: which issue is meant cannot be told
    with pytest.raises(DataError, match="不同批次"):
        tally([box])
    with pytest.raises(ReturnReadError):
        tally([tmp_path / "nowhere"])


def test_cli(consolidated, roster_path, scenario, tmp_path):
    runner = CliRunner()
    res = runner.invoke(cli, ["ballot", "--candidates", str(consolidated), "--voters", str(roster_path),
                              "--out", str(tmp_path / "票"), "--date", "2006-01-05"])
    assert res.exit_code == 0, res.output
    assert res.output.strip() == f"已生成 48 张选票 → {tmp_path / '票'}"
    assert len(list((tmp_path / "票").glob("选票_*.xlsx"))) == len(load_roster(roster_path))
    res = runner.invoke(cli, ["ballot", "--candidates", str(consolidated), "--voters", "7", "--out", str(tmp_path / "七")])
    assert res.exit_code == 0 and sorted(p.name for p in (tmp_path / "七").iterdir())[-1] == "选票_007.xlsx"
    res = runner.invoke(cli, ["tally", str(scenario["box"]), "--out", str(tmp_path / "r.xlsx"),
                              "--json", str(tmp_path / "r.json")])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "发出选票 30 张，收回 27 张；有效票 16 张，空白票 2 张，废票 9 张。得票率按有效票计算。"
    assert lines[1].startswith("第 10 名有并列：")
    assert sum(1 for line in lines if "票，" in line and "％" in line) == 11
    assert lines[-2:] == [f"计票结果 → {tmp_path / 'r.xlsx'}", f"计票结果 JSON → {tmp_path / 'r.json'}"]
    bad = runner.invoke(cli, ["ballot", "--candidates", str(tmp_path / "none.xlsx"), "--voters", "3",
                              "--out", str(tmp_path / "n")])
    assert bad.exit_code == 1 and bad.output.startswith("错误：") and "Traceback" not in bad.output
    for command in ("ballot", "tally"):
        assert runner.invoke(cli, [command, "--help"]).exit_code == 0


def test_ballot_never_replaces_a_returned_ballot(consolidated, tmp_path):
    # A newcomer's review: --out pointed at the folder of returned ballots replaced them with
    # blank ones, and the votes were lost.
    out = tmp_path / "选票"
    first = ballot(consolidated, 3, out, generated=date(2006, 1, 5))
    blank = [p.read_bytes() for p in first]
    assert [p.read_bytes() for p in ballot(consolidated, 3, out, generated=date(2006, 1, 5))] == blank  # blank: renewed
    voted = mark(first[1], tmp_path / "voted.xlsx", {1: "√"}).read_bytes()
    first[1].write_bytes(voted)
    first[2].write_text("不是选票", encoding="utf-8")
    with pytest.raises(OutputError) as caught:
        ballot(consolidated, 3, out, generated=date(2006, 1, 6))
    assert "已有 2 个同名文件" in str(caught.value) and "选票_002.xlsx 已填写推荐" in str(caught.value)
    assert "选票_003.xlsx 不是选票" in str(caught.value)
    assert first[1].read_bytes() == voted and first[0].read_bytes() == blank[0]  # nothing written
    result = CliRunner().invoke(cli, ["ballot", "--candidates", str(consolidated), "--voters", "3", "--out", str(out)])
    assert result.exit_code != 0 and result.output.count("\n") == 1 and "--overwrite" in result.output
    assert first[1].read_bytes() == voted
    result = CliRunner().invoke(cli, ["ballot", "--candidates", str(consolidated), "--voters", "3", "--out", str(out),
                                      "--date", "2006-01-05", "--overwrite"])
    assert result.exit_code == 0, result.output
    assert [p.read_bytes() for p in first] == blank


@pytest.mark.parametrize("edit", ["header", "beside", "in_number_column", "name_edited", "row_cleared"])
def test_ballot_never_replaces_a_spoiled_returned_ballot(consolidated, tmp_path, edit):
    # A hostile review: a 废票 is a returned ballot too; with the 推荐 header edited, or marks
    # typed beside the column, no mark was found in 推荐 and the file was replaced.
    out = tmp_path / "选票"
    (first, *_rest) = ballot(consolidated, 2, out, generated=date(2006, 1, 5))
    wb = openpyxl.load_workbook(first)
    ws = wb[SHEET]
    if edit == "header":
        ws["D3"] = "推荐（打√）"
        ws["D4"] = "√"
    elif edit == "beside":
        ws["E4"] = "√"
    elif edit == "in_number_column":  # a second review: a vote in the wrong column
        ws["A4"] = "√"
    elif edit == "name_edited":
        ws["C4"] = "改过的名称"
    else:
        for col in "ABC":
            ws[f"{col}5"] = None
    wb.save(first)
    kept = first.read_bytes()
    with pytest.raises(OutputError, match="是交回的选票|可能是交回的选票"):
        ballot(consolidated, 2, out, generated=date(2006, 1, 5))
    assert first.read_bytes() == kept


def test_the_ballot_identity_line_is_tall_enough_for_its_wrapped_text(issued):
    # A newcomer's review: at a fixed 28 pt the wrapped line lost 本行请勿修改.
    from xltools.layout import wrapped_lines

    ws = openpyxl.load_workbook(issued[0])[SHEET]
    text = ws["A2"].value
    width = sum(ws.column_dimensions[c].width for c in "ABCD")
    assert text.endswith("本行请勿修改") and wrapped_lines(text, width, 9) >= 2
    # two 9 pt lines and padding (XlsxWriter stores heights in steps of 0.75 pt); it was 28
    assert ws.row_dimensions[2].height >= 13 * wrapped_lines(text, width, 9) + 5 - 0.75 > 28
