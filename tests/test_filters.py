"""The Jinja filters of report templates (xltools.filters): Excel-style half-up rounding through
Decimal(str(x)), Chinese numerals and ordinals (GB/T 15834 B.3), GB/T 9704 dates."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import pytest

from xltools.errors import TemplateError
from xltools.filters import (
    FILTERS,
    cn_index,
    cn_num,
    date_cn,
    diff,
    growth,
    num,
    paras,
    pct,
    required,
    thousands,
    wan,
)


def test_registered_filter_names():
    assert set(FILTERS) == {"wan", "pct", "growth", "diff", "cn_num", "cn_index", "date_cn", "thousands", "num", "paras",
                            "required"}


# -- wan -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (4913000, 1, "491.3"),  # the seed's recovered wages
        (4912500, 1, "491.3"),  # 491.25: half-up (Excel), not half-even 491.2
        (4912499, 1, "491.2"),
        (4913000.0, 1, "491.3"),
        (Decimal("4913000"), 2, "491.30"),
        (5000, 1, "0.5"),
        (0, 1, "0.0"),
        (-4913000, 1, "-491.3"),
        ("4,913,000", 1, "491.3"),
        (123456789, 0, "12346"),
    ],
)
def test_wan(value, digits, expected):
    assert wan(value, digits) == expected


# -- pct -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, kwargs, expected",
    [
        (0.1335, {}, "13.4％"),  # half-up: not 13.3％
        (1.3385, {}, "133.9％"),  # Excel ROUND(133.85, 1) = 133.9; f"{1.3385*100:.1f}" gives 133.8
        (0.5, {}, "50.0％"),
        (1, {}, "100.0％"),
        (0.1335, {"half": True}, "13.4%"),
        (0.12345, {"digits": 2}, "12.35％"),
        (0.125, {"digits": 0}, "13％"),
        (-0.1335, {}, "-13.4％"),  # away from zero, like Excel
        (-0.0001, {}, "0.0％"),  # never "-0.0％"
        (0, {}, "0.0％"),
        ("0.1335", {}, "13.4％"),
    ],
)
def test_pct(value, kwargs, expected):
    assert pct(value, **kwargs) == expected


def test_pct_differs_from_float_formatting():
    # the reason the filters exist: binary floats round the wrong way at display time
    assert f"{1.3385 * 100:.1f}" == "133.8"
    assert pct(1.3385) == "133.9％"


@pytest.mark.parametrize(
    "a, b, kwargs, expected",
    [
        (281, 300, {}, "93.7％"),
        (1, 3, {}, "33.3％"),
        (2, 3, {"half": True}, "66.7%"),
        (29, 106, {"digits": 2}, "27.36％"),
        (-1, 8, {}, "-12.5％"),
        (1, -8, {}, "-12.5％"),
    ],
)
def test_pct_of_two_numbers(a, b, kwargs, expected):
    assert pct(a, b, **kwargs) == expected


@pytest.mark.parametrize("zero", [0, 0.0, Decimal("0"), "0"])
def test_pct_zero_division_is_an_error(zero):
    with pytest.raises(TemplateError, match="分母为 0"):
        pct(5, zero)


# -- growth ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "old, new, kwargs, expected",
    [
        (14.5, 33.9, {}, "133.8％"),  # the seed: caseload per prosecutor
        (33.9, 14.5, {}, "-57.2％"),
        (33.9, 14.5, {"signed": False}, "57.2％"),
        (100, 100, {}, "0.0％"),
        (8, 9, {"half": True, "digits": 2}, "12.50%"),
        (-10, -5, {}, "50.0％"),  # (new − old) / |old|
        (200, 1, {"digits": 0}, "-100％"),  # -99.5 rounds away from zero
    ],
)
def test_growth(old, new, kwargs, expected):
    assert growth(old, new, **kwargs) == expected


@pytest.mark.parametrize(
    "old, new, kwargs, expected",
    [
        (92.5, 98.6, {}, "6.1"),  # a rate's change in percentage points; float gives 6.0999…
        (98.6, 92.5, {}, "-6.1"),
        (98.6, 92.5, {"signed": False}, "6.1"),
        (Decimal("0.10"), Decimal("0.35"), {}, "0.25"),
        ("１,000", 1250, {}, "250"),
        (7, 7, {}, "0"),
        (0, 12, {}, "12"),  # unlike growth, no base to divide by
    ],
)
def test_diff(old, new, kwargs, expected):
    assert diff(old, new, **kwargs) == expected


def test_diff_rejects_what_is_not_a_number():
    with pytest.raises(TemplateError, match="diff"):
        diff(None, 3)


def test_growth_from_zero_is_an_error():
    with pytest.raises(TemplateError, match="基数.*为 0"):
        growth(0, 12)


# -- cn_num / cn_index ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (106, "一百零六"),
        (106.0, "一百零六"),
        (Decimal("106.00"), "一百零六"),
        ("１０６", "一百零六"),  # full-width digits
        (10, "十"),
        (11, "十一"),
        (110, "一百一十"),
        (0, "零"),
        (-5, "负五"),
        (1.5, "一点五"),
        (48, "四十八"),
    ],
)
def test_cn_num(value, expected):
    assert cn_num(value) == expected


def test_cn_num_out_of_range_is_an_error():
    with pytest.raises(TemplateError, match="cn_num"):
        cn_num(10**20)


@pytest.mark.parametrize(
    "n, level, expected",
    [
        (1, 1, "一、"),
        (2, 1, "二、"),
        (11, 1, "十一、"),
        (2, 2, "（二）"),
        (10, 2, "（十）"),
        (3, 3, "3."),
        (12, 3, "12."),
        (4, 4, "（4）"),
        (4.0, 4, "（4）"),
    ],
)
def test_cn_index(n, level, expected):
    assert cn_index(n, level) == expected


@pytest.mark.parametrize("n, level", [(0, 1), (-1, 2), (1.5, 3), (True, 1), (1, 5), (1, 0), ("x", 1), (None, 1)])
def test_cn_index_rejects(n, level):
    with pytest.raises(TemplateError, match="cn_index"):
        cn_index(n, level)


# -- date_cn ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (date(2006, 1, 15), "2006年1月15日"),
        (date(2026, 11, 9), "2026年11月9日"),  # no zero padding (GB/T 9704 7.3.5.4)
        (datetime(2006, 3, 5, 14, 30), "2006年3月5日"),
        ("2006-01-15", "2006年1月15日"),
        ("2006-01-15T10:20:30", "2006年1月15日"),
        ("2006/1/5", "2006年1月5日"),
        ("2006.01.05", "2006年1月5日"),
        ("2006年1月5日", "2006年1月5日"),
        (" 2006-12-31 ", "2006年12月31日"),
    ],
)
def test_date_cn(value, expected):
    assert date_cn(value) == expected


@pytest.mark.parametrize("value", ["2006-13-01", "2006-02-30", "yesterday", "", 20060115, None, 2006.1])
def test_date_cn_rejects(value):
    with pytest.raises(TemplateError, match="date_cn"):
        date_cn(value)


# -- thousands / num -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (2103, None, "2,103"),
        (999, None, "999"),
        (1234567.891, None, "1,234,567.891"),
        (-2103, None, "-2,103"),
        (2103.5, 0, "2,104"),
        (-2103.5, 0, "-2,104"),
        (1e20, None, "100,000,000,000,000,000,000"),
        (0, None, "0"),
        ("12000", None, "12,000"),
    ],
)
def test_thousands(value, digits, expected):
    assert thousands(value, digits) == expected


@pytest.mark.parametrize(
    "value, args, expected",
    [
        (2103.0, (), "2103"),
        (Decimal("33.90"), (), "33.9"),
        (100, (), "100"),  # never "1E+2"
        (Decimal("1E+2"), (), "100"),
        (530.5, (), "530.5"),
        (530.456, (2,), "530.46"),
        (0.125, (2,), "0.13"),  # half-up; half-even would give 0.12
        (2.675, (2,), "2.68"),  # the float is 2.67499…, Excel ROUND gives 2.68
        (530.5, (2,), "530.50"),
        (530.5, (2, True), "530.5"),
        (530.0, (2, True), "530"),
        (-0.0, (), "0"),
        (-0.004, (2,), "0.00"),
        (-14.5, (), "-14.5"),
    ],
)
def test_num(value, args, expected):
    assert num(value, *args) == expected


def test_num_float_formatting_would_be_wrong():
    assert f"{2.675:.2f}" == "2.67"
    assert num(2.675, 2) == "2.68"


# -- bad input, every numeric filter ---------------------------------------------------------


NUMERIC = [wan, pct, thousands, num, cn_num]


@pytest.mark.parametrize("func", NUMERIC, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", [None, True, False, "abc", "", "12万", [1], {"a": 1}, math.nan, math.inf, -math.inf, date(2006, 1, 1)])
def test_numeric_filters_reject_non_numbers(func, bad):
    with pytest.raises(TemplateError, match=func.__name__):
        func(bad)


@pytest.mark.parametrize("bad", [None, "abc", True])
def test_growth_rejects_non_numbers(bad):
    with pytest.raises(TemplateError, match="growth"):
        growth(bad, 10)
    with pytest.raises(TemplateError, match="growth"):
        growth(10, bad)


@pytest.mark.parametrize("func", [wan, pct, thousands, num], ids=lambda f: f.__name__)
@pytest.mark.parametrize("digits", [-1, 11, 1.5, "2", True])
def test_bad_digits(func, digits):
    with pytest.raises(TemplateError, match="小数位数"):
        func(1, digits=digits)


# -- paras / required ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("第一段\n第二段", "第一段\a第二段"),
        ("第一段\r\n\r\n　　第二段 \r第三段", "第一段\a第二段\a第三段"),  # blank lines and 　　 indents go
        ("一\u2028二\x0b三", "一\a二\a三"),
        ("只有一段", "只有一段"),
        ("", ""),
        (None, ""),
        (2103, "2103"),
    ],
)
def test_paras(text, expected):
    assert paras(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("现场解答群众疑问", "现场解答群众疑问。"),
        ("已办结。", "已办结。"),
        ("他说：“好。”", "他说：“好。”"),
        ("第一条\n第二条！\n第三条（见附件）", "第一条。\a第二条！\a第三条（见附件）。"),
        ("目标：", "目标："),
        ("", ""),
        (None, ""),
    ],
)
def test_paras_with_an_end_mark(text, expected):
    assert paras(text, "。") == expected


@pytest.mark.parametrize("empty", [None, "", [], (), {}])
def test_required_stops_on_empty(empty):
    with pytest.raises(TemplateError, match="需要考核数据"):
        required(empty, "需要考核数据")


@pytest.mark.parametrize(
    "empty, why",
    [(None, "（数据中没有这一项）"), ("", "（数据中没有这一项）"), ([], "见汇总表的“问题清单”）"), ({}, "可能是相应的行都被退回了")],
)
def test_required_says_why_after_the_templates_words(empty, why):
    # A review: a workbook whose rows were all sent back was told to use a workbook
    with pytest.raises(TemplateError) as caught:
        required(empty, "需要考核数据")
    assert str(caught.value).startswith("需要考核数据（") and why in str(caught.value)
    assert "JSON" not in str(caught.value)


@pytest.mark.parametrize("value", [[1], "x", 0, {"a": 1}])
def test_required_renders_nothing_otherwise(value):
    assert required(value, "不会出现") == ""
