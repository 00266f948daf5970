"""The stamp (标识): the identity a generated workbook carries, written by generate and read by
merge.

It is carried three ways (DESIGN.md §5 "Identity"), checked by merge in this order:

1. a plain-hidden, protected ``_meta`` sheet: column A keys, column B values, all text cells
   (LibreOffice keeps plain-hidden sheets and text values through .xlsx, .xls and .ods);
2. string custom document properties with the same keys prefixed ``xltools_`` (string, because
   numeric properties come back as floats);
3. on every form sheet, a visible locked identity line (row 2) naming the form, version, unit
   code and unit name, plus the header itself whose normalised text gives the fingerprint
   (:attr:`xltools.forms.Form.fingerprint`) — the only carrier that survives a unit pasting the
   data into a fresh workbook.

Layout of a generated form sheet (1-based rows): 1 title, 2 identity line, 3 header, 4… data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .forms import Form, FormDefinition

META_SHEET = "_meta"
INSTRUCTIONS_SHEET = "填表说明"
#: First sheet of a correction workbook (xltools.feedback); holds no data when it comes back.
NOTES_SHEET = "退回说明"
#: Hidden sheet of a correction workbook recording the cells marked (for the next round's clean-up).
MARKS_SHEET = "_feedback"
TITLE_ROW = 1
IDENTITY_ROW = 2
HEADER_ROW = 3
FIRST_DATA_ROW = 4
PROPERTY_PREFIX = "xltools_"
STAMP_FORMAT = "1"

_IDENTITY_RE = re.compile(
    r"表单：(?P<title>.*?)（(?P<form_id>[A-Za-z_][A-Za-z0-9_]*)\s*，\s*版本\s*(?P<version>[^）]+?)）"
    r"\s*填报单位：(?P<unit_name>.+?)（单位代码\s*(?P<unit_code>[^）]+?)）"
)


@dataclass(frozen=True)
class Stamp:
    """What one carrier says about a workbook.  Empty strings where the carrier is silent.

    ``fingerprints`` maps form name → header fingerprint; ``sheets`` form name → sheet name as
    generated.  ``source`` names the carrier: ``"_meta"``, ``"properties"`` or ``"identity"``.
    """

    source: str
    form_id: str = ""
    version: str = ""
    unit_code: str = ""
    unit_name: str = ""
    deadline: str = ""
    generated: str = ""
    fingerprints: dict[str, str] = field(default_factory=dict)
    sheets: dict[str, str] = field(default_factory=dict)


def identity_line(definition: FormDefinition, unit_code: str, unit_name: str) -> str:
    """The visible identity line, e.g.
    ``表单：党员先锋岗工作台账（pioneer_posts，版本 1.0）　填报单位：区委办（单位代码 D01）　本行请勿修改``."""
    return (
        f"表单：{definition.title}（{definition.id}，版本 {definition.version}）"
        f"　填报单位：{unit_name}（单位代码 {unit_code}）　本行请勿修改"
    )


def parse_identity_line(text: object) -> Stamp | None:
    """Parse an identity line (also when pasted, re-typed with half-width brackets or extra
    spaces); None when ``text`` is not one."""
    if not isinstance(text, str) or "表单" not in text:
        return None
    import unicodedata

    norm = unicodedata.normalize("NFKC", text).replace("(", "（").replace(")", "）")
    norm = norm.replace(":", "：").replace(",", "，")
    m = _IDENTITY_RE.search(norm)
    if not m:
        return None
    return Stamp(
        source="identity",
        form_id=m["form_id"],
        version=m["version"].strip(),
        unit_code=m["unit_code"].strip(),
        unit_name=m["unit_name"].strip(),
    )


def meta_items(definition: FormDefinition, unit_code: str, unit_name: str,
               deadline: str = "", generated: str = "") -> list[tuple[str, str]]:
    """The key/value pairs of the ``_meta`` sheet (and, prefixed, of the custom properties)."""
    items = [
        ("stamp_format", STAMP_FORMAT),
        ("form_id", definition.id),
        ("form_version", definition.version),
        ("form_title", definition.title),
        ("unit_code", unit_code),
        ("unit_name", unit_name),
        ("deadline", deadline),
        ("generated", generated),
    ]
    for form in definition.forms:
        items.append((f"fingerprint.{form.name}", form.fingerprint))
        items.append((f"sheet.{form.name}", form.sheet))
    return items


def stamp_from_items(items: dict[str, str], source: str) -> Stamp | None:
    """Build a :class:`Stamp` from ``_meta`` key/values (``source="_meta"``) or from custom
    properties with the ``xltools_`` prefix already removed (``source="properties"``).  None
    when there is no ``form_id``."""
    clean = {str(k).strip(): ("" if v is None else _text(v)) for k, v in items.items()}
    if not clean.get("form_id"):
        return None
    fps = {k.split(".", 1)[1]: v for k, v in clean.items() if k.startswith("fingerprint.")}
    sheets = {k.split(".", 1)[1]: v for k, v in clean.items() if k.startswith("sheet.")}
    return Stamp(
        source=source,
        form_id=clean.get("form_id", ""),
        version=clean.get("form_version", ""),
        unit_code=clean.get("unit_code", ""),
        unit_name=clean.get("unit_name", ""),
        deadline=clean.get("deadline", ""),
        generated=clean.get("generated", ""),
        fingerprints=fps,
        sheets=sheets,
    )


def _text(v: object) -> str:
    # A unit code typed as a number comes back as float from some readers: 12.0 → "12".
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def form_by_fingerprint(definition: FormDefinition, fingerprint: str) -> Form | None:
    for form in definition.forms:
        if form.fingerprint == fingerprint:
            return form
    return None


__all__ = [
    "FIRST_DATA_ROW",
    "HEADER_ROW",
    "IDENTITY_ROW",
    "INSTRUCTIONS_SHEET",
    "META_SHEET",
    "PROPERTY_PREFIX",
    "Stamp",
    "TITLE_ROW",
    "identity_line",
    "meta_items",
    "parse_identity_line",
    "stamp_from_items",
]
