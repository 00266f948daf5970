"""Issue 7: a merge keeps each file's result pickled (``PackedResult``) until ``combine`` reaches
its unit.  Packing must change nothing: ``combine`` gives the same consolidation from packed
results, unpacked ones or any mix, with resends (a unit with two returns), unreadable and
unidentified files among them."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import xltools.merge as merge_mod
from xltools.consolidated import figures_json, write_consolidated
from xltools.merge import combine, display_names
from xltools.readers import find_returns
from xltools.returns import FileResult, PackedResult

ROOT = Path(__file__).resolve().parent.parent
RETURNS = ROOT / "samples" / "returns"  # both rounds: round 2 resends some units' returns


@pytest.fixture(scope="module")
def packed(kit, roster, tmp_path_factory):
    """Every sample return read as a merge reads it (spilled, judged, stowed), packed; with a
    text file posing as a workbook and a workbook of no unit added."""
    extra = tmp_path_factory.mktemp("extra")
    (extra / "不是表格.xlsx").write_text("这不是 Excel 文件", encoding="utf-8")
    files, _ = find_returns([RETURNS, extra])
    files.append(ROOT / "samples" / "roster.xlsx")  # a workbook that is no unit's return
    names = display_names([RETURNS, extra], files)
    spill = tmp_path_factory.mktemp("spill")
    return [merge_mod._read_file(f, names[f], i, kit, roster, None, str(spill)) for i, f in enumerate(files, 1)]


def test_a_packed_result_keeps_what_combine_sorts_by_and_unpacks_equal(packed):
    assert all(isinstance(p, PackedResult) for p in packed)
    statuses = {p.status for p in packed}
    assert {"ok", "unreadable", "unidentified"} <= statuses
    for p in packed:
        res = p.unpack()
        assert isinstance(res, FileResult)
        assert (p.path, p.status, p.unit_code, p.rows_read, p.saved_at) == (
            res.path, res.status, res.unit_code, res.rows_read, res.saved_at)
        assert res == p.unpack() and res is not p.unpack()  # a new, equal result each time
        # a return with rows waits in its spill file, anything else (no spill file) in memory
        if res.spill is not None:
            assert p.blob is None and p.stored is not None and p.stored[0] == res.spill[0]
        else:
            assert p.stored is None and pickle.loads(p.blob) == res
    assert any(p.stored for p in packed) and any(p.blob for p in packed)


def test_a_result_whose_spill_file_cannot_be_written_stays_in_memory(packed, monkeypatch):
    import xltools.returns as returns_mod

    def full(path, obj):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(returns_mod, "append_segment", full)
    res = next(p for p in packed if p.stored is not None).unpack()
    again = PackedResult.of(res)
    assert again.stored is None and again.blob and again.unpack() == res


def test_combine_gives_the_same_consolidation_packed_unpacked_or_mixed(kit, roster, packed, tmp_path):
    unpacked = [p.unpack() for p in packed]
    mixed = [p if i % 2 else p.unpack() for i, p in enumerate(packed)]
    assert any(isinstance(r, PackedResult) for r in mixed) and any(isinstance(r, FileResult) for r in mixed)
    outs = {}
    for name, results in (("packed", packed), ("unpacked", unpacked), ("mixed", mixed)):
        cons = combine(kit, roster, results)
        outs[name] = (figures_json(cons), write_consolidated(cons, tmp_path / f"{name}.xlsx").read_bytes(),
                      [(e.code, e.status, tuple(e.files), e.accepted, e.rejected) for e in cons.ledger])
    assert outs["packed"] == outs["unpacked"] == outs["mixed"]
    ledger = outs["packed"][2]
    # the sample rounds hold resends and the added files are listed as unusable
    assert any(status == "已被替代" for _c, status, *_ in ledger)
    assert sum(1 for e in ledger if e[1] in ("无法读取", "无法识别")) >= 2


def test_merge_holds_packed_results_until_combine(kit, roster, monkeypatch):
    seen: list[type] = []
    real = merge_mod.combine

    def spy(definition, roster_, results, **kwargs):
        seen.extend(type(r) for r in results)
        return real(definition, roster_, results, **kwargs)

    monkeypatch.setattr(merge_mod, "combine", spy)
    for jobs in (1, 2):
        seen.clear()
        with merge_mod.merge(kit, roster, [RETURNS], jobs=jobs) as cons:
            assert cons.counts["files"] == len(seen) > 4
        assert set(seen) == {PackedResult}, f"jobs={jobs}"


def test_no_verdict_outlives_combine(kit, roster):
    """The consolidation keeps a loader of each unit's stowed issues and rejected rows until the
    workbook is written; a bound method of the verdict kept every verdict alive with it (its
    per-form maps and figure parts: about 15 MB for a province's 5,000 units)."""
    import gc

    from xltools.combine import UnitVerdict
    from xltools.merge import merge

    cons = merge(kit, roster, [RETURNS / "round1"], jobs=1)  # units with one return: judged and stowed
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, UnitVerdict)]
    stowed = [part[1] for part in cons.issues._parts if callable(part[1])]
    assert stowed
    assert cons.counts["errors"] == 3 == sum(1 for i in cons.issues if i.is_error)  # still read back
    assert len(list(cons.rejected)) == cons.counts["rows_rejected"] == 3


def test_an_issue_pickles_with_every_field():
    # Issue.__reduce__ lists the fields by hand: a field added to the dataclass must be added
    # there too, or it would come back from the spill files as its default
    import dataclasses
    import pickle

    from xltools.issues import Issue

    values = {f.name: (7 if f.name == "row" else f"{f.name}-值") for f in dataclasses.fields(Issue)}
    issue = Issue(**values)
    back = pickle.loads(pickle.dumps(issue, pickle.HIGHEST_PROTOCOL))
    assert back == issue and {f.name: getattr(back, f.name) for f in dataclasses.fields(Issue)} == values
