"""Form definitions (表单定义): load and validate the YAML in ``templates/xlsx/``.

A form definition describes one workbook issued to every unit of a round: its id, version,
title, the instructions for the clerk (填表说明), one or more forms (sheets) and the figures
(汇总指标) computed on merge.  The format is documented in the README ("表单定义格式");
``templates/xlsx/pioneer_posts.yaml`` is the reference example.

Loading validates everything and reports *every* problem with its place in the YAML, in
Chinese (DESIGN.md §7: text the committee reads), e.g.
``pioneer_posts.yaml：forms[0].fields[3].type：'interger' 不是字段类型，可用：…``.  Unknown keys are errors, never ignored (a misspelt ``requried`` would otherwise make a
field silently optional).

Public API: :func:`load_form_definition`, :func:`normalise_label`, the dataclasses
:class:`FormDefinition`, :class:`Form`, :class:`Field`, :class:`Figure`, :class:`Condition`,
and :data:`FIELD_TYPES`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ._dates import iso_deadline
from .errors import FormDefinitionError, XltoolsError
from .form_yaml import (
    CHINESE_QUOTES,
    QuotedText,
    _UniqueKeyLoader,
    full_width_colon,
    wrapped_in_quotes,
    written_text,
    yaml_problem,
)
from .layout import excel_length

#: Field types and what each means on generate (Excel validation) and merge (coercion).
FIELD_TYPES: dict[str, str] = {
    "text": "free text, optional max_length",
    "integer": "whole number, optional min/max and unit (人, 件, 个 …)",
    "decimal": "number, optional min/max, decimals and unit (元, 万元 …)",
    "date": "a date; accepted as a date cell, an Excel serial or text like 2024年3月5日",
    "choice": "one of `choices`",
    "boolean": "是/否 (also √/×, Y/N, 有/无 on merge)",
    "names": "one or more person names separated by 、，, or spaces",
    "id_number": "18-character 居民身份证号码, kept as text, checksum verified (GB 11643-1999)",
    "phone": "a telephone number (mobile or landline), kept as text",
}

#: Units a numeric field may declare; a trailing unit in a typed value is accepted on merge.
UNITS = ("元", "万元", "亿元", "人", "件", "个", "次", "户", "项", "天", "小时", "分", "%", "％")

FIGURE_OPS = ("count", "sum", "count_distinct", "count_names")
CONDITION_OPS = ("eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "blank", "not_blank")

#: Pseudo-fields available to figures and conditions besides a form's own fields.
PSEUDO_FIELDS = {"_unit": "the unit code (单位代码) of the row"}

#: Keys every consolidated row carries beside its fields (its source; the consolidated
#: workbook's provenance columns): no field may be named so.
ROW_KEYS = ("unit_code", "unit_name", "source_file", "source_sheet", "source_row")
#: Names a Jinja2 template resolves to a dict's method before its key (``row.items``).
_DICT_METHODS = frozenset(n for n in dir(dict) if not n.startswith("_"))
#: Sheet names used by generated and consolidated workbooks; a form may not take them.
#: The names a Word template's context gives besides the figures (:func:`xltools.report.report_context`):
#: a figure may not take one, nor a name Jinja2 itself gives every template (``range``, ``loop``…).
REPORT_CONTEXT_KEYS = ("figures", "figure_info", "units", "ledger", "forms", "counts", "round", "form", "top10",
                       "posts_by_unit", "unit_docs")
_JINJA_NAMES = ("range", "dict", "lipsum", "cycler", "joiner", "namespace", "loop", "self", "caller", "varargs",
                "kwargs",
                # Jinja2's literals and keywords: {{ none }} is None, {{ in }} no expression at all
                "none", "true", "false", "None", "True", "False", "and", "or", "not", "in", "is", "if", "else",
                "elif", "for", "with", "set", "block", "macro", "call", "filter", "import", "include", "from",
                "as", "extends", "raw", "recursive", "without", "context", "ignore", "missing", "scoped", "required",
                "pluralize", "trans", "do", "continue", "break", "autoescape")

RESERVED_SHEETS = ("填表说明", "_meta", "汇总指标", "分单位统计", "报送情况", "问题清单", "退回行", "_data")

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SHEET_BAD = set('[]:*?/\\')


def normalise_label(text: object) -> str:
    """Normalise a header label for matching: NFKC (full-width → half-width), drop every kind of
    whitespace (including line breaks, U+3000 and NBSP), drop a leading ``*`` required-marker and a
    trailing colon, case-fold ASCII.  ``' 参与党员\\n人数 '`` and ``'参与党员人数'`` match;
    ``'涉及金额（万元）'`` and ``'涉及金额(万元)'`` match."""
    if text is None:
        return ""
    return _normalise(str(text))


@lru_cache(maxsize=8192)
def _normalise(text: str) -> str:
    # str.split() splits on every Unicode whitespace (line breaks, U+3000, NBSP after NFKC).
    s = "".join(unicodedata.normalize("NFKC", text).split())
    s = s.replace("\u200b", "").replace("\ufeff", "")
    s = s.lstrip("*").rstrip(":")
    return s.casefold()


@dataclass(frozen=True)
class Condition:
    """``field op value`` — a row filter for figures.  ``value`` is already typed for the field
    (bool for boolean fields, Decimal for numbers, date for dates, str otherwise; a list for
    ``in``/``not_in``; None for ``blank``/``not_blank``)."""

    field: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class Derived:
    """A value computed by xltools on merge, never read from a formula: ``op`` over ``fields``.
    Only ``sum`` is defined.  A value the unit typed into a derived column is compared with the
    computed one and a mismatch is an issue."""

    op: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Field:
    """One column of a form.

    ``name`` is the identifier used in figures and report templates, ``label`` the exact header
    text (表头) written by generate and matched (normalised, with ``aliases``) on merge.
    ``min``/``max`` are Decimal for numeric fields and ``date`` for date fields.  ``unit`` is the
    unit of the value (元, 万元, 人 …): a value typed with that unit (``12人``) is accepted.
    ``ref`` (``"form.field"``) names a field of another form that this value must appear in
    within the same unit's return (a cross-form rule, e.g. a deed's 先锋岗名称).
    """

    name: str
    label: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    min: Any = None
    max: Any = None
    max_length: int | None = None
    unit: str | None = None
    decimals: int | None = None
    help: str = ""
    width: float | None = None
    aliases: tuple[str, ...] = ()
    ref: tuple[str, str] | None = None
    derived: Derived | None = None
    multiline: bool = False

    @property
    def labels(self) -> tuple[str, ...]:
        """The label then the aliases, as written."""
        return (self.label, *self.aliases)


@dataclass(frozen=True)
class Form:
    """One sheet of the issued workbook (一张登记表).

    ``name`` is the identifier (``posts``), ``sheet`` the sheet name (``先锋岗登记表``, at most 31
    characters), ``key`` the fields whose values must be unique within one unit's return.
    ``complete_for`` (``"form.field"``): every value of that field should have a row here (a
    missing one is a warning, e.g. an assessment for every registered post).
    """

    name: str
    sheet: str
    title: str
    max_rows: int
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    complete_for: tuple[str, str] | None = None
    ref_severity: str = "warning"
    #: A return without this form is not reported (e.g. 先进事迹表: only some posts have one).
    optional: bool = False

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def header(self) -> tuple[str, ...]:
        """The header labels in definition order."""
        return tuple(f.label for f in self.fields)

    @property
    def fingerprint(self) -> str:
        """16 hex digits identifying the header: SHA-256 of the normalised labels joined by
        U+001F.  Written into the stamp; the only identity that survives a unit pasting the data
        with its header into a new workbook."""
        joined = "\x1f".join(normalise_label(label) for label in self.header)
        return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Figure:
    """A named aggregate (汇总指标) computed from consolidated rows of ``form``.

    ``op``: ``count`` (rows), ``sum`` (of ``field``), ``count_distinct`` (distinct values of
    ``field``; ``_unit`` counts units), ``count_names`` (total names in a ``names`` field).
    ``where``: conditions all of which a row must meet.  ``per_unit``: also computed per unit for
    the 分单位统计 sheet and the report's ``units``.  ``unit``: display unit (个, 人, 万元).
    """

    name: str
    label: str
    op: str
    form: str
    field: str | None = None
    where: tuple[Condition, ...] = ()
    per_unit: bool = True
    unit: str = ""


@dataclass(frozen=True)
class FormDefinition:
    """A whole form definition (one YAML file): the workbook issued in a collection round."""

    id: str
    version: str
    title: str
    forms: tuple[Form, ...]
    figures: tuple[Figure, ...] = ()
    issuer: str = ""
    contact: str = ""
    instructions: tuple[str, ...] = ()
    deadline: str = ""
    source: str = ""
    #: An anonymous form (the 十佳 ballot): never issued per unit, so ``generate`` refuses it.
    anonymous: bool = False

    def form(self, name: str) -> Form:
        for f in self.forms:
            if f.name == name:
                return f
        raise KeyError(name)

    def figure(self, name: str) -> Figure:
        for f in self.figures:
            if f.name == name:
                return f
        raise KeyError(name)


# --------------------------------------------------------------------------- loading (YAML read by form_yaml)


def load_form_definition(path: str | Path) -> FormDefinition:
    """Load and fully validate a form definition YAML file.

    Returns a :class:`FormDefinition`.  Raises :class:`~xltools.errors.FormDefinitionError`
    listing every problem with its place (``forms[0].fields[3].type: …``) — a YAML syntax error,
    an unknown key, a bad type, a duplicate field name, a choice field without choices, a figure
    naming an unknown form or field …  A missing or unreadable file is also a
    ``FormDefinitionError``.
    """
    p = Path(path)
    name = p.name
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FormDefinitionError(name, [f"文件不存在：{p}"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormDefinitionError(name, [f"无法读取（{exc}），请确认是 UTF-8 编码的 YAML 文件"]) from None
    return parse_form_definition(text, source=name)


def parse_form_definition(text: str, source: str = "<string>") -> FormDefinition:
    """Parse and validate form-definition YAML text; see :func:`load_form_definition`."""
    loader = None
    try:
        loader = _UniqueKeyLoader(text)  # (the pure-Python reader checks the characters here)
        node = loader.get_single_node()  # the node tree is kept to give each problem its line
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise FormDefinitionError(source, [yaml_problem(exc, text, _ALL_KEYS)]) from None
    finally:
        if loader is not None:
            loader.dispose()
    v = _Validator(source)
    definition = v.definition(data)
    if v.problems:
        lines = node_lines(node) if node is not None else {}
        raise FormDefinitionError(source, v.problems, [_line_of(p, lines) for p in v.problems])
    assert definition is not None
    return definition


def node_lines(node: yaml.Node, where: str = "", out: dict[str, int] | None = None,
               seen: set[int] | None = None) -> dict[str, int]:
    """The 1-based line of every path in a composed YAML document, in the validator's path
    syntax (``forms[0].fields[3].type``): a key's line for a mapping entry, an item's first
    line for a list item; the document itself is ``''``.  A node reached again through an alias
    (``*a``) is not walked again: where it was written is its line, and a recursive or nested
    alias (``&i [*i]``, the "billion laughs") cannot loop or blow up."""
    out = {} if out is None else out
    seen = set() if seen is None else seen
    out.setdefault(where, node.start_mark.line + 1)
    if id(node) in seen:
        return out
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = _join(where, str(key_node.value)) if isinstance(key_node, yaml.ScalarNode) else where
            out.setdefault(path, key_node.start_mark.line + 1)
            node_lines(value_node, path, out, seen)
            if isinstance(value_node, yaml.MappingNode):  # one condition for a list of them (where:)
                seen.discard(id(value_node))  # its keys once more, under this name (not deeper)
                node_lines(value_node, f"{path}[0]", out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            node_lines(item, f"{where}[{i}]", out, seen)
            name = next((v.value for k, v in item.value if k.value == "name" and isinstance(v, yaml.ScalarNode)),
                        None) if isinstance(item, yaml.MappingNode) else None
            if name:  # a field's references are reported by name: forms[1].fields.x.ref
                seen.discard(id(item))  # its keys once more, under this name (not deeper)
                node_lines(item, f"{where}.{name}", out, seen)
    return out


def _line_of(problem: str, lines: dict[str, int]) -> int | None:
    """The line of ``problem`` (``path：message``): its path's, or the nearest enclosing one's
    when the path is not in the file (a missing key is reported on its mapping's line)."""
    path = problem.split("：", 1)[0] if "：" in problem else ""  # none: the file is empty …
    while path and path not in lines:
        path = _LAST_STEP.sub("", path)  # forms[0].fields[3].type → forms[0].fields[3] → …
    return lines.get(path) if path else None


_LAST_STEP = re.compile(r"(\.[^.\[\]]*|\[\d+\]|^[^.\[\]]*)$")


#: Keys whose text is prose shown to clerks as written: quotes inside are theirs to use.
_PROSE_KEYS = frozenset({"help", "description", "instructions", "issuer", "contact"})

_DEF_KEYS = {"id", "version", "title", "issuer", "contact", "instructions", "deadline", "forms", "figures", "anonymous"}
_FORM_KEYS = {"name", "sheet", "title", "max_rows", "key", "fields", "description", "complete_for", "ref_severity",
              "optional"}
_FIELD_KEYS = {
    "name", "label", "type", "required", "choices", "min", "max", "max_length", "unit", "decimals",
    "help", "width", "aliases", "ref", "derived", "multiline",
}
_FIGURE_KEYS = {"name", "label", "op", "form", "field", "where", "per_unit", "unit"}
_COND_KEYS = {"field", "op", "value"}
_ALL_KEYS = frozenset(_DEF_KEYS | _FORM_KEYS | _FIELD_KEYS | _FIGURE_KEYS | _COND_KEYS)  # derived: op, fields


class _Validator:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def err(self, where: str, msg: str) -> None:
        self.problems.append(f"{where}：{msg}" if where else msg)

    # -- helpers ----------------------------------------------------------------------
    def mapping(self, obj: Any, where: str, keys: set[str], required: tuple[str, ...]) -> dict | None:
        if not isinstance(obj, dict):
            hint = "；若想写“键: 值”，请把中文冒号“：”改为英文冒号加空格" if isinstance(obj, str) and full_width_colon(obj) else ""
            self.err(where or "（顶层）", f"应为“键: 值”形式的映射，实际是{_kind(obj)}{hint}")
            return None
        for k in obj:
            if k not in keys:
                allowed = ", ".join(sorted(keys))
                self.err(_join(where, str(k)), f"未知的键 {k!r}，请检查拼写（可用的键：{allowed}）")
        for k in required:
            if obj.get(k) in (None, ""):
                self.err(_join(where, k), "缺少此项（必填）")
        return obj

    def string(self, obj: dict, key: str, where: str, default: str = "") -> str:
        value = obj.get(key, default)
        if value is None:
            return default
        if isinstance(value, (date, datetime)):
            return value.isoformat()[:10]  # an unquoted YAML date such as deadline: 2006-03-31
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.err(_join(where, key), f"应为文本，实际是{_kind(value)}")
            return default
        text = written_text(value).strip()  # version: 1.10 stays '1.10'
        return text if key in _PROSE_KEYS else self._chinese_quotes(value, text, _join(where, key))

    def _chinese_quotes(self, raw: Any, text: str, where: str) -> str:
        """Refuse a value wrapped in Chinese quotes (``version: “1.0”``, ``[“男”, “女”]``, also
        mistyped pairs such as ``”1.0”`` or ``＂1.0＂``): YAML quotes only with ASCII ``"`` and
        ``'``, so the quotes would be part of the value (a dropdown offering “男”, a version that
        never equals the stamp's).  A value in ASCII quotes (``'“三会一课”'``,
        :class:`~xltools.form_yaml.QuotedText`) keeps its Chinese quotes: the author said so.
        Prose keys (help, description, instructions, issuer, contact) are not checked.  Returns
        the text without the quotes, so that checks of other keys against it (a figure's value
        among the choices) say nothing more."""
        if isinstance(raw, QuotedText) or not wrapped_in_quotes(text):
            return text
        inner = text[1:-1].strip()
        if any(ch in CHINESE_QUOTES for ch in inner):
            segments = re.fullmatch(f"(?:[{CHINESE_QUOTES}][^{CHINESE_QUOTES}]*[{CHINESE_QUOTES}][\\s,，、;；]*)+", text)
            if segments is None:
                return text  # “三会一课”落实情况“回头看”: quoted terms in a title, as written
            parts = [p for p in (q.strip(" ,，、;；") for q in re.split(f"[{CHINESE_QUOTES}]+", inner)) if p]
            self.err(where, f"{text} 像是几个带中文引号的值连在了一起；YAML 只认英文引号，列表项用英文逗号分隔，"
                            f"请写成 [{', '.join(parts)}]")
            return text
        self.err(where, f"{text} 两边是中文引号，会原样成为值的一部分；YAML 只认英文引号，请去掉引号写成 {inner}"
                        f"（如引号本是内容的一部分，请在外面再加英文引号：'{text}'）")
        return inner

    def deadline(self, obj: dict) -> str:
        """The definition's ``deadline`` as ``YYYY-MM-DD`` ("" when none), read from any
        year-first form (2006-01-20, 2006/1/20, 2006年1月20日); an error at its line otherwise,
        so the author learns it when the file is read, not when generate runs."""
        text = self.string(obj, "deadline", "")
        try:
            return iso_deadline(text)
        except XltoolsError:
            self.err("deadline", f"{text!r} 不是有效日期，请写成 2006-01-20 的形式")
            return text

    def ident(self, obj: dict, key: str, where: str) -> str:
        value = self.string(obj, key, where)
        if value and not _NAME_RE.match(value):
            self.err(_join(where, key), f"{value!r} 不是有效的标识符（只能用英文字母、数字和下划线，不以数字开头）")
        return value

    def boolean(self, obj: dict, key: str, where: str, default: bool) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.err(_join(where, key), f"应为 true 或 false，实际是 {value!r}")
            return default
        return value

    def str_list(self, obj: dict, key: str, where: str) -> tuple[str, ...]:
        value = obj.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.err(_join(where, key), f"应为文本列表，实际是{_kind(value)}")
            return ()
        bad = [i for i, x in enumerate(value) if isinstance(x, bool) or not isinstance(x, (str, int, float))]
        for i in bad:  # on the item's own line: '- 注意: …' is a mapping, a lone '-' is empty
            hint = "；若文本中有“: ”（英文冒号加空格），请给整项加引号" if isinstance(value[i], dict) else ""
            self.err(f"{_join(where, key)}[{i}]", f"第 {i + 1} 项应为文本，实际是{_kind(value[i])}{hint}")
        if bad:
            return ()
        if key in _PROSE_KEYS:
            return tuple(written_text(x).strip() for x in value)
        return tuple(self._chinese_quotes(x, written_text(x).strip(), f"{_join(where, key)}[{i}]" if len(value) > 1
                                          else _join(where, key)) for i, x in enumerate(value))

    # -- definition -------------------------------------------------------------------
    def definition(self, data: Any) -> FormDefinition | None:
        if data is None:
            self.err("", "文件是空的")
            return None
        d = self.mapping(data, "", _DEF_KEYS, ("id", "version", "title", "forms"))
        if d is None:
            return None
        def_id = self.ident(d, "id", "")
        forms_raw = d.get("forms")
        forms: list[Form] = []
        at: dict[int, str] = {}  # id(form or figure) → its path, for the checks across them
        if forms_raw is not None and not isinstance(forms_raw, list):
            self.err("forms", "应为表单列表")
        elif isinstance(forms_raw, list):
            if not forms_raw:
                self.err("forms", "至少需要一张表单")
            for i, fr in enumerate(forms_raw):
                form = self.form(fr, f"forms[{i}]")
                if form is not None:
                    forms.append(form)
                    at[id(form)] = f"forms[{i}]"
        self._unique([(f.name, _join(at[id(f)], "name")) for f in forms], "表单名")
        # Excel compares sheet names without case: Sheet1 and sheet1, or _Meta, would clash
        self._unique([(f.sheet, _join(at[id(f)], "sheet")) for f in forms], "工作表名", key=str.casefold)
        anonymous = self.boolean(d, "anonymous", "", False)
        if not anonymous:
            # a row's source keys would overwrite such a field in the consolidated rows; a ballot
            # (anonymous) is tallied, not consolidated, and names its candidates' unit_name
            for f in forms:
                for j, fld in enumerate(f.fields):
                    if fld.name in ROW_KEYS:
                        self.err(f"{at[id(f)]}.fields[{j}].name",
                                 f"字段名 {fld.name!r} 是汇总时为每一行记录来源所用的名称，请改用其他名称")
        reserved = {n.casefold() for n in RESERVED_SHEETS}
        for f in forms:
            if f.sheet.casefold() in reserved:
                self.err(_join(at[id(f)], "sheet"), f"工作表名 {f.sheet!r} 已由 xltools 使用，请换一个名称")
        by_name = {f.name: f for f in forms}
        for i, f in enumerate(forms):
            self._check_refs(f, by_name, f"forms[{i}]")
        figures: list[Figure] = []
        figs_raw = d.get("figures")
        if figs_raw is not None and not isinstance(figs_raw, list):
            self.err("figures", "应为指标列表")
        elif isinstance(figs_raw, list):
            for i, gr in enumerate(figs_raw):
                fig = self.figure(gr, f"figures[{i}]", by_name)
                if fig is not None:
                    figures.append(fig)
                    at[id(fig)] = f"figures[{i}]"
        self._unique([(g.name, _join(at[id(g)], "name")) for g in figures], "指标名")
        for g in figures:
            self._not_a_dict_method(g.name, _join(at[id(g)], "name"), "指标名")
            if g.name in REPORT_CONTEXT_KEYS or g.name in _JINJA_NAMES:
                self.err(_join(at[id(g)], "name"), f"指标名 {g.name!r} 与 Word 模板的内置变量重名，模板中的 "
                                                   f"{{{{ {g.name} }}}} 取不到此指标，请改用其他名称（如 {g.name}_total）")
        instructions = self.str_list(d, "instructions", "")
        return FormDefinition(
            id=def_id,
            version=self.string(d, "version", ""),
            title=self.string(d, "title", ""),
            forms=tuple(forms),
            figures=tuple(figures),
            issuer=self.string(d, "issuer", ""),
            contact=self.string(d, "contact", ""),
            instructions=instructions,
            deadline=self.deadline(d),
            source=self.source,
            anonymous=anonymous,
        )

    def _not_a_dict_method(self, name: str, where: str, what: str) -> None:
        """An error at ``where`` when ``name`` would be shadowed in a Word template: a row's or
        unit's values are dicts, and Jinja2 looks ``row.items`` up as the dict's method before
        the key (a review: the draft printed "<built-in method items …>")."""
        if name in _DICT_METHODS:
            self.err(where, f"{what} {name!r} 在 Word 模板中会被当作内置方法，无法取到数据，请改用其他名称（如 {name}_1）")

    def _unique(self, names: list[tuple[str, str]], what: str, key: Callable[[str], str] = str) -> None:
        """An error at the path of each ``(name, path)`` whose name (compared by ``key``) came before."""
        seen: set[str] = set()
        for n, where in names:
            if n and key(n) in seen:
                self.err(where, f"{what} {n!r} 重复")
            seen.add(key(n))

    # -- form -------------------------------------------------------------------------
    def form(self, obj: Any, where: str) -> Form | None:
        d = self.mapping(obj, where, _FORM_KEYS, ("name", "sheet", "fields"))
        if d is None:
            return None
        name = self.ident(d, "name", where)
        sheet = self.string(d, "sheet", where)
        # Excel counts UTF-16 units: 𠮷 (outside the BMP) is two (a review: 31 code points passed
        # here, then XlsxWriter refused the name at generate with an internal error)
        if excel_length(sheet) > 31:
            self.err(_join(where, "sheet"), f"{sheet!r} 超过 Excel 工作表名 31 个字符的上限"
                     + ("（生僻字按 2 个字符计）" if len(sheet) <= 31 else ""))
        if any(ch in _SHEET_BAD for ch in sheet) or sheet.startswith("'") or sheet.endswith("'"):
            self.err(_join(where, "sheet"), f"{sheet!r} 含有 Excel 工作表名不允许的字符（[]:*?/\\，或以 ' 开头或结尾）")
        if any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F or 0xD800 <= ord(ch) <= 0xDFFF or ch in "\ufffe\uffff"
               for ch in sheet):
            # Excel offers no way to type them; XlsxWriter writes a tab unescaped, and XML
            # readers then see a space (XML 1.0 §3.3.3, attribute-value normalisation), and
            # U+FFFE, U+FFFF and surrogates are not characters XML 1.0 can hold at all (§2.2)
            self.err(_join(where, "sheet"), f"{sheet!r} 含有制表符、换行等控制字符或非字符，工作表名不能含有这些字符")
        raw_rows = d.get("max_rows", 50)
        max_rows = _as_int(raw_rows)
        if max_rows is None or not 1 <= max_rows <= 10000:
            self.err(_join(where, "max_rows"), f"应为 1 到 10000 之间的整数，实际是 {_text(raw_rows)}")
            max_rows = 50
        fields: list[Field] = []
        at: dict[int, str] = {}  # id(field) → its path
        raws: dict[int, Any] = {}  # id(field) → its derived.fields as written
        raw_fields = d.get("fields")
        if raw_fields is not None and not isinstance(raw_fields, list):
            self.err(_join(where, "fields"), "应为字段列表")
        elif isinstance(raw_fields, list):
            if not raw_fields:
                self.err(_join(where, "fields"), "至少需要一个字段")
            for j, fr in enumerate(raw_fields):
                fld = self.field(fr, f"{where}.fields[{j}]")
                if fld is not None:
                    fields.append(fld)
                    at[id(fld)] = f"{where}.fields[{j}]"
                    derived_raw = fr.get("derived") if isinstance(fr, dict) else None
                    raws[id(fld)] = derived_raw.get("fields") if isinstance(derived_raw, dict) else None
        self._unique([(f.name, _join(at[id(f)], "name")) for f in fields], "字段名")
        for f in fields:
            self._not_a_dict_method(f.name, _join(at[id(f)], "name"), "字段名")
        labels_seen: dict[str, str] = {}
        for f in fields:
            for k, lab in enumerate(f.labels):
                n = normalise_label(lab)
                if n in labels_seen and labels_seen[n] != f.name:
                    self.err(_join(at[id(f)], "label" if k == 0 else "aliases"),
                             f"字段 {f.name!r} 的表头或别名 {lab!r} 与字段 {labels_seen[n]!r} 的相同，汇总时无法区分")
                labels_seen.setdefault(n, f.name)
        names = {f.name for f in fields}
        key = self.str_list(d, "key", where)
        for k in key:
            if k not in names:
                self.err(_join(where, "key"), f"{k!r} 不是本表单的字段")
        for f in fields:
            if f.derived:
                self._check_derived(f, fields, _join(at[id(f)], "derived.fields"), raws[id(f)])
        complete_for = None
        if d.get("complete_for") is not None:
            complete_for = self._dotted(d, "complete_for", where)
        severity = self.string(d, "ref_severity", where, "warning")
        if severity not in ("warning", "error"):
            self.err(_join(where, "ref_severity"), f"{severity!r} 应为 'warning' 或 'error'")
            severity = "warning"
        return Form(
            name=name,
            sheet=sheet,
            title=self.string(d, "title", where) or sheet,
            max_rows=max_rows,
            fields=tuple(fields),
            key=key,
            description=self.string(d, "description", where),
            complete_for=complete_for,
            ref_severity=severity,
            optional=self.boolean(d, "optional", where, False),
        )

    def _check_derived(self, f: Field, fields: list[Field], where: str, raw_fields: Any) -> None:
        """``derived: {op: sum, fields: [...]}`` must name at least one other integer or decimal
        field of the form, each once, defined before it when it is itself derived (merge
        computes derived fields in field order, returns.py ``_derive``); an integer field may
        not be the sum of a decimal one (2.5 would land in an integer column).  Otherwise merge
        would overwrite what the clerk typed with a sum that means nothing (0 from no fields)."""
        assert f.derived is not None
        srcs = f.derived.fields
        by_name = {x.name: x for x in fields}
        order = {x.name: i for i, x in enumerate(fields)}
        if not srcs and not raw_fields:  # (items that are not names have their own message)
            self.err(where, f"字段 {f.name!r} 自动计算却没有列出要相加的字段，请在 fields 中列出，如 [score_a, score_b]")
        for src in sorted({s for s in srcs if srcs.count(s) > 1}, key=srcs.index):
            self.err(where, f"字段 {src!r} 列了 {srcs.count(src)} 次，每个字段只相加一次，请删去重复的")
        for src in dict.fromkeys(srcs):
            other = by_name.get(src)
            if other is None:
                self.err(where, f"字段 {f.name!r} 由不存在的字段 {src!r} 计算")
            elif other is f:
                self.err(where, f"字段 {f.name!r} 不能由自己计算，请列出要相加的其他字段")
            elif other.type not in ("integer", "decimal"):
                self.err(where, f"字段 {src!r} 是 {other.type} 字段，不能相加；自动计算只能相加 integer 或 decimal 字段")
            elif f.type == "integer" and other.type == "decimal":
                self.err(where, f"整数字段 {f.name!r} 由小数字段 {src!r} 相加，结果可能带小数："
                                f"请把 {f.name!r} 改为 decimal，或把 {src!r} 改为 integer")
            elif other.derived is not None and order[src] > order[f.name]:
                self.err(where, f"字段 {src!r} 也是自动计算的，须定义在 {f.name!r} 之前（汇总时按字段顺序计算）")

    def _dotted(self, d: dict, key: str, where: str) -> tuple[str, str] | None:
        value = self.string(d, key, where)
        parts = value.split(".")
        if len(parts) != 2 or not all(_NAME_RE.match(p) for p in parts):
            self.err(_join(where, key), f"{value!r} 应写成“表单名.字段名”（form.field）")
            return None
        return parts[0], parts[1]

    def _check_refs(self, form: Form, by_name: dict[str, Form], where: str) -> None:
        for f in form.fields:
            if f.ref:
                fname, fld = f.ref
                target = by_name.get(fname)
                if target is None:
                    self.err(_join(where, f"fields.{f.name}.ref"), f"没有表单 {fname!r}")
                elif fld not in {t.name for t in target.fields}:
                    self.err(_join(where, f"fields.{f.name}.ref"), f"表单 {fname!r} 没有字段 {fld!r}")
                elif _ref_kind(f.type) != _ref_kind(target.field(fld).type):
                    self.err(_join(where, f"fields.{f.name}.ref"),
                             f"字段 {f.name!r} 是 {f.type} 字段，引用的 {fname}.{fld} 是 {target.field(fld).type} 字段，"
                             f"两者的值永远对不上；请引用同类型的字段，或把两个字段改为同一类型")
        if form.complete_for:
            self._check_complete_for(form, by_name, _join(where, "complete_for"))

    def _check_complete_for(self, form: Form, by_name: dict[str, Form], where: str) -> None:
        """``complete_for: form.field``: on merge (combine.py) every value of that field is looked
        for in the field *of the same name* of this form, so both forms must have it; without it
        every value would be a false 'no matching row' warning."""
        fname, fld = form.complete_for  # type: ignore[misc]
        target = by_name.get(fname)
        if target is None:
            self.err(where, f"没有表单 {fname!r}，请改为“表单名.字段名”，可用的表单：{', '.join(by_name)}")
            return
        if fld not in {f.name for f in target.fields}:
            self.err(where, f"表单 {fname!r} 没有字段 {fld!r}，请改为该表单的字段名（可用：{', '.join(f.name for f in target.fields)}）")
        elif fld not in {f.name for f in form.fields}:
            self.err(where, f"表单 {form.name!r} 没有字段 {fld!r}：汇总时按同名字段核对 {fname}.{fld} 的每个值，"
                            f"请把本表单中对应字段的 name 改为 {fld!r}（与表单 {fname!r} 一致）")

    # -- field ------------------------------------------------------------------------
    def field(self, obj: Any, where: str) -> Field | None:
        d = self.mapping(obj, where, _FIELD_KEYS, ("name", "label", "type"))
        if d is None:
            return None
        name = self.ident(d, "name", where)
        ftype = self.string(d, "type", where)
        if ftype and ftype not in FIELD_TYPES:
            self.err(_join(where, "type"), f"{ftype!r} 不是字段类型，可用：{', '.join(FIELD_TYPES)}")
        choices = self._choices(d, where)
        if ftype == "choice" and not choices and d.get("choices") in (None, [], ""):
            self.err(_join(where, "choices"), "选择型字段（choice）须列出选项（choices）")
        if choices and ftype != "choice":
            self.err(_join(where, "choices"), f"选项（choices）只用于 choice 类型的字段，此字段是 {ftype!r}")
        if len(set(choices)) != len(choices):
            self.err(_join(where, "choices"), "选项有重复")
        lo = self._bound(d, "min", where, ftype)
        hi = self._bound(d, "max", where, ftype)
        if lo is not None and hi is not None and lo > hi:
            self.err(where, f"下限 min {lo} 大于上限 max {hi}")
        raw_length = d.get("max_length")
        max_length = _as_int(raw_length)
        if raw_length is not None and (max_length is None or max_length < 1):
            self.err(_join(where, "max_length"), f"应为正整数，实际是 {_text(raw_length)}")
            max_length = None
        unit = self.string(d, "unit", where) or None
        if unit and unit not in UNITS:
            self.err(_join(where, "unit"), f"{unit!r} 不是可用的单位，可用：{', '.join(UNITS)}")
        if unit and ftype not in ("integer", "decimal"):
            self.err(_join(where, "unit"), "单位（unit）只用于 integer 和 decimal 字段")
        raw_decimals = d.get("decimals")
        decimals = _as_int(raw_decimals)
        if raw_decimals is not None and (decimals is None or not 0 <= decimals <= 10):
            self.err(_join(where, "decimals"), f"应为 0 到 10 之间的整数，实际是 {_text(raw_decimals)}")
            decimals = None
        width = d.get("width")
        if width is not None and (isinstance(width, bool) or not isinstance(width, (int, float)) or not 1 <= width <= 255):
            self.err(_join(where, "width"), f"列宽应在 1 到 255 之间，实际是 {width!r}")
            width = None
        self._only_for(d, where, ftype, lo, hi)
        ref = self._dotted(d, "ref", where) if d.get("ref") is not None else None
        derived = None
        if d.get("derived") is not None:
            dd = self.mapping(d["derived"], _join(where, "derived"), {"op", "fields"}, ("op", "fields"))
            if dd is not None:
                op = self.string(dd, "op", _join(where, "derived"))
                if op and op != "sum":
                    self.err(_join(where, "derived.op"), f"不支持 {op!r}，只能是 'sum'")
                srcs = self.str_list(dd, "fields", _join(where, "derived"))
                derived = Derived(op=op, fields=srcs)
            if ftype not in ("integer", "decimal"):
                self.err(_join(where, "derived"), "只有 integer 和 decimal 字段可以自动计算（derived）")
        return Field(
            name=name,
            label=self.string(d, "label", where),
            type=ftype,
            required=self.boolean(d, "required", where, False),
            choices=choices,
            min=lo,
            max=hi,
            max_length=max_length,
            unit=unit,
            decimals=decimals,
            help=self.string(d, "help", where),
            width=float(width) if width is not None else None,
            aliases=self._aliases(d, where),
            ref=ref,
            derived=derived,
            multiline=self.boolean(d, "multiline", where, False),
        )

    def _only_for(self, d: dict, where: str, ftype: str, lo: Any, hi: Any) -> None:
        """Refuse keys the field's type would ignore in silence: ``max_length`` applies to the
        typed-in kinds (text, names, phone: the workbook's length check; merge checks it on text),
        ``multiline`` to text, ``decimals`` to decimal; an integer field's ``min``/``max`` is a whole number (``min: 0.5`` reads as
        "at least 1", and the clerk's help would say 0.5)."""
        if not ftype or ftype not in FIELD_TYPES:
            return  # the type itself is the error
        for key, types, what, harmless in (("max_length", ("text", "names", "phone"), "最长字数（max_length）", None),
                                           ("multiline", ("text",), "多行（multiline）", False),
                                           ("decimals", ("decimal",), "小数位数（decimals）", 0)):
            value = d.get(key)
            if value is not None and ftype not in types and not (value == harmless and type(value) is type(harmless)):
                hint = "；integer 字段只有整数，需要小数请改为 decimal" if key == "decimals" and ftype == "integer" else ""
                self.err(_join(where, key), f"{what}只用于 {'、'.join(types)} 字段，此字段是 {ftype!r}，写了也不起作用{hint}")
        if ftype == "integer":
            for key, bound in (("min", lo), ("max", hi)):
                if bound is not None and bound != bound.to_integral_value():
                    self.err(_join(where, key), f"integer 字段的{'下' if key == 'min' else '上'}限应为整数，实际是 {bound}")

    def _choices(self, d: dict, where: str) -> tuple[str, ...]:
        """``choices`` as written, refusing a blank option (a blank entry in the dropdown) and one
        unquoted option that is really several joined by full-width punctuation
        (``[政策咨询，办事服务]`` is one option in YAML: only an English comma separates items).
        A quoted one (``['已核实，无误']``, :class:`~xltools.form_yaml.QuotedText`) is taken as
        written: the quotes say it is one option."""
        raw = d.get("choices")
        blanks = [i for i, x in enumerate(raw) if x is None or (isinstance(x, str) and _blank(x))] \
            if isinstance(raw, list) else []
        for i in blanks:
            self.err(_join(where, "choices"), f"第 {i + 1} 个选项是空白，下拉列表会多出一个空选项，请删去")
        if blanks:
            raw = [x for i, x in enumerate(raw) if i not in blanks]
        choices = self.str_list({"choices": raw}, "choices", where)
        separators = "，、," if isinstance(raw, str) else "，、"  # a scalar ``choices: 甲, 乙`` too
        if _lone_unquoted(raw) is not None and any(sep in choices[0] for sep in separators):
            parts = [x.strip() for x in re.split(f"[{separators}]", choices[0]) if x.strip()]
            why = "中文逗号“，”和顿号“、”不分隔选项" if re.search("[，、]", choices[0]) else "不加方括号的一行文本是一个选项"
            self.err(_join(where, "choices"),
                     f"只有一个选项 {choices[0]!r}：{why}；请用英文逗号分隔，写成 [{', '.join(parts)}]，"
                     f"或每行一个选项、以“- ”开头；若确是一个选项，请加引号写成 ['{choices[0]}']")
            return ()
        return choices

    def _aliases(self, d: dict, where: str) -> tuple[str, ...]:
        raw = _lone_unquoted(d.get("aliases"))  # [评价、意见] is one alias too
        if raw is not None and any(sep in raw for sep in "、，,"):
            parts = [x.strip() for x in re.split("[、，,]", raw) if x.strip()]
            self.err(_join(where, "aliases"),
                     f"{raw.strip()!r} 会被当作一个别名；多个别名请写成列表 [{', '.join(parts)}]，或每行一个、以“- ”开头；"
                     f"若确是一个别名，请加引号写成 ['{raw.strip()}']")
            return ()
        aliases = self.str_list(d, "aliases", where)
        blanks = [i for i, x in enumerate(aliases) if not normalise_label(x)]  # '' / '*' / '：' alike
        for i in blanks:
            what = "是空白" if _blank(aliases[i]) else f" {aliases[i]!r} 去掉星号和冒号后是空白"
            self.err(_join(where, "aliases"), f"第 {i + 1} 个别名{what}，不能用来识别表头，请删去")
        return () if blanks else aliases

    def _number(self, value: Any, where: str) -> Decimal | None:
        """``value`` as a Decimal, or None after an error: a number that is no number (NaN),
        infinite, or beyond the 15 significant digits Excel keeps (``1e400``) is refused, lest
        generate or merge fail on it."""
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.err(where, f"应为数字，实际是 {_text(value)}")
            return None
        if not number.is_finite() or abs(number) >= _NUMBER_LIMIT:
            self.err(where, f"{_text(value)} 不是可用的数字，请填写绝对值小于 10 的 15 次方的数")
            return None
        return number

    def _bound(self, d: dict, key: str, where: str, ftype: str) -> Any:
        if key not in d or d[key] is None:
            return None
        value = d[key]
        if ftype in ("integer", "decimal"):
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                self.err(_join(where, key), f"应为数字，实际是{_kind(value)}")
                return None
            return self._number(value, _join(where, key))
        if ftype == "date":
            if isinstance(value, datetime):
                return value.date()
            if isinstance(value, date):
                return value
            try:
                return date.fromisoformat(str(value))
            except ValueError:
                self.err(_join(where, key), f"应为日期（如 2006-01-01），实际是 {value!r}")
                return None
        self.err(_join(where, key), f"min/max 只用于 integer、decimal 和 date 字段，此字段是 {ftype!r}")
        return None

    # -- figure -----------------------------------------------------------------------
    def figure(self, obj: Any, where: str, forms: dict[str, Form]) -> Figure | None:
        d = self.mapping(obj, where, _FIGURE_KEYS, ("name", "op", "form"))
        if d is None:
            return None
        name = self.ident(d, "name", where)
        op = self.string(d, "op", where)
        if op and op not in FIGURE_OPS:
            self.err(_join(where, "op"), f"{op!r} 不是指标的计算方式，可用：{', '.join(FIGURE_OPS)}")
        form_name = self.string(d, "form", where)
        form = forms.get(form_name)
        if form_name and form is None:
            self.err(_join(where, "form"), f"没有表单 {form_name!r}" + (f"，可用：{', '.join(forms)}" if forms else ""))
        fld = self.string(d, "field", where) or None
        if op in ("sum", "count_distinct", "count_names") and not fld:
            self.err(_join(where, "field"), f"计算方式 {op!r} 须指定字段（field）")
        if op == "count" and fld:
            self.err(_join(where, "field"), "计算方式 'count' 统计行数，不指定字段；要筛选请用 where")
        if form is not None and fld:
            target = self._field_of(form, fld)
            if target is None and fld not in PSEUDO_FIELDS:
                self.err(_join(where, "field"), f"表单 {form_name!r} 没有字段 {fld!r}")
            elif target is not None:
                if op == "sum" and target.type not in ("integer", "decimal"):
                    self.err(_join(where, "field"), f"计算方式 'sum' 须用 integer 或 decimal 字段，{fld!r} 是 {target.type!r}")
                if op == "count_names" and target.type != "names":
                    self.err(_join(where, "field"), f"计算方式 'count_names' 须用 names 字段，{fld!r} 是 {target.type!r}")
            elif op in ("sum", "count_names"):
                self.err(_join(where, "field"), f"计算方式 {op!r} 不能用于伪字段 {fld!r}")
        conds: list[Condition] = []
        raw_where = d.get("where")
        if raw_where is not None:
            items = raw_where if isinstance(raw_where, list) else [raw_where]
            for k, c in enumerate(items):
                cond = self.condition(c, f"{where}.where[{k}]", form)
                if cond is not None:
                    conds.append(cond)
        return Figure(
            name=name,
            label=self.string(d, "label", where) or name,
            op=op,
            form=form_name,
            field=fld,
            where=tuple(conds),
            per_unit=self.boolean(d, "per_unit", where, True),
            unit=self.string(d, "unit", where),
        )

    @staticmethod
    def _field_of(form: Form, name: str) -> Field | None:
        for f in form.fields:
            if f.name == name:
                return f
        return None

    def condition(self, obj: Any, where: str, form: Form | None) -> Condition | None:
        d = self.mapping(obj, where, _COND_KEYS, ("field", "op"))
        if d is None:
            return None
        fld = self.string(d, "field", where)
        op = self.string(d, "op", where)
        if op and op not in CONDITION_OPS:
            self.err(_join(where, "op"), f"{op!r} 不是条件运算符，可用：{', '.join(CONDITION_OPS)}")
            return None
        target = self._field_of(form, fld) if form else None
        if form is not None and target is None and fld not in PSEUDO_FIELDS:
            self.err(_join(where, "field"), f"表单 {form.name!r} 没有字段 {fld!r}")
            return None
        raw = d.get("value")
        if op in ("blank", "not_blank"):
            if raw is not None:
                self.err(_join(where, "value"), f"运算符 {op!r} 不带 value")
            return Condition(fld, op, None)
        if raw is None:
            self.err(_join(where, "value"), f"运算符 {op!r} 须有 value")
            return None
        if op in ("in", "not_in"):
            if not isinstance(raw, list):
                self.err(_join(where, "value"), f"运算符 {op!r} 的 value 须是列表")
                return None
            return Condition(fld, op, tuple(self._typed(x, target, where) for x in raw))
        if isinstance(raw, (list, dict)):
            self.err(_join(where, "value"), f"运算符 {op!r} 的 value 应是一个值，实际是{_kind(raw)}；要匹配多个值请用 op: in")
            return None
        return Condition(fld, op, self._typed(raw, target, where))

    def _typed(self, raw: Any, target: Field | None, where: str) -> Any:
        ftype = target.type if target else "text"
        if ftype == "boolean":
            if isinstance(raw, bool):
                return raw
            if str(raw) in ("是", "否"):
                return str(raw) == "是"
            self.err(_join(where, "value"), f"是否型字段只能与 true/false（或 是/否）比较，实际是 {raw!r}")
            return raw
        if ftype in ("integer", "decimal"):
            number = self._number(raw, _join(where, "value"))
            return raw if number is None else number
        if ftype == "date":
            if isinstance(raw, date):
                return raw
            try:
                return date.fromisoformat(str(raw))
            except ValueError:
                self.err(_join(where, "value"), f"应为日期（如 2006-01-01），实际是 {raw!r}")
                return raw
        text = written_text(raw)  # as the choices are read: [1.50] is the option '1.50'
        if ftype == "choice" and target and text not in target.choices:
            self.err(_join(where, "value"), f"{text!r} 不是字段 {target.name!r} 的选项")
        return text


def _lone_unquoted(raw: Any) -> str | None:
    """The one text of a scalar or a one-item list, unless it was quoted (:class:`QuotedText`):
    the text ``choices`` and ``aliases`` check for several joined by mistake."""
    one = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
    return one if isinstance(one, str) and not isinstance(one, QuotedText) else None


def _as_int(value: Any) -> int | None:
    """A count written as an integer, or as text of one (``'30'``, full-width ``３０``, ``08``
    which YAML 1.1 leaves as text), or as a whole float (``30.0``); else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        digits = unicodedata.normalize("NFKC", value).strip()
        return int(digits) if re.fullmatch(r"[0-9]{1,6}", digits) else None
    return None


#: Excel keeps 15 significant digits: a bound or a compared value must be below this.
_NUMBER_LIMIT = Decimal("1e15")


def _text(value: Any) -> str:
    """A YAML value as the messages show it: a date as 2006-01-20, text and numbers as written."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()[:10]
    return repr(value) if isinstance(value, str) else written_text(value)


def _blank(text: str) -> bool:
    """Nothing but whitespace (any kind: U+3000, NBSP …) or zero-width characters."""
    return not "".join(unicodedata.normalize("NFKC", text).split()).strip("\u200b\ufeff")


#: Field types whose values a reference can match (combine.py compares the values as text,
#: ``normalise_label(format_value(v))``): a text never reads as a date, a name list or a number.
_REF_KINDS = {"text": "text", "choice": "text", "id_number": "text", "phone": "text",
              "integer": "number", "decimal": "number"}


def _ref_kind(field_type: str) -> str:
    return _REF_KINDS.get(field_type, field_type)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: Any) -> str:
    """What a YAML value is, in the words of the messages (YAML's own kinds, not Python's)."""
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return f" {str(value).lower()}"
    if isinstance(value, dict):
        return "映射"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, (int, float)):
        return f"数字 {value!r}"
    if isinstance(value, (date, datetime)):
        return f"日期 {value.isoformat()[:10]}"
    return f"文本 {value!r}" if isinstance(value, str) else type(value).__name__


__all__ = [
    "FIELD_TYPES",
    "Condition",
    "Derived",
    "Field",
    "Figure",
    "Form",
    "FormDefinition",
    "load_form_definition",
    "normalise_label",
    "parse_form_definition",
]
