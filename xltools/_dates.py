"""Dates as the committee writes them: ISO deadlines in, 2006年1月20日 out (GB/T 9704 7.3.5.4:
full year, no zero padding)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from .errors import XltoolsError

# A date written year first as a committee writes it: 2006-01-20, 2006-1-20, 2006/1/20,
# 2006.1.20, 2006年1月20日 (full-width digits read through NFKC).  Year first only, so no
# reading is ambiguous (1/2/2006 is not taken).
_WRITTEN_DATE = re.compile(r"([0-9]{4})\s*(?:([-/.])\s*([0-9]{1,2})\s*\2\s*([0-9]{1,2})"
                           r"|年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]?)")


def written_date(text: str) -> date | None:
    """The date ``text`` writes year first (see ``_WRITTEN_DATE``), or None when it writes none
    or one that does not exist (2006-02-30)."""
    m = _WRITTEN_DATE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if m is None:
        return None
    month, day = (m.group(3), m.group(4)) if m.group(2) else (m.group(5), m.group(6))
    try:
        return date(int(m.group(1)), int(month), int(day))
    except ValueError:
        return None


def iso_deadline(text: str | None, where: str = "", *, quiet: bool = False) -> str:
    """A deadline as ``YYYY-MM-DD`` ("" when blank), from any year-first form
    :func:`written_date` reads (2006-01-20, 2006/1/20, 2006年1月20日).  Raises
    :class:`~xltools.errors.XltoolsError` naming ``where`` for text that is not a date, unless
    ``quiet`` (then "")."""
    text = (text or "").strip()
    if not text:
        return ""
    d = written_date(text)
    if d is None:
        try:
            d = date.fromisoformat(text)  # also 20060120, as before the written forms were read
        except ValueError:
            d = None
    if d is None:
        if quiet:
            return ""
        raise XltoolsError(f"{where}截止日期 {text!r} 不是有效日期，请按 2006-01-20 的格式填写") from None
    return d.isoformat()


def chinese_date(iso: str) -> str:
    """``2006-01-20`` → ``2006年1月20日``."""
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


__all__ = ["chinese_date", "iso_deadline", "written_date"]
