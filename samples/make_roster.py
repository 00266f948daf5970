"""Write samples/roster.xlsx: the 48 departments of the seed's district organs (区直机关).

Names follow the seed speech's style; contacts and phone numbers are invented.  Deterministic:
running it twice gives the same bytes.  Run from anywhere: ``python samples/make_roster.py``.
"""

from datetime import datetime
from pathlib import Path

import xlsxwriter

UNITS = [
    "区委办", "区人大办", "区政府办", "区政协办", "区纪委", "区委组织部", "区委宣传部", "区委统战部",
    "区委政法委", "区委党校", "区档案局", "区法院", "区检察院", "区发改局", "区经贸局", "区外经贸局",
    "区教育局", "区科技局", "区公安分局", "区民政局", "区司法局", "区财政局", "区劳动局", "区人事局",
    "区建设局", "区建管中心", "区城管办", "区行政执法局", "区交通局", "区农林水利局", "区文广新局",
    "区卫生局", "区计生局", "区审计局", "区环保局", "区统计局", "区物价局", "区国税局", "区地税局",
    "区工商分局", "区质监局", "区安监局", "区旅游局", "区体育局", "区总工会", "团区委", "区妇联", "区科协",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["晓燕", "建国", "丽华", "志强", "海燕", "文斌", "秀英", "国平", "红梅", "卫东", "静", "敏", "伟", "芳", "军", "磊"]


def rows():
    for i, name in enumerate(UNITS, start=1):
        contact = SURNAMES[(i * 7) % len(SURNAMES)] + GIVEN[(i * 5) % len(GIVEN)]
        phone = f"0571-8{(8123000 + i * 1379) % 10000000:07d}"
        yield f"D{i:02d}", name, contact, phone


def main() -> None:
    assert len(UNITS) == 48 and len(set(UNITS)) == 48
    out = Path(__file__).resolve().parent / "roster.xlsx"
    wb = xlsxwriter.Workbook(str(out))
    wb.set_properties({"title": "区直机关党员先锋岗填报单位名单", "created": datetime(2006, 1, 4)})
    ws = wb.add_worksheet("填报单位名单")
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1})
    ws.write_row(0, 0, ["单位代码", "单位名称", "联系人", "联系电话"], head)
    for r, row in enumerate(rows(), start=1):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
    ws.set_column(0, 0, 10)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 3, 14)
    ws.freeze_panes(1, 0)
    wb.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
