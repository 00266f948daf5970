"""Merge: returns → :class:`Consolidation` (identify, map headers, coerce, validate, ledger, figures).

The pipeline (DESIGN.md §3 and §5), in two stages:

1. **Per file** (:mod:`xltools.returns`) — :func:`read_one` reads, identifies and coerces one
   return; here a process pool (``jobs``) runs it over the files, spills each file's rows and
   judges a unit while its only file's rows are in memory (:func:`_read_and_spill`).
2. **Per unit** (:mod:`xltools.combine`) — :func:`combine` judges units that sent several files,
   then builds the ledger, the issue list and the figures in roster order.

This module is the public entry point (:func:`merge`, :func:`check`) and re-exports the names
other modules and the tests import from it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from ._heap import keep_freed_memory
from ._io import readable_name
from .combine import (  # noqa: F401 - re-exported: merge is the public entry point
    _NO_FLAGS,
    DUPLICATE,
    HAS_ERRORS,
    MISSING,
    RETURNED,
    SUPERSEDED,
    UNIDENTIFIED,
    UNREADABLE,
    Consolidation,
    LedgerEntry,
    UnitVerdict,
    _stow_verdict,
    combine,
    judge_unit,
)
from .errors import ReturnReadError
from .forms import FormDefinition, load_form_definition
from .issues import Issue
from .readers import Limits, find_returns
from .returns import (  # noqa: F401 - re-exported
    EXCEL_CELL_LIMIT,
    UNKNOWN_UNIT,
    FileResult,
    PackedResult,
    Row,
    _coerce_column,
    _excel_limit,
    read_one,
)
from .roster import Roster, Unit, load_roster
from .spill import AcceptedRows, IssueList, RejectedRows, SpillDir

# --------------------------------------------------------------------------- public API


def _load(definition: FormDefinition | str | Path, roster: Roster | str | Path) -> tuple[FormDefinition, Roster]:
    if not isinstance(definition, FormDefinition):
        definition = load_form_definition(definition)
    if not isinstance(roster, Roster):
        roster = load_roster(roster)
    return definition, roster


def merge(
    definition: FormDefinition | str | Path,
    roster: Roster | str | Path,
    returns: Iterable[str | Path],
    *,
    on_duplicate: str = "newest",
    jobs: int | None = None,
    limits: Limits | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Consolidation:
    """Merge the returns of a collection round.

    ``definition``: a :class:`FormDefinition` or YAML path; ``roster``: a :class:`Roster` or a
    roster file; ``returns``: files and/or folders (searched recursively; lock and system files
    skipped and counted).  ``jobs``: worker processes (default: the machine's cores; results are
    combined in roster order so the output does not depend on it).  ``progress(done, total,
    path)`` is called after each file.

    Rows wait in a temporary directory (``TMPDIR``; about 5× the returns' size) between reading
    and writing, removed with the consolidation (:class:`SpillDir`); a file whose rows cannot be
    written there keeps them in memory.

    Returns a :class:`Consolidation`.  Raises :class:`~xltools.errors.XltoolsError` only for
    bad arguments (definition, roster, a return path that does not exist), and
    :class:`~xltools.errors.OutputError` when the temporary directory cannot be created;
    problems in the returns are issues.
    """
    definition, roster = _load(definition, roster)
    roots = [Path(r) for r in returns]
    files, skipped = find_returns(roots)
    names = display_names(roots, files)
    # Rows wait on disk between reading and writing (issue 7: memory bounded by the largest
    # return).  The directory lives as long as the consolidation and is removed with it.
    spill = SpillDir()
    results = _read_all(files, [names[f] for f in files], definition, roster, jobs, limits, progress, spill.name)
    cons = combine(definition, roster, results, on_duplicate=on_duplicate,
                   skipped=[display_names(roots, skipped)[s] for s in skipped])
    cons.sources = {names[f]: str(f) for f in files}
    cons.spill_dir = spill
    for seq in [*cons.rows.values(), cons.issues, cons.rejected]:
        if isinstance(seq, (AcceptedRows, IssueList, RejectedRows)):
            seq.spill_dir = spill
    return cons


def display_names(roots: Sequence[Path], files: Sequence[Path]) -> dict[Path, str]:
    """How each file is named in the ledger and issue list: a file found in a folder given on
    the command line is named from that folder (``round1/D01_区委办.xlsx``), a file given
    directly as given.  Unique: on a clash the full path is used."""
    out: dict[Path, str] = {}
    # Each folder is resolved once (files given one by one are roots too: a loop over them for
    # every file was quadratic, one second for 500 files).
    # A file is named by where it lies, its folder resolved (os.path.realpath: Path.resolve
    # raises RuntimeError on a symbolic link loop, Python 3.11), not by what a link points to:
    # a looping or dangling link among the returns is one unreadable file, named like the rest.
    folders = [(r, Path(r.name)) for r in (Path(os.path.realpath(root)) for root in roots if root.is_dir())]
    for f in files:
        name = str(f)
        if folders:
            resolved = Path(os.path.realpath(Path(f).parent)) / Path(f).name
            for folder, shown in folders:
                try:
                    name = str(shown / resolved.relative_to(folder))
                    break
                except ValueError:
                    continue
        out[f] = readable_name(name)
    seen = Counter(out.values())
    out = {f: (name if seen[name] == 1 else readable_name(str(f))) for f, name in out.items()}
    # Names that still clash were told apart only by bytes that are not UTF-8 (a GBK and a
    # UTF-8 copy of one name): those bytes are shown as \xNN, so no file hides behind another.
    seen = Counter(out.values())
    return {f: (name if seen[name] == 1 else os.fsencode(str(f)).decode("utf-8", "backslashreplace"))
            for f, name in out.items()}


def _read_all(files: Sequence[Path], names: Sequence[str], definition: FormDefinition, roster: Roster,
              jobs: int | None, limits: Limits | None, progress, spill_dir: str | None = None) -> list[PackedResult]:
    """Read every file (stage 1), in a process pool when ``jobs`` > 1.  With ``spill_dir``, each
    file's rows are written there as soon as it is read (in the worker) and only the summary
    comes back, so neither the workers nor this process hold more than one return's rows; each
    result comes back packed (:class:`PackedResult`)."""
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    total = len(files)
    results: list[PackedResult] = []
    if jobs <= 1 or total < 4:
        for i, (f, name) in enumerate(zip(files, names), 1):
            results.append(_read_file(f, name, i, definition, roster, limits, spill_dir))
            if progress:
                progress(i, total, name)
        return results
    import multiprocessing

    ctx = multiprocessing.get_context("fork") if hasattr(os, "fork") else None
    # The definition, roster and limits go to each worker once, not with every file.
    with _gc_frozen(), ProcessPoolExecutor(max_workers=min(jobs, total), mp_context=ctx,
                                           initializer=_init_worker,
                                           initargs=(definition, roster, limits, spill_dir)) as pool:
        # Files go to the workers 16 at a time (fewer round trips), the last few one by one so
        # that the workers finish together: with S2's 16-file chunks one worker sat idle for
        # half a chunk, about half a second, at the end.  Work is taken in submission order.
        chunk = max(1, min(16, total // (jobs * 4) or 1))
        head = max(0, total - jobs * 8)
        index = range(1, total + 1)
        try:
            done = chain(pool.map(_read_in_worker, files[:head], names[:head], index[:head], chunksize=chunk),
                         pool.map(_read_in_worker, files[head:], names[head:], index[head:], chunksize=1))
            for i, res in enumerate(done, 1):
                results.append(res)
                if progress:
                    progress(i, total, res.path)
        except BaseException:
            # Ctrl-C (or any error here): drop the files not yet started and wait only for the
            # ones being read, instead of reading the whole batch first.  The wait matters: a
            # worker still writing its spill file after this returns could race the removal of
            # the spill directory and leave it behind (and shutdown(wait=False) here would make
            # the pool's own exit skip its wait: CPython's ProcessPoolExecutor.shutdown forgets
            # its manager thread on the first call).
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return results


@contextlib.contextmanager
def _gc_frozen():
    """The objects alive on entry frozen (``gc.freeze``) inside the block: the pool's workers are
    forked there, and share this process's memory until they write to it; a collection in a
    worker writes to every object it scans, while frozen ones are never scanned, so their pages
    stay shared (the gc module's documentation of ``gc.freeze``; issue 7: S4's tree PSS 103 →
    93 MB).  Thawed on leaving, unless the caller had frozen objects itself."""
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:
            gc.unfreeze()


@contextlib.contextmanager
def _gc_paused():
    """No cyclic garbage collection inside the block (the previous state is restored after).

    CPython collects the youngest generation every 700 net allocations of container objects
    and, as survivors pile up, the older ones too (``gc.get_threshold``; the gc module's
    documentation).  Reading one return allocates hundreds of thousands of tuples and lists
    that live until the file is done and form no reference cycles, so those collections find
    nothing and cost 10–20 % of the read (issue 7, measured on S2 returns: bench/README.md).
    Cycles made inside the block are collected by the first collection after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_file(path: Path, name: str, index: int, definition: FormDefinition, roster: Roster | None,
               limits: Limits | None, spill_dir: str | None) -> PackedResult:
    """The whole per-file task of a merge, in this process or a worker: read, spill, judge a
    unit's only return and stow its issues (:func:`_read_and_spill`, ``_stow_verdict``), with
    the garbage collector paused (:func:`_gc_paused`); packed (:class:`PackedResult`) to wait
    for :func:`combine` in little memory."""
    with _gc_paused():
        return PackedResult.of(_stow_verdict(_read_and_spill(path, name, index, definition, roster, limits,
                                                             spill_dir)))


def _read_and_spill(path: Path, name: str, index: int, definition: FormDefinition, roster: Roster | None,
                    limits: Limits | None, spill_dir: str | None) -> FileResult:
    res = read_one(path, definition, roster, limits, display=name)
    spilled = None
    if spill_dir is not None and res.rows:
        try:
            # straight after reading: the columns read_one kept are the rows' (FileResult.spill_to)
            spilled = res.spill_to(os.path.join(spill_dir, f"{index:07d}.rows"), definition, as_read=True)
        except OSError:
            # The disk is full or the directory went away: keep this file's rows in memory
            # rather than lose them (the merge needs more memory, nothing else changes).
            pass
    if spilled is None:
        res.columnar = {}  # what only the spill needed
        return res
    if res.status == "ok":
        # judge_unit adds issues to the rows it is given: these in-memory rows, already
        # spilled unchanged, so a second judgement (the unit sent more files) starts clean.
        spilled.verdict = judge_unit(definition, res.unit_code, {f: res for f in res.forms})
    return spilled


_WORKER: tuple[FormDefinition, Roster, Limits | None, str | None] | None = None


def _init_worker(definition: FormDefinition, roster: Roster, limits: Limits | None, spill_dir: str | None) -> None:
    global _WORKER
    # Ctrl-C reaches the whole process group: only the parent handles it.  A worker interrupted
    # inside the pool's queue machinery leaves the parent waiting for it for ever.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_freed_memory()  # this process reads returns and exits: their buffers reused (_heap)
    _WORKER = (definition, roster, limits, spill_dir)


def _read_in_worker(path: Path, name: str, index: int) -> PackedResult:
    assert _WORKER is not None
    definition, roster, limits, spill_dir = _WORKER
    return _read_file(path, name, index, definition, roster, limits, spill_dir)


@dataclass
class CheckResult:
    """The result of :func:`check` on one return: the file's result, its issues (cell-level
    included, in sheet/row/column order) and the number of rows that would be accepted/rejected."""

    path: str
    status: str
    unit_code: str
    unit_name: str
    issues: list[Issue]
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    reason: str = ""

    @property
    def has_errors(self) -> bool:
        return any(i.is_error for i in self.issues)


def check(path: str | Path, definition: FormDefinition | str | Path,
          roster: Roster | str | Path | None = None, *, limits: Limits | None = None) -> CheckResult:
    """Check one return as merge would (reading, identification, coercion, duplicate keys and
    cross-form rules within the file).  Without a roster, the unit is taken from the file's stamp
    as it stands.  Raises :class:`~xltools.errors.XltoolsError` for a bad definition or a path
    that does not exist."""
    if not isinstance(definition, FormDefinition):
        definition = load_form_definition(definition)
    p = Path(path)
    if not p.exists() and not p.is_symlink():  # a broken or looping link: read_one says which
        raise ReturnReadError(readable_name(str(p)), "文件不存在", "请检查路径")
    if roster is not None and not isinstance(roster, Roster):
        roster = load_roster(roster)
    res = read_one(p, definition, roster, limits, display=readable_name(str(path)))
    if roster is None:
        roster = Roster(units=(Unit(res.unit_code, res.unit_name),) if res.status == "ok" else ())
    cons = combine(definition, roster, [res])
    return CheckResult(path=readable_name(str(path)), status=res.status, unit_code=res.unit_code, unit_name=res.unit_name,
                       issues=list(cons.issues), rows_read=cons.counts["rows_read"], rows_accepted=cons.counts["rows_accepted"],
                       rows_rejected=cons.counts["rows_rejected"], reason=res.reason)


__all__ = [
    "CheckResult",
    "Consolidation",
    "FileResult",
    "LedgerEntry",
    "Row",
    "check",
    "combine",
    "merge",
    "read_one",
]
