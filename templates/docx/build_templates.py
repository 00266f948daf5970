"""Build the bundled report templates in GB/T 9704-2012 format (党政机关公文格式):

* ``work_report.docx``        — 汇报材料, modelled on the seed speech;
* ``commendation.docx``       — 通报表彰 of the top ten (十佳) posts;
* ``deeds_compilation.docx``  — 先进事迹汇编: cover, 前言, 目录 (with page numbers: PAGEREF
  fields to bookmarks on the headings), one chapter per unit (with the deeds document the unit
  sent, if any) and one section per post (its story, if any).

Run ``python templates/docx/build_templates.py`` (python-docx + lxml); the same script always
writes the same bytes (pinned document dates, fixed zip timestamps).  The tags are Jinja2 for
docxtpl; the context they use is documented in the README, section "Report templates: context and filters".

Format (GB/T 9704-2012 clauses; reference/gongwen.md): A4; margins top 37 mm, bottom 35 mm,
left 28 mm, right 26 mm (5.2.1); body 3号 (16 pt) 仿宋_GB2312, 22 lines of 28 characters
(5.2.3: exact line spacing 28.95 pt, characters condensed 0.25 pt), first-line indent two
characters, justified; title 2号 (22 pt) 方正小标宋简体 centred (7.3.1); headings 一、 黑体,
（一） 楷体_GB2312, 1. and （1） 仿宋 (7.3.3); page numbers 4号 (14 pt) 宋体 "— 1 —", odd pages
right and even pages left, one character in from the edge (7.5).  Every font is set in the
styles through ``w:rFonts`` including ``w:eastAsia`` (python-docx ``font.name`` does not set
it), and the font table names a free fallback (``w:altName``) for machines without the
official fonts.  Heading numbers are text (``cn_index`` filter or typed), not Word list
numbering, which restarts badly inside template loops.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Twips

HERE = Path(__file__).resolve().parent
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PINNED = datetime(2006, 1, 1)
ZIP_TIME = (2006, 1, 1, 0, 0, 0)

# -- page geometry (twips; 1 mm = 56.693 twips) ----------------------------------------------
PAGE_W, PAGE_H = 11906, 16838  # A4 210 × 297 mm
MARGIN_TOP = 2098  # 37 mm
MARGIN_BOTTOM = 1984  # 35 mm
MARGIN_LEFT = 1587  # 28 mm
MARGIN_RIGHT = 1474  # 26 mm  → text block 156 × 225 mm
HEADER_DIST = 851  # 15 mm
FOOTER_DIST = 1304  # 23 mm: page number line starts 7 mm below the text block
LINE = 579  # exact line pitch 28.95 pt → 22 lines in 225 mm
BODY_SZ = 32  # half-points: 3号 16 pt
TITLE_SZ = 44  # 2号 22 pt
FOOTER_SZ = 28  # 4号 14 pt

# -- fonts -------------------------------------------------------------------------------------
FANGSONG = "仿宋_GB2312"
XIAOBIAOSONG = "方正小标宋简体"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"

# name → (free fallback named in w:altName, w:family, w:pitch)
FONT_TABLE = {
    FANGSONG: ("Noto Serif CJK SC", "modern", "fixed"),
    XIAOBIAOSONG: ("Noto Serif CJK SC", "script", "variable"),
    HEITI: ("Noto Sans CJK SC", "modern", "fixed"),
    KAITI: ("AR PL UKai CN", "modern", "fixed"),
    SONGTI: ("Noto Serif CJK SC", "auto", "variable"),
}


def fonts(east_asia: str, latin: str | None = None) -> str:
    """``w:rFonts`` naming ``east_asia`` for Chinese and, unless ``latin`` is given, for digits
    and Latin letters too — so “quotes” beside a digit stay full-width."""
    latin = latin or east_asia
    return f'<w:rFonts w:ascii="{latin}" w:hAnsi="{latin}" w:eastAsia="{east_asia}" w:cs="{latin}"/>'


def font_table_xml() -> str:
    entries = []
    for name, (alt, family, pitch) in FONT_TABLE.items():
        entries.append(
            f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
            f'<w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
        )
    return f'<w:fonts xmlns:w="{W_NS}">{"".join(entries)}</w:fonts>'


def paragraph_style(
    style_id: str,
    name: str,
    *,
    based_on: str | None = "Normal",
    next_id: str | None = None,
    ppr: str = "",
    rpr: str = "",
    outline: int | None = None,
) -> str:
    parts = [f'<w:style w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{name}"/>']
    if based_on:
        parts.append(f'<w:basedOn w:val="{based_on}"/>')
    if next_id:
        parts.append(f'<w:next w:val="{next_id}"/>')
    parts.append("<w:qFormat/>")
    if outline is not None:
        ppr += f'<w:outlineLvl w:val="{outline}"/>'
    parts.append(f"<w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>")
    return "".join(parts)


NO_INDENT = '<w:ind w:firstLineChars="0" w:firstLine="0"/>'
# a right tab with dot leader at the right edge of the text block (156 mm)
TOC_TAB = f'<w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{PAGE_W - MARGIN_LEFT - MARGIN_RIGHT}"/></w:tabs>'
SIZE = '<w:sz w:val="{0}"/><w:szCs w:val="{0}"/>'.format


def styles_xml(*, unit_page_break: bool = False) -> str:
    """The whole styles part.  ``unit_page_break``: level-1 headings start a new page (the
    compilation, one unit per chapter)."""
    h1_ppr = '<w:keepNext/><w:pageBreakBefore/>' if unit_page_break else "<w:keepNext/>"
    styles = [
        # docDefaults: what every run falls back to, East Asian font included
        "<w:docDefaults><w:rPrDefault><w:rPr>"
        + fonts(FANGSONG)
        + SIZE(BODY_SZ)
        + '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/>'
        "</w:rPr></w:rPrDefault>"
        '<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:pPrDefault>'
        "</w:docDefaults>",
        # Normal = body text 正文: 3号仿宋, exact 28.95 pt, condensed 0.25 pt, indent 2 chars
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/>'
        "<w:pPr><w:widowControl w:val=\"0\"/>"
        f'<w:spacing w:before="0" w:after="0" w:line="{LINE}" w:lineRule="exact"/>'
        '<w:ind w:firstLineChars="200" w:firstLine="640"/><w:jc w:val="both"/></w:pPr>'
        "<w:rPr>" + fonts(FANGSONG) + '<w:spacing w:val="-5"/>' + SIZE(BODY_SZ) + "</w:rPr></w:style>",
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/><w:unhideWhenUsed/></w:style>',
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
        "<w:uiPriority w:val=\"99\"/><w:semiHidden/><w:unhideWhenUsed/>"
        '<w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/>'
        '<w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/>'
        "</w:tblCellMar></w:tblPr></w:style>",
        '<w:style w:type="numbering" w:default="1" w:styleId="NoList"><w:name w:val="No List"/>'
        "<w:uiPriority w:val=\"99\"/><w:semiHidden/><w:unhideWhenUsed/></w:style>",
        '<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:basedOn w:val="TableNormal"/>'
        '<w:uiPriority w:val="59"/><w:tblPr><w:tblBorders>'
        + "".join(
            f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        + "</w:tblBorders></w:tblPr></w:style>",
        # headings: 一、黑体  （一）楷体  1. 仿宋  （1）仿宋 — 3号, not bold, indented like body
        paragraph_style("Heading1", "heading 1", next_id="Normal", ppr=h1_ppr, rpr=fonts(HEITI, HEITI), outline=0),
        paragraph_style("Heading2", "heading 2", next_id="Normal", ppr="<w:keepNext/>", rpr=fonts(KAITI, KAITI), outline=1),
        paragraph_style("Heading3", "heading 3", next_id="Normal", ppr="<w:keepNext/>", rpr=fonts(FANGSONG), outline=2),
        paragraph_style("Heading4", "heading 4", next_id="Normal", ppr="<w:keepNext/>", rpr=fonts(FANGSONG), outline=3),
        # 标题: 2号方正小标宋简体, centred, a blank line below
        paragraph_style(
            "DocTitle",
            "公文标题",
            next_id="Normal",
            ppr=f'<w:spacing w:before="0" w:after="{LINE}"/>' + NO_INDENT + '<w:jc w:val="center"/>',
            rpr=fonts(XIAOBIAOSONG, XIAOBIAOSONG) + '<w:spacing w:val="0"/>' + SIZE(TITLE_SZ),
        ),
        paragraph_style("Addressee", "主送机关", next_id="Normal", ppr=NO_INDENT),
        # 落款: 署名 right, two characters further in than the date below it
        paragraph_style(
            "Signature",
            "发文机关署名",
            next_id="SignatureDate",
            ppr=f'<w:keepNext/><w:spacing w:before="{LINE}"/><w:ind w:firstLineChars="0" w:firstLine="0" w:rightChars="400" w:right="1280"/><w:jc w:val="right"/>',
        ),
        paragraph_style(
            "SignatureDate",
            "成文日期",
            next_id="Normal",
            ppr='<w:ind w:firstLineChars="0" w:firstLine="0" w:rightChars="200" w:right="640"/><w:jc w:val="right"/>',
        ),
        # 附件 label on its own page, 黑体, flush left
        paragraph_style(
            "AttachmentLabel", "附件标识", next_id="DocTitle", ppr="<w:pageBreakBefore/>" + NO_INDENT, rpr=fonts(HEITI, HEITI)
        ),
        # table text: 4号仿宋, centred, single exact 20 pt, no condensing
        paragraph_style(
            "TableText",
            "表格文字",
            ppr='<w:spacing w:line="400" w:lineRule="exact"/>' + NO_INDENT + '<w:jc w:val="center"/>',
            rpr='<w:spacing w:val="0"/>' + SIZE(FOOTER_SZ),
        ),
        # a note the committee must act on before signing
        paragraph_style("DraftNote", "待定说明", ppr="", rpr=fonts(KAITI, KAITI)),
        # list items of the commendation (1. 2. …), indented two characters
        paragraph_style("ListItem", "名单", ppr=""),
        # the compilation's cover
        paragraph_style(
            "CoverTitle",
            "封面标题",
            ppr='<w:spacing w:before="0" w:after="0" w:line="960" w:lineRule="exact"/>' + NO_INDENT + '<w:jc w:val="center"/>',
            rpr=fonts(XIAOBIAOSONG, XIAOBIAOSONG) + '<w:spacing w:val="0"/>' + SIZE(52),
        ),
        paragraph_style(
            "CoverLine",
            "封面署名",
            ppr=NO_INDENT + '<w:jc w:val="center"/>',
            rpr=fonts(KAITI, KAITI) + '<w:spacing w:val="0"/>',
        ),
        # 目录 entries, same names as Word's own so an automatic TOC can replace the list; the
        # page number at the right margin after a dotted leader
        paragraph_style("TOC1", "toc 1", ppr=TOC_TAB + NO_INDENT, rpr=fonts(HEITI, HEITI)),
        paragraph_style("TOC2", "toc 2", ppr=TOC_TAB + '<w:ind w:leftChars="200" w:left="640" w:firstLineChars="0" w:firstLine="0"/>'),
        # header and footer: 4号宋体 page number, no indent, single spacing
        paragraph_style("Header", "header", ppr='<w:spacing w:line="240" w:lineRule="auto"/>' + NO_INDENT),
        paragraph_style(
            "Footer",
            "footer",
            ppr='<w:spacing w:line="240" w:lineRule="auto"/>' + NO_INDENT,
            rpr=fonts(SONGTI, SONGTI) + '<w:spacing w:val="0"/>' + SIZE(FOOTER_SZ),
        ),
    ]
    return f'<w:styles xmlns:w="{W_NS}">{"".join(styles)}</w:styles>'


# -- document skeleton ---------------------------------------------------------------------------


def _w(tag: str, **attrs: str):
    el = OxmlElement(f"w:{tag}")
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), v)
    return el


def _page_number(paragraph, *, odd: bool) -> None:
    """"— N —" with a PAGE field; odd pages right, even pages left, one character (14 pt)
    in from the edge."""
    # python-docx's footer part already gives the paragraph the "Footer" style (4号宋体)
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    if odd:
        paragraph.paragraph_format.right_indent = Twips(280)
    else:
        paragraph.paragraph_format.left_indent = Twips(280)
    paragraph.add_run("— ")
    for kind in ("begin", None, "separate", "1", "end"):
        run = paragraph.add_run()
        if kind == "1":
            run.text = "1"
        elif kind is None:
            instr = _w("instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = " PAGE "
            run._r.append(instr)
        else:
            run._r.append(_w("fldChar", fldCharType=kind))
    paragraph.add_run(" —")


def _setup_section(section) -> None:
    section.page_width, section.page_height = Twips(PAGE_W), Twips(PAGE_H)
    section.top_margin, section.bottom_margin = Twips(MARGIN_TOP), Twips(MARGIN_BOTTOM)
    section.left_margin, section.right_margin = Twips(MARGIN_LEFT), Twips(MARGIN_RIGHT)
    section.header_distance, section.footer_distance = Twips(HEADER_DIST), Twips(FOOTER_DIST)
    # line pitch for Word's 文档网格 dialog; no snapping (type "default"): the exact line
    # spacing of the styles gives the 22 lines, and snapping would give the 22 pt title two rows
    section._sectPr.find(qn("w:docGrid")).set(qn("w:linePitch"), str(LINE))


def new_document(title: str, *, unit_page_break: bool = False):
    doc = Document()
    # styles, fonts, settings of our own; drop the parts we do not use
    doc.part._styles_part._element = parse_xml(styles_xml(unit_page_break=unit_page_break))
    for rel in list(doc.part.rels.values()):
        if rel.reltype.endswith("/fontTable"):
            rel.target_part._blob = font_table_xml().encode("utf-8")
        elif rel.reltype.endswith("/stylesWithEffects") or rel.reltype.endswith("/customXml"):
            del doc.part.rels[rel.rId]
    for rel in list(doc.part.package.rels.values()):
        if rel.reltype.endswith("/thumbnail"):
            del doc.part.package.rels[rel.rId]
        elif rel.reltype.endswith("/extended-properties"):
            rel.target_part._blob = (
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
                b"<Application>xltools</Application></Properties>"
            )
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    doc.settings.odd_and_even_pages_header_footer = True
    # Only dc:/dcterms: properties: docxcompose (imported by docxtpl) rebinds python-docx's
    # global "cp" prefix, so cp:lastModifiedBy / cp:revision written in a process that has
    # imported docxtpl land in the wrong namespace.  The default part already has revision 1.
    props = doc.core_properties
    props.title, props.author = title, "xltools"
    props.comments = "xltools 报告模板（GB/T 9704-2012 格式）；标记说明见 README.md“起草”一节"
    props.created = props.modified = PINNED
    section = doc.sections[0]
    _setup_section(section)
    _page_number(section.footer.paragraphs[0], odd=True)
    _page_number(section.even_page_footer.paragraphs[0], odd=False)
    return doc


def style(doc, style_id: str):
    """The style with this id (python-docx looks styles up by UI name; ours are Chinese)."""
    return next(s for s in doc.styles if s.style_id == style_id)


def para(doc, text: str = "", style_id: str = "Normal"):
    return doc.add_paragraph(text, style=style(doc, style_id))


#: The page-reference markers (xltools.page_refs): a bookmark ``_Tocxl_u`` on each unit's
#: chapter heading and ``_Tocxl_p`` on each post's section heading, ``PAGEREF`` to the same
#: name in each 目录 entry.  After rendering, xltools pairs each entry of a kind with the
#: heading of that kind of the same text (else the n-th with the n-th) and numbers them
#: (_Tocxl1, _Tocxl2, …); the leading "_" hides the
#: bookmarks, as Word's own _Toc names.  Each name appears once in the template, so an editor
#: that keeps bookmark names unique keeps the template working.


def toc_entry(doc, text: str, style_id: str, kind: str):
    """A 目录 line: ``text``, a tab, and a PAGEREF field to the heading of the same place in
    the chapters' loops (``_Tocxl_<kind>``); the field's stored result is empty until the
    reader's program works out the pages (LibreOffice on opening, Word on the update it asks
    for: xltools sets ``w:updateFields`` in the drafts)."""
    p = para(doc, text, style_id)
    p.add_run().add_tab()
    for part in ("begin", None, "separate", "end"):
        run = p.add_run()
        if part is None:
            instr = _w("instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" PAGEREF _Tocxl_{kind} \\h "
            run._r.append(instr)
        else:
            run._r.append(_w("fldChar", fldCharType=part))
    return p


def marked_heading(doc, text: str, style_id: str, kind: str, bookmark_id: str):
    """A heading holding the bookmark ``_Tocxl_<kind>`` its 目录 entry points to."""
    p = doc.add_paragraph(style=style(doc, style_id))
    p._p.append(_w("bookmarkStart", id=bookmark_id, name=f"_Tocxl_{kind}"))
    p.add_run(text)
    p._p.append(_w("bookmarkEnd", id=bookmark_id))
    return p


def save(doc, name: str) -> Path:
    """Save with fixed zip timestamps so the build is byte-for-byte reproducible."""
    buf = io.BytesIO()
    doc.save(buf)
    out = HERE / name
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out


# -- shared snippets ---------------------------------------------------------------------------

POSTS_SENTENCE = (
    "共建立“党员先锋岗”{{ posts_total }}个，其中窗口单位{{ window_posts }}个，"
    "党员责任人{{ leaders }}人，参与党员{{ members }}人"
)

# one 工作成效 row: "人均办案数从14.5件上升到33.9件，上升率133.8％", for a rate "结案率从92.5％上升到
# 98.6％，上升6.1个百分点" (a rate's change is told in percentage points, not as a rate of a
# rate), or "受理投诉举报案件2103件" (a unit typed as a half-width % is written ％, one percent
# sign per document)
RESULT = (
    "{% set mu = (r.measure_unit or '')|trim|replace('%', '％') %}"
    "{% set way = '上升' if r.prior is not none and r.current > r.prior else '下降' %}"
    # a rate from 0 is still a change of so many points; a count from 0 has no rate of change
    "{% if r.prior is not none and r.prior != r.current and (r.prior or mu == '％') %}"
    "{{ r.indicator }}从{{ r.prior|num }}{{ mu }}{{ way }}到{{ r.current|num }}{{ mu }}，"
    "{% if mu == '％' %}{{ way }}{{ r.prior|diff(r.current, signed=False) }}个百分点"
    "{% else %}{{ way }}率{{ r.prior|growth(r.current, signed=False) }}{% endif %}"
    "{% else %}{{ r.indicator }}{{ r.current|num }}{{ mu }}{% endif %}"
    "{% if r.note %}，{{ r.note|trim('。；，') }}{% endif %}"
)

SIGN_OFF = ("区直机关党工委", "{{ round.date|date_cn }}")


def sign_off(doc) -> None:
    """署名 and 成文日期, kept on one page with the last paragraph before them (a page holding
    only the sign-off is not allowed)."""
    last = doc.paragraphs[-1].paragraph_format
    last.keep_with_next = last.keep_together = True
    para(doc, SIGN_OFF[0], "Signature")
    para(doc, SIGN_OFF[1], "SignatureDate")


# -- 1. work report -------------------------------------------------------------------------------


def build_work_report() -> Path:
    doc = new_document("党员先锋岗工作汇报")
    para(doc, "创建“共产党员先锋岗”活动情况汇报", "DocTitle")
    para(doc, "各位领导、同志们：", "Addressee")
    para(
        doc,
        "2004年底以来，我区以保持共产党员先进性教育活动为契机，在区直机关{{ counts.units }}个部门中积极开展"
        "创建“共产党员先锋岗”活动，" + POSTS_SENTENCE + "。各先锋岗围绕“为民意识强、岗位能力强、服务质量好、"
        "模范作用好、服务对象满意”的目标，立足岗位、服务群众，取得了明显成效。现将有关情况汇报如下。",
    )
    para(doc, "一、基本情况", "Heading1")
    para(
        doc,
        "党工委统一印发《{{ round.title }}》{% if round.deadline %}，要求于{{ round.deadline|date_cn }}前报送{% endif %}，"
        "由各部门逐岗登记、逐件记录、年度考核。"
        # The workbook counts who returned, not when: a return sent after the deadline (a
        # resubmission in the final round) is counted too, so the sentence does not say 按时.
        # blank forms sent back and files that could not be used count as returned in the
        # ledger, not as ledgers returned here (counts.empty, counts.unusable: none in a workbook
        # merged before they were counted)
        "{% set empty = counts.get('empty', 0) %}{% set unusable = counts.get('unusable', 0) %}"
        "{% if counts.returned == counts.units and not empty and not unusable %}{{ counts.units }}个部门全部报送了台账"
        "{% else %}{{ counts.units }}个部门中{{ counts.returned - empty - unusable }}个单位报送了台账{% endif %}"
        "{% if empty %}，{{ empty }}个单位报回的是未填写的空表{% endif %}"
        "{% if unusable %}，{{ unusable }}个单位报送的文件无法使用{% endif %}"
        "{% if counts.missing %}，{{ counts.missing }}个单位未报送{% endif %}，"
        "共汇总有效记录{{ counts.rows_accepted }}条。",
    )
    para(
        doc,
        "全区{{ units_with_posts }}个部门设立了党员先锋岗，{{ signed_posts }}个先锋岗按“一岗位一标牌”设置了标牌。"
        "各先锋岗共为群众办实事做好事{{ deeds_total }}件，受益群众{{ beneficiaries }}人，"
        "涉及金额{{ deeds_amount|num(2, trim=True) }}万元"
        "{% if deeds_total %}，其中群众评价满意的{{ satisfied_deeds }}件，"
        "占{{ satisfied_deeds|pct(deeds_total) }}{% endif %}。"
        # no post rated 优秀 is, in a draft, nearly always an assessment form not yet returned or
        # graded: a 【】 note to check rather than the sentence "0个先锋岗被评为优秀"
        "{% if excellent_posts %}年度考核中，{{ excellent_posts }}个先锋岗被评为优秀。"
        "{% else %}【年度考核中暂无被评为优秀的先锋岗（考核表可能尚未报送或尚未评定等次），请核实后修改本句。】{% endif %}"
        "各部门设岗情况见附件。",
    )
    para(doc, "二、主要做法", "Heading1")
    para(doc, "（一）明确目标，落实责任。", "Heading2")
    para(
        doc,
        "每个先锋岗都明确了党员责任人和具体的工作目标、措施，做到一岗位一标牌、一件事一记录、一年度一考核，"
        "使创建活动有章可循、有据可依。",
    )
    para(doc, "（二）严格考评，注重激励。", "Heading2")
    para(
        doc,
        "党工委把先锋岗的工作实绩作为评选先进党支部、优秀党员的重要依据，组织年度考核，"
        "评选“十佳”党员先锋岗并予以通报表彰，编印先进事迹汇编供机关党员学习借鉴。",
    )
    para(doc, "三、主要成效", "Heading1")
    para(
        doc,
        "通过创建党员先锋岗，党员干部素质进一步提高，工作效率进一步提升，机关作风进一步优化，"
        "一批难点、热点问题得到解决。"
        # the lead-in only when some accepted post has results to list under it: a results row
        # whose post row was rejected is not listed (merge warns: reference_rejected)
        "{% if forms.get('results') and posts_by_unit|map(attribute='posts')|sum(start=[])|selectattr('results')|list %}"
        "各先锋岗报送的工作成效主要有："
        "{% elif forms.get('results') %}【各部门报送的工作成效所属的先锋岗登记有误、未采用，暂未列入，见汇总表“问题清单”。】"
        "{% elif 'results' in forms %}本次各部门未报送可量化的工作成效。{% endif %}",
    )
    # figures-JSON data has no rows (the note below says so): the loop is not entered
    para(doc, "{%p for u in (posts_by_unit if 'results' in forms else []) %}")
    para(doc, "{%p for p in u.posts if p.results %}")
    para(
        doc,
        "{{ u.name }}“{{ p.post_name }}”：{% for r in p.results %}" + RESULT + "{{ '；' if not loop.last else '。' }}{% endfor %}",
    )
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p if 'results' not in forms %}")
    para(doc, "【各先锋岗的量化成效要从汇总表读取：请以汇总表（.xlsx）作为数据重新生成本文稿。】", "DraftNote")
    para(doc, "{%p endif %}")
    para(doc, "四、下一步打算", "Heading1")
    para(
        doc,
        "党员先锋岗不是“终点岗”。下一步，我们将进一步创新思路和方法，完善党员先锋岗发挥作用的长效机制，"
        "使党员先锋岗真正成为服务岗、示范岗、品牌岗，为全区经济社会发展作出机关党员应有的贡献。",
    )
    # 附件说明 (GB/T 9704-2012 7.3.4): one blank line under the body, two characters in,
    # "附件" and a full-width colon, then the attachment's title; the 署名 follows it
    doc.paragraphs[-1].paragraph_format.keep_with_next = True  # no page of 附件说明 and 署名 alone
    para(doc, "").paragraph_format.keep_with_next = True
    para(doc, "附件：各部门党员先锋岗设立情况")
    sign_off(doc)

    # 附件: posts per unit
    para(doc, "附件", "AttachmentLabel")
    para(doc, "各部门党员先锋岗设立情况", "DocTitle")
    headers = ["序号", "单位", "先锋岗\n（个）", "其中窗口\n（个）", "责任人\n（人）", "参与党员\n（人）"]
    widths = [880, 1901, 1516, 1516, 1516, 1516]  # twips, sum = text width 8845
    cells = ["{{ loop.index }}", "{{ u.name }}", "{{ u.posts_total }}", "{{ u.window_posts }}", "{{ u.leaders }}", "{{ u.members }}"]
    total = ["合计", "", "{{ posts_total }}", "{{ window_posts }}", "{{ leaders }}", "{{ members }}"]
    table = doc.add_table(rows=5, cols=6)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, width in zip(table.columns, widths):
        column.width = Twips(width)
    rows = [headers, ["{%tr for u in units %}"] + [""] * 5, cells, ["{%tr endfor %}"] + [""] * 5, total]
    for r, values in enumerate(rows):
        row = table.rows[r]
        trpr = row._tr.get_or_add_trPr()
        trpr.append(_w("cantSplit"))
        if r == 0:
            trpr.append(_w("tblHeader"))
        for c, value in enumerate(values):
            cell = row.cells[c]
            cell.width = Twips(widths[c])
            cell._tc.get_or_add_tcPr().append(_w("vAlign", val="center"))
            p = cell.paragraphs[0]
            p.style = style(doc, "TableText")
            if value:
                p.add_run(value)
    table.rows[4].cells[0].merge(table.rows[4].cells[1])
    merged = table.rows[4].cells[0]
    for extra in merged.paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    return save(doc, "work_report.docx")


# -- 2. commendation --------------------------------------------------------------------------------


def build_commendation() -> Path:
    doc = new_document("关于表彰“十佳”党员先锋岗的通报")
    para(doc, "关于表彰“十佳”党员先锋岗的通报", "DocTitle")
    para(doc, "区直机关各党组织：", "Addressee")
    para(
        doc,
        "{{ top10|required('通报表彰需要年度考核表的数据') }}"
        "一年来，区直机关各部门深入开展创建“共产党员先锋岗”活动，全区" + POSTS_SENTENCE + "。"
        "广大机关党员立足岗位、服务群众，涌现出一批为民意识强、服务质量好的先进典型。"
        "{% if top10[0].votes is defined %}根据“十佳”党员先锋岗无记名投票结果{% else %}根据《{{ round.title }}》年度考核结果{% endif %}，"
        "经党工委研究，决定对以下{{ top10|length }}个党员先锋岗"
        "予以通报表彰，授予“十佳”党员先锋岗称号：",
    )
    para(doc, "{%p if top10|length > 10 %}")
    para(
        doc,
        "{% if top10[0].votes is defined %}【注：第10名有并列，共{{ top10|length }}个先锋岗的得票进入前十名"
        "（并列第{{ top10[-1].rank }}名，各得{{ top10[-1].votes|num }}票），请党工委研究确定后删除本注。】"
        "{% else %}【注：第10名有并列，共{{ top10|length }}个先锋岗的总分进入前十名"
        "（并列第{{ top10[-1].rank }}名，总分{{ top10[-1].total|num }}分），请党工委研究确定后删除本注。】{% endif %}",
        "DraftNote",
    )
    para(doc, "{%p endif %}")
    # fewer than ten ranked: a draft made before every unit's assessment (or every ballot) was in
    para(doc, "{%p if top10|length < 10 %}")
    para(
        doc,
        "{% if top10[0].votes is defined %}【注：得票的先锋岗只有{{ top10|length }}个，不足十个；"
        "{% else %}【注：有年度考核总分的先锋岗只有{{ top10|length }}个，不足十个（可能还有单位未报送考核表）；{% endif %}"
        "请党工委研究确定后删除本注。】",
        "DraftNote",
    )
    para(doc, "{%p endif %}")
    para(doc, "{%p for t in top10 %}")
    para(
        doc,
        "{{ loop.index|cn_index(3) }}{{ t.unit_name }}“{{ t.post_name }}”"
        "{% if t.leaders %}（党员责任人：{{ t.leaders }}）{% endif %}",
        "ListItem",
    )
    para(doc, "{%p endfor %}")
    para(
        doc,
        "希望受到表彰的先锋岗珍惜荣誉、再接再厉，在服务群众、推动工作中继续发挥示范带头作用。"
        "全区机关党员要以先进为榜样，立足本职、争创一流，推动创建“共产党员先锋岗”活动不断深入。",
    )
    sign_off(doc)
    return save(doc, "commendation.docx")


# -- 3. deeds compilation -----------------------------------------------------------------------


def build_deeds_compilation() -> Path:
    doc = new_document("区直属机关共产党员先锋岗先进事迹汇编", unit_page_break=True)
    # cover: its own section, no page number (different first page, empty first-page footer)
    cover = doc.sections[0]
    cover.different_first_page_header_footer = True
    assert cover.first_page_footer.paragraphs[0].text == ""
    first = para(doc, "区直属机关共产党员先锋岗", "CoverTitle")
    first.paragraph_format.space_before = Twips(LINE * 6)
    para(doc, "先进事迹汇编", "CoverTitle")
    line = para(doc, "{{ posts_by_unit|required('事迹汇编需要各先锋岗的登记数据') }}区直机关党工委", "CoverLine")
    line.paragraph_format.space_before = Twips(LINE * 8)
    para(doc, "{{ round.date.year }}年{{ round.date.month }}月", "CoverLine")
    body = doc.add_section(WD_SECTION.NEW_PAGE)
    body.different_first_page_header_footer = False
    body._sectPr.find(qn("w:cols")).addprevious(_w("pgNumType", start="1"))
    # 前言
    para(doc, "前　言", "DocTitle")
    para(
        doc,
        "区直机关{{ counts.units }}个部门积极开展创建“共产党员先锋岗”活动，" + POSTS_SENTENCE + "。"
        "各先锋岗共为群众办实事做好事{{ deeds_total }}件，受益群众{{ beneficiaries }}人。"
        "为宣传先进、树立典型，现将各部门先锋岗的创建情况和先进事迹汇编成册，供全体机关党员学习借鉴。",
    )
    sign_off(doc)
    # 目录: generated from the data, each entry with its page number (a PAGEREF field to a
    # bookmark on its heading, paired and numbered after rendering: xltools.page_refs).  Word and WPS users can
    # still replace it with an automatic TOC: the headings use the heading 1/2 styles.
    toc_title = para(doc, "目　录", "DocTitle")
    toc_title.paragraph_format.page_break_before = True
    para(doc, "{%p for u in posts_by_unit %}")
    toc_entry(doc, "{{ loop.index|cn_index }}{{ u.name }}", "TOC1", "u")
    para(doc, "{%p for p in u.posts %}")
    toc_entry(doc, "{{ loop.index|cn_index(2) }}{{ p.post_name }}", "TOC2", "p")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")
    # one chapter per unit (heading 1 starts a page), one section per post
    para(doc, "{%p for u in posts_by_unit %}")
    marked_heading(doc, "{{ loop.index|cn_index }}{{ u.name }}", "Heading1", "u", "1")
    # the deeds document the unit sent (xltools report --unit-docs), merged as a subdocument
    para(doc, "{%p if u.code in unit_docs %}")
    para(doc, "{{p unit_docs[u.code] }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p for p in u.posts %}")
    marked_heading(doc, "{{ loop.index|cn_index(2) }}{{ p.post_name }}", "Heading2", "p", "2")
    # a post with a 先进事迹表 row: its story; otherwise what the registers say
    para(doc, "{%p if p.story %}")
    para(doc, "{%p if p.story.get('title') %}")
    para(doc, "{{ p.story.title }}", "Heading3")
    para(doc, "{%p endif %}")
    para(doc, "{%p if p.story.get('body') %}")
    para(doc, "{{ p.story.body|paras }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p if p.story.get('achievements') %}")
    para(doc, "主要成效：{{ p.story.achievements|paras('。') }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p else %}")
    para(
        doc,
        "所在科室：{{ p.department }}{% if p.is_window %}（窗口单位）{% endif %}。"
        "党员责任人：{{ p.leaders }}。参与党员{{ p.members }}人。"
        "{% if p.set_up_date %}设岗时间：{{ p.set_up_date|date_cn }}。{% endif %}",
    )
    para(doc, "{%p if p.goal %}")
    para(doc, "创建目标：{{ p.goal|paras('。') }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p if p.measures %}")
    para(doc, "主要措施：{{ p.measures|paras('。') }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p if p.results %}")
    para(doc, "工作成效：{% for r in p.results %}" + RESULT + "{{ '；' if not loop.last else '。' }}{% endfor %}")
    para(doc, "{%p endif %}")
    para(doc, "{%p if p.deeds %}")
    para(doc, "为群众办实事做好事{{ p.deeds|length }}件：")
    para(doc, "{%p for d in p.deeds %}")
    para(
        doc,
        # who first, the date in the bracket: "1.2005年3月9日" read as the number 1.2005
        "{{ loop.index|cn_index(3) }}{{ d.member }}（{{ d.category }}"
        "{% if d.deed_date %}，{{ d.deed_date|date_cn }}{% endif %}）：{{ d.content|paras('。') }}",
    )
    para(doc, "{%p if d.outcome or d.beneficiaries or d.amount or d.rating %}")
    para(
        doc,
        "{{ ['办理结果：' ~ d.outcome|trim('。') if d.outcome else '', "
        "'受益群众' ~ d.beneficiaries ~ '人' if d.beneficiaries else '', "
        "'涉及金额' ~ d.amount|num ~ '万元' if d.amount else '', "
        "'群众评价：' ~ d.rating if d.rating else '']|select|join('；') }}。",
    )
    para(doc, "{%p endif %}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endif %}")
    para(doc, "{%p endif %}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")
    return save(doc, "deeds_compilation.docx")


def main() -> None:
    for build in (build_work_report, build_commendation, build_deeds_compilation):
        print(f"wrote {build()}")


if __name__ == "__main__":
    main()
