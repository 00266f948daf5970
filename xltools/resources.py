"""Locate the bundled kit: ``templates/`` (form definitions, Word templates) and ``samples/``.

In a built wheel they live inside the package as ``xltools/_bundled/{templates,samples}``
(hatch ``force-include``); in a source checkout or editable install they are the repository's
top-level ``templates/`` and ``samples/``.  Found through :mod:`importlib.resources`, never
relative to the current directory, so ``xltools demo`` works from anywhere.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import FormDefinitionError, XltoolsError


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


def resolve_form_definition(spec: str | Path) -> Path:
    """The YAML file a user means by ``spec``: an existing path, else the bare name of a bundled
    definition (``pioneer_posts`` → ``templates/xlsx/pioneer_posts.yaml`` of the kit, found with
    :func:`xltools.resources.bundled`).  Raises
    :class:`~xltools.errors.FormDefinitionError` when it is neither."""
    p = Path(spec)
    if p.exists():
        return p
    text = str(spec)
    if text and "/" not in text and "\\" not in text:
        stem = text[:-5] if text.endswith(".yaml") else text
        try:
            return bundled("templates", "xlsx", stem + ".yaml")
        except XltoolsError:
            pass
    available = "、".join(_bundled_definition_names()) or "无"
    raise FormDefinitionError(
        text, [f"找不到表单定义文件，也不是随附表单定义的名称（随附的有：{available}），请检查路径"]
    )


def _bundled_definition_names() -> list[str]:
    try:
        folder = bundled("templates", "xlsx")
    except XltoolsError:
        return []
    return sorted(p.stem for p in folder.glob("*.yaml"))


__all__ = ["bundled", "resolve_form_definition"]
