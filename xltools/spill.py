"""Spill files: where :func:`xltools.merge.merge` keeps rows between reading and writing.

Issue 7: memory bounded by the largest return, not by the total.  Each return's rows are written
to a file in a temporary directory (:class:`SpillDir`, in ``TMPDIR``) as soon as the file has been
read — by the pool worker that read it — and read back one file at a time when the consolidated
workbook is written (:class:`AcceptedRows`).

The file format is private to one run: per return, one pickle segment per form, each a list of
blocks, one per source sheet, holding the sheet's rows column by column (the layout is
:meth:`xltools.returns.FileResult._blocks`'; :func:`write_segments`, :func:`read_segment`); when the file's unit was judged in the
worker and had problems, one more segment appended after them (:func:`append_segment`) holds
the verdict's ``(issues, rejected rows)`` (:class:`IssueList`, :class:`RejectedRows`).  Only the
process that read the returns reads the files, and they are removed with the consolidation (or
at exit, or on SIGTERM through the CLI).
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DataError, OutputError

if TYPE_CHECKING:
    from .forms import FormDefinition
    from .issues import Issue
    from .returns import FileResult, Row


def write_segments(path: str | Path, records: dict[str, list[tuple]]) -> dict[str, tuple[int, int]]:
    """Write each form's records (any picklable list) to ``path`` as one pickle segment; returns form name →
    ``(offset, length)`` in bytes.  Raises ``OSError`` (disk full, directory gone)."""
    segments: dict[str, tuple[int, int]] = {}
    with open(path, "wb") as fh:
        for form_name, rows in records.items():
            blob = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
            segments[form_name] = (fh.tell(), len(blob))
            fh.write(blob)
    return segments


def read_segment(path: str | Path, segment: tuple[int, int]) -> list[tuple]:
    """The records of one segment written by :func:`write_segments`.  Raises
    ``FileNotFoundError`` when the spill has been removed."""
    offset, length = segment
    with open(path, "rb") as fh:
        fh.seek(offset)
        return pickle.loads(fh.read(length))


def append_segment(path: str | Path, obj: object) -> tuple[int, int]:
    """Append ``obj`` to the spill file ``path`` as one more pickle segment (the segments
    already there keep their offsets); returns its ``(offset, length)`` for :func:`read_segment`.
    Raises ``OSError``."""
    blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    with open(path, "ab") as fh:
        offset = fh.seek(0, os.SEEK_END)
        fh.write(blob)
    return offset, len(blob)


class SpillDir:
    """A temporary directory for :func:`merge`'s spilled rows, removed when the consolidation
    that holds it is garbage-collected, at exit, or on :meth:`close`."""

    def __init__(self) -> None:
        try:
            self.name = tempfile.mkdtemp(prefix="xltools-merge-")
        except OSError as exc:
            raise OutputError(
                f"无法在临时目录 {tempfile.gettempdir()} 中建立汇总用的临时文件（{exc.strerror or exc}），"
                "请把环境变量 TMPDIR 设为一个可写、空间足够的目录后重试"
            ) from None
        self._finalizer = weakref.finalize(self, _remove_spill, self.name, os.getpid())

    def close(self) -> None:
        self._finalizer()

    @property
    def closed(self) -> bool:
        """Whether the directory has been removed (:meth:`close`, or the owner's exit)."""
        return not self._finalizer.alive


def _remove_spill(path: str, owner: int) -> None:
    if os.getpid() == owner:  # a forked child exiting must not remove its parent's rows
        shutil.rmtree(path, ignore_errors=True)


class _ReadBack(Sequence):
    """A sequence of a consolidation's rows or issues that does not hold them: ``len`` is free,
    iterating reads the parts back (:meth:`_read`, one unit or file at a time), indexing reads
    everything into a list once (for tests and small rounds).  ``spill_dir`` keeps the spill
    directory alive as long as the sequence."""

    def __init__(self) -> None:
        self._len = 0
        self._list: list | None = None
        self.spill_dir: SpillDir | None = None

    def _grew(self, n: int) -> None:
        self._len += n
        self._list = None

    def __len__(self) -> int:
        return self._len

    def __iter__(self):
        if self._list is not None:
            yield from self._list
            return
        self._check_open()
        yield from self._read()

    def _check_open(self) -> None:
        if self.spill_dir is not None and self.spill_dir.closed:
            # one clear error before anything is yielded, not part of the sequence and then one
            raise DataError("汇总结果已关闭（close()），暂存的数据行和问题已删除，请重新汇总")

    def _read(self):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __getitem__(self, index):  # type: ignore[override]
        if self._list is None:
            self._list = list(iter(self))
        return self._list[index]

    # compared and concatenated like the lists they replaced (issue 7)
    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, _ReadBack)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other):
        if isinstance(other, (list, _ReadBack)):
            return list(self) + list(other)
        return NotImplemented

    def __radd__(self, other):
        if isinstance(other, list):
            return other + list(self)
        return NotImplemented


class AcceptedRows(_ReadBack):
    """The accepted rows of one form, in roster order, then file, sheet and source row.

    A sequence that does not hold the rows: iterating reads each unit's rows back (from memory,
    or from :func:`merge`'s spill file) one file at a time, skipping the rejected ones, so writing
    a city's consolidated workbook needs the memory of one return (issue 7).  ``len`` is free;
    indexing reads every row into a list once (for tests and small rounds)."""

    def __init__(self, definition: FormDefinition, form_name: str) -> None:
        super().__init__()
        self._definition = definition
        self._form = form_name
        #: (file result, accepted rows, indexes of rejected rows, index → issues of accepted rows)
        self._parts: list[tuple[FileResult, int, frozenset[int], dict[int, list[Issue]]]] = []

    def add(self, result: FileResult, n: int, rejected: frozenset[int], issues: dict[int, list[Issue]]) -> None:
        self._parts.append((result, n, rejected, issues))
        self._grew(n)

    def of_files(self, files: set[str]):
        """Like iterating, but only the rows of the returns named in ``files`` (as
        :attr:`Row.file`): the other returns' spill files are not read.  Raises
        :class:`~xltools.errors.DataError` at once when the consolidation is closed."""
        if self._list is not None:
            return (r for r in self._list if r.file in files)
        self._check_open()
        return self._read(files)

    def _read(self, files: set[str] | None = None):
        for result, n, rejected, issues in self._parts:
            if not n or (files is not None and result.path not in files):
                continue
            rows = result.load(self._form, self._definition)
            keep = [(row.sheet, row.row, i) for i, row in enumerate(rows) if i not in rejected]
            keep.sort()
            for _sheet, _row, i in keep:
                row = rows[i]
                row.issues = list(issues.get(i, ()))
                yield row

    def records(self):
        """Like iterating, but each accepted row as ``(values in field order, unit code, unit
        name, file, sheet, row)``: no :class:`Row` objects (the consolidated workbook's loop)."""
        for result, n, rejected, _issues in self._parts:
            if not n:
                continue
            rows = result.values(self._form, self._definition)
            keep = [(sheet, row, i) for i, (sheet, row, _v) in enumerate(rows) if i not in rejected]
            keep.sort()
            code, name, file = result.unit_code, result.unit_name, result.path
            for sheet, row, i in keep:
                yield rows[i][2], code, name, file, sheet, row

    def __repr__(self) -> str:
        return f"<AcceptedRows {self._form}: {self._len} rows>"


# Issue 7, second part: a round of thousands of small returns has thousands of problems, and each
# unit's error-level issues and rejected rows (with their raw cells) wait in the spill file of the
# return they came from (``UnitVerdict.stowed``) until the workbook is written.  The two sequences
# below stand for :attr:`Consolidation.issues` and :attr:`Consolidation.rejected`: ``len`` is free,
# iterating reads one unit's part back at a time, indexing reads everything into a list once.


class IssueList(_ReadBack):
    """Every issue of a consolidation, in roster order, then file, sheet, row, column and kind.

    Each part is one unit's issues (or the issues outside any unit): the issues held in memory
    before and after the unit's judged issues, the judged issues themselves (a list, or a
    loader that reads them back from a spill file), the unit's code and name to stamp on each
    issue (or None), and whether to sort the part (a stable sort by :func:`order_key`)."""

    def __init__(self, order_key) -> None:
        super().__init__()
        self._order_key = order_key
        self._parts: list[tuple] = []

    def add(self, before: Sequence[Issue], judged, n_judged: int, after: Sequence[Issue],
            where: dict[str, str] | None, sort: bool = True) -> None:
        self._parts.append((tuple(before), judged, tuple(after), where, sort))
        self._grew(len(before) + n_judged + len(after))

    def _read(self):
        for before, judged, after, where, sort in self._parts:
            part = [*before, *(judged() if callable(judged) else judged), *after]
            if where:
                part = [i.at(**where) for i in part]
            if sort:
                part.sort(key=self._order_key)
            yield from part

    def __repr__(self) -> str:
        return f"<IssueList: {self._len} issues>"


class RejectedRows(_ReadBack):
    """The rejected rows of a consolidation, in roster order (``rank``), then file, sheet and
    source row.  Each part is one unit's rows (a list, or a loader that reads them back from a
    spill file) under the unit's rank; parts of the same rank are read together."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[tuple[int, object]] = []

    def add(self, rank: int, rows, n: int) -> None:
        if n:
            self._parts.append((rank, rows))
            self._grew(n)

    def _read(self):
        parts = sorted(range(len(self._parts)), key=lambda k: self._parts[k][0])  # stable
        k = 0
        while k < len(parts):
            rank = self._parts[parts[k]][0]
            group: list[Row] = []
            while k < len(parts) and self._parts[parts[k]][0] == rank:
                rows = self._parts[parts[k]][1]
                group.extend(rows() if callable(rows) else rows)
                k += 1
            group.sort(key=lambda r: (r.file, r.sheet, r.row))
            yield from group

    def __repr__(self) -> str:
        return f"<RejectedRows: {self._len} rows>"
