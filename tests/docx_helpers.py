"""Word documents for the report tests: a template or a unit's deeds document is, for most
tests, a plain .docx holding some paragraphs."""

from __future__ import annotations

from pathlib import Path

from docx import Document


def docx_with(path: Path, *paragraphs: str) -> Path:
    """Write a .docx at ``path`` holding one paragraph per text (python-docx's default styles)."""
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    doc.save(path)
    return path
