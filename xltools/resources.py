"""Locate the bundled kit: ``templates/`` (form definitions, Word templates) and ``samples/``.

In a built wheel they live inside the package as ``xltools/_bundled/{templates,samples}``
(hatch ``force-include``); in a source checkout or editable install they are the repository's
top-level ``templates/`` and ``samples/``.  Found through :mod:`importlib.resources`, never
relative to the current directory, so ``xltools demo`` works from anywhere.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import XltoolsError


def bundled(*parts: str) -> Path:
    """Path of a bundled file or folder, e.g. ``bundled("templates", "xlsx", "pioneer_posts.yaml")``.

    Raises :class:`~xltools.errors.XltoolsError` when the kit is missing from the installation.
    """
    base = Path(str(resources.files("xltools")))
    for root in (base / "_bundled", base.parent):
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise XltoolsError(f"安装不完整：找不到随附文件 {'/'.join(parts)}，请重新安装 xltools")


__all__ = ["bundled", "definition_path"]


def definition_path(name_or_path: str | Path) -> Path:
    """A form definition given on the command line: an existing path, or the bare name of a
    bundled definition (``pioneer_posts`` → ``templates/xlsx/pioneer_posts.yaml``)."""
    p = Path(name_or_path)
    if p.exists() or p.suffix or len(p.parts) > 1:
        return p
    return bundled("templates", "xlsx", f"{p.name}.yaml")
