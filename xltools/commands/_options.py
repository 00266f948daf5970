"""Option callbacks shared by the commands."""

from __future__ import annotations

from datetime import date

import click

from .._dates import iso_deadline
from ..errors import XltoolsError


def iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """Click callback: a date written year first (``2006-01-20``, ``2006/1/20``,
    ``2006年1月20日``: :func:`xltools._dates.iso_deadline`) or None; anything else is a usage
    error (exit 2) in Chinese."""
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(iso_deadline(value))
    except XltoolsError:
        raise click.BadParameter(f"“{value}”不是有效日期，请按 2006-01-20 的格式填写") from None
