"""Spill files: where :func:`xltools.merge.merge` keeps rows between reading and writing.

Issue 7: memory bounded by the largest return, not by the total.  Each return's rows are written
to a file in a temporary directory (:class:`SpillDir`, in ``TMPDIR``) as soon as the file has been
read — by the pool worker that read it — and read back one file at a time when the consolidated
workbook is written (:class:`AcceptedRows`).

The file format is private to one run: per return, one pickle segment per form, each a list of
``(sheet, row, values in field order, {column: raw cell}, columns, issues)`` tuples
(:func:`write_segments`, :func:`read_segment`).  Only the process that read the returns reads the
files, and they are removed with the consolidation (or at exit, or on SIGTERM through the CLI).
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

from .errors import OutputError

if TYPE_CHECKING:
    from .forms import FormDefinition
    from .issues import Issue
    from .merge import FileResult, Row


def write_segments(path: str | Path, records: dict[str, list[tuple]]) -> dict[str, tuple[int, int]]:
    """Write each form's records to ``path`` as one pickle segment; returns form name →
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


def _remove_spill(path: str, owner: int) -> None:
    if os.getpid() == owner:  # a forked child exiting must not remove its parent's rows
        shutil.rmtree(path, ignore_errors=True)


class AcceptedRows(Sequence):
    """The accepted rows of one form, in roster order, then file, sheet and source row.

    A sequence that does not hold the rows: iterating reads each unit's rows back (from memory,
    or from :func:`merge`'s spill file) one file at a time, skipping the rejected ones, so writing
    a city's consolidated workbook needs the memory of one return (issue 7).  ``len`` is free;
    indexing reads every row into a list once (for tests and small rounds)."""

    def __init__(self, definition: FormDefinition, form_name: str) -> None:
        self._definition = definition
        self._form = form_name
        #: (file result, accepted rows, indexes of rejected rows, index → issues of accepted rows)
        self._parts: list[tuple[FileResult, int, frozenset[int], dict[int, list[Issue]]]] = []
        self._len = 0
        self._list: list[Row] | None = None
        #: the spill directory the rows live in, kept alive as long as this sequence
        self.spill_dir: SpillDir | None = None

    def add(self, result: FileResult, n: int, rejected: frozenset[int], issues: dict[int, list[Issue]]) -> None:
        self._parts.append((result, n, rejected, issues))
        self._len += n
        self._list = None

    def __len__(self) -> int:
        return self._len

    def __iter__(self):
        if self._list is not None:
            yield from self._list
            return
        for result, n, rejected, issues in self._parts:
            if not n:
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

    def __getitem__(self, index):  # type: ignore[override]
        if self._list is None:
            self._list = list(iter(self))
        return self._list[index]

    def __repr__(self) -> str:
        return f"<AcceptedRows {self._form}: {self._len} rows>"


