"""Reading a form definition's YAML (``templates/xlsx/*.yaml``) for :mod:`xltools.forms`.

A safe loader that refuses what PyYAML would silently accept or fail on without a place — a
duplicate key (PyYAML keeps the last), an impossible date (``2007-02-30``), a number or boolean
it cannot build, a list as a key — and :func:`yaml_problem`, which words any YAML error for the
committee clerk who edits the file by hand: one line of Chinese with the line (and column),
what is wrong and what to do, PyYAML's English kept only for a problem not recognised here.
Both libyaml's (``yaml.CSafeLoader``) and the pure-Python parser's wordings are known.
"""

from __future__ import annotations

import calendar
import re
from typing import Any

import yaml


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last).  Built on
    libyaml's parser when PyYAML has it (``yaml.CSafeLoader``, ~10× faster: start-up counts when
    a district's merge takes a second), else on the pure-Python one; both are safe loaders."""


class _Refusal(yaml.constructor.ConstructorError):
    """A problem found while constructing the YAML (a duplicate key, an impossible date …),
    already worded in Chinese with what to do; ``problem_mark`` is where it is."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(None, None, problem, mark)


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    # Duplicates among the keys written here only: a key brought in by a merge (``<<: *a``) is
    # overridden by one written here, as YAML's merge key means (https://yaml.org/type/merge.html)
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            # a list or mapping as a key (``? [a]`` or ``{[a]: 1}``): ``key in seen`` would raise
            raise _Refusal("键不能是列表或映射，请改为文本", key_node.start_mark) from None
        if key in seen:
            # a second name: in a form definition nearly always the next field (or form) written
            # without its "- " (a review: the message sent the author to delete a field)
            hint = ("；如果这是下一个字段（或表单）的开始，请在“name:”前加“- ”，与上一个“- ”对齐"
                    if key == "name" else "")
            raise _Refusal(f"键 {key!r} 重复（第一次出现在第 {seen[key] + 1} 行），请删去或合并其中一个{hint}",
                           key_node.start_mark)
        seen[key] = key_node.start_mark.line
    loader.flatten_mapping(node)
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep=deep)


def _construct_timestamp(loader: _UniqueKeyLoader, node: yaml.ScalarNode):
    # PyYAML builds the date with datetime.date(...), so 2007-02-30 or 2004-13-01 would escape
    # as a bare ValueError ("day is out of range for month") instead of a place in the file.
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, AttributeError):  # AttributeError: an explicit !!timestamp that is no date
        raise _Refusal(f"“{node.value}”不是有效日期（{_why_not_a_date(str(node.value))}），请改为实际存在的日期",
                       node.start_mark) from None


def _why_not_a_date(text: str) -> str:
    m = yaml.constructor.SafeConstructor.timestamp_regexp.match(text)
    if m is None:
        return "应写成 2006-01-20 的形式"
    year, month, day = int(m.group("year")), int(m.group("month")), int(m.group("day"))
    if year == 0:
        return "没有 0 年"
    if not 1 <= month <= 12:
        return f"没有 {month} 月"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return f"{year} 年 {month} 月只有 {last} 天"
    return "时刻或时区不对"  # 2007-02-28 25:00:00, or an offset of +25:00


class WrittenInt(int):
    """An unquoted YAML integer whose text differs from the number's (``007``, ``1_000``):
    ``written`` keeps the text, for a key that wants text (see :func:`written_text`)."""

    written: str


class WrittenFloat(float):
    """An unquoted YAML float whose text differs from the number's: ``version: 1.10`` is the
    float 1.1 but ``written`` is ``'1.10'`` (see :func:`written_text`)."""

    written: str


def written_text(value: Any) -> str:
    """``value`` as text the way the author wrote it: a number keeps its written form
    (``version: 1.10`` gives ``'1.10'``, not ``'1.1'``); anything else is ``str(value)``."""
    return getattr(value, "written", None) or str(value)


def _guarded(construct: Any, what: str) -> Any:
    """``construct`` (a SafeConstructor method for a scalar) with its bare ValueError or KeyError
    (``0x_``, ``!!int 十``, ``!!bool 也许``) turned into a refusal naming the place; a number
    written differently from how Python prints it keeps its text (:class:`WrittenInt`,
    :class:`WrittenFloat`), and an integer with a leading zero is decimal as in YAML 1.2
    (``max_rows: 0200`` is 200, not PyYAML's YAML 1.1 octal 128)."""

    def guarded(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> Any:
        try:
            value = construct(loader, node)
        except (ValueError, KeyError, OverflowError):
            raise _Refusal(f"“{node.value}”不是有效的{what}，请改正；若是文本请加引号", node.start_mark) from None
        written = str(node.value).strip()
        if type(value) is int and re.fullmatch(r"[-+]?0[0-7_]+", written):
            # YAML 1.1 (PyYAML) reads 0200 as octal 128; YAML 1.2 and every clerk read 200
            value = int(written.replace("_", ""), 10)
        kind = {int: WrittenInt, float: WrittenFloat}.get(type(value))
        if kind is not None and written != str(value):
            value = kind(value)
            value.written = written
        return value

    return guarded


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
for _tag, _construct, _what in (
    ("int", yaml.constructor.SafeConstructor.construct_yaml_int, "整数"),
    ("float", yaml.constructor.SafeConstructor.construct_yaml_float, "数字"),
    ("bool", yaml.constructor.SafeConstructor.construct_yaml_bool, "是否值（true 或 false）"),
):
    _UniqueKeyLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _guarded(_construct, _what))
del _tag, _construct, _what


class QuotedText(str):
    """A YAML string that was written in quotes (``'已核实，无误'``) and holds a comma or 顿号,
    or is wrapped in Chinese quotation marks (``'“三会一课”'``): the author said it is one text
    as written, so :mod:`xltools.forms` takes it as one option or one alias instead of refusing
    it as several joined by mistake, or its quotes as meant for YAML.  ``str(x)`` gives a plain
    ``str``."""

    __slots__ = ()


#: Quotation marks a Chinese input method types (GB/T 15834 引号, 直角引号; full-width and
#: vertical ones): a value starting and ending with one is a value wrapped in quotes.
CHINESE_QUOTES = "“”‘’＂＇〝〞〟「」『』"


def wrapped_in_quotes(value: str) -> bool:
    """Whether ``value`` starts and ends with a Chinese (or full-width) quotation mark."""
    return len(value) >= 2 and value[0] in CHINESE_QUOTES and value[-1] in CHINESE_QUOTES


def _construct_str(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> str:
    value = loader.construct_scalar(node)
    if node.style in ("'", '"') and (re.search("[，、,]", value) or wrapped_in_quotes(value)):
        return QuotedText(value)
    return value


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)


# YAML's line breaks (a mark's line counts these): \r\n, \r, \n, NEL, LS, PS.
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def yaml_problem(exc: yaml.YAMLError, text: str, keys: frozenset[str] = frozenset()) -> str:
    """One line of Chinese for a YAML error: its place (第 N 行 / 第 N 行第 M 列), what is wrong and
    what to do.  The mistakes a committee clerk makes editing the file by hand — a Tab, a
    full-width colon, a value with ``: `` or a leading ``*`` unquoted, an unclosed quote or
    bracket, a misaligned line — are named in Chinese; PyYAML's English text is kept only for a
    problem not recognised here.  Both libyaml's and the pure-Python parser's wordings are known.
    ``keys``: the keys the file may have; a line ``键：值`` is blamed for a full-width colon only
    when 键 is one of them (any English name when none are given), not a line of prose such as
    ``- WPS：请另存为…``."""
    lines = _LINE_BREAK.split(text)

    def line_of(n: int) -> str:
        return lines[n] if 0 <= n < len(lines) else ""

    if isinstance(exc, yaml.reader.ReaderError):  # a control character; its position is in bytes for libyaml
        ch = exc.character if isinstance(exc.character, str) else chr(exc.character)
        at = text.find(ch)
        where = f"第 {len(_LINE_BREAK.findall(text, 0, at)) + 1} 行" if at >= 0 else "文件中"
        return f"{where}含有不可见的控制字符 U+{ord(ch):04X}，请删去"
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return f"YAML 语法错误（{' '.join(str(exc).split())}），请检查缩进、冒号和引号"
    if isinstance(exc, _Refusal):
        return f"第 {mark.line + 1} 行第 {mark.column + 1} 列：{exc.problem}"
    problem = str(getattr(exc, "problem", None) or exc)
    context = str(getattr(exc, "context", None) or "")
    context_mark = getattr(exc, "context_mark", None)
    line, col = mark.line, mark.column
    here = f"第 {line + 1} 行第 {col + 1} 列："
    at_mark = line_of(line)[col:col + 1]
    # where a multi-line construct began (the key without a colon, the opening quote or bracket)
    start = context_mark.line if context_mark is not None and context_mark.line < line else line

    if "tab character" in problem or ("cannot start any token" in problem and at_mark == "\t"):
        if line_of(line)[:col].strip(" \t"):
            return f"第 {line + 1} 行第 {col + 1} 列用了 Tab 字符，请改用空格"
        return f"第 {line + 1} 行用了 Tab 缩进，请改用空格"
    if "could not find expected ':'" in problem:
        faulty = line_of(start)
        if full_width_colon(faulty):
            return f"第 {start + 1} 行用了中文冒号“：”，请改为英文冒号加空格"
        if re.search(r"^[^#'\"]*:[\u3000\u00a0]", faulty):
            return f"第 {start + 1} 行的英文冒号“:”后是全角空格或不换行空格，请改为普通空格，写成“键: 值”"
        if re.search(r"^[^#'\"]*:\S", faulty):
            return f"第 {start + 1} 行的英文冒号“:”后缺少空格，请写成“键: 值”"
        return f"第 {start + 1} 行缺少英文冒号，请写成“键: 值”（英文冒号加空格）；若这一行接续上一行，请检查缩进"
    if "mapping values are not allowed" in problem:
        # ``id：t`` / ``- name：x`` then ``title: x``: the key with the full-width colon ran on
        # into the next line as one text, whose colon is then out of place.  Only a key (an
        # English name, as every key of a form definition is) is blamed: a correct line of prose
        # above (``- 例如：张明``) is not the fault, the ``: `` on this line is.
        before = next((n for n in range(line - 1, -1, -1) if line_of(n).strip()), None)
        word = line_of(before).split("：", 1)[0].strip(" -") if before is not None else ""
        if (before is not None and ":" not in line_of(line)[:col] and full_width_colon(line_of(before))
                and (word in keys if keys else re.fullmatch(r"[A-Za-z_]\w*", word, re.ASCII))):
            return f"第 {before + 1} 行用了中文冒号“：”，请改为英文冒号加空格"
        return (f"{here}这里不能有“: ”（英文冒号加空格）；若值本身含有冒号，请给整个值加引号，"
                f"如 '标题: 副标题'；否则请检查这一行的缩进是否多了")
    if "found undefined alias" in problem or "while scanning an anchor" in context or "while scanning an alias" in context:
        # a value written with a leading * (the required-marker: label: *先锋岗名称) or &
        if "undefined alias" not in problem and context_mark is not None:
            line, col = context_mark.line, context_mark.column
        token = re.match(r"[*&][^\s,\[\]{}]*", line_of(line)[col:])
        shown = token.group() if token else "*"
        return (f"第 {line + 1} 行第 {col + 1} 列：以“{shown[0]}”开头的值 {shown} 会被当作 YAML 的"
                f"{'别名' if shown[0] == '*' else '锚点'}，请给整个值加引号，如 '{shown}'")
    if "quoted scalar" in context and "end of stream" in problem:
        return f"第 {start + 1} 行的引号没有配对，请补上结尾的引号"
    if "unknown escape character" in problem:
        return f"{here}双引号里的反斜杠“\\”后是不能识别的转义，请改用单引号，或把“\\”写成“\\\\”"
    if "',' or ']'" in problem or "',' or '}'" in problem:
        opened = line_of(start)
        comment = re.search(r"[\[{,]\s*([^,\[\]{}]*?\s#[^,\]}]*)", opened)
        if comment:  # [甲, 乙 #丙]: " #" starts a comment even inside brackets, the bracket is lost
            item = comment.group(1).strip()
            return (f"第 {start + 1} 行的括号中有“ #”：YAML 把“ #”及其后的文字当作注释，括号因此没有闭合；"
                    f"如 # 是值的一部分，请给该项加引号，如 '{item}'")
        if "]" in problem:
            return f"第 {start + 1} 行的方括号 [ ] 没有配对，或其中的项之间缺少英文逗号，请写成如 [甲, 乙, 丙]"
        return f"第 {start + 1} 行的花括号 {{ }} 没有配对，或其中的项之间缺少英文逗号，请写成如 {{键: 值, 键: 值}}"
    if "cannot start any token" in problem:
        return f"{here}值不能以“{at_mark}”开头，请给整个值加引号"
    if "node content" in problem:
        return f"{here}这里缺少值（如列表中多了一个逗号），请检查"
    if "sequence entries are not allowed" in problem:  # libyaml: "block sequence entries …", pure: "… here"
        return (f"{here}这里不能以“- ”开始列表；若值本身以“-”开头，请给整个值加引号，如 '- 科室'；"
                f"若是列表，请换行并缩进后每行一项")
    if "another document" in problem:
        return f"第 {line + 1} 行的“---”开始了第二份文档，一个文件只能有一份表单定义，请删去这一行及重复的内容"
    if "could not determine a constructor" in problem:
        tag = re.search(r"'([^']*)'", problem)
        return f"{here}不支持标签 {tag.group(1) if tag else '!…'}，请删去；以“!”开头的文本须加引号"
    if ("expected key" in problem or "expected '-' indicator" in problem
            or "expected <block end>" in problem):
        if full_width_colon(line_of(line)):
            return f"第 {line + 1} 行用了中文冒号“：”，请改为英文冒号加空格"
        quoted = re.search(r"""(["'])[^"']*\1[ \t]*$""", line_of(line)[:col])
        rest = line_of(line)[col:].split(" #", 1)[0].strip()
        if quoted and rest and not rest.startswith("#"):
            # choices: "优秀" 良好 — a quoted value runs to its closing quote, so what follows is
            # neither part of it nor another item
            inner = quoted.group().strip()[1:-1]
            key = re.match(r"\s*(?:-\s+)?([A-Za-z_]\w*)\s*:", line_of(line))
            if key and key.group(1) in ("choices", "aliases"):
                fix = f"若是几项，请写成 [{inner}, {rest}]"
            else:
                gap = quoted.group()[len(quoted.group().rstrip()):]
                fix = f"请写成 '{inner}{gap}{rest}'"
            return f"{here}引号 {quoted.group().strip()} 之后还有“{rest}”：引号要把整个值括起来，{fix}"
        return f"{here}缩进或结构不对，请让同一层的键左端对齐（只用空格），并检查引号、括号是否成对"
    return f"{here}YAML 语法错误（{problem}），请检查缩进、冒号和引号"


def full_width_colon(line: str) -> bool:
    """Whether ``line`` reads as ``键：值`` — a full-width colon where the key's colon belongs
    (not one inside a value: ``help: 说明：…``, nor in a comment)."""
    head = line.split("：", 1)[0] if "：" in line else None
    return (head is not None and not head.lstrip().startswith("#")
            and not re.search(r":(\s|$)", head) and bool(head.strip(" -")))
