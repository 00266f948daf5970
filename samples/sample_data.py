"""The invented data behind the bundled sample returns (the seed speech's collection round).

Plain Python structures, read by ``samples/make_returns.py`` (which fills the generated
workbooks) and by ``tests/test_samples.py``.  Everything here is invented for the demo; people's
names are made up.  The figures the seed speech quotes (``/work/shared/seed``, DESIGN.md §1) hold
by construction and are asserted in :func:`check`:

* 48 units, each with at least one post; 106 posts, 29 of them window posts (是否窗口单位 = 是);
* 109 names in 党员责任人 (three posts have two names); 参与党员人数 sums to 764;
* 区劳动局 维权党员先锋岗: 2103 件 complaints, 9970 workers, 491.3 万元 recovered wages;
* 区检察院 公诉科党员先锋岗: 人均办案数 14.5 → 33.9 件 (+133.8％).

Deeds (办实事做好事) and the assessment scores are drawn from ``random.Random`` with fixed seeds,
so every run gives the same rows.  Grades follow :data:`GRADE_BANDS`; the ranking by 总分 has ten
distinct leading totals and exactly one tie among the first twenty (11th/12th place).

Round 1 (the first deadline, 2006-01-20) is described by :data:`ROUND1`: which units are missing,
which files are sent in which way, and the planted bad cells.  Its data equals the final data
except for those faults.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

FORM_DEFINITION = "templates/xlsx/pioneer_posts.yaml"
ROSTER = "samples/roster.xlsx"
GENERATED = date(2006, 1, 4)
DEADLINE = "2006-01-20"

# --------------------------------------------------------------------------- posts (先锋岗登记表)

# unit code, 先锋岗名称, 所在科室, 是否窗口单位, 党员责任人, 参与党员人数, 设岗日期, 是否设置标牌
_POST_ROWS = [
    ("D01", "秘书科党员先锋岗", "秘书科", False, "韩玉兰", 4, date(2004, 12, 28), True),
    ("D01", "信息督查科党员先锋岗", "信息督查科", False, "苏振华", 9, date(2005, 10, 10), True),
    ("D02", "代表联络党员先锋岗", "代表工作科", False, "丁小平", 6, date(2005, 6, 19), True),
    ("D02", "法制工委党员先锋岗", "法制工委", False, "严雪芳", 5, date(2004, 12, 16), True),
    ("D03", "文秘科党员先锋岗", "文秘科", False, "宋炜", 4, date(2005, 1, 25), True),
    ("D03", "区长公开电话党员先锋岗", "公开电话办公室", True, "蔡颖", 11, date(2005, 6, 15), True),
    ("D04", "提案服务党员先锋岗", "提案科", False, "余丹", 8, date(2004, 12, 28), True),
    ("D04", "文史委党员先锋岗", "文史委", False, "梁敏华", 4, date(2005, 9, 28), True),
    ("D05", "信访室党员先锋岗", "信访室", True, "石文杰", 8, date(2005, 9, 19), True),
    ("D05", "案件审理党员先锋岗", "案件审理室", False, "石雪芳", 5, date(2004, 12, 16), True),
    ("D06", "组织科党员先锋岗", "组织科", False, "江佳", 8, date(2005, 6, 25), True),
    ("D06", "干部科党员先锋岗", "干部科", False, "刘丽萍", 8, date(2005, 7, 2), True),
    ("D06", "党员服务中心党员先锋岗", "党员服务中心", True, "黄宏伟", 11, date(2004, 12, 28), True),
    ("D07", "理论科党员先锋岗", "理论科", False, "戴敏华", 8, date(2005, 11, 25), False),
    ("D07", "文明办党员先锋岗", "文明办", False, "顾雪芳", 8, date(2005, 6, 14), True),
    ("D08", "办公室党员先锋岗", "办公室", False, "谭玉兰", 8, date(2004, 12, 16), True),
    ("D08", "民族宗教科党员先锋岗", "民族宗教科", False, "韦剑", 4, date(2005, 10, 23), True),
    ("D09", "综治办党员先锋岗", "综治办", False, "马丽萍", 12, date(2005, 4, 2), True),
    ("D09", "维稳科党员先锋岗", "维稳科", False, "汪云", 4, date(2004, 12, 16), True),
    ("D10", "教研室党员先锋岗", "教研室", False, "杜慧", 7, date(2005, 6, 16), True),
    ("D10", "培训科党员先锋岗", "培训科", False, "谭光明", 6, date(2005, 9, 2), True),
    ("D11", "档案查阅党员先锋岗", "利用科", True, "付丹", 12, date(2004, 12, 28), True),
    ("D11", "业务指导党员先锋岗", "业务指导科", False, "余亚琴", 4, date(2005, 7, 22), True),
    ("D12", "立案庭党员先锋岗", "立案庭", True, "任光明、徐晓梅", 11, date(2005, 2, 27), True),
    ("D12", "民一庭党员先锋岗", "民一庭", False, "许国华", 7, date(2004, 12, 28), True),
    ("D12", "执行局党员先锋岗", "执行局", False, "丁俊", 4, date(2005, 2, 14), True),
    ("D13", "公诉科党员先锋岗", "公诉科", False, "叶敏华", 7, date(2004, 12, 20), True),
    ("D13", "控告申诉党员先锋岗", "控告申诉科", True, "何海波", 8, date(2004, 12, 20), True),
    ("D14", "统计科党员先锋岗", "统计科", False, "蔡俊", 4, date(2005, 10, 1), True),
    ("D14", "项目服务党员先锋岗", "项目科", False, "谢玉兰", 5, date(2005, 9, 15), True),
    ("D15", "企业服务党员先锋岗", "企业科", False, "韦志刚", 6, date(2004, 12, 20), True),
    ("D15", "商贸流通党员先锋岗", "商贸科", False, "姚振华", 7, date(2005, 6, 24), True),
    ("D16", "外资科党员先锋岗", "外资科", False, "许勇", 8, date(2005, 6, 11), True),
    ("D16", "外贸科党员先锋岗", "外贸科", False, "蒋玉兰", 8, date(2004, 12, 20), True),
    ("D16", "对外合作党员先锋岗", "合作交流科", False, "覃剑", 6, date(2005, 7, 7), True),
    ("D17", "招生服务党员先锋岗", "招生办", True, "孙云", 12, date(2005, 4, 25), True),
    ("D17", "教育督导党员先锋岗", "督导室", False, "宋燕", 5, date(2004, 12, 16), True),
    ("D17", "校舍安全党员先锋岗", "计财科", False, "龙美华", 8, date(2005, 1, 2), True),
    ("D18", "科技服务党员先锋岗", "科技服务中心", False, "朱佳", 8, date(2005, 1, 17), True),
    ("D18", "知识产权党员先锋岗", "知识产权科", False, "崔光明", 4, date(2004, 12, 28), True),
    ("D19", "户籍窗口党员先锋岗", "户政科", True, "徐云", 9, date(2005, 3, 1), True),
    ("D19", "出入境党员先锋岗", "出入境管理科", True, "曹美华", 11, date(2005, 6, 22), True),
    ("D19", "刑侦大队党员先锋岗", "刑侦大队", False, "姜志刚", 4, date(2004, 12, 28), True),
    ("D19", "110指挥中心党员先锋岗", "指挥中心", False, "王丽娟", 4, date(2005, 9, 6), True),
    ("D20", "社会救助党员先锋岗", "救助科", True, "尹玉兰", 12, date(2005, 2, 14), True),
    ("D20", "婚姻登记党员先锋岗", "婚姻登记处", True, "薛学军", 9, date(2004, 12, 28), True),
    ("D20", "优抚安置党员先锋岗", "优抚科", False, "郑光明", 8, date(2005, 2, 6), True),
    ("D21", "法律援助党员先锋岗", "法律援助中心", True, "谢建华", 10, date(2005, 10, 18), True),
    ("D21", "人民调解党员先锋岗", "基层科", False, "彭学军", 7, date(2004, 12, 20), True),
    ("D22", "综合科党员先锋岗", "综合科", False, "曾涛", 6, date(2005, 7, 1), True),
    ("D22", "国库支付党员先锋岗", "国库支付中心", False, "肖文杰", 4, date(2005, 7, 21), True),
    ("D22", "会计服务党员先锋岗", "会计科", False, "余燕", 9, date(2004, 12, 28), True),
    ("D23", "维权党员先锋岗", "劳动保障监察大队", True, "吴辉、宋建华", 12, date(2004, 12, 20), True),
    ("D23", "就业服务党员先锋岗", "就业管理处", True, "郑丹", 8, date(2005, 11, 15), False),
    ("D23", "社保经办党员先锋岗", "社保科", True, "蔡慧", 10, date(2004, 12, 20), True),
    ("D24", "人才服务党员先锋岗", "人才交流中心", True, "谭丹", 8, date(2005, 11, 26), False),
    ("D24", "公务员管理党员先锋岗", "公务员管理科", False, "史燕", 4, date(2005, 8, 20), True),
    ("D25", "行政审批党员先锋岗", "审批科", True, "万丽娟", 12, date(2004, 12, 16), True),
    ("D25", "村镇建设党员先锋岗", "村镇科", False, "董慧", 7, date(2005, 4, 2), True),
    ("D26", "工程建设党员先锋岗", "工程科", False, "蔡国华", 9, date(2005, 4, 16), True),
    ("D26", "质量安全党员先锋岗", "质安科", False, "张建军", 8, date(2004, 12, 28), True),
    ("D27", "建设工地党员先锋岗", "工程管理科", False, "谭亚琴", 5, date(2005, 4, 5), True),
    ("D27", "背街小巷整治党员先锋岗", "市容科", False, "孟小平", 4, date(2005, 4, 24), True),
    ("D28", "一线执法车党员先锋岗", "执法一中队", False, "尹春燕", 4, date(2004, 12, 16), True),
    ("D28", "执法二中队党员先锋岗", "执法二中队", False, "付涛", 5, date(2005, 6, 9), True),
    ("D28", "投诉受理党员先锋岗", "指挥中心", True, "尹海波", 9, date(2005, 4, 20), True),
    ("D29", "运管窗口党员先锋岗", "运管所", True, "秦国华", 9, date(2004, 12, 16), True),
    ("D29", "道路建设党员先锋岗", "建设科", False, "段丽萍", 7, date(2005, 10, 26), True),
    ("D30", "农技服务党员先锋岗", "农技站", False, "闫涛", 4, date(2005, 8, 8), True),
    ("D30", "防汛抗旱党员先锋岗", "水利科", False, "贾光明", 6, date(2004, 12, 28), True),
    ("D31", "文化市场党员先锋岗", "文化市场管理科", False, "曾文杰", 4, date(2005, 4, 22), True),
    ("D31", "图书馆服务党员先锋岗", "区图书馆", True, "梁慧", 9, date(2005, 1, 26), True),
    ("D32", "卫生监督党员先锋岗", "卫生监督所", False, "史新民", 4, date(2004, 12, 28), True),
    ("D32", "社区卫生党员先锋岗", "社区卫生科", False, "贺利民", 9, date(2005, 10, 28), True),
    ("D33", "流动人口服务党员先锋岗", "流动人口科", False, "龚琳", 5, date(2005, 3, 1), True),
    ("D33", "政策法规党员先锋岗", "政策法规科", False, "魏建军", 7, date(2004, 12, 20), True),
    ("D34", "经济责任审计党员先锋岗", "经责科", False, "马剑", 6, date(2005, 4, 28), True),
    ("D34", "财政审计党员先锋岗", "财政审计科", False, "周小平", 6, date(2005, 11, 7), True),
    ("D35", "环境监察党员先锋岗", "环境监察大队", False, "钱丽萍", 9, date(2004, 12, 20), True),
    ("D35", "环保审批党员先锋岗", "审批窗口", True, "汤建军", 9, date(2005, 2, 8), True),
    ("D36", "普查中心党员先锋岗", "普查中心", False, "钱光明", 8, date(2005, 2, 26), True),
    ("D36", "统计执法党员先锋岗", "执法检查科", False, "尹海英", 4, date(2004, 12, 16), True),
    ("D37", "价格举报党员先锋岗", "价格举报中心", True, "贺丹", 7, date(2005, 3, 17), True),
    ("D37", "收费管理党员先锋岗", "收费科", False, "姚辉", 5, date(2005, 9, 1), True),
    ("D38", "全程服务党员先锋岗", "办税服务厅", True, "陈剑、白涛", 10, date(2004, 12, 28), True),
    ("D38", "税源管理党员先锋岗", "税源管理科", False, "杨小平", 6, date(2005, 5, 23), True),
    ("D38", "稽查局党员先锋岗", "稽查局", False, "薛秀兰", 9, date(2005, 3, 17), True),
    ("D39", "办税服务厅党员先锋岗", "办税服务厅", True, "马秀兰", 12, date(2004, 12, 16), True),
    ("D39", "税政科党员先锋岗", "税政科", False, "唐海英", 6, date(2005, 3, 21), True),
    ("D40", "注册登记党员先锋岗", "注册科", True, "金涛", 11, date(2005, 10, 15), True),
    ("D40", "消费者投诉党员先锋岗", "12315申诉举报中心", True, "段敏华", 11, date(2004, 12, 28), True),
    ("D40", "市场监管党员先锋岗", "市场科", False, "胡丽娟", 5, date(2005, 11, 4), False),
    ("D41", "质量技术服务党员先锋岗", "综合科", False, "江国华", 9, date(2005, 4, 11), True),
    ("D41", "计量检定党员先锋岗", "计量所", False, "熊伟民", 9, date(2004, 12, 20), True),
    ("D42", "安全生产执法党员先锋岗", "执法监察大队", False, "冯丽娟", 8, date(2005, 2, 6), True),
    ("D42", "危化品监管党员先锋岗", "危化科", False, "邓炜", 4, date(2005, 10, 5), True),
    ("D43", "旅游投诉党员先锋岗", "质监所", True, "金立新", 9, date(2004, 12, 20), True),
    ("D43", "行业管理党员先锋岗", "行业管理科", False, "冯慧", 4, date(2005, 2, 21), True),
    ("D44", "全民健身党员先锋岗", "群体科", False, "韦立新", 5, date(2005, 4, 9), True),
    ("D44", "体育场馆党员先锋岗", "体育中心", False, "史丹", 4, date(2004, 12, 16), True),
    ("D45", "职工帮扶党员先锋岗", "职工帮扶中心", True, "毛炜", 10, date(2005, 1, 6), True),
    ("D45", "法律服务党员先锋岗", "法律工作部", False, "冯小平", 7, date(2005, 2, 8), True),
    ("D46", "青年志愿者党员先锋岗", "志愿者指导中心", False, "钟琳", 4, date(2004, 12, 20), True),
    ("D46", "青少年维权党员先锋岗", "权益部", False, "侯云", 5, date(2005, 4, 27), True),
    ("D47", "妇女维权党员先锋岗", "权益部", True, "石晓红", 10, date(2005, 8, 11), True),
    ("D48", "科普服务党员先锋岗", "科普部", False, "林海波", 8, date(2004, 12, 16), True),
]

# Goal (创建目标) and measures (主要措施) of the posts the seed speech describes.
_SEED_TEXT = {
    ("D01", "秘书科党员先锋岗"): (
        "服务领导、服务机关、服务基层的能力和水平提高到一个新的水平。",
        "着力加强理论和业务学习，集中辅导与分散学习相结合、专题学习与解决实际问题相结合；"
        "采取“走出去”“请进来”的方式开展业务培训，常抓不懈。",
    ),
    ("D08", "办公室党员先锋岗"): (
        "树统战干部形象，建党外人士之家。",
        "开展“不比权力比能力，不比地位比形象，不比报酬比知识”活动，科室党员相互学习、共同提高。",
    ),
    ("D13", "公诉科党员先锋岗"): (
        "克服案多人少的困难，保质保量完成办案任务，在全市检察机关评比中争先进位。",
        "党员带头加班加点办案；落实主诉检察官办案责任制；每季度开展一次案件质量评查。",
    ),
    ("D14", "统计科党员先锋岗"): (
        "高质量完成2005年经济普查任务，争创全国经济普查工作先进集体。",
        "党员分片包干普查小区，连续奋战、知难而上；建立普查数据逐级审核制度，确保数据质量。",
    ),
    ("D16", "外资科党员先锋岗"): (
        "争创“模范科室”，招商引资服务零投诉。",
        "将党员先锋岗创建与评选“模范科室”结合起来，实行外资企业联络员制度，上门服务。",
    ),
    ("D22", "综合科党员先锋岗"): (
        "保障全区重点工程资金需要，服务基层零推诿。",
        "针对背街小巷整治工程财务管理中的困难，开通经费核拨特事特办绿色通道，专人跟踪服务。",
    ),
    ("D23", "维权党员先锋岗"): (
        "依法维护劳动者合法权益，为创建“平安拱墅”作贡献。",
        "畅通投诉举报渠道，党员带头受理、限时查处；开展清理拖欠工资专项行动，为劳动者追讨欠薪。",
    ),
    ("D26", "工程建设党员先锋岗"): (
        "阳光操作，促进拆迁、安置工作顺利开展。",
        "推出“3+1联动机制、共建美好家园”管理新举措：在建设、施工、监理三方的基础上组成村民代表"
        "施工监理队，保障村民的知情权和参与权。",
    ),
    ("D27", "建设工地党员先锋岗"): (
        "工地文明施工，群众投诉明显下降。",
        "把党员先锋岗延伸到建设工地，党员驻点巡查，发现问题当场督促整改。",
    ),
    ("D28", "一线执法车党员先锋岗"): (
        "执法文明规范，群众满意。",
        "把党员先锋岗延伸到最基层一线的执法车上，车上亮牌、党员带班，做到文明执法、热情服务。",
    ),
    ("D38", "全程服务党员先锋岗"): (
        "以实实在在的服务赢得纳税人满意。",
        "党员每天提前上班、最后一个下班；申报期增设党员服务台，为纳税人全程导税、全程辅导。",
    ),
}

_WINDOW_GOALS = [
    "窗口服务零差错、零投诉，服务对象满意率达到98%以上。",
    "热情接待、规范办事、限时办结，树立机关窗口良好形象。",
    "一次性告知率100%，按时办结率100%，争创群众满意窗口。",
    "亮身份、亮承诺、亮服务，做到让群众少跑路、办成事。",
]
_WINDOW_MEASURES = [
    "实行首问责任制、一次性告知制和限时办结制；党员挂牌上岗，公开服务承诺；每月开展一次群众满意度测评。",
    "设立党员示范窗口，推行预约服务和延时服务；开展业务练兵；设立意见箱，及时整改群众反映的问题。",
    "党员带头提前上班、推迟下班，高峰期增开窗口；编印办事指南，推行“一站式”服务。",
    "建立党员责任区，实行AB岗工作制，做到窗口服务不断档；定期回访服务对象，听取意见建议。",
]
_OFFICE_GOALS = [
    "业务工作争创全区一流，党员在急难险重任务中冲在前、干在先。",
    "岗位能力强、服务质量好，各项工作目标按时优质完成。",
    "服务基层和群众做到件件有回音、事事有着落。",
    "树立学习型、服务型、效能型机关形象，争当岗位标兵。",
]
_OFFICE_MEASURES = [
    "制定岗位职责和党员承诺书，党员亮明身份；坚持每周一次业务学习，每季度开展一次岗位技能比武。",
    "结合{dept}工作实际细化先锋岗标准，实行一月一小结、一季一通报；党员与群众结对，定期走访服务对象。",
    "建立先锋岗工作台账，一件事一记录；将先锋岗工作实绩纳入党员年度考核。",
    "开展“党员带头、岗位建功”活动，党员带头攻坚克难；每半年召开一次服务对象座谈会。",
]


def _post_texts(i: int, unit: str, name: str, dept: str, window: bool) -> tuple[str, str]:
    if (unit, name) in _SEED_TEXT:
        return _SEED_TEXT[(unit, name)]
    goals, measures = (_WINDOW_GOALS, _WINDOW_MEASURES) if window else (_OFFICE_GOALS, _OFFICE_MEASURES)
    return goals[i % 4], measures[(i // 4) % 4].format(dept=dept)


#: Every post, in each unit's entry order.  Keys are the field names of the ``posts`` form;
#: ``unit`` is the unit code.
POSTS: list[dict] = [
    {
        "unit": unit,
        "post_name": name,
        "department": dept,
        "is_window": window,
        "leaders": leaders,
        "members": members,
        "goal": _post_texts(i, unit, name, dept, window)[0],
        "measures": _post_texts(i, unit, name, dept, window)[1],
        "set_up_date": set_up,
        "has_sign": sign,
    }
    for i, (unit, name, dept, window, leaders, members, set_up, sign) in enumerate(_POST_ROWS)
]

# --------------------------------------------------------------------------- results (工作成效表)

#: Quantified results.  ``prior`` (上年值) is None where there is no comparable figure.
RESULTS: list[dict] = [
    {"unit": unit, "post_name": post, "indicator": ind, "prior": prior, "current": cur,
     "measure_unit": mu, "note": note}
    for unit, post, ind, prior, cur, mu, note in [
        ("D12", "立案庭党员先锋岗", "当场立案率", 92.5, 98.6, "%", "符合条件的起诉当场立案"),
        ("D13", "公诉科党员先锋岗", "人均办案数", 14.5, 33.9, "件", "在全市检察机关评比中列第二名"),
        ("D14", "统计科党员先锋岗", "完成经济普查单位数", None, 6872, "个",
         "全市13个县、市、区中唯一的全国经济普查工作先进集体"),
        ("D19", "户籍窗口党员先锋岗", "办理户籍业务", 21450, 23980, "件", ""),
        ("D21", "法律援助党员先锋岗", "办理法律援助案件", 86, 132, "件", ""),
        ("D22", "综合科党员先锋岗", "特事特办核拨资金", None, 2860, "万元", "背街小巷整治工程"),
        ("D23", "维权党员先锋岗", "受理投诉举报案件", None, 2103, "件", "2004年12月至2005年12月"),
        ("D23", "维权党员先锋岗", "涉及劳动者人数", None, 9970, "人", ""),
        ("D23", "维权党员先锋岗", "追回欠薪", None, 491.3, "万元", "已全部发放到劳动者手中"),
        ("D26", "工程建设党员先锋岗", "竣工安置房面积", None, 12.6, "万平方米", "3+1联动机制"),
        ("D38", "全程服务党员先锋岗", "办理涉税事项", 48260, 56315, "件", ""),
        ("D40", "消费者投诉党员先锋岗", "受理消费者投诉", 1264, 1518, "件", ""),
        ("D40", "消费者投诉党员先锋岗", "为消费者挽回经济损失", 86.5, 102.7, "万元", ""),
        ("D45", "职工帮扶党员先锋岗", "帮扶困难职工", 356, 412, "户", ""),
    ]
]

# --------------------------------------------------------------------------- deeds (办实事做好事登记表)

# What each unit's people are asked about (政策咨询, 矛盾调解) …
_TOPIC = {
    "D01": "政策法规", "D02": "人大代表选举", "D03": "政务公开", "D04": "政协提案", "D05": "党风廉政",
    "D06": "党员发展", "D07": "文明礼仪", "D08": "民族宗教政策", "D09": "社会治安", "D10": "党的理论",
    "D11": "档案查询", "D12": "诉讼", "D13": "控告申诉", "D14": "项目申报", "D15": "企业减负",
    "D16": "外贸出口", "D17": "子女入学", "D18": "科技项目申报", "D19": "户籍证件", "D20": "低保救助",
    "D21": "法律援助", "D22": "财政补助", "D23": "劳动保障", "D24": "人事代理", "D25": "工程报建",
    "D26": "拆迁安置", "D27": "市容环境", "D28": "城市管理", "D29": "道路运输", "D30": "农业技术",
    "D31": "文化市场", "D32": "卫生防病", "D33": "计划生育", "D34": "审计法规", "D35": "环境保护",
    "D36": "统计法规", "D37": "价格收费", "D38": "纳税申报", "D39": "地方税收", "D40": "工商登记",
    "D41": "产品质量", "D42": "安全生产", "D43": "旅游消费", "D44": "全民健身", "D45": "职工权益",
    "D46": "青少年维权", "D47": "妇女儿童权益", "D48": "科普知识",
}
# … and the business a window post handles for them (办事服务); other posts use general errands.
_SERVICE = {
    "D06": "组织关系接转", "D11": "档案查阅", "D12": "立案", "D17": "招生报名", "D19": "户籍证件",
    "D20": "救助申请", "D21": "法律援助申请", "D23": "社保和就业", "D24": "人事代理", "D25": "施工许可",
    "D29": "营运证件", "D35": "环评审批", "D38": "涉税", "D39": "涉税", "D40": "营业执照",
    "D45": "困难职工救助",
}
_PLACES = ["米市巷街道", "湖墅街道", "小河街道", "和睦街道", "拱宸桥街道", "大关街道", "上塘镇", "半山镇",
           "康桥镇", "祥符镇"]
_CONTENT = {
    "政策咨询": ["在{place}开展{topic}宣传咨询活动，现场解答群众疑问",
               "接待来电来访群众，耐心解答{topic}方面的问题", "编印{topic}知识问答，送到{place}居民手中"],
    "办事服务": ["为{place}行动不便的老人上门代办证件手续", "帮助{place}居民联系解决出行难问题",
               "为{place}困难群众代办医疗救助手续"],
    "维权帮扶": ["帮助{place}外来务工人员追讨被拖欠的工资", "结对帮扶{place}困难家庭，送去慰问金和生活用品",
               "为困难群众申请救助资金"],
    "矛盾调解": ["调解{place}一起邻里纠纷，双方达成和解", "协调处理{place}居民反映的{topic}问题"],
    "志愿服务": ["参加{place}“机关党员进社区”志愿服务活动", "组织党员义务献血",
               "在{place}开展环境卫生整治义务劳动"],
    "其他": ["为{place}贫困学生捐款助学", "向受灾地区群众捐款捐物"],
}
_WINDOW_SERVICE = ["为行动不便的群众上门办理{service}手续", "为{place}企业开辟绿色通道，加快办理{service}事项",
                   "利用双休日为群众加班办理{service}业务"]
_OUTCOME = {
    "政策咨询": ["当场解答", "群众表示清楚满意", "发放宣传资料"],
    "办事服务": ["当场办结", "三天内办结", "手续全部办妥"],
    "维权帮扶": ["款项已送到群众手中", "问题已解决", "落实长期结对帮扶"],
    "矛盾调解": ["双方签订调解协议", "矛盾化解，未再反复"],
    "志愿服务": ["活动顺利完成", "受到社区居民好评"],
    "其他": ["款物已转交", "受到群众好评"],
}
_BENEFICIARIES = {"政策咨询": (20, 300), "办事服务": (1, 40), "维权帮扶": (1, 60), "矛盾调解": (2, 20),
                  "志愿服务": (30, 500), "其他": (1, 100)}
_RIGHTS_WORDS = ("维权", "援助", "帮扶", "投诉", "救助", "调解", "控告", "信访", "举报")
_GIVEN_NAMES = ["建明", "美玲", "国强", "晓丽", "志华", "雅琴", "海东", "秀芳", "伟忠", "丽君", "永平", "红霞",
                "卫红", "宏亮", "春华", "晓军"]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈"


def _weights(post: dict) -> list[int]:
    # order: 政策咨询, 办事服务, 维权帮扶, 矛盾调解, 志愿服务, 其他
    if any(w in post["post_name"] for w in _RIGHTS_WORDS):
        return [2, 1, 6, 3, 1, 1]
    if post["is_window"]:
        return [4, 6, 1, 1, 1, 1]
    return [3, 2, 1, 1, 4, 2]


def _content(rng: random.Random, category: str, unit: str, post: dict) -> str:
    templates = _CONTENT[category]
    if category == "办事服务" and post["is_window"] and unit in _SERVICE:
        templates = _WINDOW_SERVICE
    return rng.choice(templates).format(place=rng.choice(_PLACES), topic=_TOPIC[unit],
                                        service=_SERVICE.get(unit, ""))


def _make_deeds() -> list[dict]:
    rng = random.Random(2005)
    categories = list(_CONTENT)
    deeds: list[dict] = []
    for unit in dict.fromkeys(p["unit"] for p in POSTS):
        colleagues = [rng.choice(_SURNAMES) + rng.choice(_GIVEN_NAMES) for _ in range(4)]
        rows = []
        for post in (p for p in POSTS if p["unit"] == unit):
            leaders = post["leaders"].split("、")
            start = max(post["set_up_date"], date(2005, 1, 1))
            span = (date(2005, 12, 31) - start).days
            for _ in range(rng.randint(2, 6)):
                cat = rng.choices(categories, weights=_weights(post))[0]
                people = [rng.choice(leaders + colleagues)]
                if rng.random() < 0.15:
                    people.append(rng.choice([c for c in colleagues if c not in people]))
                lo, hi = _BENEFICIARIES[cat]
                amount = None
                if cat == "维权帮扶":
                    amount = round(rng.uniform(0.3, 25.0), rng.choice([1, 2]))
                elif cat == "其他" and rng.random() < 0.6:
                    amount = round(rng.uniform(0.1, 2.0), 2)
                rows.append({
                    "unit": unit,
                    "deed_date": start + timedelta(days=rng.randint(0, span)),
                    "post_name": post["post_name"],
                    "member": "、".join(people),
                    "category": cat,
                    "content": _content(rng, cat, unit, post),
                    "beneficiaries": rng.randint(lo, hi) if rng.random() < 0.9 else None,
                    "amount": amount,
                    "outcome": rng.choice(_OUTCOME[cat]),
                    "rating": rng.choices(["满意", "基本满意"], weights=[9, 1])[0],
                })
        deeds.extend(sorted(rows, key=lambda d: d["deed_date"]))
    return deeds


#: Every deed, each unit's rows in date order (as a clerk enters them).
DEEDS: list[dict] = _make_deeds()

# Two deeds pinned so the round-1 faults have a natural raw value: a date a clerk types as
# 2005.3.5, and a visit that does not fit the category list (其他 in the corrected return).
_d = next(d for d in DEEDS if d["unit"] == "D05" and d["post_name"] == "案件审理党员先锋岗")
_d["deed_date"] = date(2005, 3, 5)
_d = next(d for d in DEEDS if d["unit"] == "D17")
_d.update(category="其他", content="走访慰问辖区困难学生家庭，送去学习用品", amount=0.3, outcome="款物已转交")
DEEDS.sort(key=lambda d: (d["unit"], d["deed_date"]))

# --------------------------------------------------------------------------- assessment (年度考核表)

#: 考核等次 by 总分: the lowest total of each grade.
GRADE_BANDS = [(85, "优秀"), (75, "良好"), (60, "合格"), (0, "不合格")]

# The head of the ranking: ten distinct totals, then the one planted tie (11th/12th), then eight
# more distinct totals.  Every other post scores 70–80.
_RANKED = [
    ("D23", "维权党员先锋岗", 99), ("D13", "公诉科党员先锋岗", 98), ("D38", "全程服务党员先锋岗", 97),
    ("D14", "统计科党员先锋岗", 96), ("D22", "综合科党员先锋岗", 95), ("D26", "工程建设党员先锋岗", 94),
    ("D01", "秘书科党员先锋岗", 93), ("D08", "办公室党员先锋岗", 92), ("D28", "一线执法车党员先锋岗", 91),
    ("D16", "外资科党员先锋岗", 90),
    ("D19", "户籍窗口党员先锋岗", 89), ("D40", "消费者投诉党员先锋岗", 89),
    ("D27", "建设工地党员先锋岗", 88), ("D21", "法律援助党员先锋岗", 87), ("D45", "职工帮扶党员先锋岗", 86),
    ("D39", "办税服务厅党员先锋岗", 85), ("D06", "党员服务中心党员先锋岗", 84),
    ("D03", "区长公开电话党员先锋岗", 83), ("D25", "行政审批党员先锋岗", 82), ("D11", "档案查阅党员先锋岗", 81),
]

#: Units whose clerk types 总分 by hand (correctly; the template says not to).
TYPED_TOTAL_UNITS = ("D02", "D15", "D33", "D37", "D48")

SCORE_FIELDS = ("score_service", "score_skill", "score_quality", "score_model", "score_satisfaction")


def grade_for(total: int) -> str:
    """考核等次 for a 总分 (0–100), per :data:`GRADE_BANDS`."""
    return next(g for low, g in GRADE_BANDS if total >= low)


def _split(total: int, rng: random.Random) -> list[int]:
    scores = [total // 5 + (1 if k < total % 5 else 0) for k in range(5)]
    rng.shuffle(scores)
    for _ in range(3):  # move a point between two scores, staying within 0–20
        a, b = rng.sample(range(5), 2)
        if scores[a] < 20 and scores[b] > 0:
            scores[a] += 1
            scores[b] -= 1
    return scores


def _make_assessment() -> list[dict]:
    rng = random.Random(2006)
    ranked = {(u, p): t for u, p, t in _RANKED}
    rows = []
    for post in POSTS:
        key = (post["unit"], post["post_name"])
        total = ranked.get(key) or rng.randint(70, 80)
        row = {"unit": post["unit"], "post_name": post["post_name"]}
        row.update(zip(SCORE_FIELDS, _split(total, rng), strict=True))
        row["total"] = total if post["unit"] in TYPED_TOTAL_UNITS else None
        row["grade"] = grade_for(total)
        rows.append(row)
    return rows


#: One row per post, in post order.  ``total`` is None unless the unit types it.
ASSESSMENT: list[dict] = _make_assessment()


def total_of(row: dict) -> int:
    """总分 computed from the five scores (never from a typed or formula cell, DESIGN.md §5)."""
    return sum(row[f] for f in SCORE_FIELDS)


# --------------------------------------------------------------------------- how the files come back

#: File format each unit sends (same in both rounds): "xls"/"ods" (saved as such in
#: LibreOffice), "openpyxl" (the filled .xlsx as written, never opened in an office suite);
#: every other unit sends .xlsx re-saved by LibreOffice.
FORMATS = {
    "D06": "xls", "D09": "xls", "D15": "xls", "D30": "xls", "D39": "xls", "D45": "xls",
    "D05": "ods", "D11": "ods", "D19": "ods", "D32": "ods", "D40": "ods", "D46": "ods",
    "D03": "openpyxl", "D21": "openpyxl", "D36": "openpyxl", "D43": "openpyxl",
}

#: Units that rename the issued file before sending it (both rounds); the stamp still holds.
RENAMED = {"D41": "质监局党员先锋岗工作台账.xlsx", "D48": "区科协党员先锋岗台账（报党工委）.xlsx"}

#: Round 1, the first deadline.
ROUND1 = {
    "missing": ["D31", "D42", "D47"],
    # Data pasted into a fresh workbook: sheets Sheet1…Sheet4 in form order, header at row 1,
    # no identity line, no _meta, no custom properties, no 填表说明.
    "pasted": {"unit": "D24", "file": "区人事局党员先锋岗台账.xlsx"},
    # A title row inserted above the header of 先锋岗登记表 (header moves to row 4, data to
    # row 5) and the columns 所在科室 / 是否窗口单位 swapped.
    "title_row": {"unit": "D35", "form": "posts", "title": "区环保局党员先锋岗登记汇总（2005年度）",
                  "swap": ("department", "is_window")},
    # Sent twice: an earlier copy with 参与党员人数 90 instead of 9, then the corrected copy
    # (file name ending （修改稿）), saved two days later.
    "duplicate": {"unit": "D20", "form": "posts", "match": {"post_name": "婚姻登记党员先锋岗"},
                  "field": "members", "wrong": 90, "corrected_suffix": "（修改稿）"},
    # One planted bad cell per unit: the form, the row (the unit's row of that form whose fields
    # equal ``match``), the field, the raw value typed, and the level merge should report
    # (警告 keeps the row, 错误 rejects it).  ``raw`` None: computed below.
    "bad_cells": [
        {"unit": "D05", "form": "deeds", "match": {"deed_date": date(2005, 3, 5)}, "field": "deed_date",
         "raw": "2005.3.5", "level": "警告", "what": "日期写成文本 2005.3.5"},
        {"unit": "D09", "form": "posts", "match": {"post_name": "综治办党员先锋岗"}, "field": "members",
         "raw": "十二", "level": "警告", "what": "人数写成汉字“十二”"},
        {"unit": "D17", "form": "deeds", "match": {"content": "走访慰问辖区困难学生家庭，送去学习用品"},
         "field": "category", "raw": "走访慰问", "level": "错误", "what": "事项类别不在下拉列表中"},
        {"unit": "D29", "form": "posts", "match": {"post_name": "运管窗口党员先锋岗"}, "field": "leaders",
         "raw": "", "level": "错误", "what": "必填的党员责任人未填"},
        {"unit": "D33", "form": "assessment", "match": {"post_name": "流动人口服务党员先锋岗"}, "field": "total",
         "raw": None, "level": "警告", "what": "手工填写的总分与五项得分之和不符"},
        {"unit": "D44", "form": "assessment", "match": {"post_name": "体育场馆党员先锋岗"},
         "field": "score_quality", "raw": 25, "level": "错误", "what": "得分 25 超出 0–20"},
    ],
}
# D33's hand-typed total is two points short of the real sum.
ROUND1["bad_cells"][4]["raw"] = next(
    total_of(a) for a in ASSESSMENT if a["post_name"] == "流动人口服务党员先锋岗") - 2


def return_times() -> dict[str, dict[str, datetime]]:
    """When each unit saved the file it sent (local time, Beijing):
    ``{"round1": {code: datetime}, "final": {code: datetime}, "earlier": {code: datetime}}``.

    Round-1 files are saved 2006-01-09 … 2006-01-20 (the deadline); units with a round-1 fault
    and the units that missed round 1 save their final file 2006-01-24 … 2006-02-10; every other
    unit's final file is its round-1 file.  ``earlier`` holds the duplicate unit's first copy,
    saved two days before its corrected copy.
    """
    rng = random.Random(20060120)
    codes = sorted({p["unit"] for p in POSTS})
    faulty = {b["unit"] for b in ROUND1["bad_cells"]} | {ROUND1["pasted"]["unit"], ROUND1["title_row"]["unit"]}
    r1: dict[str, datetime] = {}
    final: dict[str, datetime] = {}
    for code in codes:
        t1 = datetime(2006, 1, 9, 8, 30) + timedelta(days=rng.randint(0, 11), minutes=rng.randint(0, 540))
        t2 = datetime(2006, 1, 24, 8, 30) + timedelta(days=rng.randint(0, 17), minutes=rng.randint(0, 540))
        if code not in ROUND1["missing"]:
            r1[code] = t1
        final[code] = t2 if (code in faulty or code in ROUND1["missing"]) else t1
    dup = ROUND1["duplicate"]["unit"]
    r1[dup] = final[dup] = datetime(2006, 1, 19, 16, 40)
    return {"round1": r1, "final": final, "earlier": {dup: datetime(2006, 1, 17, 10, 5)}}


def check() -> None:
    """Assert the seed's figures and the data's own rules; raises AssertionError."""
    units = {p["unit"] for p in POSTS}
    assert len(units) == 48, len(units)
    assert len(POSTS) == 106, len(POSTS)
    assert sum(p["is_window"] for p in POSTS) == 29
    names = [n for p in POSTS for n in p["leaders"].split("、")]
    assert len(names) == 109 and len(set(names)) == 109
    assert sum(p["members"] for p in POSTS) == 764
    assert all(len(p["leaders"].split("、")) <= p["members"] for p in POSTS)
    assert all(date(2004, 12, 1) <= p["set_up_date"] <= date(2005, 12, 31) for p in POSTS)
    keys = [(p["unit"], p["post_name"]) for p in POSTS]
    assert len(set(keys)) == len(keys)
    for row in DEEDS + RESULTS:
        assert (row["unit"], row["post_name"]) in keys, row
    per_post: dict[tuple, int] = {}
    for d in DEEDS:
        per_post[(d["unit"], d["post_name"])] = per_post.get((d["unit"], d["post_name"]), 0) + 1
        assert date(2005, 1, 1) <= d["deed_date"] <= date(2005, 12, 31)
    assert set(per_post) == set(keys) and all(2 <= n <= 6 for n in per_post.values())
    assert [(a["unit"], a["post_name"]) for a in ASSESSMENT] == keys
    totals = sorted((total_of(a) for a in ASSESSMENT), reverse=True)
    assert len(set(totals[:10])) == 10 and totals[9] > totals[10] == totals[11] > totals[12]
    assert len(set(totals[:20])) == 19
    for a in ASSESSMENT:
        assert all(0 <= a[f] <= 20 for f in SCORE_FIELDS) and a["grade"] == grade_for(total_of(a))
        assert a["total"] in (None, total_of(a))
