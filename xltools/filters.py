"""Jinja2 filters for report templates (报告模板的过滤器).

Every number is converted with ``Decimal(str(x))`` and rounded once, at display time, with
``ROUND_HALF_UP`` — half away from zero, which is what Excel's ``ROUND`` does — so a figure in a
draft matches the committee's own check in Excel (``ROUND(1.3385*100, 1)`` = 133.9, whereas
Python's ``f"{1.3385*100:.1f}"`` gives 133.8; see reference/gongwen.md "Rounding").

Numbers may be ``int``, ``float``, ``Decimal`` or a numeric string (full-width digits and
thousands separators accepted: ``"2,103"``).  ``None``, ``bool``, NaN, infinities and text that
is not a number raise :class:`~xltools.errors.TemplateError`; so does a division by zero.  The
report renderer adds the template name and paragraph to the message.

=============  =========================================  ======================================
filter         in a template                              result
=============  =========================================  ======================================
``wan``        ``{{ 4913000|wan }}``                      ``491.3`` (元 → 万元, ``digits=1``)
``pct``        ``{{ 0.1335|pct }}``, ``{{ a|pct(b) }}``   ``13.4％``; a/b; ``half=True`` → ``%``
``growth``     ``{{ 14.5|growth(33.9) }}``                ``133.8％`` = (new − old) / |old|
``diff``       ``{{ 92.5|diff(98.6) }}``                  ``6.1`` = new − old, exactly (个百分点)
``cn_num``     ``{{ 106|cn_num }}``                       ``一百零六`` (cn2an)
``cn_index``   ``{{ 2|cn_index(2) }}``                    ``一、`` ``（二）`` ``3.`` ``（4）`` by level
``date_cn``    ``{{ round.date|date_cn }}``               ``2006年1月15日`` (no zero padding)
``thousands``  ``{{ 2103|thousands }}``                   ``2,103``
``num``        ``{{ 2103.0|num }}``, ``{{ x|num(2) }}``   ``2103``; fixed decimals
``paras``      ``{{ deed.content|paras('。') }}``         line breaks → new paragraphs (``\\a``), each ended
``required``   ``{{ top10|required('…') }}``              ``""``, or stop with the message if empty
=============  =========================================  ======================================
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .errors import TemplateError

FULL_PERCENT = "％"
HALF_PERCENT = "%"


def _dec(x: Any, name: str) -> Decimal:
    """``x`` as a finite Decimal, via ``str`` (never through float formatting)."""
    if x is None or isinstance(x, bool):
        raise TemplateError(f"过滤器 {name} 需要数字，得到 {x!r}")
    if isinstance(x, Decimal):
        d = x
    elif isinstance(x, (int, float)):
        d = Decimal(str(x))
    elif isinstance(x, str):
        s = unicodedata.normalize("NFKC", x).strip().replace(",", "")
        try:
            d = Decimal(s)
        except InvalidOperation:
            raise TemplateError(f"过滤器 {name} 需要数字，得到 {x!r}") from None
    else:
        raise TemplateError(f"过滤器 {name} 需要数字，得到 {type(x).__name__} {x!r}")
    if not d.is_finite():
        raise TemplateError(f"过滤器 {name} 需要有限的数字，得到 {x!r}")
    return d


def _digits(digits: Any, name: str) -> int:
    if isinstance(digits, bool) or not isinstance(digits, int) or not 0 <= digits <= 10:
        raise TemplateError(f"过滤器 {name} 的小数位数应为 0–10 的整数，得到 {digits!r}")
    return digits


def _round(d: Decimal, digits: int) -> Decimal:
    """Round half away from zero (Excel ROUND); never ``-0``."""
    q = d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return q.copy_abs() if q == 0 else q


def _plain(d: Decimal) -> str:
    """Decimal as positional text, no exponent: Decimal('1E+2') → '100'."""
    return format(d, "f")


def _percent(ratio: Decimal, digits: int, half: bool) -> str:
    return _plain(_round(ratio * 100, digits)) + (HALF_PERCENT if half else FULL_PERCENT)


def wan(x: Any, digits: int = 1) -> str:
    """元 → 万元 with ``digits`` decimals (default one): ``4913000`` → ``"491.3"``."""
    return _plain(_round(_dec(x, "wan") / 10000, _digits(digits, "wan")))


def pct(x: Any, base: Any = None, digits: int = 1, half: bool = False) -> str:
    """A ratio as a percentage: ``pct(0.1335)`` → ``"13.4％"``; ``pct(a, b)`` is ``a / b``.

    Full-width ``％`` by default (as in the seed speech), ``half=True`` gives ``%``.  A zero
    ``base`` raises TemplateError."""
    d = _dec(x, "pct")
    if base is not None:
        b = _dec(base, "pct")
        if b == 0:
            raise TemplateError(f"过滤器 pct：分母为 0，无法计算 {x!r}/{base!r} 的百分比")
        d = d / b
    return _percent(d, _digits(digits, "pct"), half)


def growth(old: Any, new: Any, digits: int = 1, half: bool = False, signed: bool = True) -> str:
    """Rate of change from ``old`` to ``new``, (new − old) / |old|, as a percentage:
    ``growth(14.5, 33.9)`` → ``"133.8％"``; a fall is negative (``"-12.5％"``) unless
    ``signed=False`` (then the magnitude, for "下降率12.5％").  ``old == 0`` raises TemplateError."""
    o = _dec(old, "growth")
    n = _dec(new, "growth")
    if o == 0:
        raise TemplateError(f"过滤器 growth：基数（上年值）为 0，无法计算从 {old!r} 到 {new!r} 的增长率")
    r = (n - o) / abs(o)
    return _percent(r if signed else abs(r), _digits(digits, "growth"), half)


def diff(old: Any, new: Any, signed: bool = True) -> str:
    """The change from ``old`` to ``new``, new − old, exactly (each as ``Decimal(str(x))``, so
    ``diff(92.5, 98.6)`` is ``"6.1"``, not float's 6.099999999999994), as plain text like
    :func:`num`: what a rate's change is told in (提高6.1个百分点: a rate of a rate misleads).
    A fall is negative unless ``signed=False`` (then the magnitude)."""
    d = _dec(new, "diff") - _dec(old, "diff")
    return num(d if signed else abs(d))


def cn_num(x: Any) -> str:
    """A number in Chinese numerals via ``cn2an.an2cn``: ``106`` → ``"一百零六"``,
    ``-5`` → ``"负五"``, ``1.5`` → ``"一点五"``."""
    import cn2an

    d = _dec(x, "cn_num")
    text = _plain(d.normalize() if d != d.to_integral_value() else d.to_integral_value())
    try:
        return cn2an.an2cn(text, "low")
    except Exception as exc:  # cn2an raises ValueError and others for out-of-range input
        raise TemplateError(f"过滤器 cn_num 无法把 {x!r} 写成中文数字（{exc}）") from None


def cn_index(n: Any, level: int = 1) -> str:
    """Heading ordinal for level 1–4 per GB/T 15834-2011 appendix B.3 (and GB/T 9704 7.3.3):
    ``1`` → ``"一、"``, level 2 → ``"（二）"``, level 3 → ``"3."``, level 4 → ``"（4）"``.
    ``n`` must be a whole number ≥ 1."""
    d = _dec(n, "cn_index")
    if d != d.to_integral_value() or d < 1:
        raise TemplateError(f"过滤器 cn_index 需要从 1 开始的整数序号，得到 {n!r}")
    i = int(d)
    if level == 1:
        return cn_num(i) + "、"
    if level == 2:
        return "（" + cn_num(i) + "）"
    if level == 3:
        return f"{i}."
    if level == 4:
        return f"（{i}）"
    raise TemplateError(f"过滤器 cn_index 的层级应为 1–4，得到 {level!r}")


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def date_cn(x: Any) -> str:
    """A date in full, without zero padding (GB/T 9704 7.3.5.4): ``2006-01-15`` →
    ``"2006年1月15日"``.  Accepts ``date``/``datetime`` and text ``2006-01-15``,
    ``2006/1/15``, ``2006.1.15``, ``2006年1月15日`` (an ISO time part is ignored)."""
    if isinstance(x, (date, datetime)):
        d = x
    elif isinstance(x, str):
        m = _DATE_TEXT.match(unicodedata.normalize("NFKC", x).strip())
        if not m:
            raise TemplateError(f"过滤器 date_cn 需要日期（如 2006-01-15），得到 {x!r}")
        try:
            d = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise TemplateError(f"过滤器 date_cn：{x!r} 不是有效日期") from None
    else:
        raise TemplateError(f"过滤器 date_cn 需要日期（如 2006-01-15），得到 {x!r}")
    return f"{d.year}年{d.month}月{d.day}日"


def thousands(x: Any, digits: int | None = None) -> str:
    """Thousands separators for tables: ``2103`` → ``"2,103"``; ``digits`` rounds first.
    (Running text uses no separator — GB/T 15835 practice — so use it in tables only.)"""
    d = _dec(x, "thousands")
    if digits is not None:
        d = _round(d, _digits(digits, "thousands"))
    elif d == 0:
        d = d.copy_abs()
    return format(d, ",f")


def num(x: Any, digits: int | None = None, trim: bool = False) -> str:
    """A number as plain text.  Without ``digits``: as short as it is exact, dropping a
    trailing ``.0`` (``2103.0`` → ``"2103"``, ``33.90`` → ``"33.9"``).  With ``digits``: rounded
    half-up to that many decimals (``num(530.456, 2)`` → ``"530.46"``); ``trim=True`` then drops
    trailing zeros (``num(530.5, 2, trim=True)`` → ``"530.5"``)."""
    d = _dec(x, "num")
    if digits is not None:
        d = _round(d, _digits(digits, "num"))
        if not trim:
            return _plain(d)
    d = d.normalize()
    return _plain(d.copy_abs() if d == 0 else d)


_LINE_BREAK = re.compile(r"\r\n|[\r\n\x0b\x0c\u2028\u2029]")


_SENTENCE_END = re.compile(r"[。！？!?…；;：:][”’）)」』》]*$")


def paras(text: Any, end: str = "") -> str:
    """Multi-line text (a cell typed with Alt+Enter) as separate paragraphs: each non-blank
    line, stripped of leading/trailing spaces (full-width too), joined with ``\\a`` — docxtpl's
    documented paragraph break, which repeats the paragraph's style.  A ``\\n`` would become a
    line break inside one justified paragraph and stretch the line.  ``None`` → ``""``.

    ``end`` (e.g. ``"。"``) is added to each paragraph that does not already end with
    sentence-final punctuation (。！？…；： possibly followed by a closing quote or bracket):
    ``paras("现场解答群众疑问", "。")`` → ``"现场解答群众疑问。"``."""
    if text is None:
        return ""
    lines = [line.strip() for line in _LINE_BREAK.split(str(text))]
    lines = [line for line in lines if line]
    if end:
        lines = [line if _SENTENCE_END.search(line) else line + end for line in lines]
    return "\a".join(lines)


class RequiredMissing(TemplateError):
    """What :func:`required` raises: the template author's own message for the user, shown
    after the template's name only (not the paragraph holding the tag, which is for a template
    editor's mistakes)."""


def required(value: Any, message: str = "数据中缺少本模板需要的内容") -> str:
    """Stop rendering with ``message`` (:class:`RequiredMissing`) when ``value`` is None, empty
    text or an empty list; otherwise render nothing.  For templates that make no sense without
    some data, e.g. the commendation without ``top10``.

    The message is followed by why, in brackets: rows a figures JSON does not hold
    (``rows_absent``, report.NoRowsList) → use the consolidated workbook; an empty list or
    mapping → the data has no such rows (all of them sent back, say: the workbook's 问题清单);
    None or empty text → the data has no such item.  (A review: a workbook whose 先锋岗 rows
    were all rejected was told to use a workbook.)"""
    if value is None or getattr(value, "rows_absent", False):  # report.NoRowsList refuses to be read
        why = "数据中没有这一项" if value is None else "数据是汇总指标 JSON，只有指标、没有各行明细：请以汇总表（.xlsx）作为数据重新生成"
    elif isinstance(value, str):
        why = "数据中没有这一项" if not value else ""
    elif hasattr(value, "__len__") and len(value) == 0:
        why = "数据中没有这样的行；用汇总表时，可能是相应的行都被退回了，见汇总表的“问题清单”"
    else:
        why = ""
    if why:
        raise RequiredMissing(f"{message}（{why}）")
    return ""


#: The filters registered in every report's Jinja environment, by template name.
FILTERS: dict[str, Callable[..., str]] = {
    "wan": wan,
    "pct": pct,
    "growth": growth,
    "diff": diff,
    "cn_num": cn_num,
    "cn_index": cn_index,
    "date_cn": date_cn,
    "thousands": thousands,
    "num": num,
    "paras": paras,
    "required": required,
}

__all__ = [
    "FILTERS",
    "RequiredMissing",
    "cn_index",
    "cn_num",
    "date_cn",
    "diff",
    "growth",
    "num",
    "paras",
    "pct",
    "required",
    "thousands",
    "wan",
]
