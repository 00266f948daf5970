"""The xltools exception tree.

Every failure that xltools can explain to a person is an :class:`XltoolsError` whose
``str()`` is one line of Chinese naming the file (and sheet and cell where known), what is
wrong and what to do.  The CLI (``xltools.cli``) renders it once as ``错误：<line>`` on stderr
with exit code 1 and no traceback (``--debug`` shows the traceback).  Problems *in the data*
of a return are not exceptions: they are issues (:class:`xltools.issues.Issue`) collected in
the consolidation, so one bad file never stops a batch (DESIGN.md §6).
"""

from __future__ import annotations

from pathlib import Path


class XltoolsError(Exception):
    """Root of every error xltools raises on purpose.  ``str(err)`` is a one-line message."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        # Keep it one line: a message is printed as ``错误：<message>``.
        super().__init__(" ".join(str(message).split("\n")).strip())


class FormDefinitionError(XltoolsError):
    """A form definition (YAML in ``templates/xlsx/``) is invalid.

    The message lists every problem found, each with its place in the YAML — the line where
    it is known, then the path — e.g. ``pioneer_posts.yaml 第 21 行：forms[0].fields[3].type：
    'interger' 不是字段类型，可用：…``.  ``problems`` holds them one per item, without the line;
    ``lines`` the 1-based line of each (None where there is none, as for a missing file or a
    YAML syntax error, whose text already gives its line).
    """

    def __init__(self, source: str, problems: list[str], lines: list[int | None] | None = None) -> None:
        self.source = source
        self.problems = list(problems)
        self.lines = list(lines) if lines is not None else [None] * len(self.problems)
        joined = "；".join(f"{source}{f' 第 {n} 行' if n else ''}：{p}" for p, n in zip(self.problems, self.lines))
        super().__init__(f"表单定义有 {len(self.problems)} 处错误：{joined}")


class RosterError(XltoolsError):
    """The roster (填报单位名单) cannot be read or has bad rows (duplicate code, blank name)."""


_CONTROLS_AS_SPACES = {i: " " for i in (*range(32), 0x7F, 0x85, 0x2028, 0x2029)}


class ReturnReadError(XltoolsError):
    """A return (报送文件) cannot be opened as a spreadsheet: encrypted, corrupt, too large,
    not a spreadsheet.  ``path`` names the file; ``reason`` is the short Chinese reason used in
    the returns ledger (状态 无法读取)."""

    def __init__(self, path: str, reason: str, advice: str = "请重新保存为 .xlsx 后再报送") -> None:
        self.path = path
        # one line, whatever a crafted file put in a sheet name (&#13; in workbook.xml)
        self.reason = reason.translate(_CONTROLS_AS_SPACES)
        self.advice = advice
        super().__init__(f"{path}：{self.reason}，{advice}".translate(_CONTROLS_AS_SPACES))


class OutputError(XltoolsError):
    """An output file cannot be written (directory missing, file open in Excel, no space)."""


class FilesInTheWay(OutputError):
    """A command stopped before writing anything because files it would replace hold what
    somebody filled in or edited (raised by :func:`xltools._io.refuse_filled`; DESIGN.md §6:
    nothing is lost).

    ``held``: ``(path, what it holds)`` for each such file, e.g. ``(Path('下发/D01….xlsx'),
    '填有 12 行数据')``; ``refusal``: the message up to the way on (which files, that nothing was
    written); ``way_on``: what to do, by default the CLI's (another folder, or ``--overwrite``).
    A caller without that option says its own with :meth:`saying`.
    """

    def __init__(self, held: list[tuple[Path, str]], refusal: str, way_on: str) -> None:
        self.held = list(held)
        self.refusal = refusal
        self.way_on = way_on
        super().__init__(f"{refusal}；{way_on}")

    def saying(self, way_on: str) -> FilesInTheWay:
        """The same refusal ending with ``way_on`` instead (the demo: "请用 --out 换一个目录")."""
        return FilesInTheWay(self.held, self.refusal, way_on)


class TemplateError(XltoolsError):
    """A Word report template (``templates/docx/``) cannot be rendered: missing variables,
    Jinja2 syntax error, leftover tag delimiters after rendering."""


class DataError(XltoolsError):
    """The data given to a command (figures JSON, consolidated workbook) is missing or malformed."""
