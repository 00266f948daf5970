"""Dates as the committee writes them: ISO deadlines in, 2006年1月20日 out (GB/T 9704 7.3.5.4:
full year, no zero padding)."""

from __future__ import annotations

from datetime import date

from .errors import XltoolsError


def iso_deadline(text: str | None, where: str = "", *, quiet: bool = False) -> str:
    """A deadline as ``YYYY-MM-DD`` ("" when blank).  Raises
    :class:`~xltools.errors.XltoolsError` naming ``where`` for text that is not a date, unless
    ``quiet`` (then "")."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        if quiet:
            return ""
        raise XltoolsError(f"{where}截止日期 {text!r} 不是有效日期，请按 2006-01-20 的格式填写") from None


def chinese_date(iso: str) -> str:
    """``2006-01-20`` → ``2006年1月20日``."""
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日"


__all__ = ["chinese_date", "iso_deadline"]
