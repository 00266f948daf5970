"""Issues (问题): findings in a return, each addressed to a file, sheet and cell.

Problems in the data are never exceptions (DESIGN.md §6): coercion, header matching,
identification and the cross-form rules all produce :class:`Issue` values that the merge
collects, the consolidated workbook lists in 问题清单 and ``xltools check`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

ERROR = "error"
WARNING = "warning"

#: Chinese level names used in the issue list (问题清单) and the terminal.
SEVERITY_LABELS = {ERROR: "错误", WARNING: "警告"}


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding.

    ``severity``: ``"error"`` (the row is rejected, or the file/sheet cannot be used) or
    ``"warning"`` (reported, data still accepted).  ``message``: a Chinese sentence a clerk
    understands, saying what is wrong and what to do.  ``file``: the return's path as given;
    ``sheet``/``cell`` (Excel address such as ``E7``, real coordinates even when the sheet's
    used area starts lower); ``row``: 1-based sheet row or None; ``field``: the field's label;
    ``raw``: the value as found, as text; ``kind``: a stable machine-readable code
    (``required``, ``bad_date``, ``not_in_choices`` …) for tests and JSON consumers.
    """

    severity: str
    message: str
    kind: str = ""
    file: str = ""
    sheet: str = ""
    cell: str = ""
    row: int | None = None
    field: str = ""
    raw: str = ""
    unit_code: str = ""
    unit_name: str = ""

    def __reduce__(self) -> tuple:
        # pickled as a call with the fields in order: a frozen slots dataclass otherwise goes
        # through copyreg and a state dict (5 µs an issue; issue 7, the spill files)
        return Issue, (self.severity, self.message, self.kind, self.file, self.sheet, self.cell, self.row,
                       self.field, self.raw, self.unit_code, self.unit_name)

    @property
    def level(self) -> str:
        """错误 or 警告."""
        return SEVERITY_LABELS.get(self.severity, self.severity)

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def at(self, **where: object) -> Issue:
        """A copy with location fields filled in (``file=``, ``sheet=``, ``cell=`` …)."""
        return replace(self, **where)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "level": self.level,
            "kind": self.kind,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "row": self.row,
            "field": self.field,
            "raw": self.raw,
            "message": self.message,
        }


def cell_address(row: int, col: int) -> str:
    """Excel address from a 1-based row and 0-based column: ``cell_address(7, 4) == "E7"``."""
    return f"{column_letter(col)}{row}"


def column_letter(col: int) -> str:
    """Excel column letters from a 0-based index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    n = col + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


__all__ = ["ERROR", "WARNING", "SEVERITY_LABELS", "Issue", "cell_address", "column_letter"]
