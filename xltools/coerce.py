"""Coercion (类型转换): one raw cell value → the typed value of a field, or problems.

The reader (:mod:`xltools.readers`) delivers raw cell values as python-calamine gives them —
``None``, ``str`` (not stripped), ``int``, ``float``, ``bool``, ``datetime.date``,
``datetime.datetime``, ``datetime.time``, ``datetime.timedelta`` or an Excel error value (an
object whose ``code`` attribute starts with ``#``, e.g. ``xltools.readers.CellError("#N/A")``);
CSV returns give every value as ``str``.  The merge compiles one coercer per column with
:func:`compile_field` and calls it for every cell of that column, then attaches the file, sheet
and cell to each problem.

A problem is ``(severity, kind, message)``: severity ``"error"`` (the row is rejected) or
``"warning"`` (the value is accepted and reported); ``kind`` a stable code (``required``,
``bad_date`` …); ``message`` a Chinese sentence for the clerk that quotes the raw value and says
what to do (never the cell address: the issue list has its own columns for that).  When any
problem is an error the value is ``None``; warnings keep the value.

Kinds, by field type (every type also has ``required`` and ``error_value``):

* text: ``too_long`` (error), ``control_chars`` (warning, the characters are removed);
* integer, decimal: ``not_number``, ``not_integer``, ``wrong_unit``, ``out_of_range`` (errors),
  ``chinese_numeral``, ``too_many_decimals`` (warnings);
* date: ``bad_date``, ``out_of_range`` (errors), ``chinese_numeral`` (warning);
* boolean: ``bad_boolean``; choice: ``not_in_choices``;
* names: ``odd_name`` (warning);
* id_number: ``id_as_number``, ``bad_id_length``, ``bad_id_number``, ``bad_id_birthdate``,
  ``bad_id_checksum`` (errors);
* phone: ``odd_phone`` (warning).

Typed values: text → ``str``; integer → ``int``; decimal → ``decimal.Decimal``; date →
``datetime.date``; boolean → ``bool``; choice → the canonical choice ``str``; names →
``tuple[str, ...]``; id_number → ``str`` (18 characters, upper-case X); phone → ``str``;
blank → ``None``.

Sources of the rules: DESIGN.md §5 ("Types"); Unicode NFKC (UAX #15) for full-width digits and
punctuation; the XML 1.0 ``Char`` production (W3C XML 1.0 §2.2) for the control characters a
workbook cannot carry; Excel's 1900 date system (Microsoft: serial 1 = 1900-01-01, serial 60 is
the non-existent 1900-02-29 kept for Lotus 1-2-3 compatibility, serial 2958465 = 9999-12-31) and
its 15-significant-digit number precision (Microsoft, "Excel specifications and limits");
GB 11643-1999 (公民身份号码) with its ISO 7064 MOD 11-2 check digit; the ``cn2an`` library for
Chinese numerals.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import repeat
from operator import itemgetter, methodcaller, mul, ne
from typing import Any

from .forms import Field
from .issues import ERROR, WARNING

Problem = tuple[str, str, str]
"""``(severity "error"|"warning", kind, Chinese message)``."""

Coercer = Callable[[object], tuple[object, list[Problem]]]

# Every character ``str.isspace()`` accepts, plus the zero-width characters Excel users paste in.
_WS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
    "\u180e\u200b\u200c\u200d\u2060\ufeff"
)
_WS_RE = re.compile(f"[{re.escape(_WS)}]")
# Characters outside the XML 1.0 Char production (tab, LF and CR are allowed).
_CTRL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

#: Excel error values as they appear in a CSV export or any reader that gives them as text.
_ERROR_CODES = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!",
})

_SHOWN_LIMIT = 40
_DATE_FORM = "2006-03-05"
#: What clerks type for "not applicable" in a number column.
_NOT_APPLICABLE = frozenset({"无", "/", "／", "-", "—", "——", "－", "不适用", "暂无", "N/A", "n/a", "NA"})


def _nfkc(s: str) -> str:
    return s if s.isascii() else unicodedata.normalize("NFKC", s)


# --------------------------------------------------------------------------- display


def format_value(value: object) -> str:
    """A typed (or raw) value as display text.

    ``None`` → ``""``; ``bool`` → ``是``/``否``; ``int`` → digits; ``Decimal`` → plain notation as
    stored (``Decimal("491.3")`` → ``"491.3"``, never an exponent); ``float`` → Excel's 15
    significant digits in plain notation (``12.0`` → ``"12"``); ``date`` → ``2006-03-05``;
    ``datetime`` → ``2006-03-05`` at midnight, else ``2006-03-05 14:30:00``; ``time`` →
    ``14:30:00``; ``timedelta`` → ``[h]:mm:ss`` as Excel shows durations; a tuple or list of
    names → joined with ``、`` (``"张明、李华"``); an Excel error value → its code (``#N/A``);
    anything else → ``str(value)``.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return format(_float_decimal(value), "f")
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, timedelta):
        secs = int(value.total_seconds())
        sign, secs = ("-", -secs) if secs < 0 else ("", secs)
        return f"{sign}{secs // 3600}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    if isinstance(value, (tuple, list)):
        return "、".join(format_value(v) for v in value)
    code = _error_code(value)
    if code is not None:
        return code
    return str(value)


def _float_decimal(x: float) -> Decimal:
    """A finite float as the Decimal Excel shows: 15 significant digits (491.3 → 491.3, a
    pasted 0.1+0.2 → 0.3)."""
    return Decimal(format(x, ".15g"))


def _shown(raw: object) -> str:
    """A raw value quoted in a message: as the clerk sees it in the cell (a boolean cell shows
    TRUE/FALSE), stripped, cut to 40 characters."""
    if isinstance(raw, str):
        text = raw.strip(_WS)
    elif isinstance(raw, bool):
        text = "TRUE" if raw else "FALSE"
    else:
        text = format_value(raw)
    if len(text) > _SHOWN_LIMIT:
        text = text[:_SHOWN_LIMIT] + "…"
    return text


def _error_code(raw: object) -> str | None:
    code = getattr(raw, "code", None)
    if isinstance(code, str) and code.startswith("#"):
        return code
    return None


def _err(kind: str, message: str) -> Problem:
    return (ERROR, kind, message)


def _warn(kind: str, message: str) -> Problem:
    return (WARNING, kind, message)


def _error_value(code: str) -> tuple[None, list[Problem]]:
    return None, [_err("error_value", f"单元格是错误值 {code}，请改为实际内容")]


# --------------------------------------------------------------------------- compile


def compile_field(field: Field) -> Coercer:
    """Compile the coercer for one field: ``coerce(raw) -> (value, problems)``.

    Everything about the field (type, bounds, unit, choices table, messages) is decided here
    once; the returned closure dispatches only on the raw value's Python type.  ``raw`` is one
    of the values listed in the module docstring; ``problems`` is a new list of
    ``(severity, kind, message)`` each call.  Blank (``None`` or a string of whitespace,
    including NBSP, U+3000 and zero-width characters) gives ``None`` and, for a required,
    non-derived field, an error of kind ``required``.  Raises ``ValueError`` for a field type
    not in :data:`xltools.forms.FIELD_TYPES` (a bug: loaded definitions are validated).
    """
    try:
        build = _BUILDERS[field.type]
    except KeyError:
        raise ValueError(f"unknown field type {field.type!r} for field {field.name!r}") from None
    parse_str, handlers = build(field)

    missing = _required(field)

    def blank() -> list[Problem]:
        return missing.copy()

    def on_str(raw: str) -> tuple[object, list[Problem]]:
        s = raw.strip(_WS)
        if not s:
            return None, blank()
        if s[0] == "#" and s in _ERROR_CODES:
            return _error_value(s)
        return parse_str(s)

    table: dict[type, Coercer] = dict(handlers)
    table[str] = on_str
    get = table.get

    def slow(raw: object) -> tuple[object, list[Problem]]:
        code = _error_code(raw)
        if code is not None:
            return _error_value(code)
        for kind in (str, bool, int, float, datetime, date, time, timedelta):
            if isinstance(raw, kind) and kind in table:
                return table[kind](raw)
        return on_str(str(raw))

    def coerce(raw: object) -> tuple[object, list[Problem]]:
        if raw is None:
            return None, blank()
        handler = get(type(raw))
        if handler is None:
            return slow(raw)
        return handler(raw)

    batch = _PLAIN_BATCHES.get(field.type)
    typed = _TYPED_BATCHES.get(field.type)
    coerce.many = (_many(coerce, batch(field, parse_str) if batch else None,  # type: ignore[attr-defined]
                         {kind: build(field) for kind, build in typed.items()} if typed else None)
                   if batch or typed else None)
    return coerce


#: How a printable string may not start on the plain path of :func:`_many`: with a space (the
#: one printable character ``_WS`` strips) or an error code's "#" (nor end with a space).
_NOT_PLAIN_START = (" ", "#")


def _many(coerce: Coercer, batch: Callable[[list[str]], list[tuple[object, list[Problem]]]] | None,
          typed: dict[type, _CellsBatch] | None = None,
          ) -> Callable[[Iterable[object]], dict[object, tuple[object, list[Problem]]]]:
    """``many(values) -> {value: coerce(value)}`` for distinct raw values (what
    :func:`xltools.returns._coerce_column` needs), giving the *plain* strings to ``batch`` in one
    call: printable (so no control character, line break or whitespace other than the space),
    no space at either end and not starting with "#".  For those ``on_str`` strips nothing and
    finds no error code, so ``coerce(v) == parse_str(v)``, and ``batch`` returns exactly
    ``[parse_str(v) for v in plain]`` with less work per value (issue 7: coercion is compiled
    per column).  The cells of each type in ``typed`` (number cells, date cells) go to its
    batch in one call, which returns ``[coerce(v) for v in them]`` or None when some need the
    per-value path.  Other values go through ``coerce``."""

    def many(values: Iterable[object]) -> dict[object, tuple[object, list[Problem]]]:
        values = set(values)
        out: dict[object, tuple[object, list[Problem]]] = {}
        for kind, cells_batch in (typed or {}).items():
            cells = [v for v in values if v.__class__ is kind]
            done = cells_batch(cells) if cells else None
            if done is not None:
                out.update(zip(cells, done))
                values.difference_update(cells)
        if batch is not None:
            if _all_plain(values):
                out.update(zip(values, batch(list(values))))
                return out
            plain = [v for v in values if v.__class__ is str and v and v.isprintable()
                     and not v.startswith(_NOT_PLAIN_START) and not v.endswith(" ")]
            if plain:
                out.update(zip(plain, batch(plain)))
                values.difference_update(plain)
        for v in values:
            out[v] = coerce(v)
        return out

    return many


def _all_plain(values: set[object]) -> bool:
    """Whether every value is a plain string in :func:`_many`'s sense, with no Python work per
    value: all of type str, none empty, their concatenation printable, none starting with a
    space or "#" nor ending with a space (``str.startswith`` and ``str.endswith`` mapped over
    them: on a column of long texts, four substring searches of the values joined between
    marks took twice as long as the two maps)."""
    if not values or set(map(type, values)) != {str} or "" in values:
        return False
    if not "".join(values).isprintable():  # type: ignore[arg-type]
        return False
    return not (any(map(str.startswith, values, repeat(_NOT_PLAIN_START)))  # type: ignore[arg-type]
                or any(map(str.endswith, values, repeat(" "))))  # type: ignore[arg-type]


@lru_cache(maxsize=512)
def compiled(field: Field) -> Coercer:
    """:func:`compile_field`, cached per field (fields are frozen and compare by value: equal
    fields of two definitions share one coercer, which is pure).  The merge's coercers and
    :func:`coerce_value`'s come from here."""
    return compile_field(field)


def coerce_value(field: Field, raw: object) -> tuple[object, list[Problem]]:
    """Coerce one raw cell value for ``field``: ``compile_field(field)(raw)`` (compiled
    coercers are cached per field: :func:`compiled`)."""
    return compiled(field)(raw)


_StrParser = Callable[[str], tuple[object, list[Problem]]]
_Builder = Callable[[Field], tuple[_StrParser, dict[type, Coercer]]]


# --------------------------------------------------------------------------- text


def _required(field: Field) -> list[Problem]:
    """``[the required error]`` for a required, non-derived field, else ``[]``."""
    if field.required and field.derived is None:
        return [_err("required", f"必填项“{field.label}”未填写，请补填")]
    return []


def _text(field: Field) -> tuple[_StrParser, dict[type, Coercer]]:
    limit = field.max_length
    missing = _required(field)

    def parse(s: str) -> tuple[object, list[Problem]]:
        if s.isprintable():  # no CR, no control characters (a fast C check): most cells
            if limit is not None and len(s) > limit:
                return None, [_err("too_long", f"“{_shown(s)}”共 {len(s)} 个字，超过了 {limit} 字的限制，请精简")]
            return s, []
        problems: list[Problem] = []
        if "\r" in s:
            s = s.replace("\r\n", "\n").replace("\r", "\n")
        if _CTRL_RE.search(s):
            s = _CTRL_RE.sub("", s).strip(_WS)
            problems.append(_warn("control_chars", f"“{_shown(s)}”中含有无法保存的控制字符，已删除，请核对内容"))
            if not s:
                return None, problems + missing
        if limit is not None and len(s) > limit:
            too_long = _err("too_long", f"“{_shown(s)}”共 {len(s)} 个字，超过了 {limit} 字的限制，请精简")
            return None, [*problems, too_long]
        return s, problems

    def display(raw: object) -> tuple[object, list[Problem]]:
        return parse(format_value(raw))

    return parse, {t: display for t in (int, float, bool, date, datetime, time, timedelta)}


# --------------------------------------------------------------------------- numbers

_NUM_RE = re.compile(r"([+-]?)\s*([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_CN_DIGITS = "零〇一二三四五六七八九"
_CN_PLACES = "十拾百佰千仟万萬亿億廿"
_CN_NUM_RE = re.compile(
    f"(负)?([{_CN_DIGITS}两壹贰叁肆伍陆柒捌玖{_CN_PLACES}]+)(?:点([{_CN_DIGITS}]+))?"
)
_CN_DIGIT_VALUE = {ch: str(i) for i, ch in enumerate("〇一二三四五六七八九")} | {"零": "0"}
#: Text in a number field longer than this is not a number (see ``_numeric``'s ``parse``);
#: a float holds 1e100 with room to spare, so every number accepted can be written to Excel.
_MAX_NUMBER_TEXT = 100
_UNIT_TAIL_RE = re.compile(
    f"(?:[+-]?\\s*[0-9.,]*[0-9][0-9.,]*|负?[{_CN_DIGITS}两{_CN_PLACES}点]+)\\s*([^0-9]+)"
)
#: Unit-like suffixes recognised as "a different unit" (wrong_unit) rather than junk.
_KNOWN_UNITS = frozenset({
    "元", "万元", "亿元", "千元", "百万元", "万", "亿", "千", "百", "人", "名", "位", "人次",
    "件", "个", "次", "户", "项", "天", "日", "小时", "分", "分钟", "年", "月", "个月", "岁",
    "%", "‰", "家", "所", "份", "场", "篇", "条", "起", "批", "期", "台", "辆", "套", "间",
    "处", "米", "公里", "平方米", "吨", "公斤", "千克", "克", "斤",
})


#: A Chinese numeral written with the place its field's unit is counted in (一万五 in a 万元
#: field) means that many of the unit: the unit's characters and its size.
_NUMERAL_SCALE = {"万元": ("万萬", Decimal(10000)), "亿元": ("亿億", Decimal(100000000))}


def _accepted_units(unit: str | None) -> tuple[str, ...]:
    """The suffixes accepted for a field's unit, longest first (万元 also as 万, 亿元 as 亿)."""
    if not unit:
        return ()
    u = unicodedata.normalize("NFKC", unit)
    extra = {"万元": ("万",), "亿元": ("亿",)}.get(u, ())
    return (u, *extra)


def _cn_number(sign: str | None, whole: str, frac: str | None) -> Decimal | None:
    """Chinese numeral parts → Decimal via cn2an; None when they are not a number (``三四`` is
    "three or four", not 34)."""
    if len(whole) > 1 and not any(ch in _CN_PLACES for ch in whole):
        return None
    import cn2an

    try:
        n = cn2an.cn2an(whole, "normal")
    except (ValueError, KeyError, IndexError):
        return None
    text = str(int(n))
    if frac:
        text += "." + "".join(_CN_DIGIT_VALUE[ch] for ch in frac)
    d = Decimal(text)
    return -d if sign else d


def _places(d: Decimal) -> int:
    """Significant decimal places: 12.500 → 1, 1E+2 → 0."""
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp < 0 and str(d)[-1] == "0":
        exp = d.normalize().as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def _quoted(d: Decimal, shown: str | None) -> str:
    """The text a number's message quotes: ``shown`` as typed, or the number's own text."""
    return format_value(d) if shown is None else shown


def _numeric(field: Field) -> tuple[_StrParser, dict[type, Coercer]]:
    integer = field.type == "integer"
    lo: Decimal | None = field.min
    hi: Decimal | None = field.max
    places = None if integer else field.decimals
    units = _accepted_units(field.unit)
    missing = _required(field)
    unit_name = units[0] if units else ""
    hint = f"（单位：{unit_name}）" if unit_name else ""
    if lo is not None and hi is not None:
        bounds = f"超出允许范围 {format_value(lo)}～{format_value(hi)}"
    elif lo is not None:
        bounds = f"小于允许的最小值 {format_value(lo)}"
    elif hi is not None:
        bounds = f"大于允许的最大值 {format_value(hi)}"
    else:
        bounds = ""

    def out_of_range(shown: str) -> tuple[None, list[Problem]]:
        return None, [_err("out_of_range", f"“{_shown(shown)}”{bounds}，请核实")]

    def finish(d: Decimal, shown: str | None, problems: list[Problem]) -> tuple[object, list[Problem]]:
        # shown: the text quoted in a message; None for a number cell, whose text (format_value)
        # is only made when there is a message (issue 7: most cells have none)
        if integer:
            if d != d.to_integral_value():
                return None, [_err("not_integer", f"“{_shown(_quoted(d, shown))}”不是整数，本栏只能填整数{hint}")]
            value: object = int(d)
        else:
            value = d
        if (lo is not None and d < lo) or (hi is not None and d > hi):
            return out_of_range(_quoted(d, shown))
        if places is not None and _places(d) > places:
            problems.append(_warn("too_many_decimals", f"“{_shown(_quoted(d, shown))}”的小数超过 {places} 位，已按原值保留，请核实"))
        return value, problems

    def not_number(shown: str) -> tuple[None, list[Problem]]:
        return None, [_err("not_number", f"“{_shown(shown)}”不是数字，本栏只填数字{hint}")]

    def parse(s: str) -> tuple[object, list[Problem]]:
        if len(s) > _MAX_NUMBER_TEXT:
            # no number a clerk types is this long; Python's int() refuses text of over 4,300
            # digits (a ValueError out of read_one), and the unit pattern below backtracks for
            # seconds on a 30,000-character cell (a differential review, the thirteenth round)
            return None, [_err("not_number", f"“{_shown(s)}”有 {len(s)} 个字符，不是数字，本栏只填数字{hint}")]
        if s.isdigit() and s.isascii():  # fast path: plain digits
            return on_int(int(s)) if integer else on_int_decimal(Decimal(s))
        if s in _NOT_APPLICABLE:
            # Clerks write 无 or / for "not applicable": blank for an optional field, never a 0.
            if missing:
                return None, [_err("required", f"必填项“{field.label}”填的是“{s}”，请填写数字（没有请填 0）")]
            return None, [_warn("not_applicable", f"“{s}”按未填写处理；不适用的栏目请留空")]
        t = _nfkc(s).replace("\u2212", "-")
        body = t
        for u in units:
            if body.endswith(u):
                body = body[: -len(u)].rstrip(_WS)
                break
        unit_written = body is not t  # 一万五千万元 is 15000 万元: the 万 inside is not the unit
        m = _NUM_RE.fullmatch(body)
        if m:
            d = Decimal(m.group(2).replace(",", ""))
            return finish(-d if m.group(1) == "-" else d, s, [])
        m = _CN_NUM_RE.fullmatch(body)
        if m:
            d = _cn_number(*m.groups())
            if d is not None:
                scale = _NUMERAL_SCALE.get(unit_name)
                if scale is not None and not unit_written and any(ch in scale[0] for ch in m.group(2)):
                    # 一万五 in a 万元 column is 1.5 万元, not 15000 万元 (a review: a figure
                    # 10,000 times too big with only a warning)
                    d = d / scale[1]
                    said = f"{format_value(d)} {unit_name}"
                else:
                    said = format_value(d)
                warning = _warn("chinese_numeral", f"“{_shown(s)}”是中文数字，已按 {said} 读取，请改填阿拉伯数字")
                return finish(d, s, [warning])
        m = _UNIT_TAIL_RE.fullmatch(t)
        if m and m.group(1).strip(_WS) in _KNOWN_UNITS:
            other = m.group(1).strip(_WS)
            if unit_name:
                msg = f"“{_shown(s)}”的单位是“{other}”，本栏的单位是“{unit_name}”，请换算成{unit_name}后只填数字"
            else:
                msg = f"“{_shown(s)}”带有单位“{other}”，本栏只填数字，请去掉单位"
            return None, [_err("wrong_unit", msg)]
        return not_number(s)

    def on_int(raw: int) -> tuple[object, list[Problem]]:
        if (lo is not None and raw < lo) or (hi is not None and raw > hi):
            return out_of_range(str(raw))
        return (raw if integer else Decimal(raw)), []

    def on_int_decimal(d: Decimal) -> tuple[object, list[Problem]]:
        if (lo is not None and d < lo) or (hi is not None and d > hi):
            return out_of_range(format_value(d))
        return d, []

    def on_float(raw: float) -> tuple[object, list[Problem]]:
        if integer and raw.is_integer() and -1e15 < raw < 1e15:  # fast path: 12.0
            return on_int(int(raw))
        if not math.isfinite(raw):
            return None, [_err("not_number", f"“{raw}”不是有效数字，请填写实际数值{hint}")]
        d = _float_decimal(raw)
        return finish(d, None, [])

    def on_bool(raw: bool) -> tuple[object, list[Problem]]:
        return None, [_err("not_number", f"“{_shown(raw)}”是逻辑值，不是数字，本栏只填数字{hint}")]

    def on_temporal(raw: object) -> tuple[object, list[Problem]]:
        return None, [_err("not_number", f"“{_shown(raw)}”是日期或时间，不是数字，本栏只填数字{hint}")]

    handlers: dict[type, Coercer] = {int: on_int, float: on_float, bool: on_bool}
    handlers |= {t: on_temporal for t in (date, datetime, time, timedelta)}
    return parse, handlers


def _numeric_floats(field: Field) -> Callable[[list[float]], list[tuple[object, list[Problem]]] | None]:
    """The number cells of a column of an integer or decimal field in one go, as
    ``_numeric``'s ``on_float`` gives them when none has a problem: whole numbers for an
    integer field, the 15-digit ``Decimal`` s Excel shows for a decimal one, each within the
    bounds and, for a decimal field, ``decimals`` places — checked over the column with
    ``min``, ``max`` and the lengths of the numbers' text.  None as soon as one might need a
    message, an infinity, a NaN or an exponent: the caller then takes the per-value path."""
    integer = field.type == "integer"
    lo: Decimal | None = field.min
    hi: Decimal | None = field.max
    places = None if integer else field.decimals

    def within(low: object, high: object) -> bool:
        return (lo is None or low >= lo) and (hi is None or high <= hi)  # type: ignore[operator]

    def floats(numbers: list[float]) -> list[tuple[object, list[Problem]]] | None:
        if integer:
            if not (all(map(float.is_integer, numbers)) and -1e15 < min(numbers) and max(numbers) < 1e15):
                return None
            values: list[object] = list(map(int, numbers))
        else:
            if not all(map(math.isfinite, numbers)):
                return None
            texts = list(map(format, numbers, repeat(".15g")))
            if "e" in "".join(texts):
                return None
            if places is not None and max(map(len, map(itemgetter(2), map(methodcaller("partition", "."), texts)))) > places:
                return None
            values = list(map(Decimal, texts))
        if not within(min(values), max(values)):  # type: ignore[type-var]
            return None
        return _without_problems(values)

    return floats


def _without_problems(values: list[Any]) -> list[tuple[object, list[Problem]]]:
    """``(value, [])`` for each value: what a coercer gives a cell it keeps as it is."""
    return list(zip(values, map(list, repeat((), len(values)))))


def _date_cells(field: Field) -> Callable[[list[date]], list[tuple[object, list[Problem]]] | None]:
    """The date cells of a date column in one go, as ``_date``'s ``on_date`` gives them when
    all are within the field's bounds (checked with ``min`` and ``max``): each date itself.
    None when one is out of bounds (the per-value path says which)."""
    lo: date | None = field.min
    hi: date | None = field.max

    def cells(dates: list[date]) -> list[tuple[object, list[Problem]]] | None:
        if (lo is not None and min(dates) < lo) or (hi is not None and max(dates) > hi):
            return None
        return _without_problems(dates)

    return cells


# --------------------------------------------------------------------------- dates

_DATE_SEP_RE = re.compile(
    r"([0-9]{4})([./-])([0-9]{1,2})\2([0-9]{1,2})(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
)
_DATE_CN_RE = re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*[日号]?")
_DATE_COMPACT_RE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_DATE_HANZI_RE = re.compile(r"([〇零○一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十廿]{1,3})[日号]")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 → 1900-03-01
_MAX_SERIAL = 2958465  # 9999-12-31


def _ymd(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _hanzi_date(m: re.Match[str]) -> date | None:
    import cn2an

    year = int("".join(_CN_DIGIT_VALUE.get(ch, "0") for ch in m.group(1)))
    try:
        month = int(cn2an.cn2an(m.group(2), "normal"))
        day = int(cn2an.cn2an(m.group(3), "normal"))
    except (ValueError, KeyError, IndexError):
        return None
    return _ymd(year, month, day)


def _date(field: Field) -> tuple[_StrParser, dict[type, Coercer]]:
    lo: date | None = field.min
    hi: date | None = field.max
    if lo is not None and hi is not None:
        bounds = f"不在允许范围 {lo.isoformat()}～{hi.isoformat()} 内"
    elif lo is not None:
        bounds = f"早于允许的最早日期 {lo.isoformat()}"
    elif hi is not None:
        bounds = f"晚于允许的最晚日期 {hi.isoformat()}"
    else:
        bounds = ""

    def bad(shown: str) -> tuple[None, list[Problem]]:
        return None, [_err("bad_date", f"“{_shown(shown)}”不是有效日期，请按 {_DATE_FORM} 的格式填写")]

    def check(d: date, shown: str | None, problems: list[Problem]) -> tuple[object, list[Problem]]:
        # shown: the text quoted in a message; None for a date cell, whose text (isoformat) is
        # only made when there is a message
        if (lo is not None and d < lo) or (hi is not None and d > hi):
            iso = d.isoformat()
            shown = iso if shown is None else shown
            quoted = f"“{_shown(shown)}”" + (f"（即 {iso}）" if shown != iso else "")
            return None, [_err("out_of_range", f"{quoted}{bounds}，请核实")]
        return d, problems

    def parse(s: str) -> tuple[object, list[Problem]]:
        t = _nfkc(s)
        m = _DATE_SEP_RE.fullmatch(t) or _DATE_CN_RE.fullmatch(t) or _DATE_COMPACT_RE.fullmatch(t)
        if m:
            g = m.groups()
            y, mo, d = (g[0], g[2], g[3]) if len(g) == 4 else g
            value = _ymd(int(y), int(mo), int(d))
            if not value:
                return bad(s)
            problems: list[Problem] = []
            if len(g) == 4 and g[1] == ".":
                # Excel and WPS keep 2006.3.5 as text: it reads, but does not sort or filter as a date.
                problems.append(_warn("date_as_text", f"“{_shown(s)}”是文本形式的日期，已按 {value.isoformat()} 读取；请改为 {value.isoformat()}（年-月-日），以便排序和筛选"))
            return check(value, s, problems)
        m = _DATE_HANZI_RE.fullmatch(t)
        if m:
            value = _hanzi_date(m)
            if value:
                msg = f"“{_shown(s)}”用中文数字书写，已按 {value.isoformat()} 读取，请改为 {value.isoformat()}（年-月-日）"
                return check(value, s, [_warn("chinese_numeral", msg)])
        return bad(s)

    def on_number(raw: int | float) -> tuple[object, list[Problem]]:
        shown = format_value(raw)
        if not math.isfinite(raw):
            return bad(shown)
        if 19000101 <= raw <= 99991231 and raw == int(raw):
            return parse(str(int(raw)))  # 20240305 typed as a number
        if not 1 <= raw < _MAX_SERIAL + 1:
            return bad(shown)
        n = int(raw)
        if n == 60:
            return None, [_err("bad_date", f"“{_shown(shown)}”对应 Excel 中并不存在的 1900-02-29，请按 {_DATE_FORM} 的格式填写")]
        return check(_EXCEL_EPOCH + timedelta(days=n + (1 if n < 60 else 0)), shown, [])

    def on_date(raw: date) -> tuple[object, list[Problem]]:
        return check(raw, None, [])

    def on_datetime(raw: datetime) -> tuple[object, list[Problem]]:
        return check(raw.date(), format_value(raw), [])

    def on_time(raw: object) -> tuple[object, list[Problem]]:
        return None, [_err("bad_date", f"“{_shown(raw)}”只有时间没有日期，请按 {_DATE_FORM} 的格式填写日期")]

    def on_bool(raw: bool) -> tuple[object, list[Problem]]:
        return bad(_shown(raw))

    handlers: dict[type, Coercer] = {
        int: on_number, float: on_number, bool: on_bool, date: on_date, datetime: on_datetime,
        time: on_time, timedelta: on_time,
    }
    return parse, handlers


# --------------------------------------------------------------------------- boolean

_BOOL_WORDS = {
    **dict.fromkeys(("是", "√", "✓", "✔", "y", "yes", "有", "对", "true", "1"), True),
    **dict.fromkeys(("否", "×", "✗", "✘", "n", "no", "无", "错", "false", "0"), False),
}
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _boolean(field: Field) -> tuple[_StrParser, dict[type, Coercer]]:
    lookup = _BOOL_WORDS.get

    def bad(shown: str) -> tuple[None, list[Problem]]:
        return None, [_err("bad_boolean", f"“{_shown(shown)}”无法识别，应填“是”或“否”")]

    def parse(s: str) -> tuple[object, list[Problem]]:
        value = lookup(_nfkc(s).strip(_WS).translate(_ASCII_LOWER))
        return (value, []) if value is not None else bad(s)

    def on_bool(raw: bool) -> tuple[object, list[Problem]]:
        return raw, []

    def on_number(raw: int | float) -> tuple[object, list[Problem]]:
        if raw == 1 or raw == 0:
            return raw == 1, []
        return bad(_shown(raw))

    def on_other(raw: object) -> tuple[object, list[Problem]]:
        return bad(_shown(raw))

    handlers: dict[type, Coercer] = {bool: on_bool, int: on_number, float: on_number}
    handlers |= {t: on_other for t in (date, datetime, time, timedelta)}
    return parse, handlers


# --------------------------------------------------------------------------- choice


def _choice_key(text: str) -> str:
    return "".join(ch for ch in _nfkc(text) if ch not in _WS).translate(_ASCII_LOWER)


def _choice(field: Field) -> tuple[_StrParser, dict[type, Coercer]]:
    table = {_choice_key(c): c for c in field.choices}
    exact = {c: c for c in field.choices}  # the dropdown's own text: most cells
    listed = "、".join(field.choices)

    def parse(s: str) -> tuple[object, list[Problem]]:
        value = exact.get(s)
        if value is not None:
            return value, []
        value = table.get(_choice_key(s))
        if value is None:
            return None, [_err("not_in_choices", f"“{_shown(s)}”不是可选项，请从以下选项中选择：{listed}")]
        return value, []

    def display(raw: object) -> tuple[object, list[Problem]]:
        return parse(format_value(raw))

    return parse, {t: display for t in (int, float, bool, date, datetime, time, timedelta)}


# --------------------------------------------------------------------------- names

_NAME_FIX_RE = re.compile("[\u180e\u200b-\u200d\u2060\ufeff\x00-\x08\x0e-\x1b·•・‧∙⋅]")
_ZERO_WIDTH_RE = re.compile("[\u180e\u200b-\u200d\u2060\ufeff]")
_NAME_DOT_RE = re.compile(r"\s*[·•・‧∙⋅]\s*")
_NAME_SEP_RE = re.compile(r"[、,;/\s\x00-\x1f]+")
_DIGIT_RE = re.compile(r"\d")
_NAME_MAX = 20
#: Han ideographs (CJK Unified Ideographs, Extension A, compatibility ideographs, the
#: supplementary planes' extensions B onwards).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
#: What bounds a name: a separator, the start or end, or the mark joining values in a batch.
_NAME_EDGE = "、,;/\\s\\x00-\\x1f\uffff"
#: A run of single Han characters, each a whole piece, with only whitespace between them.  A
#: run of exactly two is a two-character name padded to the width of three (``张　明`` beside
#: ``欧阳明``, the usual way of aligning names in a Chinese list); a longer run (``赵 钱 孙 李``)
#: is left as it is: pairing it would invent names (:func:`_join_padded`).
_PADDED_NAME_RE = re.compile(f"(?<![^{_NAME_EDGE}])[{_HAN}](?:\\s+[{_HAN}])+(?![^{_NAME_EDGE}])")
#: A piece of one Han character (after padded names are joined): not a whole name.
_ONE_CHAR_RE = re.compile(f"(?<![^{_NAME_EDGE}])[{_HAN}](?![^{_NAME_EDGE}])")
#: The same in the canonical text of a batch framed by "\uffff" (see :func:`_names_plain`):
#: without look-arounds, twice as fast over a column.
_ONE_CHAR_CANONICAL_RE = re.compile(f"[\x1f\uffff][{_HAN}][\x1f\uffff]")


def _listed(names: list[str], most: int = 10) -> str:
    """Names for a message: ``张明、李华``, the first ``most`` of them then ``等``."""
    return "、".join(names[:most]) + ("等" if len(names) > most else "")


def _join_padded(m: re.Match[str]) -> str:
    """The replacement for :data:`_PADDED_NAME_RE`: a run of two characters joined; a longer
    run of an even count paired when the gaps between the pairs are all wider than those inside
    them (``张　明　　李　华`` → ``张明 李华``, a review); else unchanged (``赵 钱 孙 李``)."""
    run = m.group()
    parts = re.split(r"(\s+)", run)
    chars, gaps = parts[::2], [len(g) for g in parts[1::2]]
    if len(chars) == 2:
        return "".join(chars)
    inside, between = gaps[::2], gaps[1::2]
    if len(chars) % 2 == 0 and min(between) > max(inside):
        return " ".join(a + b for a, b in zip(chars[::2], chars[1::2]))
    return run


def split_names(text: str) -> tuple[str, ...]:
    """Split a names cell into names: ``"张明、李华，王强 赵敏"`` → ``("张明", "李华", "王强",
    "赵敏")``.

    The text is NFKC-normalised (so ``，；／`` become ``,;/``) and zero-width characters are
    removed; it is split on ``、 , ; /`` and runs of whitespace or control characters; the
    interpunct of minority names is kept and unified to U+00B7 (``阿依古丽 • 买买提`` →
    ``阿依古丽·买买提``; GB/T 15834 calls it 间隔号); two single Han characters with only
    whitespace between them are one padded name (``张　明、李华`` → ``("张明", "李华")``; three or
    more such characters are left apart, ``赵 钱 孙 李``, for the clerk to say); empty
    pieces are dropped, and a name written twice is kept once (``张明、张明`` → ``("张明",)``).
    Returns an empty tuple for blank text.
    """
    return tuple(dict.fromkeys(_pieces(unicodedata.normalize("NFKC", text))))


def _pieces(s: str) -> tuple[str, ...]:
    """The names of text already NFKC-normalised, as written: :func:`split_names` without
    removing repeats."""
    dots = _NAME_FIX_RE.search(s) is not None
    if dots:
        s = _NAME_DOT_RE.sub("·", _ZERO_WIDTH_RE.sub("", s))
    if _PADDED_NAME_RE.search(s):
        s = _PADDED_NAME_RE.sub(_join_padded, s)
    pieces = _NAME_SEP_RE.split(s)
    return tuple([p for p in (q.strip("·") for q in pieces) if p] if dots else [p for p in pieces if p])


#: Joins plain values for one NFKC pass: a noncharacter, so never in a printable string; a
#: starter that neither decomposes nor composes, so normalising the joined text normalises
#: each value on its own (Unicode Standard Annex #15: composition and canonical reordering
#: stop at such a starter).
_NFKC_JOIN = "\uffff"
#: More than _NAME_MAX characters between separators (stripping interpuncts only shortens).
_LONG_PIECE_RE = re.compile(f"[^\x1f{_NFKC_JOIN}]{{{_NAME_MAX + 1},}}")
#: Where an empty piece comes from in the joined, canonical text: a value that starts or ends
#: with a separator run ("\x1f"), or is empty (see _has_empty_piece).
_EMPTY_PIECE_MARKS = ("\x1f" + _NFKC_JOIN, _NFKC_JOIN + "\x1f", _NFKC_JOIN + _NFKC_JOIN)
_PIECE_ENDS = ("\x1f", _NFKC_JOIN)
#: A value's part (canonical, no interpunct) that may not be its pieces as they stand: a digit,
#: a piece over _NAME_MAX characters, a piece of one Han character, an empty piece.
_SUSPECT_PART_RE = re.compile(
    f"\\d|[^\x1f]{{{_NAME_MAX + 1},}}|(?:^|\x1f)[{_HAN}](?:\x1f|$)|^\x1f|\x1f$|\x1f\x1f|^$"
)


def _has_empty_piece(canonical: str) -> bool:
    """Whether splitting the joined, canonical values (see :func:`_names_plain`) gives an empty
    piece somewhere: substring tests, not a regular expression tried at every position."""
    return (not canonical or canonical.startswith(_PIECE_ENDS) or canonical.endswith(_PIECE_ENDS)
            or any(mark in canonical for mark in _EMPTY_PIECE_MARKS))


def _names_plain(field: Field, parse: _StrParser) -> Callable[[list[str]], list[tuple[object, list[Problem]]]]:
    """The batch of :func:`_many` for a names field: :func:`split_names` done once over all the
    values joined by ``_NFKC_JOIN`` (NFKC, the interpunct fixes, every run of separators made
    one "\x1f", all of which act within a value), then each value split on "\x1f" in C; one
    digit search over all of them.  A value whose names need a message (a digit, a name over
    ``_NAME_MAX`` characters) or that holds no name goes through ``parse``."""

    def batch(values: list[str]) -> list[tuple[object, list[Problem]]]:
        joined = unicodedata.normalize("NFKC", _NFKC_JOIN.join(values))
        dots = _NAME_FIX_RE.search(joined) is not None
        if dots:
            joined = _NAME_DOT_RE.sub("·", _ZERO_WIDTH_RE.sub("", joined))
        # plain values hold no whitespace but the space, nor does their NFKC form ("¨" → " ̈")
        if " " in joined and _PADDED_NAME_RE.search(joined):
            joined = _PADDED_NAME_RE.sub(_join_padded, joined)
        canonical = _NAME_SEP_RE.sub("\x1f", joined)
        parts = canonical.split(_NFKC_JOIN)
        if len(parts) != len(values):  # not for printable values; never guess
            return [parse(v) for v in values]
        # a digit, a piece over _NAME_MAX characters or of one Han character somewhere: look at
        # each value's names
        check = (_DIGIT_RE.search(joined) is not None or _LONG_PIECE_RE.search(canonical) is not None
                 or _ONE_CHAR_CANONICAL_RE.search(f"{_NFKC_JOIN}{canonical}{_NFKC_JOIN}") is not None)

        def one(v: str, part: str) -> tuple[object, list[Problem]]:
            pieces = part.split("\x1f")
            names = tuple(filter(None, [q.strip("·") for q in pieces] if dots else pieces))
            # a name of one character (one left by stripping an interpunct too): parse says
            # whether it is Han
            if names and not (check and (max(map(len, names)) > _NAME_MAX or _DIGIT_RE.search(part))) \
                    and min(map(len, names)) > 1 and len(set(names)) == len(names):
                return names, []
            return parse(v)

        if dots:
            return list(map(one, values, parts))
        # Without interpuncts, a value whose part holds no digit, no piece over _NAME_MAX
        # characters or of one Han character, no empty piece and no piece twice has its pieces
        # as its names: the usual cell.  Only the others (found by one search each, or none at
        # all when the whole column has none) take the per-value test.
        out: list[tuple[object, list[Problem]]] = [(tuple(part.split("\x1f")), []) for part in parts]
        pieces = list(map(itemgetter(0), out))
        if check or _has_empty_piece(canonical):
            for i in [i for i, part in enumerate(parts) if _SUSPECT_PART_RE.search(part)]:
                out[i] = one(values[i], parts[i])
        # a name written twice in a value (only where some value has two pieces or more)
        if "\x1f" in canonical and any(map(ne, map(len, map(set, pieces)), map(len, pieces))):
            for i in [i for i, p in enumerate(pieces) if len(set(p)) < len(p)]:
                out[i] = parse(values[i])
        return out

    return batch


def _names(field: Field) -> tuple[_StrParser, dict[type, Coercer]]:
    missing = _required(field)

    def parse(s: str) -> tuple[object, list[Problem]]:
        pieces = _pieces(unicodedata.normalize("NFKC", s))
        if not pieces:
            return None, missing.copy()
        names = tuple(dict.fromkeys(pieces))
        if (len(names) == len(pieces) and max(map(len, names)) <= _NAME_MAX and min(map(len, names)) > 1
                and not any(map(_DIGIT_RE.search, names))):
            return names, []  # the usual cell: nothing to report, checked without a Python loop
        problems: list[Problem] = []
        for name in names:
            if _DIGIT_RE.search(name):
                problems.append(_warn("odd_name", f"“{name}”含有数字，不像人名，请核实；多人请用顿号分隔"))
            elif len(name) > _NAME_MAX:
                problems.append(_warn(
                    "odd_name", f"“{_shown(name)}”超过 {_NAME_MAX} 个字，不像人名，请核实；多人请用顿号分隔"
                ))
        ones = [name for name in names if len(name) == 1 and _ONE_CHAR_RE.fullmatch(name)]
        if ones:  # one message for the cell: 赵 钱 孙 李 is one mistake, not four
            problems.append(_warn("odd_name", f"“{_listed(ones)}”{'各' if len(ones) > 1 else ''}只有一个字，"
                                              "不像完整的姓名，请核实（多人请用顿号分隔）"))
        repeated = [name for name, n in Counter(pieces).items() if n > 1]  # Counter: a cell of 10,000 names
        if repeated:
            problems.append(_warn(
                "repeated_name", f"“{_listed(repeated)}”在本格中写了不止一次，已只计一次，请核实"
            ))
        return names, problems

    def display(raw: object) -> tuple[object, list[Problem]]:
        return parse(format_value(raw))

    return parse, {t: display for t in (int, float, bool, date, datetime, time, timedelta)}


# --------------------------------------------------------------------------- id_number

_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_ID_CHARS_RE = re.compile(r"[0-9X]+")
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_ID_ZERO = ord("0") * sum(_ID_WEIGHTS)
_ID_CHECK = "10X98765432"  # check character for (weighted sum mod 11) = 0 … 10


def _id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character (ISO 7064 MOD 11-2) for 17 ASCII digits:
    ``_id_check_digit("11010519491231002") == "X"``."""
    total = sum(map(mul, first17.encode("ascii"), _ID_WEIGHTS)) - _ID_ZERO  # code points − "0"
    return _ID_CHECK[total % 11]


def _id_number(field: Field) -> tuple[_StrParser, dict[type, Coercer]]:
    def parse(s: str) -> tuple[object, list[Problem]]:
        t = _nfkc(s).upper()
        if not _ID_RE.fullmatch(t):
            t = _WS_RE.sub("", t).lstrip("'‘’")  # 110105 19491231 002X, a literal leading '
        if not _ID_RE.fullmatch(t):
            if _ID_CHARS_RE.fullmatch(t):
                if len(t) == 15:
                    msg = f"身份证号“{_shown(s)}”是旧的 15 位号码，请改填本人现行的 18 位居民身份证号码"
                else:
                    msg = f"身份证号“{_shown(s)}”有 {len(t)} 位，应为 18 位，请核对号码"
                return None, [_err("bad_id_length", msg)]
            return None, [_err("bad_id_number", f"身份证号“{_shown(s)}”含有不应出现的字符，应为 17 位数字加 1 位数字或 X")]
        birth = t[6:14]
        if int(birth[:4]) < 1900 or _ymd(int(birth[:4]), int(birth[4:6]), int(birth[6:])) is None:
            return None, [_err("bad_id_birthdate", f"身份证号“{_shown(s)}”中的出生日期 {birth} 不存在，请核对号码")]
        if _id_check_digit(t[:17]) != t[17]:
            return None, [_err("bad_id_checksum", f"身份证号“{_shown(s)}”的校验位不对，请核对号码")]
        return t, []

    def on_number(raw: int | float) -> tuple[object, list[Problem]]:
        msg = f"身份证号被存成了数字（{_shown(raw)}），最后几位已丢失；请把单元格设为文本格式后重新输入"
        return None, [_err("id_as_number", msg)]

    def on_other(raw: object) -> tuple[object, list[Problem]]:
        return None, [_err("bad_id_number", f"“{_shown(raw)}”不是身份证号，应为 17 位数字加 1 位数字或 X")]

    handlers: dict[type, Coercer] = {int: on_number, float: on_number}
    handlers |= {t: on_other for t in (bool, date, datetime, time, timedelta)}
    return parse, handlers


# --------------------------------------------------------------------------- phone

_PHONE_RE = re.compile(
    r"(\+?[0-9 ()\-]*[0-9][0-9 ()\-]*)(?:\s*(?:转|分机|ext\.?|x|#)\s*[0-9]{1,6})?", re.IGNORECASE
)
_PHONE_DIGITS_RE = re.compile(r"[0-9]")


def _phone(field: Field) -> tuple[_StrParser, dict[type, Coercer]]:
    def parse(s: str) -> tuple[object, list[Problem]]:
        t = _nfkc(s)
        m = _PHONE_RE.fullmatch(t)
        n = len(_PHONE_DIGITS_RE.findall(m.group(1))) if m else 0
        if not 7 <= n <= 15:
            return t, [_warn("odd_phone", f"电话号码“{_shown(s)}”不像有效号码（应为 7～15 位数字，可带区号、分机），请核实")]
        return t, []

    def on_number(raw: int | float) -> tuple[object, list[Problem]]:
        return parse(format_value(raw))

    def on_other(raw: object) -> tuple[object, list[Problem]]:
        return format_value(raw), [_warn("odd_phone", f"“{_shown(raw)}”不是电话号码，请核实")]

    handlers: dict[type, Coercer] = {int: on_number, float: on_number}
    handlers |= {t: on_other for t in (bool, date, datetime, time, timedelta)}
    return parse, handlers


_BUILDERS: dict[str, _Builder] = {
    "text": _text,
    "integer": _numeric,
    "decimal": _numeric,
    "date": _date,
    "boolean": _boolean,
    "choice": _choice,
    "names": _names,
    "id_number": _id_number,
    "phone": _phone,
}

def _text_plain(field: Field, parse: _StrParser) -> Callable[[list[str]], list[tuple[object, list[Problem]]]]:
    """The batch of :func:`_many` for a text field: a plain string is printable, so ``parse``
    keeps it as it is unless it is over the field's ``max_length``; one ``max(map(len, …))``
    tells whether any is."""
    limit = field.max_length

    def batch(values: list[str]) -> list[tuple[object, list[Problem]]]:
        if limit is not None and values and max(map(len, values)) > limit:
            return [parse(v) for v in values]
        return _without_problems(values)

    return batch


#: Field types whose cells of a Python type :func:`_many` coerces in one batch per type.
_CellsBatch = Callable[[list[Any]], list[tuple[object, list[Problem]]] | None]
_TYPED_BATCHES: dict[str, dict[type, Callable[[Field], _CellsBatch]]] = {
    "integer": {float: _numeric_floats},
    "decimal": {float: _numeric_floats},
    "date": {date: _date_cells},
}

#: Field types whose plain strings :func:`_many` coerces in one batch.  Text's batch pays
#: only when the whole column is plain (``_all_plain``: no per-value filter).
_PLAIN_BATCHES = {"names": _names_plain, "text": _text_plain}

__all__ = ["Problem", "coerce_value", "compile_field", "compiled", "format_value", "split_names"]
