"""Issue 7, second part: the issues and rejected rows of a unit judged in a worker wait in the
spill file of its return (``UnitVerdict.stowed``) and are read back, one unit at a time, when the
workbook is written.  None of it may change a byte: each test compares with the same merge
keeping them in memory (``_stow_verdict`` switched off) or with the plain in-memory pipeline."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import pytest

import xltools.merge as merge_mod
from xltools.consolidated import _chunked, figures_json, write_consolidated
from xltools.errors import DataError
from xltools.issues import ERROR, Issue
from xltools.merge import combine, display_names, merge, read_one
from xltools.readers import find_returns
from xltools.spill import IssueList, RejectedRows

ROOT = Path(__file__).resolve().parent.parent
ROUND1 = ROOT / "samples" / "returns" / "round1"


def _issue_facts(issues) -> list[tuple]:
    return [(i.severity, i.kind, i.unit_code, i.unit_name, i.file, i.sheet, i.cell, i.row, i.field, i.raw, i.message)
            for i in issues]


def _rejected_facts(rows) -> list[tuple]:
    return [(r.form, r.unit_code, r.unit_name, r.file, r.sheet, r.row, sorted(r.values.items(), key=str), r.raw,
             r.raw_items(), _issue_facts(r.issues)) for r in rows]


@pytest.fixture(scope="module")
def stowed(kit, roster):
    return {jobs: merge(kit, roster, [ROUND1], jobs=jobs) for jobs in (1, 2)}


@pytest.fixture(scope="module")
def unstowed(kit, roster):
    """The same merge with the verdicts' issues and rejected rows kept in memory."""
    mp = pytest.MonkeyPatch()
    mp.setattr(merge_mod, "_stow_verdict", lambda res: res)
    try:
        return merge(kit, roster, [ROUND1], jobs=1)
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def plain(kit, roster):
    files, skipped = find_returns([ROUND1])
    names = display_names([ROUND1], files)
    cons = combine(kit, roster, [read_one(f, kit, roster, display=names[f]) for f in files],
                   skipped=[display_names([ROUND1], skipped)[s] for s in skipped])
    cons.sources = {names[f]: str(f) for f in files}
    return cons


def test_units_judged_in_workers_keep_no_problems_in_memory(kit, roster, tmp_path):
    files, _ = find_returns([ROUND1])
    names = display_names([ROUND1], files)
    packed = merge_mod._read_all(files, [names[f] for f in files], kit, roster, 1, None, None, str(tmp_path))
    results = [p.unpack() for p in packed]
    stowed = [r for r in results if r.verdict is not None and r.verdict.stowed is not None]
    assert stowed, "the sample round has units with bad cells"
    for res in stowed:
        v = res.verdict
        assert v.issues == [] and v.rejected == []
        issues, rejected = v.load()
        assert len(issues) == v.n_issues > 0
        assert sum(1 for i in issues if i.is_error) == v.n_errors
        assert len(rejected) == v.n_rejected
        assert all(r.has_error for r in rejected)
        # the same as judging the file's rows in memory
        again = merge_mod.judge_unit(kit, res.unit_code, {f: res for f in res.forms})
        assert _issue_facts(issues) == _issue_facts(again.issues)
        assert _rejected_facts(rejected) == _rejected_facts(again.rejected)
    # the file's rows are still read back unchanged after the appended segment
    for res in stowed:
        for form in res.forms:
            assert len(res.load(form, kit)) == res.count(form)


def test_stowed_problems_write_the_same_workbook_as_in_memory(stowed, unstowed, plain, tmp_path):
    assert isinstance(unstowed.issues, IssueList) and isinstance(unstowed.rejected, RejectedRows)
    want = write_consolidated(plain, tmp_path / "plain.xlsx").read_bytes()
    assert write_consolidated(unstowed, tmp_path / "unstowed.xlsx").read_bytes() == want
    for jobs, cons in stowed.items():
        assert write_consolidated(cons, tmp_path / f"stowed{jobs}.xlsx").read_bytes() == want, f"jobs={jobs}"
        assert figures_json(cons) == figures_json(plain) == figures_json(unstowed)


def test_stowed_issues_and_rejected_rows_equal_in_memory_ones(stowed, plain):
    assert plain.counts["rows_rejected"] > 0 and plain.counts["errors"] > 0
    for cons in stowed.values():
        assert len(cons.issues) == len(plain.issues) == cons.counts["errors"] + cons.counts["warnings"]
        assert len(cons.rejected) == len(plain.rejected) == cons.counts["rows_rejected"]
        assert _issue_facts(cons.issues) == _issue_facts(plain.issues)
        assert _rejected_facts(cons.rejected) == _rejected_facts(plain.rejected)
        assert [e.to_dict() for e in cons.ledger] == [e.to_dict() for e in plain.ledger]
        # repeatable, and indexable like a list
        assert _issue_facts(cons.issues) == _issue_facts(list(cons.issues))
        assert _issue_facts([cons.issues[0], cons.issues[-1]]) == _issue_facts([plain.issues[0], plain.issues[-1]])
        assert _rejected_facts([cons.rejected[-1]]) == _rejected_facts([plain.rejected[-1]])


def test_issues_carry_their_unit_and_come_in_roster_order(stowed):
    cons = stowed[2]
    order = {u.code: i for i, u in enumerate(cons.roster)}
    ranks = [order.get(i.unit_code, len(order)) for i in cons.issues]
    in_roster = [r for r in ranks if r < len(order)]
    assert in_roster == sorted(in_roster)
    errors = [i for i in cons.issues if i.kind not in ("unreadable", "no_form", "other_form", "unknown_unit")]
    assert all(i.unit_code for i in errors if i.file and i.unit_code != "")


def test_removed_spill_gives_a_clear_error(kit, roster):
    cons = merge(kit, roster, [ROUND1], jobs=1)
    assert cons.counts["rows_rejected"] > 0
    cons.spill_dir.close()
    with pytest.raises(DataError, match="请重新汇总"):
        list(cons.rejected)


def test_the_spill_directory_lives_as_long_as_the_issue_list(kit, roster):
    cons = merge(kit, roster, [ROUND1], jobs=1)
    issues, n = cons.issues, cons.counts["errors"] + cons.counts["warnings"]
    spill = Path(cons.spill_dir.name)
    del cons
    gc.collect()
    assert spill.is_dir()
    assert len(list(issues)) == n
    del issues
    gc.collect()
    assert not spill.exists()


def test_verdict_stays_in_memory_when_its_spill_file_cannot_be_written(kit, roster, tmp_path):
    f = next(p for p in sorted(ROUND1.iterdir()) if p.name.startswith("D01_"))
    res = merge_mod._read_and_spill(f, f.name, 1, kit, roster, None, str(tmp_path))
    assert res.verdict is not None and res.spill is not None
    issues, rejected = list(res.verdict.issues), list(res.verdict.rejected)
    res.spill = (str(tmp_path / "gone" / "x.rows"), res.spill[1])  # a directory that does not exist
    out = merge_mod._stow_verdict(res)
    assert out.verdict.stowed is None
    assert out.verdict.issues == issues and out.verdict.rejected == rejected


def test_rejected_rows_sort_by_rank_then_file_sheet_row():
    class R:
        def __init__(self, file, sheet, row):
            self.file, self.sheet, self.row = file, sheet, row

    seq = RejectedRows()
    seq.add(2, [R("b", "s", 3)], 1)
    seq.add(0, lambda: [R("z", "s", 1), R("a", "s", 9), R("a", "s", 2)], 3)
    seq.add(2, [R("a", "s", 5)], 1)
    seq.add(1, [], 0)  # an empty part is not kept
    assert len(seq) == 5
    assert [(r.file, r.row) for r in seq] == [("a", 2), ("a", 9), ("z", 1), ("a", 5), ("b", 3)]
    assert (seq[1].file, seq[1].row) == ("a", 9)


def test_issue_list_stamps_the_unit_and_sorts_each_part():
    i = Issue(ERROR, "m", kind="k", file="f", row=2)
    j = Issue(ERROR, "m", kind="k", file="f", row=1)
    seq = IssueList(lambda x: (x.file, x.row or 0))
    seq.add([i], lambda: [j], 1, [], {"unit_code": "U1", "unit_name": "一"})
    seq.add([], [i], 1, [j], None, sort=False)
    assert len(seq) == 4
    assert [(x.row, x.unit_code) for x in seq] == [(1, "U1"), (2, "U1"), (2, ""), (1, "")]


@pytest.mark.parametrize("text", ["", "a", "ab" * 7, "汉字" * 15, "x" * 30])
@pytest.mark.parametrize("size", [1, 3, 10, 30])
def test_chunked_cuts_like_slicing_the_whole_text(text, size):
    pieces = [text[k : k + 4] for k in range(0, len(text), 4)] + [""]
    want = [text[k : k + size] for k in range(0, max(len(text), 1), size)]
    assert list(_chunked(iter(pieces), size)) == want


def test_streamed_json_equals_json_dumps():
    from xltools.consolidated import _json_default

    payload = {"b": [{"z": 1.5, "a": "汉字"}, 3], "a": {"x": None, "y": True}, "n": 10**20, "f": 0.1}
    enc = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_json_default)
    assert "".join(enc.iterencode(payload)) == json.dumps(payload, ensure_ascii=False, sort_keys=True,
                                                          default=_json_default)


def test_read_back_sequences_compare_and_add_like_lists(stowed):
    cons = next(iter(stowed.values()))
    issues = list(cons.issues)
    assert cons.issues == issues and issues == cons.issues
    assert cons.issues != issues[:-1]
    assert cons.rejected == list(cons.rejected)
    extra = Issue(severity=ERROR, kind="x", message="附加")
    assert cons.issues + [extra] == [*issues, extra]
    assert [extra] + cons.issues == [extra, *issues]
    assert (cons.issues == "not a list") is False


def test_the_shared_empty_flag_map_cannot_be_changed():
    flags = merge_mod._NO_FLAGS
    for change in (lambda: flags.__setitem__(1, []), lambda: flags.update({1: []}),
                   lambda: flags.setdefault(1, []), lambda: flags.pop(1), lambda: flags.clear()):
        with pytest.raises(TypeError):
            change()
    assert flags == {} and len(flags) == 0
