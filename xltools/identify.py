"""Identify a return: which unit sent it and when it was saved (DESIGN.md §5 "Identity").

The stamp carriers, strongest first: the hidden ``_meta`` sheet (:func:`meta_stamp`), the
custom document properties (:func:`property_stamp`), the visible identity line above a form's
header (:func:`identity_on_sheet`); last, the unit's code or name in the file name
(:func:`filename_units`).  File names are never trusted alone: merge reports a file identified
only by its name as a warning, and a name that contradicts the stamp as an error.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timezone
from pathlib import Path

from . import stamp as st
from .forms import normalise_label
from .readers import CellError, ReturnWorkbook, SheetData
from .roster import Roster, Unit


def cell_text(v: object) -> str:
    """A raw cell value as display text: None → "", an Excel error → its code, 12.0 → "12",
    strings stripped."""
    if v is None:
        return ""
    if isinstance(v, CellError):
        return v.code
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def file_mtime(path: Path) -> datetime | None:
    """The file system's modification time (UTC, whole seconds), or None when unreadable."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).replace(microsecond=0)
    except OSError:
        return None


def saved_time(book: ReturnWorkbook) -> datetime | None:
    """Last-saved time recorded inside the return, UTC (``book.saved_record``, taken while its
    package was read: xlsx docProps/core.xml dcterms:modified; ods meta.xml dc:date, which
    LibreOffice writes as local time without a zone and is read as UTC here — consistent
    between two copies, which is all the ordering needs; xls SummaryInformation's last-saved
    time, UTC).  None when the file records none (.csv, or a file without it): merge
    then falls back on the file system's
    modification time, a different clock (git does not keep modification times, so the
    internal one is what orders two copies of a committed return)."""
    return _utc(book.saved_record)


def _utc(inner: str | None) -> datetime | None:
    """A recorded ISO 8601 time as an aware UTC datetime to the second (no zone: read as
    UTC), or None when absent or not a time."""
    if inner:
        try:
            t = datetime.fromisoformat(inner.replace("Z", "+00:00"))
            if t.tzinfo is None:
                t = t.replace(tzinfo=timezone.utc)
            return t.astimezone(timezone.utc).replace(microsecond=0)
        except ValueError:
            pass
    return None


def meta_stamp(book: ReturnWorkbook) -> st.Stamp | None:
    """The stamp in the ``_meta`` sheet (column A keys, column B values), or None."""
    sheet = book.sheet(st.META_SHEET)
    if sheet is None:
        return None
    items = {}
    for r in sheet.rows:
        if len(r) >= 2 and r[0] not in (None, ""):
            items[cell_text(r[0])] = cell_text(r[1])
    return st.stamp_from_items(items, "_meta")


def property_stamp(book: ReturnWorkbook) -> st.Stamp | None:
    """The stamp in the custom document properties (``xltools_*``), or None."""
    n = len(st.PROPERTY_PREFIX)
    items = {k[n:]: v for k, v in book.properties.items() if k.startswith(st.PROPERTY_PREFIX)}
    return st.stamp_from_items(items, "properties") if items else None


# A code token: letters and digits, possibly joined by - or . (D01, S4-0001, 2006.01).
_TOKEN = re.compile(r"[0-9a-z]+(?:[-.][0-9a-z]+)*")
_PART = re.compile(r"[0-9a-z]+")


def _roster_index(roster: Roster) -> tuple[dict[str, list[Unit]], list[tuple[re.Pattern[str], Unit]],
                                           list[tuple[str, Unit]]]:
    """The roster's normalised codes and names, computed once per roster object (a province's
    roster has thousands of units and every return's file name is checked against it).  Codes
    of other shapes (with CJK, spaces or _) get a pattern compiled once.  Kept in the roster's
    instance dict: hashing a frozen 5,000-unit roster for an ``lru_cache`` lookup cost 1.3 ms
    per file (issue 7)."""
    cached = roster.__dict__.get("_filename_index")
    if cached is None:
        cached = _build_roster_index(roster)
        roster.__dict__["_filename_index"] = cached  # a cache, not a field: frozen-ness is unaffected
    return cached


def _build_roster_index(roster: Roster) -> tuple[dict[str, list[Unit]], list[tuple[re.Pattern[str], Unit]],
                                                 list[tuple[str, Unit]]]:
    by_token: dict[str, list[Unit]] = {}
    other_codes: list[tuple[re.Pattern[str], Unit]] = []
    names: list[tuple[str, Unit]] = []
    for u in roster:
        code = unicodedata.normalize("NFKC", u.code).casefold().strip()
        if code and _TOKEN.fullmatch(code):
            by_token.setdefault(code, []).append(u)
        elif code:
            other_codes.append((re.compile(rf"(?<![0-9a-z]){re.escape(code)}(?![0-9a-z])"), u))
        name = normalise_label(u.name)
        if name:
            names.append((name, u))
    return by_token, other_codes, names


def filename_units(path: Path, roster: Roster) -> list[Unit]:
    """The roster units a file name names: a unit code as a separate token (``D01_区委办``,
    ``D01 区委办``, ``S4-0001``, and ``D01`` in ``D01-2``), else the longest unit name(s)
    contained in it.  One unit, several (ambiguous), or none."""
    name = normalise_label(path.stem)
    spaced = unicodedata.normalize("NFKC", path.stem).casefold()  # spaces still separate codes
    by_token, other_codes, names = _roster_index(roster)
    tokens = set(_TOKEN.findall(spaced)) | set(_PART.findall(spaced))
    by_code = [u for token in sorted(tokens) for u in by_token.get(token, ())]
    by_code += [u for pattern, u in other_codes if pattern.search(spaced)]
    if len(by_code) == 1:
        return by_code
    found = [(n, u) for n, u in names if n in name]
    if not found:
        return by_code
    longest = max(len(n) for n, _ in found)
    return [u for n, u in found if len(n) == longest]


def filename_unit(path: Path, roster: Roster) -> Unit | None:
    """The one roster unit a file name names, or None (nothing, or ambiguous)."""
    units = filename_units(path, roster)
    return units[0] if len(units) == 1 else None


def identity_on_sheet(sheet: SheetData, above: int) -> st.Stamp | None:
    for r in range(min(above, len(sheet.rows))):
        for v in sheet.rows[r]:
            parsed = st.parse_identity_line(v)
            if parsed:
                return parsed
    return None


__all__ = [
    "cell_text",
    "file_mtime",
    "filename_unit",
    "filename_units",
    "identity_on_sheet",
    "meta_stamp",
    "property_stamp",
    "saved_time",
]
