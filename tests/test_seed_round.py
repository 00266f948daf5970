"""The seed's collection round end to end (issue 5): the committed sample returns, made by real
office suites from generated workbooks, merged through the real pipeline.  Every figure of the
seed speech must come out; round 1's ledger and issues must be exactly what was planted.

``samples/returns/expected.json`` is written by ``samples/make_returns.py`` from its own data
(not by xltools), so these assertions compare the pipeline with an independent account.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from xltools.consolidated import read_consolidated, write_consolidated
from xltools.merge import merge

ROOT = Path(__file__).resolve().parent.parent
RETURNS = ROOT / "samples" / "returns"
EXPECTED = json.loads((RETURNS / "expected.json").read_text(encoding="utf-8"))

#: The seed speech's figures (../shared/seed): 48 departments, 106 posts, 29 window posts,
#: 109 responsible members, 764 participating members.
SEED = {"posts_total": 106, "window_posts": 29, "leaders": 109, "members": 764, "units_with_posts": 48}


@pytest.fixture(scope="module")
def final(kit, roster):
    return merge(kit, roster, [RETURNS / "final"], jobs=2)


@pytest.fixture(scope="module")
def round1(kit, roster):
    return merge(kit, roster, [RETURNS / "round1"], jobs=2)


def test_final_reproduces_the_seed_figures(final):
    for name, value in SEED.items():
        assert final.figures[name] == value, name
    assert final.figures == EXPECTED["final"]["figures"]
    c = final.counts
    assert (c["units"], c["returned"], c["missing"], c["errors"]) == (48, 48, 0, 0)
    # 106 posts + 427 deeds + 14 results + 106 assessments (one per post)
    assert c["rows_read"] == c["rows_accepted"] == 106 + 427 + 14 + 106 == 653
    assert all(e.status == "已报送" for e in final.ledger)


def test_final_results_rows_labour_bureau_and_procuratorate(final):
    rows = {(r.unit_code, r.values["post_name"], r.values["indicator"]): r.values for r in final.rows["results"]}
    labour = {k[2]: v for k, v in rows.items() if k[0] == "D23" and k[1] == "维权党员先锋岗"}
    by_unit = {k[2]: (v["current"], v["measure_unit"]) for k, v in labour.items()}
    assert sorted(by_unit.values()) == sorted([(2103, "件"), (9970, "人"), (__import__("decimal").Decimal("491.3"), "万元")])
    pro = [v for k, v in rows.items() if k[0] == "D13" and k[1] == "公诉科党员先锋岗"]
    assert [(str(v["prior"]), str(v["current"]), v["measure_unit"]) for v in pro] == [("14.5", "33.9", "件")]


def test_round1_ledger(round1):
    exp = EXPECTED["round1"]
    status = {e.code: e.status for e in round1.ledger if e.code and e.status != "已被替代"}
    assert sorted(c for c, s in status.items() if s == "未报送") == exp["missing"] == ["D31", "D42", "D47"]
    assert sorted(c for c, s in status.items() if s != "未报送") == exp["returned"]
    sup = exp["superseded"]
    assert round1.superseded == [f"round1/{sup['file']}"]
    d20 = next(e for e in round1.ledger if e.code == "D20" and e.status != "已被替代")
    assert d20.files == [f"round1/{sup['superseded_by']}"]
    members = {r.values["post_name"]: r.values["members"] for r in round1.rows["posts"] if r.unit_code == "D20"}
    assert sup["value_in_current"] in members.values() and sup["raw_in_superseded"] not in members.values()
    pasted = next(e for e in round1.ledger if e.code == exp["pasted"]["unit_code"])
    assert pasted.files == [f"round1/{exp['pasted']['file']}"]
    assert any(i.kind == "identified_by_filename" and i.unit_code == "D24" for i in round1.issues)


def test_round1_every_planted_bad_cell_at_its_address(round1):
    found = {(i.unit_code, i.sheet, i.cell): i for i in round1.issues if i.cell}
    for bad in EXPECTED["round1"]["bad_cells"]:
        issue = found.get((bad["unit_code"], bad["sheet"], bad["cell"]))
        assert issue is not None, bad
        assert issue.level == bad["level"], (bad, issue)
        assert issue.field == bad["field"]
        assert str(bad["raw"]) in issue.raw or str(bad["raw"]) in issue.message
    errors = sorted((i.unit_code, i.sheet, i.cell) for i in round1.issues if i.is_error)
    planted = sorted((b["unit_code"], b["sheet"], b["cell"]) for b in EXPECTED["round1"]["bad_cells"] if b["level"] == "错误")
    assert errors == planted


def test_round1_accounting_and_figures(round1):
    c = round1.counts
    assert c["rows_read"] == c["rows_accepted"] + c["rows_rejected"]
    n_errors = sum(1 for b in EXPECTED["round1"]["bad_cells"] if b["level"] == "错误")
    assert c["rows_rejected"] == n_errors  # one bad cell per rejected row
    assert (c["returned"], c["missing"], c["superseded"]) == (45, 3, 1)
    assert round1.figures == EXPECTED["round1"]["figures"]


def test_sources_unchanged_and_output_reproducible(kit, roster, tmp_path):
    def digest(folder: Path) -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}

    before = digest(RETURNS / "round1")
    a = write_consolidated(merge(kit, roster, [RETURNS / "round1"], jobs=1), tmp_path / "a.xlsx")
    b = write_consolidated(merge(kit, roster, [RETURNS / "round1"], jobs=2), tmp_path / "b.xlsx")
    assert a.read_bytes() == b.read_bytes()
    assert digest(RETURNS / "round1") == before
    data = read_consolidated(a)
    assert data["counts"]["missing"] == 3
    assert [u["code"] for u in data["per_unit"]][:3] == ["D01", "D02", "D03"]


def test_demo_runs_the_round_and_the_work_report_has_the_seed_sentence(tmp_path):
    from click.testing import CliRunner
    from docx import Document

    from xltools.cli import cli

    res = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo"), "--jobs", "2"])
    assert res.exit_code == 0, res.output
    out = res.output
    assert "已报送 45/48 个单位，未报送 3 个" in out
    for name in ("区文广新局（D31）", "区安监局（D42）", "区妇联（D47）"):
        assert name in out
    assert "D20_区民政局_党员先锋岗工作台账.xlsx”已被较新的文件替代" in out
    assert "共建立“党员先锋岗”106个，其中窗口单位29个，党员责任人109人，参与党员764人" in out
    blanks = sorted((tmp_path / "demo" / "1-下发登记表").glob("*.xlsx"))
    assert len(blanks) == 48
    drafts = tmp_path / "demo" / "4-文稿"
    text = "\n".join(p.text for p in Document(drafts / "汇报材料.docx").paragraphs)
    assert "在区直机关48个部门中" in text
    assert "共建立“党员先锋岗”106个，其中窗口单位29个，党员责任人109人，参与党员764人" in text
    assert "人均办案数从14.5件上升到33.9件，上升率133.8％" in text
    assert not any(t in text for t in ("{{", "{%", "}}", "%}", "｛", "％}"))
    commendation = "\n".join(p.text for p in Document(drafts / "通报表彰.docx").paragraphs)
    assert "区劳动局“维权党员先锋岗”" in commendation
    # run again: untouched outputs are renewed; a draft somebody finished stops it before step 1
    # rewrites anything, pointing to --out (the demo has no --overwrite: a third review)
    again = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo"), "--jobs", "2"])
    assert again.exit_code == 0, again.output
    doc = Document(drafts / "汇报材料.docx")
    doc.add_paragraph("办公室补充的一段")
    doc.save(drafts / "汇报材料.docx")
    kept = (drafts / "汇报材料.docx").read_bytes()
    stamp = blanks[0].stat().st_mtime_ns
    refused = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "demo")])
    assert refused.exit_code == 1 and "请用 --out 换一个目录" in refused.output and "--overwrite" not in refused.output
    assert (drafts / "汇报材料.docx").read_bytes() == kept and blanks[0].stat().st_mtime_ns == stamp
