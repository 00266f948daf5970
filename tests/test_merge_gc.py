"""Issue 7: each return is read with CPython's cyclic garbage collector paused
(``merge._gc_paused``), and the collector's state is what it was before once the file is done
(also when reading it fails, and when the caller had switched the collector off)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import xltools.merge as merge_mod
from xltools.merge import merge

ROOT = Path(__file__).resolve().parent.parent
ROUND1 = ROOT / "samples" / "returns" / "round1"


@pytest.fixture
def gc_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _spy(monkeypatch, name: str = "_read_and_spill", probe=gc.isenabled) -> list:
    """``probe()`` recorded at each call of ``merge.<name>``."""
    seen: list = []
    real = getattr(merge_mod, name)

    def spy(*args, **kwargs):
        seen.append(probe())
        return real(*args, **kwargs)

    monkeypatch.setattr(merge_mod, name, spy)
    return seen


def test_collector_paused_per_file_and_restored(kit, roster, monkeypatch, gc_on):
    seen = _spy(monkeypatch)
    cons = merge(kit, roster, [ROUND1], jobs=1)
    assert len(seen) == len(cons.sources) > 0  # one call per return
    assert seen and not any(seen)  # paused while each file was read
    assert gc.isenabled()  # and on again afterwards


def test_collector_stays_off_when_the_caller_switched_it_off(kit, roster, monkeypatch, gc_on):
    seen = _spy(monkeypatch)
    gc.disable()
    merge(kit, roster, [ROUND1], jobs=1)
    assert seen and not any(seen)
    assert not gc.isenabled()


def test_collector_restored_when_a_read_raises(gc_on):
    with pytest.raises(RuntimeError), merge_mod._gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_same_consolidation_with_and_without_the_pause(kit, roster, monkeypatch, gc_on):
    import contextlib

    paused = merge(kit, roster, [ROUND1], jobs=1).to_json()
    monkeypatch.setattr(merge_mod, "_gc_paused", contextlib.nullcontext)
    assert merge(kit, roster, [ROUND1], jobs=1).to_json() == paused


def test_objects_are_frozen_while_the_pool_forks_and_thawed_after(kit, roster, monkeypatch, gc_on):
    """--jobs N: the parent's objects are frozen (gc.freeze) while the pool's workers are forked
    and run, so collections in the workers leave their pages shared; thawed afterwards."""
    seen = _spy(monkeypatch, "ProcessPoolExecutor", gc.get_freeze_count)
    cons = merge(kit, roster, [ROUND1], jobs=2)
    assert seen and seen[0] > 1000  # the imported modules, the definition, the roster …
    assert gc.get_freeze_count() == 0
    assert cons.counts["rows_read"] > 0
    with pytest.raises(RuntimeError):
        monkeypatch.setattr(merge_mod, "ProcessPoolExecutor", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("x")))
        merge(kit, roster, [ROUND1], jobs=2)
    assert gc.get_freeze_count() == 0  # thawed when the pool fails too


def test_a_callers_own_freeze_is_kept(kit, roster, gc_on):
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        merge(kit, roster, [ROUND1], jobs=2)
        assert gc.get_freeze_count() >= before > 0
    finally:
        gc.unfreeze()
