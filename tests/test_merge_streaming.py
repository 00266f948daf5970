"""Issue 7: merge keeps memory bounded by the largest return.

Rows are spilled to disk per file as soon as a file is read, a unit that sent one file is judged
in the worker that read it, and the consolidation's accepted rows are read back one file at a
time.  None of this may change a single byte of the output: every test here compares the
streamed merge with the plain in-memory pipeline (``read_one`` → ``combine``, the unit judged in
this process) on the sample round, which has a superseded copy (a unit judged from the spill
files), a pasted return, bad cells and missing units.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import os
from decimal import Decimal
from pathlib import Path

import pytest

from xltools.consolidated import figures_json, write_consolidated
from xltools.errors import DataError
from xltools.figures import FigureTally, compute_figures
from xltools.merge import AcceptedRows, combine, display_names, merge, read_one
from xltools.readers import find_returns

ROOT = Path(__file__).resolve().parent.parent
ROUND1 = ROOT / "samples" / "returns" / "round1"


def _in_memory(kit, roster, root: Path):
    """The pipeline without spilling: every FileResult keeps its rows, combine judges every unit."""
    files, skipped = find_returns([root])
    names = display_names([root], files)
    results = [read_one(f, kit, roster, display=names[f]) for f in files]
    assert all(r.spill is None and r.verdict is None for r in results)
    cons = combine(kit, roster, results, skipped=[display_names([root], skipped)[s] for s in skipped])
    cons.sources = {names[f]: str(f) for f in files}
    return cons


def _row_facts(cons) -> dict[str, list[tuple]]:
    return {
        form: [(r.unit_code, r.file, r.sheet, r.row, sorted(r.values.items(), key=str), r.raw,
                [(i.kind, i.cell, i.message) for i in r.issues]) for r in rows]
        for form, rows in cons.rows.items()
    }


@pytest.fixture(scope="module")
def streamed(kit, roster):
    return {jobs: merge(kit, roster, [ROUND1], jobs=jobs) for jobs in (1, 2)}


@pytest.fixture(scope="module")
def plain(kit, roster):
    return _in_memory(kit, roster, ROUND1)


def test_streamed_merge_writes_the_same_bytes_as_the_in_memory_pipeline(streamed, plain, tmp_path):
    want = write_consolidated(plain, tmp_path / "plain.xlsx").read_bytes()
    for jobs, cons in streamed.items():
        got = write_consolidated(cons, tmp_path / f"streamed{jobs}.xlsx").read_bytes()
        assert got == want, f"jobs={jobs}"
        assert figures_json(cons) == figures_json(plain)


def test_streamed_rows_equal_in_memory_rows(streamed, plain):
    want = _row_facts(plain)
    assert sum(len(v) for v in want.values()) == plain.counts["rows_accepted"] > 0
    for cons in streamed.values():
        assert _row_facts(cons) == want
        assert [(r.form, r.file, r.row, [i.kind for i in r.issues]) for r in cons.rejected] == \
            [(r.form, r.file, r.row, [i.kind for i in r.issues]) for r in plain.rejected]
        assert [(i.file, i.cell, i.kind, i.message) for i in cons.issues] == \
            [(i.file, i.cell, i.kind, i.message) for i in plain.issues]
        assert cons.form_counts == plain.form_counts


def test_the_superseded_unit_is_judged_from_the_spill_files(streamed):
    cons = streamed[2]
    d20 = [e for e in cons.ledger if e.code == "D20"]
    assert {e.status for e in d20} == {"已被替代", "重复报送"}
    # D20's rows come from the newer copy only, and are in the consolidation.
    posts = [r for r in cons.rows["posts"] if r.unit_code == "D20"]
    assert posts and {r.file for r in posts} == set(next(e for e in d20 if e.status == "重复报送").files)


def test_accepted_rows_are_read_back_lazily_and_repeatably(streamed):
    cons = streamed[1]
    rows = cons.rows["deeds"]
    assert isinstance(rows, AcceptedRows)
    n = len(rows)
    assert n == cons.counts["rows_accepted"] - sum(len(cons.rows[f]) for f in cons.rows if f != "deeds")
    first = [(r.unit_code, r.row, r.values["content"]) for r in rows]
    again = [(r.unit_code, r.row, r.values["content"]) for r in rows]
    assert first == again and len(first) == n
    # roster order, then file, sheet and row
    order = {u.code: i for i, u in enumerate(cons.roster)}
    keys = [(order[r.unit_code], r.file, r.sheet, r.row) for r in rows]
    assert keys == sorted(keys)
    assert rows[0].unit_code == first[0][0] and rows[-1].row == first[-1][1]


def test_spill_files_hold_every_row_and_are_removed_with_the_consolidation(kit, roster):
    cons = merge(kit, roster, [ROUND1], jobs=1)
    spill = Path(cons.spill_dir.name)
    files = sorted(spill.iterdir())
    assert len(files) == cons.counts["files"] - cons.counts["unreadable"]
    assert cons.counts["rows_read"] + cons.counts["rows_superseded"] > 0
    del cons
    gc.collect()
    assert not spill.exists()


def test_close_removes_the_spill_directory(kit, roster):
    cons = merge(kit, roster, [ROUND1], jobs=1)
    spill = Path(cons.spill_dir.name)
    assert spill.is_dir()
    cons.spill_dir.close()
    assert not spill.exists()


def test_workers_return_no_rows(kit, roster, tmp_path):
    from xltools.merge import _read_and_spill

    f = next(p for p in sorted(ROUND1.iterdir()) if p.name.startswith("D01_"))
    res = _read_and_spill(f, f.name, 1, kit, roster, None, str(tmp_path))
    assert res.rows == {} and res.spill is not None
    assert res.verdict is not None
    loaded = {form: res.load(form, kit) for form in res.forms}
    plain = read_one(f, kit, roster, display=f.name)
    assert res.counts == {form: len(rows) for form, rows in plain.rows.items()} and res.rows_read == plain.rows_read > 0
    assert {form: [(r.row, r.values, r.raw) for r in rows] for form, rows in loaded.items()} == \
        {form: [(r.row, r.values, r.raw) for r in rows] for form, rows in plain.rows.items()}
    assert os.path.getsize(res.spill[0]) > 0


# --------------------------------------------------------------------------- figures


def test_figure_parts_combine_exactly_in_any_order(kit, plain):
    rows_by_form = {form: [(r.unit_code, r.values) for r in rows] for form, rows in plain.rows.items()}
    codes = [u.code for u in plain.roster]
    whole = compute_figures(kit, rows_by_form, codes)
    assert whole == (plain.figures, plain.per_unit)
    by_unit: dict[str, dict[str, list]] = {}
    for form, pairs in rows_by_form.items():
        for code, values in pairs:
            by_unit.setdefault(code, {}).setdefault(form, []).append(values)
    tally = FigureTally(kit, codes)
    for code in reversed(sorted(by_unit)):  # any order
        tally.add(code, tally.parts(code, by_unit[code]))
    assert tally.result() == whole
    # the sample round's figures, as samples/returns/expected.json has them
    expected = json.loads((ROOT / "samples" / "returns" / "expected.json").read_text(encoding="utf-8"))
    for name, value in expected["round1"]["figures"].items():
        assert whole[0][name] == value, name


def test_count_distinct_unites_units_sets(kit):
    fig = next(f for f in kit.figures if f.op == "count_distinct")
    tally = FigureTally(kit, ["A", "B"])
    a = tally.parts("A", {fig.form: [{}, {}]})
    b = tally.parts("B", {fig.form: [{}]})
    assert a[fig.name] == {"A"} and b[fig.name] == {"B"}
    tally.add("A", a)
    tally.add("A", a)  # the same unit twice still counts once
    tally.add("B", b)
    assert tally.result()[0][fig.name] == 2


def test_sums_stay_exact_decimal(kit):
    fig = next(f for f in kit.figures if f.op == "sum" and f.name == "deeds_amount")
    tally = FigureTally(kit, ["A"])
    parts = tally.parts("A", {"deeds": [{"amount": Decimal("0.1")}] * 3})
    assert parts[fig.name] == Decimal("0.3")
    tally.add("A", parts)
    assert tally.result()[0][fig.name] == 0.3


# --------------------------------------------------------------------------- the temporary directory


def test_an_unwritable_temporary_directory_is_one_clear_error(kit, roster, tmp_path, monkeypatch):
    import tempfile

    from xltools.errors import OutputError

    missing = tmp_path / "没有这个目录"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    with pytest.raises(OutputError) as err:
        merge(kit, roster, [ROUND1], jobs=1)
    assert "TMPDIR" in str(err.value) and str(missing) in str(err.value) and "\n" not in str(err.value)


def test_rows_that_cannot_be_spilled_stay_in_memory(kit, roster, plain, tmp_path, monkeypatch):
    from xltools.merge import FileResult

    def full_disk(self, path, definition, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileResult, "spill_to", full_disk)
    cons = merge(kit, roster, [ROUND1], jobs=1)
    assert not any(Path(cons.spill_dir.name).iterdir())
    got = write_consolidated(cons, tmp_path / "memory.xlsx").read_bytes()
    assert got == write_consolidated(plain, tmp_path / "plain.xlsx").read_bytes()


# --------------------------------------------------------------------------- Ctrl-C


def test_an_interrupt_during_a_pooled_merge_stops_it_and_removes_the_spill(kit, roster, tmp_path, monkeypatch):
    import tempfile
    import time

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen = []

    def progress(done, total, path):
        seen.append(done)
        if done == 2:
            raise KeyboardInterrupt

    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        merge(kit, roster, [ROUND1], jobs=2, progress=progress)
    assert seen == [1, 2]
    # no worker is still reading (and writing a spill file) once merge has raised
    assert multiprocessing.active_children() == []
    gc.collect()
    assert list(tmp_path.glob("xltools-merge-*")) == []
    assert time.perf_counter() - t0 < 60  # returns, rather than waiting on the pool for ever


def test_pool_workers_leave_ctrl_c_to_the_parent(kit, roster):
    import signal

    from xltools.merge import _init_worker

    before = signal.getsignal(signal.SIGINT)
    try:
        _init_worker(kit, roster, None, None)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


# --------------------------------------------------------------------------- the spill's lifetime


def test_rows_outlive_the_consolidation_object(kit, roster):
    rows = merge(kit, roster, [ROUND1], jobs=1).rows
    gc.collect()
    posts = list(rows["posts"])
    assert len(posts) == len(rows["posts"]) > 0


def test_rows_after_close_are_one_clear_error(kit, roster):
    cons = merge(kit, roster, [ROUND1], jobs=1)
    cons.spill_dir.close()
    with pytest.raises(DataError) as err:
        list(cons.rows["posts"])
    assert "请重新汇总" in str(err.value) and "\n" not in str(err.value)


def test_a_forked_child_leaves_the_parents_spill_alone(tmp_path):
    from xltools.spill import _remove_spill

    d = tmp_path / "xltools-merge-x"
    d.mkdir()
    _remove_spill(str(d), os.getpid() + 1)  # what a forked child's exit runs
    assert d.is_dir()
    _remove_spill(str(d), os.getpid())
    assert not d.exists()


def test_sigterm_ends_the_command_and_removes_the_spill(tmp_path):
    import subprocess
    import sys

    script = (
        "import os, signal, time\n"
        "from xltools.cli import _stop_on_term\n"
        "from xltools.merge import SpillDir\n"
        "_stop_on_term()\n"
        "d = SpillDir()\n"
        "print(d.name, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(30)\n"
    )
    env = dict(os.environ, TMPDIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    spill = Path(proc.stdout.strip())
    assert spill.parent == tmp_path and proc.returncode == 143
    assert not spill.exists()


def test_rejected_rows_keep_only_the_forms_cells(streamed):
    cons = streamed[2]
    assert cons.rejected
    for row in cons.rejected:
        assert isinstance(row.cells, dict)
        assert set(row.cells) <= {c for c in row.columns.values() if c is not None}
        assert len(row.raw) == len(row.labels)


def test_consolidation_closes_as_a_context_manager(kit, roster):
    with merge(kit, roster, [ROUND1], jobs=1) as cons:
        spill = cons.spill_dir.name
        assert os.path.isdir(spill)
        accepted = sum(len(list(rows)) for rows in cons.rows.values())
        assert accepted == cons.counts["rows_accepted"] > 0
    assert not os.path.exists(spill)
    assert cons.counts["rows_accepted"] == accepted and cons.figures  # what stays after close
    with pytest.raises(DataError):
        list(cons.rows[kit.forms[0].name])
    cons.close()  # idempotent


def test_feedback_refuses_a_closed_consolidation_before_writing(kit, roster, tmp_path):
    from xltools.feedback import feedback

    cons = merge(kit, roster, [ROUND1], jobs=1)
    assert not cons.closed
    cons.close()
    assert cons.closed
    out = tmp_path / "退回"
    with pytest.raises(DataError, match="已关闭"):
        feedback(kit, roster, [ROUND1], out, consolidation=cons)
    assert not out.exists()


def test_every_read_back_sequence_refuses_at_once_after_close(kit, roster):
    cons = merge(kit, roster, [ROUND1], jobs=2)
    assert len(cons.issues) > 0 and len(cons.rejected) > 0
    cons.close()
    for seq in [cons.issues, cons.rejected, *cons.rows.values()]:
        it = iter(seq)
        with pytest.raises(DataError, match="已关闭"):
            next(it)  # the first item already: nothing is yielded before the error
