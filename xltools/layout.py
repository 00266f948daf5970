"""How wide text is and how many lines it wraps into, for the row heights xltools writes.

Excel and LibreOffice do not grow a row to fit wrapped text in a file written by XlsxWriter (a
row without a stored height is drawn one line high), so every workbook xltools writes —
the issued forms (:mod:`xltools.generate`), ballots (:mod:`xltools.ballot`), the consolidated
workbook (:mod:`xltools.consolidated`) — sizes its wrapped rows itself from these estimates.

Widths are in Excel column-width units (one unit ≈ one digit of the default 11 pt font, the
unit of ``worksheet.set_column``); a character's width follows its East Asian Width (Unicode
UAX #11, as :func:`unicodedata.east_asian_width` gives it): Wide and Fullwidth characters
(汉字, full-width punctuation) take about two units, the rest one.
"""

from __future__ import annotations

import math
import unicodedata


def text_units(text: str, size: float = 11) -> float:
    """Approximate width of ``text`` in column-width units at ``size`` points: 2.1 a Wide or
    Fullwidth character, 1.1 any other (a little over the digit width, so that an estimate
    errs towards one more line rather than a cut-off one)."""
    w = sum(2.1 if unicodedata.east_asian_width(ch) in "WF" else 1.1 for ch in text)
    return w * size / 11


def wrapped_lines(text: str, width: float, size: float = 11) -> int:
    """How many lines ``text`` wraps into in a column (or merged range) ``width`` units wide at
    ``size`` points, each ``\\n`` starting a line; at least 1."""
    usable = max(width - 1.5, 1.0)
    return sum(max(1, math.ceil(text_units(part, size) / usable)) for part in text.split("\n"))


#: Display width of each character met so far: 2 for East Asian Wide and Fullwidth, else 1.
_UNITS: dict[str, int] = {}


def display_units(text: str) -> int:
    """``text``'s width in half-width units (2 a Wide or Fullwidth character, else 1), each
    character looked up once per process: a province's consolidated workbook asks for every
    issue and rejected row (15,000 of each)."""
    if text.isascii():  # East Asian width Na or N: one unit each
        return len(text)
    for ch in set(text).difference(_UNITS):
        _UNITS[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return sum(map(_UNITS.__getitem__, text))


__all__ = ["display_units", "text_units", "wrapped_lines"]


def excel_length(text: str) -> int:
    """``text``'s length as Excel counts it against its limits (31 for a sheet name, 255 for a
    list or an input message): UTF-16 code units, so a character outside the BMP (𠮷) is two."""
    return len(text.encode("utf-16-le")) // 2
