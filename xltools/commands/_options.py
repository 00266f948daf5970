"""Option callbacks shared by the commands."""

from __future__ import annotations

from datetime import date

import click


def iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """Click callback: an ISO date (``2006-01-20``) or None; anything else is a usage error
    (exit 2) in Chinese."""
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"“{value}”不是有效日期，请按 2006-01-20 的格式填写") from None
