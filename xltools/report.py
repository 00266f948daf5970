"""Reports (文稿): fill Word templates (``.docx`` with Jinja2 tags, rendered by docxtpl) from the
figures of a collection round.

Public API:

* :func:`report_context` — the dict a template sees (documented in the README, section "Report templates: context and filters");
* :func:`find_unit_docs` — the deeds documents (.docx) units sent, matched to the roster by file name;
* :func:`report` — render one or more templates to ``.docx`` drafts (``xltools report``);
* :func:`render_template` — render one template with a given context to bytes;
* :func:`list_template_vars` — the variables a template uses (``xltools report --list-vars``);
* :func:`resolve_template` — a bundled template name (``work_report``) or a path → a path.

Rendering rules (DESIGN.md §4 "docxtpl"; reference/gongwen.md):

* always ``autoescape=True`` — otherwise ``&`` or ``<`` in a unit's name silently cut the text;
* a Jinja environment with ``StrictUndefined`` and the filters of :mod:`xltools.filters`;
* before rendering, every variable the template needs that the context lacks is listed in ONE
  :class:`~xltools.errors.TemplateError`; Jinja syntax errors, poi-tl tags (``{{+img}}``,
  ``{{#table}}``) and tags typed with a Chinese input method (``{％ if x ％}``, ``｛｛ x ｝｝``,
  which Jinja would leave in the output as text) are errors naming the paragraph;
* after rendering, any ``{{ }} {% %}`` delimiter or full-width form left in the body, headers,
  footers or footnotes is an error naming the paragraph, and nothing is written.

Output values: ``None`` renders as an empty string, ``True``/``False`` as 是/否, a whole float
as an integer (``2103.0`` → ``2103``); characters that XML cannot hold are dropped.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import html
import io
import json
import re
import traceback
import zipfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes
from markupsafe import Markup

from ._io import OLE2_MAGIC, atomic_path, readable_text, refuse_filled, refuse_folders
from .consolidated import FormRows
from .errors import DataError, OutputError, TemplateError
from .filters import FILTERS, RequiredMissing
from .forms import REPORT_CONTEXT_KEYS, normalise_label
from .resources import bundled

#: The bundled report templates (``templates/docx/<name>.docx``).
BUNDLED_TEMPLATES = ("work_report", "commendation", "deeds_compilation")
#: The bundled templates' Chinese names.  Their drafts are written under these (``汇报材料.docx``
#: …), as every other xltools output is named for the clerks who open the folder; either name
#: selects the template (:func:`resolve_template`).
BUNDLED_TITLES = {"work_report": "汇报材料", "commendation": "通报表彰", "deeds_compilation": "先进事迹汇编"}
_BY_TITLE = {title: name for name, title in BUNDLED_TITLES.items()}

#: Context keys built by :func:`report_context`; a figure may not take one of these names
#: (refused when the form definition is read, :data:`xltools.forms.REPORT_CONTEXT_KEYS`).
CONTEXT_KEYS = REPORT_CONTEXT_KEYS

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/header"
_FOOTER = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer"
_FOOTNOTES_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
_PROPS = ("author", "comments", "identifier", "language", "subject", "title")  # rendered by docxtpl

# A tag delimiter, half- or full-width ({{ {% %} }} and what a Chinese IME types: ｛｛ {％ ％} ｝｝).
# None may survive rendering; one with a full-width character is never valid Jinja (docxtpl would
# leave it in the output as text), so it is refused before rendering too.
_DELIMITER = re.compile(r"[{｛][{｛%％]|[%％}｝][}｝]")
# poi-tl (Java) tag syntax: {{@img}} {{#table}} {{*list}} {{+doc}} {{?section}} {{/section}}
_POI_TL = re.compile(r"\{\{\s*[@#*+?/>]")
_XML_ILLEGAL = re.compile(r"[\x00-\x06\x08\x0e-\x1f\ufffe\uffff]")


# --------------------------------------------------------------------------- context


#: The context's variables built from the forms' rows, which a figures JSON does not hold.
ROW_VARIABLES = ("forms", "top10", "posts_by_unit")
_NO_ROWS_HINT = "（各表的明细只在汇总表中，汇总指标 JSON 中没有；请用 xltools merge 生成的汇总表 .xlsx 作为 --data）"


class NoRows(Mapping):
    """``forms`` of report data without rows (a figures JSON) when the templates are known:
    ``'results' in forms`` is false and ``forms.get('results', [])`` gives the default asked
    for, so the bundled work report still renders; naming a form (``forms.posts``,
    ``forms['posts']``), counting or looping over ``forms`` raises a DataError saying the rows
    are in the consolidated workbook, instead of Jinja's "'dict object' has no attribute
    'posts'，请检查变量名" or a silent 0 (hostile reviews: the name was right, the data was not)."""

    def __getitem__(self, name: str) -> Any:
        raise DataError(f"数据中没有 forms.{name}{_NO_ROWS_HINT}")

    def __contains__(self, name: object) -> bool:
        return False

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return default

    def __iter__(self) -> Iterator[str]:  # forms|length, a loop over forms.items(): refused too
        raise DataError(f"数据中没有 forms{_NO_ROWS_HINT}")

    __len__ = __iter__  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "{}"


class NoRowsList:
    """Stands in for ``top10`` or ``posts_by_unit`` of report data without rows (a figures
    JSON) when the templates are known: anything that reads it — a loop, ``{% if top10 %}``,
    ``|length``, ``|sum``, ``|map`` (which tests truth first), ``|join``, ``|first``,
    ``top10[0]`` — raises a DataError saying the rows are in the consolidated workbook, while
    a ``|required(message)`` guard gives the template's own message (``rows_absent``).  An empty
    list printed 十佳共0个, summed to 0 or took a loop's ``{% else %}`` in silence (two hostile
    reviews).  Not a list subclass: C code (json, ``reversed``) would read a list's empty
    storage without asking."""

    rows_absent = True  # for filters.required

    def __init__(self, name: str) -> None:
        self._message = f"数据中没有 {name}{_NO_ROWS_HINT}"

    def _refuse(self, *_args: Any) -> Any:
        raise DataError(self._message)

    __bool__ = __len__ = __iter__ = __reversed__ = __getitem__ = __contains__ = _refuse

    def __repr__(self) -> str:
        return "[]"


def provides(context: Mapping[str, Any], name: str) -> bool:
    """Whether ``context`` gives the template variable ``name`` a value from the data: a
    :class:`NoRows` or :class:`NoRowsList` does not."""
    return name in context and not isinstance(context[name], (NoRows, NoRowsList))


def missing_hint(context: Mapping[str, Any], missing: Collection[str]) -> str:
    """What to say after a list of missing variables: where the row variables come from, when
    the data has no rows; else nothing."""
    rows_absent = isinstance(context.get("forms"), NoRows)
    return _NO_ROWS_HINT if rows_absent and any(n in ROW_VARIABLES for n in missing) else ""


def load_report_data(data: Mapping[str, Any] | str | Path,
                     forms: Collection[str] | None = None) -> tuple[dict[str, Any], str]:
    """The report data as a dict, and a name for messages: a figures JSON as it is (its
    ``forms``, if any, a dict of lists), or :func:`xltools.consolidated.read_consolidated` of a
    consolidated workbook with ``lazy=True`` — its ``forms`` a
    :class:`~xltools.consolidated.FormRows` that reads the rows of ``forms`` at once (default:
    every form) and any other form's rows when a template first reaches them (issue 7).
    Raises :class:`~xltools.errors.DataError` for a missing, malformed or unsupported file."""
    if isinstance(data, Mapping):
        return dict(data), "数据"
    p = Path(data)
    if not p.is_file():
        raise DataError(f"{p}：数据文件不存在，请指定 xltools merge 生成的汇总表（.xlsx）或汇总指标（.json）")
    suffix = p.suffix.lower()
    if suffix == ".json":
        try:
            loaded = json.loads(p.read_text(encoding="utf-8-sig"))
        except UnicodeDecodeError:
            raise DataError(f"{p}：不是 UTF-8 编码的 JSON，请使用 xltools merge --json 生成的文件") from None
        except json.JSONDecodeError as exc:
            raise DataError(f"{p}：不是有效的 JSON（第 {exc.lineno} 行：{exc.msg}），请使用 xltools merge --json 生成的文件") from None
        if not isinstance(loaded, dict):
            raise DataError(f"{p}：JSON 顶层应是对象（{{…}}），请使用 xltools merge --json 生成的文件")
        return loaded, str(p)
    if suffix in (".xlsx", ".xlsm"):
        from .consolidated import read_consolidated

        return dict(read_consolidated(p, forms, lazy=True)), str(p)
    raise DataError(f"{p}：不支持的数据文件类型 {suffix or '(无扩展名)'}，请使用汇总表（.xlsx）或汇总指标（.json）")


def _as_date(value: Any, what: str, source: str) -> _dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise DataError(f"{source}：{what} 应为日期（如 2006-03-31），得到 {value!r}")


def _unit_order(units: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return {str(u.get("code")): i for i, u in enumerate(units)}


def top_ten(forms: Mapping[str, Sequence[Mapping[str, Any]]], units: Sequence[Mapping[str, Any]], n: int = 10) -> list[dict[str, Any]]:
    """The ``n`` best posts of ``forms["assessment"]`` ranked by ``total`` (highest first).

    Ties are not broken: tied posts share a rank (competition ranking 1, 2, 2, 4) and carry
    ``tie=True``; every post ranked ``n`` or better is listed, so a tie across the ``n``-th
    place gives more than ``n`` items — the committee decides.  Tied posts are listed in roster
    order.  Each item: ``rank``, ``unit_code``, ``unit_name``, ``post_name``, ``total``,
    ``grade``, ``tie``, and from the matching ``forms["posts"]`` row ``department`` and
    ``leaders`` (``""`` when there is none).  Rows without a numeric total are not ranked."""
    rows = [
        r
        for r in _keyed(forms.get("assessment") or (), "assessment", ("post_name", "total"))
        if isinstance(r.get("total"), (int, float)) and not isinstance(r.get("total"), bool)
    ]
    posts = {(r.get("unit_code"), r.get("post_name")): r for r in _keyed(forms.get("posts") or (), "posts", ("post_name",))}
    order = _unit_order(units)
    rows.sort(key=lambda r: (-r["total"], order.get(str(r.get("unit_code")), len(order)), r.get("source_row") or 0))
    totals = [r["total"] for r in rows]
    items = []
    for r in rows:
        rank = 1 + sum(1 for t in totals if t > r["total"])
        if rank > n:
            break
        post = posts.get((r.get("unit_code"), r.get("post_name")), {})
        items.append(
            {
                "rank": rank,
                "unit_code": r.get("unit_code", ""),
                "unit_name": r.get("unit_name", ""),
                "post_name": r.get("post_name", ""),
                "department": post.get("department") or "",
                "leaders": post.get("leaders") or "",
                "total": r["total"],
                "grade": r.get("grade") or "",
                "tie": totals.count(r["total"]) > 1,
            }
        )
    return items


def posts_by_unit(
    forms: Mapping[str, Sequence[Mapping[str, Any]]],
    units: Sequence[Mapping[str, Any]],
    *,
    also: Collection[str] = (),
    lazy: bool = False,
) -> list[dict[str, Any]]:
    """Units in roster order that have posts, each ``{"code", "name", "posts"}``; each post is
    a dict of its ``forms["posts"]`` row plus ``deeds`` (its deeds by date), ``results`` (its
    工作成效 rows), ``assessment`` (its 年度考核 row or None) and ``story`` (its 先进事迹表 row
    from ``forms["stories"]``, or None when the form is absent or the post has none; the first
    row when a unit sent two for one post), matched on unit code and post name.

    ``lazy``: each post is instead a read-only mapping whose four joined keys are computed when
    first looked up (:class:`_Post`), so only the forms a template reaches are read from a
    lazily read workbook (issue 7: a work report that lists each post's results never reads the
    deeds).  :func:`report_context` uses it when it knows the templates' variables.

    ``also``: unit codes (as text) listed even without posts, with ``posts`` empty — the units
    that sent their deeds as a Word document (:func:`find_unit_docs`)."""
    posts = list(_keyed(forms.get("posts") or (), "posts", ("post_name",)))
    if not posts and not also:
        return []
    joins = _Joins(forms)
    grouped: dict[str, dict[str, Any]] = {
        str(u.get("code")): {"code": u.get("code"), "name": u.get("name"), "posts": []} for u in units
    }
    for r in posts:
        code = str(r.get("unit_code"))
        unit = grouped.setdefault(code, {"code": r.get("unit_code"), "name": r.get("unit_name"), "posts": []})
        if lazy:
            unit["posts"].append(_Post(r, joins))
        else:
            k = _post_key(r)
            unit["posts"].append({**r, **{name: joins.of(name, k) for name in _Post.JOINED}})
    return [u for u in grouped.values() if u["posts"] or str(u["code"]) in also]


def _post_key(r: Mapping[str, Any]) -> tuple[Any, Any]:
    """A row's post: unit code and the post name normalised as merge compares names
    (:func:`xltools.forms.normalise_label`: "立案庭 党员先锋岗" is "立案庭党员先锋岗"), lest a row
    merge accepted as naming a post drop out of the drafts (a review)."""
    name = r.get("post_name")
    return (r.get("unit_code"), normalise_label(name) if isinstance(name, str) else name)


def _keyed(rows: Any, form: str, fields: Sequence[str]) -> Iterator[Mapping[str, Any]]:
    """``rows`` of ``forms[form]``, refusing (DataError) when the first lacks one of ``fields``:
    :func:`top_ten`, :func:`posts_by_unit` and their joins match the forms on unit code and
    ``post_name`` (and rank on ``total``), the bundled kit's field names.  A definition that
    renamed them would otherwise give drafts with every 责任人 and 成效 silently left out (a
    review).  Every row of a consolidated form has every field of the form as a key."""
    it = iter(rows)
    first = next(it, None)
    if first is None:
        return
    missing = [f for f in fields if f not in first]
    if missing:
        raise DataError(
            f"汇总表的表单 {form} 没有字段 {'、'.join(missing)}：top10 和 posts_by_unit 按单位代码和 post_name（先锋岗名称）"
            "把各表对应起来（考核按 total 排名），用的是随附表单定义的字段名；表单定义改了这些字段名时，请改回，"
            "或在模板中不用 top10、posts_by_unit，改用 forms 自行列出")
    yield first
    yield from it


def _by_date(r: Mapping[str, Any]) -> tuple[Any, ...]:
    d = r.get("deed_date")
    return (d is None, d if isinstance(d, _dt.date) else _dt.date.min, r.get("source_row") or 0)


class _Joins:
    """The rows of one joined form (``deeds``, ``results``, ``assessment``, ``story``) by post
    key (unit code, post name), indexed the first time any post asks for that part."""

    FORM = {"deeds": "deeds", "results": "results", "assessment": "assessment", "story": "stories"}

    def __init__(self, forms: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        self._forms = forms
        self._index: dict[str, dict[tuple[Any, Any], Any]] = {}

    def of(self, part: str, key: tuple[Any, Any]) -> Any:
        index = self._index.get(part)
        if index is None:
            index = self._index[part] = self._build(part)
        found = index.get(key)
        if part in ("deeds", "results"):
            return list(found) if found else []
        return found

    def _build(self, part: str) -> dict[tuple[Any, Any], Any]:
        rows = _keyed(self._forms.get(self.FORM[part]) or (), self.FORM[part], ("post_name",))
        index: dict[tuple[Any, Any], Any] = {}
        if part in ("deeds", "results"):
            for r in rows:
                index.setdefault(_post_key(r), []).append(r)
            if part == "deeds":
                for group in index.values():
                    group.sort(key=_by_date)
        else:  # one row per post: the first
            for r in rows:
                index.setdefault(_post_key(r), r)
        return index


class _Post(Mapping[str, Any]):
    """One post of :func:`posts_by_unit`: its row's keys, then ``deeds``, ``results``,
    ``assessment`` and ``story``, each looked up in :class:`_Joins` on first use and kept."""

    JOINED = ("deeds", "results", "assessment", "story")
    __slots__ = ("_row", "_joins", "_got")

    def __init__(self, row: Mapping[str, Any], joins: _Joins) -> None:
        self._row = row
        self._joins = joins
        self._got: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name in self.JOINED:
            got = self._got
            if name not in got:
                got[name] = self._joins.of(name, _post_key(self._row))
            return got[name]
        return self._row[name]

    def __contains__(self, name: object) -> bool:
        return name in self.JOINED or name in self._row

    def __iter__(self) -> Iterator[str]:
        yield from (k for k in self._row if k not in self.JOINED)
        yield from self.JOINED

    def __len__(self) -> int:
        return len(self.JOINED) + sum(1 for k in self._row if k not in self.JOINED)

    # As the dict posts_by_unit gives without ``lazy``: printed ({{ p }}), listed, copied.
    def __repr__(self) -> str:
        return repr(self.copy())

    def keys(self):  # type: ignore[override]
        return dict.fromkeys(self).keys()

    def items(self):  # type: ignore[override]
        return self.copy().items()

    def values(self):  # type: ignore[override]
        return self.copy().values()

    def copy(self) -> dict[str, Any]:
        """The post as a plain dict (every joined key looked up)."""
        return {name: self[name] for name in self}


def _is_ole(path: Path) -> bool:
    """Whether ``path`` is an OLE2 compound file: an old Word .doc, or an encrypted .docx
    (Word wraps those in OLE2), never a .docx python-docx can open."""
    with open(path, "rb") as fh:
        return fh.read(len(OLE2_MAGIC)) == OLE2_MAGIC


def _check_docx(path: Path) -> None:
    """Raise DataError unless ``path`` opens as a Word document within the readers' size caps."""
    import zipfile

    from docx import Document

    from .readers import Limits

    limits = Limits()
    hint = "请用 Word 或 WPS 打开后另存为 .docx 再放入该文件夹"
    if path.stat().st_size > limits.max_file_bytes:
        raise DataError(f"{path}：文件超过 {limits.max_file_bytes // 2**20} MB，{hint}（可压缩其中的图片）")
    if _is_ole(path):
        raise DataError(f"{path}：是旧版 Word（.doc）或加密文件，请取消密码保护，{hint}")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
        # zipfile never inflates past a member's declared size, so the declared total is a cap
        if len(infos) > limits.max_zip_members or sum(i.file_size for i in infos) > limits.max_uncompressed_bytes:
            raise DataError(f"{path}：解压后过大或包含的文件过多，疑似损坏或恶意文件，{hint}")
        Document(str(path))
    except DataError:
        raise
    except Exception as exc:  # python-docx/zipfile: BadZipFile, PackageNotFoundError, KeyError, XML errors …
        raise DataError(f"{path}：不是有效的 Word 文档（{type(exc).__name__}: {_short(str(exc))}），{hint}") from None


def find_unit_docs(folder: str | Path, units: Sequence[Mapping[str, Any]]) -> dict[str, Path]:
    """The deeds documents units sent as Word files: unit code (text) → path of its ``.docx``.

    ``folder``: a directory, not searched recursively; Office lock files, hidden files and the
    like are skipped (:func:`xltools.readers.is_skipped_file`).  ``units``: the roster rows
    (``code``, ``name``; the context's ``units``).  A file belongs to the unit its name names,
    by the rule merge uses for returns (:func:`xltools.identify.filename_units`): a unit code as
    a separate token (``D23_先进事迹.docx``, not ``D230``), else the longest unit name contained
    in it (``区劳动局事迹.docx``).  Each file is opened once with python-docx to check it.

    Raises :class:`~xltools.errors.DataError` naming the file for: a missing folder; a file
    that is not ``.docx``; a name matching no unit or several; two files for one unit; a
    corrupt, encrypted, ``.doc`` or oversized document (caps of :class:`xltools.readers.Limits`)."""
    from .identify import filename_units
    from .readers import is_skipped_file
    from .roster import Roster, Unit

    root = Path(folder)
    if not root.is_dir():
        raise DataError(f"{root}：单位事迹文件夹不存在，请指定存放各单位事迹 Word 文档（.docx）的文件夹")
    roster = Roster(tuple(Unit(str(u.get("code") or ""), str(u.get("name") or "")) for u in units if u.get("code")))
    found: dict[str, Path] = {}
    for path in sorted(root.iterdir()):
        if path.is_dir() or is_skipped_file(path):
            continue
        if path.suffix.lower() != ".docx":
            raise DataError(f"{path}：单位事迹只接受 Word 文档（.docx），请另存为 .docx，或把该文件移出 {root}")
        matched = filename_units(path, roster)
        if not matched:
            raise DataError(
                f"{path}：文件名中没有名单上的单位代码或单位名称，不知道是哪个单位的事迹；"
                f"请改名为“单位代码_单位名称_先进事迹.docx”（如 {_example_name(roster)}）"
            )
        if len(matched) > 1:
            names = "、".join(f"{u.name}（{u.code}）" for u in matched)
            raise DataError(f"{path}：文件名同时对应 {names}，请改名，只保留一个单位的代码或名称")
        unit = matched[0]
        if unit.code in found:
            raise DataError(
                f"{found[unit.code]} 和 {path.name} 都是 {unit.name}（{unit.code}）的事迹，请合并成一个 .docx 文件"
            )
        _check_docx(path)
        found[unit.code] = path
    return found


def _example_name(roster: Any) -> str:
    first = next(iter(roster), None)
    return f"{first.code}_{first.name}_先进事迹.docx" if first is not None else "D01_区委办_先进事迹.docx"


_FROM_NEEDED = object()  # report_context's read_at_once when not given
#: the forms whose rows :func:`top_ten` and :func:`posts_by_unit` use
_TOP10_FORMS = ("assessment", "posts")
_POSTS_BY_UNIT_FORMS = ("posts",)  # its joins are read when a template reaches them (_Post)


def _forms_needed(needed: Collection[str] | None, extra: Mapping[str, Any]) -> set[str] | None:
    """The forms to read at once for templates using the variables ``needed`` (None: every
    form, ``needed`` being unknown): those ``top10`` ranks and the posts ``posts_by_unit``
    groups.  Whatever else a template reaches (``forms[...]``, a post's deeds) is read on first
    use (:class:`~xltools.consolidated.FormRows`)."""
    if needed is None:
        return None
    out: set[str] = set()
    if extra.get("forms"):
        return out  # rows given by the caller replace the data's
    if "top10" in needed and "top10" not in extra:
        out.update(_TOP10_FORMS)
    if "posts_by_unit" in needed and "posts_by_unit" not in extra:
        out.update(_POSTS_BY_UNIT_FORMS)
    return out


def forms_used(templates: Sequence[str | Path], extra: Mapping[str, Any] | None = None) -> set[str] | None:
    """The names of the forms :func:`load_report_data` should read at once for ``templates``
    (paths or bundled names): from their variables (:func:`list_template_vars`), the two forms
    ``top10`` ranks and the posts ``posts_by_unit`` groups; from their tags, the forms they name
    through ``forms`` or a post's joined keys (``forms.get('results')``, ``p.deeds``:
    :meth:`_Source.forms_named`), or None (every form) when one uses ``forms`` as a whole; less
    what ``extra`` supplies.  Reading them in one pass saves a
    pass over the workbook per form (about 3 s for a city's); a form a template reaches in a way
    not seen here is still read when reached (issue 7).  Raises TemplateError as
    :func:`list_template_vars` does."""
    return _read_at_once([_Source(resolve_template(t)) for t in templates], extra or {})


def _read_at_once(sources: Sequence[_Source], extra: Mapping[str, Any]) -> set[str] | None:
    needed = {name for src in sources for name in src.check()}
    out = _forms_needed(needed, extra)
    assert out is not None
    if extra.get("forms"):
        return out
    if "forms" in needed or ("posts_by_unit" in needed and "posts_by_unit" not in extra):
        for src in sources:
            named = src.forms_named()
            if named is None:
                return None
            out |= named
    return out


def report_context(
    data: Mapping[str, Any] | str | Path,
    *,
    extra: Mapping[str, Any] | None = None,
    date: _dt.date | None = None,
    unit_docs: str | Path | None = None,
    needed: Collection[str] | None = None,
    read_at_once: Collection[str] | None | object = _FROM_NEEDED,
) -> dict[str, Any]:
    """The context a report template sees (documented in the README, section "Report templates: context and filters").

    ``data``: a consolidated workbook (``.xlsx``, read with
    :func:`xltools.consolidated.read_consolidated`), a figures JSON (``.json``, from
    ``xltools merge --json``), or the same structure as a dict.  ``date``: the report date
    (``round.date``), default today.  ``extra``: keys added last, overriding the built ones — a
    user can add their own keys from Python; a ``top10`` given here (e.g. from a tally JSON) is
    used instead of the one computed, and ``forms`` given here replace the data's rows (and
    feed ``top10`` and ``posts_by_unit``).  ``unit_docs``: a folder of the units' deeds
    documents (:func:`find_unit_docs`); those units are in ``posts_by_unit`` even without posts.
    ``needed``: the variables the templates to be rendered use (:func:`list_template_vars`), when
    known: ``top10`` and ``posts_by_unit`` are then computed only if ``needed`` names them
    (else they are empty lists), of a consolidated workbook only the forms they need are read at
    once (or those of ``read_at_once``, e.g. :func:`forms_used` of the templates; None: every
    form), ``forms`` is a
    :class:`~xltools.consolidated.FormRows` whose other forms are read when first looked up, and
    each post of ``posts_by_unit`` a read-only mapping whose joined rows are looked up when
    first used (issue 7: the commendation of a city's round reads 100,000 rows of its
    1,000,000, the work report 150,000).  Without ``needed``, every form is read, ``forms`` is a
    dict of lists and the posts are dicts.

    Keys: every figure by name (``posts_total`` …); ``figures`` (name → value) and
    ``figure_info`` (list of {name, label, unit, value}); ``units`` (the per-unit rows, roster
    order); ``ledger``; ``counts``; ``form`` ({id, version, title}); ``round`` ({title,
    deadline as a date or None, date}); ``forms`` (form name → rows; ``{}`` for JSON data);
    ``top10`` (:func:`top_ten`); ``posts_by_unit`` (:func:`posts_by_unit`); ``unit_docs`` (unit
    code → path of its deeds ``.docx``; ``{}`` without ``unit_docs``) — :func:`render_template`
    turns each path into a docxtpl subdocument, for ``{{p unit_docs[u.code] }}``.

    Raises :class:`~xltools.errors.DataError` when the data cannot be read, lacks ``figures``,
    ``counts``, ``per_unit`` or ``ledger``, a figure is named like one of the keys above, or a
    file in ``unit_docs`` is refused (:func:`find_unit_docs`)."""
    at_once = _forms_needed(needed, extra or {}) if read_at_once is _FROM_NEEDED else read_at_once
    d, source = load_report_data(data, at_once)  # type: ignore[arg-type]
    for key, kind in (("figures", dict), ("counts", dict), ("per_unit", list), ("ledger", list)):
        if not isinstance(d.get(key), kind):
            raise DataError(
                f"{source}：缺少 {key}（或格式不对），请使用 xltools merge 生成的汇总表（.xlsx）或汇总指标（.json）"
            )
    figures: dict[str, Any] = dict(d["figures"])
    clash = [name for name in figures if name in CONTEXT_KEYS]
    if clash:
        raise DataError(
            f"{source}：汇总指标 {', '.join(clash)} 与报告模板的内置变量重名，"
            f"请在表单定义中给这些指标改名后重新运行 xltools merge"
        )
    extra = dict(extra or {})
    # A figures JSON holds no rows: with the templates known, its forms, top10 and
    # posts_by_unit are empty for loops and tests but say so when named or counted.
    no_rows = needed is not None and "forms" not in extra and "forms" not in d
    forms = extra.pop("forms", None) or d.get("forms") or {}  # rows given in extra feed top10 too
    if not isinstance(forms, Mapping):
        raise DataError(f"{source}：forms 应为“表单名 → 行列表”的对象")
    if needed is None and isinstance(forms, FormRows):
        forms = forms.copy()  # the templates are not known: every form (one pass), as plain lists
    units = list(d["per_unit"])
    form = dict(d.get("form") or {})
    round_in = dict(d.get("round") or {})
    ctx: dict[str, Any] = dict(figures)
    ctx.update(
        figures=figures,
        figure_info=list(d.get("figure_info") or []),
        units=units,
        ledger=list(d["ledger"]),
        counts=dict(d["counts"]),
        form=form,
        forms=(NoRows() if no_rows else forms if isinstance(forms, FormRows)
               else {name: list(rows) for name, rows in forms.items()}),
        round={
            **round_in,
            "title": round_in.get("title") or form.get("title") or "",
            "deadline": _as_date(round_in.get("deadline"), "round.deadline（填报截止日期）", source),
            "date": date or _dt.date.today(),
        },
    )
    if "top10" not in extra:
        ctx["top10"] = (NoRowsList("top10") if no_rows
                        else top_ten(ctx["forms"], units) if needed is None or "top10" in needed else [])
    ctx["unit_docs"] = find_unit_docs(unit_docs, units) if unit_docs is not None else {}
    if no_rows and not ctx["unit_docs"] and "posts_by_unit" not in extra:
        ctx["posts_by_unit"] = NoRowsList("posts_by_unit")
    elif "posts_by_unit" not in extra:  # with unit_docs, their units' entries (no posts)
        ctx["posts_by_unit"] = (posts_by_unit(ctx["forms"], units, also=ctx["unit_docs"], lazy=needed is not None)
                                if needed is None or "posts_by_unit" in needed else [])
    ctx.update(extra)
    return ctx


# --------------------------------------------------------------------------- templates


def resolve_template(template: str | Path) -> Path:
    """An existing file, or the name of a bundled template (``work_report``,
    ``commendation``, ``deeds_compilation``, or its Chinese name in :data:`BUNDLED_TITLES`:
    ``汇报材料``, ``通报表彰``, ``先进事迹汇编``; with or without ``.docx``).

    Raises TemplateError when neither exists."""
    p = Path(template)
    if p.is_file():
        return p
    name = p.name[:-5] if p.name.lower().endswith(".docx") else p.name
    name = _BY_TITLE.get(name, name)
    if len(p.parts) == 1 and name in BUNDLED_TEMPLATES:
        return bundled("templates", "docx", name + ".docx")
    listed = "、".join(f"{name}（{title}）" for name, title in BUNDLED_TITLES.items())
    raise TemplateError(f"找不到模板 {template}（随附模板有：{listed}）")


def draft_name(template: Path) -> str:
    """The file name of the draft rendered from ``template``: a bundled template's Chinese name
    (:data:`BUNDLED_TITLES`, ``汇报材料.docx``), any other template's own stem."""
    title = BUNDLED_TITLES.get(template.stem)
    if title is not None and template.name == template.stem + ".docx":
        with contextlib.suppress(OSError):
            if template.resolve() == bundled("templates", "docx", template.name).resolve():
                return title + ".docx"
    return template.stem + ".docx"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, finalize=_finalize)
    env.filters.update(FILTERS)
    return env


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ }}`` output before escaping.  A tab typed into a return's cell
    becomes a space: docxtpl writes it as a Word tab, which in a 目录 line jumps to the page
    number's tab stop (a review) and elsewhere indents at random."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and not isinstance(value, Markup):
        return _XML_ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    return value


def _not_docx(path: Path, exc: BaseException) -> str:
    """Why ``path`` did not open as a Word document (python-docx raised ``exc``), in words a
    committee member acts on: a workbook given as the template (the arguments swapped), a file
    that is not a zip package at all, or a damaged document."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        with open(path, "rb") as fh:
            damaged = fh.read(2) == b"PK"  # a zip package's signature: a cut or damaged .docx
        return ("不是有效的 Word 文档（文件不完整或已损坏），请用 Word 或 WPS 打开后另存为 .docx" if damaged
                else "不是 Word 文档（.docx），请用 Word 或 WPS 打开后另存为 .docx")
    if "xl/workbook.xml" in names:
        return "是 Excel 工作簿，不是 Word 模板；模板应为 .docx，汇总表请用 --data 指定"
    return f"不是有效的 Word 文档（{type(exc).__name__}: {_short(str(exc))}），请用 Word 或 WPS 另存为 .docx"


class _Source:
    """One template opened for checking and rendering: its parts as docxtpl renders them."""

    def __init__(self, path: Path) -> None:
        from docxtpl import DocxTemplate

        self.path = path
        self.name = path.name
        if not path.is_file():
            raise TemplateError(f"模板 {path}：文件不存在")
        if _is_ole(path):
            raise TemplateError(f"模板 {self.name} 是旧版 Word（.doc）或加密文件，请用 Word 或 WPS 另存为 .docx 后再用")
        if path.stat().st_size == 0:
            raise TemplateError(f"模板 {self.name} 是空文件（0 字节），请重新保存或复制该模板")
        try:
            self.tpl = DocxTemplate(str(path))
            self.tpl.init_docx()
        except Exception as exc:  # python-docx: PackageNotFoundError, BadZipFile, KeyError, ValueError …
            raise TemplateError(f"模板 {self.name} {_not_docx(path, exc)}") from None
        # (label, partname, docxtpl-patched xml with one paragraph per line, raw xml root)
        self.parts: list[tuple[str, str, str, Any]] = []
        self.asts: list[Any] = []  # each part's Jinja tree, made by check()
        self._names: list[str] | None = None  # check()'s result
        try:
            self._collect()
        except Exception as exc:  # malformed header/footer XML and the like
            raise TemplateError(f"模板 {self.name} 无法解析（{type(exc).__name__}: {exc}），请用 Word 另存后重试") from None

    def _collect(self) -> None:
        from docx.oxml import parse_xml

        tpl = self.tpl
        doc = tpl.docx
        body = doc.element.body
        self._add("正文", str(doc.part.partname), tpl.xml_to_string(body), body)
        for rel in doc.part.rels.values():
            if rel.is_external or rel.reltype not in (_HEADER, _FOOTER):
                continue
            part = rel.target_part
            if not part.blob:
                continue
            root = parse_xml(part.blob)
            label = "页眉" if rel.reltype == _HEADER else "页脚"
            self._add(label, str(part.partname), tpl.xml_to_string(root), root)
        for part in doc.part.package.iter_parts():
            if part.content_type == _FOOTNOTES_CT:
                root = parse_xml(part.blob)
                self._add("脚注", str(part.partname), tpl.xml_to_string(root), root)
        props = doc.core_properties
        for prop in _PROPS:
            value = getattr(props, prop) or ""
            if value:
                self.parts.append(("文档属性", f"property:{prop}", value, None))

    def _add(self, label: str, partname: str, xml: str, root: Any) -> None:
        patched = re.sub(r"<w:p([ >])", r"\n<w:p\1", self.tpl.patch_xml(xml))
        self.parts.append((label, partname, patched, root))

    # -- messages -------------------------------------------------------------------
    def where(self, partname: str | None, lineno: int | None) -> str:
        """``（正文：“…paragraph text…”）`` for a line of a part, or ``""``."""
        for label, name, xml, _root in self.parts:
            if name != partname:
                continue
            if lineno is None:
                return f"（{label}）"
            lines = xml.split("\n")
            for line in lines[max(lineno - 1, 0) : lineno + 3]:
                text = _excerpt(line)
                if text:
                    return f"（{label}：“{text}”）"
            return f"（{label}）"
        return ""

    # -- checks before rendering ---------------------------------------------------------
    def check(self) -> list[str]:
        """Check the tags; return the variables used, in order of first use (checked once per
        source: report() asks before the context is built and again to render)."""
        if self._names is not None:
            return list(self._names)
        for label, _name, _xml, root in self.parts:
            if root is None:
                continue
            for p in root.iter(_W + "p"):
                text = _paragraph_text(p)
                bad = [m.group(0) for m in _DELIMITER.finditer(text) if _is_fullwidth(m.group(0))]
                if bad:
                    raise TemplateError(
                        f"模板 {self.name} 有用中文输入法输入的标记 {bad[0]}（{label}：“{_short(text)}”），"
                        f"请改用半角的 {{{{ }}}} 或 {{% %}} 重新输入"
                    )
                _check_whole_tags(self.name, label, text, "p")
                m = _ROW_TAG.search(text)
                if m and next(p.iterancestors(_W + "tc"), None) is None:
                    # outside any table, docxtpl leaves it to Jinja2 as an unknown tag "tr"
                    raise TemplateError(
                        f"模板 {self.name} 的标记 {m.group(0)} 不在表格中（{label}：“{_short(text)}”）：{{%tr %}}、{{%tc %}} "
                        f"只能放在表格的单元格中，重复表格行或单元格；重复段落请用 {{%p %}}"
                    )
            _check_table_tags(self.name, label, root)
        for label, _name, xml, _root in self.parts:
            m = _POI_TL.search(xml)
            if m:
                line = xml.count("\n", 0, m.start()) + 1
                tag = _excerpt(xml[m.start() : m.start() + 40]).split("}}")[0] + "}}"
                raise TemplateError(
                    f"模板 {self.name} 使用了 poi-tl 的标记 {tag}{self.where(_name, line) or f'（{label}）'}，"
                    f"xltools 的模板用 Jinja2 语法（{{{{ 变量 }}}}、{{% for … %}}），请改写该标记"
                )
        env = _environment()
        names: list[str] = []
        asts = []
        for _label, partname, xml, _root in self.parts:
            try:
                ast = env.parse(xml)
                asts.append(ast)
                undeclared = meta.find_undeclared_variables(ast) - set(env.globals)  # compiles: unknown filters
            except jinja2.TemplateSyntaxError as exc:
                # an unclosed block is reported by Jinja at the end of the part: point at its start
                line = _unclosed_block_line(env, xml) if "innermost block" in (exc.message or "") else None
                raise TemplateError(
                    f"模板 {self.name} 有语法错误{self.where(partname, line or exc.lineno)}：{_syntax_problem(exc.message)}"
                ) from None
            for node in ast.find_all(nodes.Name):
                if node.ctx == "load" and node.name in undeclared and node.name not in names:
                    names.append(node.name)
        self.asts, self._names = asts, names
        return list(names)


    def forms_named(self) -> set[str] | None:
        """The forms this template's tags name (after :meth:`check`): ``forms.x``,
        ``forms['x']`` and ``forms.get('x')``, and, on any object, the joined form of a post's
        ``.deeds`` / ``['deeds']`` / ``.get('deeds')`` (and of ``results``, ``assessment``,
        ``story``).  None when the template uses ``forms`` as a whole (``forms.items()``, a loop
        over it, ``forms[name]``, an alias): every form, then.  ``'x' in forms``,
        ``forms|length`` and ``{% if forms %}`` read no rows.  A hint for reading forms in one
        pass (:func:`forms_used`); what a template reaches some other way is still read when
        reached."""
        named: set[str] = set()
        placed: set[int] = set()  # the `forms` names in a position understood above

        def key(node: Any) -> str | None:
            return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None

        def is_forms(node: Any) -> bool:
            return isinstance(node, nodes.Name) and node.name == "forms"

        def name(owner: Any, k: str) -> None:
            if k in _Joins.FORM:
                named.add(_Joins.FORM[k])
            if is_forms(owner):
                named.add(k)
                placed.add(id(owner))

        for ast in self.asts:
            for node in ast.find_all(nodes.Getattr):
                if node.attr not in _MAPPING_METHODS:
                    name(node.node, node.attr)
            for node in ast.find_all(nodes.Getitem):
                k = key(node.arg)
                if k is not None:
                    name(node.node, k)
            for node in ast.find_all(nodes.Call):
                f = node.node
                if isinstance(f, nodes.Getattr) and f.attr == "get" and node.args and key(node.args[0]) is not None:
                    name(f.node, key(node.args[0]))
            for node in ast.find_all(nodes.Compare):  # 'x' in forms
                placed.update(id(op.expr) for op in node.ops if op.op in ("in", "notin") and is_forms(op.expr))
            for node in ast.find_all(nodes.Filter):  # forms|length
                if node.name in ("length", "count") and is_forms(node.node):
                    placed.add(id(node.node))
            for kind in (nodes.If, nodes.CondExpr):  # {% if forms %}
                placed.update(id(node.test) for node in ast.find_all(kind) if is_forms(node.test))
            placed.update(id(node.node) for node in ast.find_all(nodes.Not) if is_forms(node.node))
            if any(is_forms(node) and node.ctx == "load" and id(node) not in placed
                   for node in ast.find_all(nodes.Name)):
                return None
        return named


_MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})


def _paragraph_text(p: Any) -> str:
    """The text of paragraph element ``p`` (its runs' ``w:t``)."""
    return "".join(t.text or "" for t in p.iter(_W + "t"))


def _paragraph_texts(root: Any) -> Iterator[str]:
    """The text of each paragraph under ``root``, one at a time (a compilation has hundreds of
    thousands)."""
    return map(_paragraph_text, root.iter(_W + "p"))


def _is_fullwidth(token: str) -> bool:
    return any(ch in "｛｝％" for ch in token)


#: docxtpl's tags that stand for their whole paragraph, table row or table cell ({%p …%} and
#: {{p subdoc}}, {%tr …%}, {%tc …%}): docxtpl replaces the paragraph (row, cell) holding one by
#: the Jinja2 tag, so anything else in it is dropped, and two in one are not supported
#: (docxtpl's documentation, "Jinja2-like syntax").  Kind → (pattern, what it replaces).
_WHOLE_TAGS = {
    "p": (re.compile(r"\{%p .*?%\}|\{\{p .*?\}\}"), ("段", "整段", "段", "整段", "一段")),
    "tr": (re.compile(r"\{%tr .*?%\}"), ("表格行", "整行", "行", "整个表格行", "一行")),
    "tc": (re.compile(r"\{%tc .*?%\}"), ("单元格", "整格", "格", "整个单元格", "一格")),
}
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
_ROW_TAG = re.compile(r"\{%t[rc] .*?%\}")


def _check_whole_tags(name: str, label: str, text: str, kind: str) -> None:
    """Raise TemplateError for a paragraph (``kind`` "p"), table row ("tr") or cell ("tc"),
    whose ``text`` holds a whole-paragraph (row, cell) tag that does not stand alone: two of
    them (``{%p if x %}正文{%p endif %}``: Jinja2 then saw a broken tag and the message quoted
    the paragraph before, a hostile review), or other text beside one, which docxtpl would drop
    (zero-width characters are not text)."""
    pattern, (what, tag_kind, unit, whole, one) = _WHOLE_TAGS[kind]
    tags = pattern.findall(text)
    if not tags:
        return
    shown = "{{p }}" if tags[0].startswith("{{") else f"{{%{kind} %}}"
    if len(tags) > 1:
        raise TemplateError(
            f"模板 {name} 的同一{what}中有 {len(tags)} 个{tag_kind}标记 {tags[0]}、{tags[1]}（{label}：“{_short(text)}”）："
            f"{shown} 会替换它所在的{whole}，须各自单独占{one}；请把 {tags[0]}、中间的内容、{tags[1]} 分成几{unit}，"
            f"或在同一{unit}内改用不带 {kind} 的 {{% if %}}…{{% endif %}}"
        )
    rest = _ZERO_WIDTH.sub("", text.replace(tags[0], "")).strip()
    if rest:
        raise TemplateError(
            f"模板 {name} 的这一{what}中，{tag_kind}标记 {tags[0]} 之外还有“{_short(rest, 20)}”（{label}：“{_short(text)}”）："
            f"{shown} 会替换它所在的{whole}，这些内容不会出现在文稿中；请把 {tags[0]} 单独放{one}"
            + ("（其他单元格留空）" if kind == "tr" else "")
        )


def _check_table_tags(name: str, label: str, root: Any) -> None:
    """:func:`_check_whole_tags` for each table row and cell under ``root``: a cell's text is
    its own paragraphs' (a table nested in it has rows of its own, checked as such: a review
    found a valid nested {%tr %} loop refused), a row's its cells', space-separated."""
    def cell_text(tc: Any) -> str:
        return " ".join(map(_paragraph_text, tc.iterchildren(_W + "p")))

    for tr in root.iter(_W + "tr"):
        _check_whole_tags(name, label, " ".join(map(cell_text, tr.iterchildren(_W + "tc"))), "tr")
    for tc in root.iter(_W + "tc"):
        _check_whole_tags(name, label, cell_text(tc), "tc")


def _excerpt(xml_line: str, limit: int = 60) -> str:
    return _short(html.unescape(re.sub(r"<[^>]+>", "", xml_line)).strip(), limit)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def list_template_vars(template: str | Path) -> list[str]:
    """The top-level variables a template uses, in order of first use (body, then headers,
    footers, footnotes, document properties); names the template defines itself (loop
    variables, ``{% set %}``) and Jinja's globals are left out.

    Raises TemplateError for a file that is not a .docx, a Jinja syntax error, poi-tl tags or
    full-width tags."""
    return _Source(resolve_template(template)).check()


def render_template(template: str | Path, context: Mapping[str, Any]) -> bytes:
    """Render one template with ``context``; return the ``.docx`` bytes.

    When the template uses ``unit_docs``, each value of ``context["unit_docs"]`` that is a path
    becomes a docxtpl subdocument (``tpl.new_subdoc``), inserted by ``{{p unit_docs[code] }}``;
    a document docxtpl cannot merge is a DataError naming it.

    Raises TemplateError (naming the template, and the paragraph where known) for any problem
    listed in the module docstring; nothing is returned then."""
    return _render(_Source(resolve_template(template)), context)


def _render(src: _Source, context: Mapping[str, Any]) -> bytes:
    """:func:`render_template` of a template already opened (rendered in place: once)."""
    needed = src.check()
    missing = [name for name in needed if name not in context]
    if missing:
        raise TemplateError(
            f"模板 {src.name} 缺少变量：{', '.join(missing)}"
            + (missing_hint(context, missing) or "（数据中没有这些值；请检查变量名，或用 xltools report --list-vars 查看数据提供的变量）")
        )
    tpl = src.tpl
    context = dict(context)
    if "unit_docs" in needed and context.get("unit_docs"):
        context["unit_docs"] = {code: _subdoc(tpl, doc) for code, doc in context["unit_docs"].items()}
        # what a unit's document brings that would spoil the compilation — page-reference
        # bookmarks copied from an earlier one, bookmark names another document has, section
        # breaks — is set apart before it is merged (page_refs)
        from .page_refs import set_apart_unit_docs

        set_apart_unit_docs(tpl.docx.element.body, [sub.subdocx.element.body for sub in context["unit_docs"].values()
                                                    if hasattr(sub, "subdocx")])
    try:
        tpl.render(context, jinja_env=_environment(), autoescape=True)
    except DataError as exc:  # rows read on first use (FormRows) failed, or the data has none
        raise DataError(f"模板 {src.name}：{exc}") from None
    except Exception as exc:  # a template's mistake, never a traceback: name it and the paragraph
        raise _render_error(src, exc, context.get("forms")) from None
    _check_output(src.name, tpl.docx)
    _link_page_refs(src.name, tpl.docx)
    _stamp_draft(tpl.docx)
    buf = io.BytesIO()
    try:
        tpl.save(buf)
    except Exception as exc:
        raise _render_error(src, exc) from None
    blob = buf.getvalue()
    _check_package(src.name, blob)
    return blob


def _subdoc(tpl: Any, doc: Any) -> Any:
    """A path (str or Path) → a docxtpl subdocument of ``tpl``; anything else as it is."""
    if not isinstance(doc, (str, Path)):
        return doc
    try:
        return tpl.new_subdoc(str(doc))
    except Exception as exc:  # docxcompose on a document python-docx opens but cannot merge
        raise DataError(
            f"{doc}：无法并入文稿（{type(exc).__name__}: {_short(str(exc))}），请用 Word 或 WPS 另存为 .docx 后重试"
        ) from None


# Jinja2's messages (English) for the mistakes a template editor makes most, in Chinese.  The
# patterns follow the texts of jinja2's parser and runtime (jinja2/parser.py, runtime.py).
_KINDS = {"dict": "", "int": "数字", "float": "数字", "str": "文本", "list": "列表", "Markup": "文本",
          "NoneType": "空值", "bool": "是/否", "date": "日期", "datetime": "日期", "Decimal": "数字"}


def _undefined_problem(message: str | None, forms: Any = None) -> str:
    """Jinja2's UndefinedError ``message`` as the template editor should read it: which name is
    missing where, and for ``forms`` which forms there are."""
    text = message or ""
    m = re.fullmatch(r"'([\w.]+) object' has no attribute '([^']*)'", text)
    if m:
        kind, name = m.group(1).rsplit(".", 1)[-1], m.group(2)
        if kind == "FormRows":
            there = "、".join(forms) if isinstance(forms, Mapping) else ""
            return f"没有表单 {name}" + (f"（汇总表中的表单：{there}）" if there else "") + "，请检查表单名"
        if kind == "_Post":
            return f"先锋岗没有 {name} 这一项，请检查字段名（见 templates/xlsx/ 中的表单定义）"
        what = _KINDS.get(kind, kind)
        return f"{what}{'的' if what else ''}“{name}”不存在，请检查变量名和字段名"
    m = re.fullmatch(r"'?([\w.]+) object'? has no element (.+)", text)
    if m:
        return f"{_KINDS.get(m.group(1), m.group(1))}中没有第 {m.group(2)} 项（从 0 数起），请先用 {{% if %}} 判断是否有这么多项"
    m = re.fullmatch(r"'([^']*)' is undefined", text)
    if m:
        return f"变量 {m.group(1)} 不存在，请检查变量名"
    return f"{text}，请检查变量名"


_BLOCK_TAGS = frozenset({"for", "if", "macro", "call", "filter", "with", "set", "block", "autoescape", "trans"})


def _unclosed_block_line(env: jinja2.Environment, source: str) -> int | None:
    """The line where the innermost block still open at the end of ``source`` begins
    (``{% for … %}`` without its ``{% endfor %}``), from Jinja2's own lexer; None when that
    cannot be told.  Jinja2 reports such a block at the end of the template, which named an
    innocent paragraph (a hostile review).  ``{% set x = … %}`` is not a block (no end tag)."""
    stack: list[tuple[str, int]] = []
    tokens = [t for t in env.lex(source) if t[1] != "whitespace"]
    for i, (lineno, kind, _value) in enumerate(tokens):
        if kind != "block_begin" or i + 1 >= len(tokens) or tokens[i + 1][1] != "name":
            continue
        name = tokens[i + 1][2]
        if name.startswith("end") and stack and stack[-1][0] == name[3:]:
            stack.pop()
        elif name in _BLOCK_TAGS:
            # a one-line set ({% set x = 1 %}) has no end; a block set ({% set x %}…) does
            if name == "set" and any(t[1] == "operator" and t[2] == "=" for t in tokens[i + 2 : i + 5]):
                continue
            stack.append((name, lineno))
    return stack[-1][1] if stack else None


#: Jinja2's syntax messages (jinja2/parser.py, compiler.py, runtime.py) → the advice given for
#: them; the first pattern that matches (``re.match``) wins.
_SYNTAX_ADVICE: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"No filter named '([^']*)'\.?$"),
     lambda m: f"没有过滤器 {m[1]}（xltools 的过滤器：{', '.join(FILTERS)}；另有 Jinja2 的内置过滤器），请检查拼写"),
    (re.compile(r"No test named '([^']*)'(?: found)?\.?$"), lambda m: f"没有判断 is {m[1]}，请检查拼写"),
    (re.compile(r"Encountered unknown tag '([^']*)'\..*The innermost block that needs to be closed is '([^']*)'", re.S),
     lambda m: (f"{{% {m[2]} %}} 还没有结束就遇到了 {{% {m[1]} %}}：请在它之前补上 {{% end{m[2]} %}}"
                f"（标记须成对、按层次嵌套）")),
    (re.compile(r"Encountered unknown tag '([^']*)'"),
     lambda m: (f"标记 {{% {m[1]} %}} 没有与之配对的开始标记，或标记名写错了；"
                f"请检查 {{% if %}}/{{% endif %}}、{{% for %}}/{{% endfor %}} 是否成对")),
    (re.compile(r"Unexpected end of template\..*The innermost block that needs to be closed is '([^']*)'", re.S),
     lambda m: f"{{% {m[1]} %}} 没有结束，请补上 {{% end{m[1]} %}}（Word 中每个 {{% {m[1]} %}} 都要有配对的结束标记）"),
]


def _syntax_problem(message: str | None) -> str:
    """Jinja2's TemplateSyntaxError ``message`` as advice (:data:`_SYNTAX_ADVICE`); unknown
    texts are quoted as they are."""
    text = message or ""
    for pattern, advice in _SYNTAX_ADVICE:
        m = pattern.match(text)
        if m:
            return advice(m)
    return f"请检查该段的 {{% %}} 和 {{{{ }}}} 标记是否完整、配对（Jinja2：{text}）"


def _render_error(src: _Source, exc: BaseException, forms: Any = None) -> TemplateError:
    part = getattr(src.tpl, "current_rendering_part", None)
    partname = str(part.partname) if part is not None else None
    lineno = getattr(exc, "lineno", None)
    if lineno is None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"]
        lineno = frames[-1].lineno if frames else None
    if isinstance(exc, RequiredMissing):  # the template's own words for the user
        return TemplateError(f"模板 {src.name}：{exc}")
    where = src.where(partname, lineno)
    if isinstance(exc, TemplateError):
        return TemplateError(f"模板 {src.name}{where}：{exc}")
    if isinstance(exc, jinja2.UndefinedError):
        return TemplateError(f"模板 {src.name}{where} 引用了数据中没有的值：{_undefined_problem(exc.message, forms)}")
    if isinstance(exc, jinja2.TemplateSyntaxError):  # e.g. an unknown filter, found on compiling
        return TemplateError(f"模板 {src.name} 有语法错误{where}：{_syntax_problem(exc.message)}")
    if isinstance(exc, jinja2.TemplateRuntimeError) and str(exc).startswith("No test named"):
        return TemplateError(f"模板 {src.name} 有语法错误{where}：{_syntax_problem(str(exc))}")
    if isinstance(exc, TypeError) and "NoRows" in str(exc):  # |tojson of rows JSON data lacks
        return TemplateError(f"模板 {src.name}{where}：数据中没有各表的明细{_NO_ROWS_HINT}")
    return TemplateError(f"模板 {src.name}{where} 渲染失败：{type(exc).__name__}: {exc}")


#: ``dc:identifier`` of every draft xltools writes (docProps/core.xml): this prefix, then the
#: SHA-256 of the draft's word/document.xml as written.  Any editor that saves the draft writes
#: document.xml anew (Word, WPS, LibreOffice, python-docx), so a draft whose document.xml still
#: has that digest is one nobody has saved since (:func:`_edited`).  The core properties every
#: office suite sets were not enough: LibreOffice without "apply user data", and python-docx,
#: leave them as they were (a hostile review).
DRAFT_ID = "xltools-draft:"


def _stamp_draft(doc: Any) -> None:
    """Record in ``doc``'s ``dc:identifier`` the digest of its document part as python-docx will
    write it (``docx.opc.oxml.serialize_part_xml``, lxml's serialization: the same bytes)."""
    from docx.opc.oxml import serialize_part_xml

    doc.core_properties.identifier = DRAFT_ID + hashlib.sha256(serialize_part_xml(doc.element)).hexdigest()


def _edited(path: Path) -> str | None:
    """What an existing file in the way of :func:`report` is, when not a draft as xltools left it
    (``DRAFT_ID``): a draft somebody saved since (and by whom, as its properties say), or a file
    that is no such draft; None for one nobody has saved since."""
    from defusedxml.ElementTree import fromstring

    try:
        with zipfile.ZipFile(path) as zf:
            core = fromstring(zf.read("docProps/core.xml"))
            document = zf.read("word/document.xml")
    except Exception:  # not a zip, no such parts, not XML
        return "不能确认是 xltools 生成、未经修改的文稿"
    dc = "{http://purl.org/dc/elements/1.1/}"
    mark = (core.findtext(dc + "identifier") or "").strip()
    if not mark.startswith(DRAFT_ID):
        return "不能确认是 xltools 生成、未经修改的文稿"
    if mark == DRAFT_ID + hashlib.sha256(document).hexdigest():
        return None
    by = (core.findtext("{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastModifiedBy")
          or "").strip()
    who = f"（最后由“{' '.join(readable_text(by).split())}”保存）" if by else ""
    return f"生成后被修改并保存过{who}，可能是改好的文稿"


def _targets(paths: Sequence[Path], out: Path) -> list[Path]:
    """The files :func:`report` writes for templates ``paths``: ``out`` itself when it ends in
    .docx (one template only), else :func:`draft_name` in the folder ``out``.  Raises OutputError."""
    if out.suffix.lower() == ".docx":
        if len(paths) > 1:
            raise OutputError(f"{out}：有 {len(paths)} 个模板时，输出应为目录而不是 .docx 文件")
        return [out]
    targets = [out / draft_name(p) for p in paths]
    seen: dict[Path, Path] = {}
    for p, t in zip(paths, targets):
        if t in seen:
            raise OutputError(f"模板 {seen[t]} 和 {p} 会写到同一个文件 {t}，请给其中一个模板改名")
        seen[t] = p
    return targets


def refuse_edited_drafts(templates: Sequence[str | Path], out: str | Path) -> None:
    """Stop before anything is read or rendered when a draft :func:`report` would write to ``out``
    is already there and somebody has saved it since xltools wrote it (:func:`_edited`; the
    CLI calls it before reading the data, which for a city takes a while).  Raises
    :class:`~xltools.errors.OutputError` (one line naming the drafts), TemplateError for a
    template that cannot be found."""
    targets = _targets([resolve_template(t) for t in templates], Path(out))
    refuse_folders(targets)
    _refuse_edited(targets)


def _refuse_edited(targets: Sequence[Path]) -> None:
    """:func:`xltools._io.refuse_filled` for drafts (:func:`_edited`)."""
    refuse_filled(targets, _edited, "生成任何文稿", what="未经修改的 xltools 文稿")


def _check_output(name: str, doc: Any) -> None:
    """Fail when a tag delimiter survived rendering (body, headers, footers, footnotes) of the
    rendered document ``doc`` (docxtpl's python-docx ``Document``, as it will be saved).  The
    tree in memory is checked, not the saved file parsed again: a province's compilation is
    100,000 rows, and a second tree of it was a fifth of the report's peak memory (issue 7)."""
    from docx.oxml import parse_xml

    roots: list[tuple[str, Any]] = [("正文", doc.element.body)]
    for rel in doc.part.rels.values():
        if not rel.is_external and rel.reltype in (_HEADER, _FOOTER) and rel.target_part.blob:
            roots.append(("页眉" if rel.reltype == _HEADER else "页脚", parse_xml(rel.target_part.blob)))
    for part in doc.part.package.iter_parts():
        if part.content_type == _FOOTNOTES_CT:
            roots.append(("脚注", parse_xml(part.blob)))
    for label, root in roots:
        for text in _paragraph_texts(root):
            m = _DELIMITER.search(text)
            if m:
                raise TemplateError(
                    f"模板 {name} 渲染后仍有未处理的标记 {m.group(0)}（{label}：“{_short(text)}”），"
                    f"请检查该处标记是否完整、是否用了全角符号"
                )


#: The parts besides the body that hold bookmarks (ECMA-376 Part 1, §11.3).
_NOTE_PARTS = (_HEADER, _FOOTER) + tuple(f"http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}"
                                         for kind in ("footnotes", "endnotes", "comments"))


def _link_page_refs(name: str, doc: Any) -> None:
    """:func:`xltools.page_refs.link_page_refs` on the rendered document ``doc``, the bookmark
    ids of its headers, footers, footnotes, endnotes and comments kept out of the body's.  Raises TemplateError naming the counts
    when a kind's 目录 entries and headings differ."""
    from .page_refs import PageRefMismatch, link_page_refs

    taken: set[int] = set()
    for rel in doc.part.rels.values():
        if not rel.is_external and rel.reltype in _NOTE_PARTS:
            taken.update(int(i) for i in re.findall(rb'<w:bookmarkStart[^>]*?w:id="(\d+)"', rel.target_part.blob or b""))
    try:
        if link_page_refs(doc.element.body, taken):
            _ask_to_update_fields(doc.settings.element)
    except PageRefMismatch as exc:
        said = "；".join(f"_Tocxl_{kind}：目录中 {refs} 条、正文标题 {marks} 个"
                        for kind, (refs, marks) in sorted(exc.counts.items()) if refs != marks)
        raise TemplateError(
            f"模板 {name}：目录的页码引用（PAGEREF _Tocxl_…）与正文标题上的书签数目不同（{said}）；"
            "请检查模板中目录和正文的循环是否列出同样的条目、标题上的书签是否还在"
        ) from None


#: CT_Settings' children that come after w:updateFields (ECMA-376 Part 1, §17.15.1.78).
_AFTER_UPDATE_FIELDS = ("hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars", "rsids",
                        "attachedSchema", "themeFontLang", "clrSchemeMapping", "doNotIncludeSubdocsInStats",
                        "doNotAutoCompressPictures", "forceUpgrade", "captions", "readModeInkLockDown",
                        "smartTagType", "shapeDefaults", "doNotEmbedSmartTags", "decimalSymbol", "listSeparator")


def _ask_to_update_fields(settings: Any) -> None:
    """Set ``w:updateFields`` in a draft's settings, in CT_Settings' order: Word then offers to
    update the fields (the 目录's page numbers) on opening.  Set on the draft, not only in the
    template: LibreOffice drops it when it saves a template."""
    from lxml import etree

    tag = f"{_W_NS}updateFields"
    found = settings.find(tag)
    if found is None:
        found = etree.Element(tag)
        later = {f"{_W_NS}{t}" for t in _AFTER_UPDATE_FIELDS} | {
            "{http://schemas.openxmlformats.org/officeDocument/2006/math}mathPr",
            "{http://schemas.openxmlformats.org/schemaLibrary/2006/main}schemaLibrary"}
        following = next((child for child in settings if child.tag in later), None)
        if following is None:
            settings.append(found)
        else:
            following.addprevious(found)
    found.set(f"{_W_NS}val", "true")


_W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _check_package(name: str, blob: bytes) -> None:
    """Fail when the saved ``.docx`` is not a sound zip holding ``word/document.xml`` (every
    member decompressed and its CRC checked, one at a time)."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            bad = zf.testzip()
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        bad, names = f"{type(exc).__name__}: {exc}", set()
    if bad is not None or "word/document.xml" not in names:
        raise TemplateError(f"模板 {name} 渲染后的文档无法打开（{bad or '缺少 word/document.xml'}），"
                            "请检查模板中的表格和段落标记")


def report(
    templates: Sequence[str | Path],
    data: Mapping[str, Any] | str | Path,
    out: str | Path,
    *,
    extra: Mapping[str, Any] | None = None,
    date: _dt.date | None = None,
    unit_docs: str | Path | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Render each template with :func:`report_context` of ``data`` and return the paths
    written.  ``progress(i, total, name)`` is called before the ``i``-th template (1-based) is
    rendered: a city's 事迹汇编 takes half an hour (bench/README.md).

    One template and ``out`` ending in ``.docx`` → that file; otherwise ``out`` is a folder
    (created) and each template writes :func:`draft_name` there (``<stem>.docx``; a bundled
    template its Chinese name, ``汇报材料.docx``).  Templates are paths or bundled
    names (:func:`resolve_template`).  ``unit_docs``: a folder of the units' deeds documents
    (:func:`find_unit_docs`), merged into templates that use ``unit_docs`` (the bundled
    ``deeds_compilation``, under each unit's heading).  All templates are rendered before anything is written,
    each file atomically (:func:`xltools._io.atomic_path`): one failing template writes nothing.

    A draft of the same name already there is replaced only when nobody has saved it since
    xltools wrote it (:func:`_edited`: staff finish drafts in Word), unless ``overwrite``.

    Raises TemplateError, DataError, or OutputError (two templates with the same file name, an
    output that would overwrite its template, ``out`` a .docx with several templates, a draft
    in the way that was edited: before anything is rendered)."""
    if not templates:
        raise TemplateError("没有指定模板（例如 work_report、commendation、deeds_compilation 或 .docx 文件）")
    paths = [resolve_template(t) for t in templates]
    out = Path(out)
    targets = _targets(paths, out)
    for p, t in zip(paths, targets):
        if t.exists() and t.resolve() == p.resolve():
            raise OutputError(f"{t}：输出会覆盖模板本身，请换一个输出目录")
    refuse_folders(targets)
    if not overwrite:  # before the rendering, which may take long (a city's compilation); the CLI
        _refuse_edited(targets)  # checked before reading the data too: a draft may be saved meanwhile
    sources = [_Source(p) for p in paths]
    needed = {name for src in sources for name in src.check()}
    context = report_context(data, extra=extra, date=date, unit_docs=unit_docs, needed=needed,
                             read_at_once=_read_at_once(sources, extra or {}))
    blobs = []
    for i, src in enumerate(sources, 1):
        if progress:
            progress(i, len(sources), src.name)
        blobs.append(_render(src, context))
    if out.suffix.lower() != ".docx":
        if out.exists() and not out.is_dir():
            raise OutputError(f"{out}：已存在同名文件，不是文件夹；--out 请给一个文件夹，只有一个模板时也可以给 .docx 文件名")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{out}：无法创建输出目录（{exc.strerror or exc}）") from None
    for target, blob in zip(targets, blobs):
        with atomic_path(target) as tmp:
            tmp.write_bytes(blob)
    return targets


__all__ = [
    "BUNDLED_TEMPLATES",
    "BUNDLED_TITLES",
    "CONTEXT_KEYS",
    "draft_name",
    "find_unit_docs",
    "forms_used",
    "list_template_vars",
    "load_report_data",
    "posts_by_unit",
    "refuse_edited_drafts",
    "render_template",
    "report",
    "report_context",
    "resolve_template",
    "top_ten",
]
