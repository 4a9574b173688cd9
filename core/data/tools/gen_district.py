#!/usr/bin/env python3
"""Generate the demo district 东城区 (110101): district.toml and grids.toml of core/data/demo/.

core/data/demo/ is a district configuration package (区级配置包, format 1, see docs/config.md).
This script writes its two generated files; the others (catalogue.toml, limits.toml,
calendar/, plans.toml, assessment.toml) are edited by hand.

Deterministic (seeded, stdlib only). Run from anywhere:

    python3 core/data/tools/gen_district.py            # writes core/data/demo/{district,grids}.toml
    python3 core/data/tools/gen_district.py -o DIR     # writes DIR/district.toml and DIR/grids.toml

The 17 streets are the real streets of 东城区 with their real division codes
(110101001..110101017). Community names are plausible Beijing community names
(many real, some invented); community codes are street code + 3 digits and grid
codes (单元网格码, DB11) are community code + 3 digits.

Layout: x, y are positions in an abstract 0..1000 square (y grows southwards).
Each street gets a rectangle (rows run roughly north to south, like the real
district); its communities tile that rectangle in a near-square grid; each
community's grid cells sit on a small lattice inside the community's tile,
jittered a little.
"""

import argparse
import math
import os
import random

SEED = 110101
DISTRICT = ("110101", "东城区")

# (street name, [community names]) in division-code order 001..017.
STREETS = [
    ("东华门街道", ["多福巷", "银闸", "东厂", "智德", "南池子", "灯市口", "正义路",
                 "台基厂", "韶九", "霞公府"]),
    ("景山街道", ["隆福寺", "吉祥", "黄化门", "钟鼓", "魏家", "汪芝麻", "景山东街",
                "皇城根北街"]),
    ("交道口街道", ["交东", "福祥", "大兴", "府学", "鼓楼苑", "菊儿", "南锣鼓巷",
                 "香饵", "北兵马司"]),
    ("安定门街道", ["交北头条", "北锣鼓巷", "国子监", "钟楼湾", "宝钞南", "五道营",
                 "分司厅", "花园"]),
    ("北新桥街道", ["海运仓", "北官厅", "门楼", "北新仓", "民安", "九道湾", "新中街",
                 "藏经馆", "草园"]),
    ("东四街道", ["东四六条", "东四七条", "东四八条", "豆瓣", "总院", "本司", "流水",
                "钱粮", "东四南"]),
    ("朝阳门街道", ["史家", "内务", "演乐", "礼士", "朝西", "竹竿", "大方家", "新鲜"]),
    ("建国门街道", ["崇内", "东总布", "西总布", "大雅宝", "赵家楼", "金宝街北", "苏州",
                 "东单", "外交部街"]),
    ("东直门街道", ["清水苑", "胡家园", "新中西里", "东外", "东环", "十字坡", "前永康",
                 "后永康"]),
    ("和平里街道", ["和平里东街", "和平里北街", "和平里西街", "兴化", "黄寺", "民旺",
                 "小黄庄", "安德里", "化工", "青年湖", "地坛", "交林", "上龙",
                 "东河沿"]),
    ("前门街道", ["草厂", "长巷二条", "前门东大街", "大江", "西兴隆", "鲜鱼口", "打磨厂",
                "三里河"]),
    ("崇文门外街道", ["新怡家园", "新世界家园", "国瑞城", "西花市南里东区",
                   "西花市南里西区", "崇文门东大街", "崇文门西大街", "抽分厂", "兴隆"]),
    ("东花市街道", ["东花市北里东区", "东花市北里西区", "东花市南里", "忠实里",
                 "广渠门外南街", "花市枣苑", "青云", "南小市", "富贵园"]),
    ("龙潭街道", ["龙潭北里", "龙潭西里", "夕照寺", "光明", "左安漪园", "板厂南里",
                "安化楼", "华城", "幸福北里", "龙潭湖"]),
    ("体育馆路街道", ["四块玉", "法华寺", "长青园", "南岗子", "驹章", "西唐街", "幸福",
                   "体育馆路西"]),
    ("天坛街道", ["金鱼池", "金台", "西园子", "东厅", "永内东街", "天坛南里", "天坛东里",
                "红桥", "北桥湾"]),
    ("永定门外街道", ["琉璃井", "桃杨路", "革新西里", "定安东里", "安乐林", "彭庄",
                   "沙子口", "西革新里", "宝华里", "景泰", "永铁苑", "民主北街",
                   "光源里", "东革新里"]),
]

# (department name, duties) in id order D01..D14. Duties (职责): the major (大类, "E05") or
# minor (小类, "E0102") category codes of the catalogue the department answers for; E0606 is
# the demo's own addition in core/data/demo/catalogue.toml. 卫健委 has no category of its own.
DEPARTMENTS = [
    ("城管执法局", ["C0304", "C0306", "C0309", "E02", "E05", "E0101", "E0110", "E0114",
               "E0306", "E0307", "E0606"]),
    ("环卫中心", ["C0301", "C0302", "C0303", "C0307", "E0102", "E0103", "E0104", "E0108",
              "E0109", "E0111", "E0112", "E0113", "E0407"]),
    ("园林绿化局", ["C04", "E0106", "E0410"]),
    ("市政管理委", ["C0106", "C0113", "C0114", "C0308", "C0703", "E0305", "E0401", "E0402"]),
    ("水务局", ["C0101", "C0102", "C0103", "C0104", "C0110", "C0118", "C0604", "C0605",
             "E0105", "E0403", "E0405", "E0406"]),
    ("燃气集团东城分公司", ["C0108", "E0404"]),
    ("供电公司东城供电中心", ["C0105", "C0111", "C0121", "C0701", "C0702", "E0409"]),
    ("交通委东城分局", ["C02"]),
    ("住建委", ["C0503", "C0504", "E03"]),
    ("市场监管局", ["E0501"]),
    ("公安交管东城支队", ["C0120", "C0203", "C0211", "E0504", "E0511"]),
    ("房管局", ["C0501", "C0502", "E0601", "E0604", "E0605"]),
    ("卫健委", []),
    ("生态环境局", ["E0107", "E0115", "E0412", "E0602"]),
]

# Rows of streets, north to south: (y0, y1, x0, x1, [street index ...]), west to east.
ROWS = [
    (0, 140, 300, 750, [9]),              # 和平里
    (140, 290, 200, 850, [3, 4, 8]),      # 安定门 北新桥 东直门
    (290, 440, 150, 850, [1, 2, 5, 6]),   # 景山 交道口 东四 朝阳门
    (440, 580, 150, 800, [0, 7]),         # 东华门 建国门
    (580, 720, 150, 850, [10, 11, 12]),   # 前门 崇文门外 东花市
    (720, 860, 150, 900, [15, 14, 13]),   # 天坛 体育馆路 龙潭
    (860, 1000, 200, 800, [16]),          # 永定门外
]


def street_rects():
    """Street index -> (x0, y0, x1, y1); width in a row is proportional to community count."""
    rects = {}
    for y0, y1, x0, x1, members in ROWS:
        total = sum(len(STREETS[i][1]) for i in members)
        x = x0
        for i in members:
            w = (x1 - x0) * len(STREETS[i][1]) / total
            rects[i] = (x, y0, x + w, y1)
            x += w
    assert sorted(rects) == list(range(len(STREETS)))
    return rects


def tiles(rect, n):
    """Split rect into n tiles: a near-square lattice, the last row stretched to fill."""
    x0, y0, x1, y1 = rect
    w, h = x1 - x0, y1 - y0
    cols = max(1, round(math.sqrt(n * w / h)))
    rows = math.ceil(n / cols)
    out = []
    for r in range(rows):
        in_row = min(cols, n - r * cols)
        tw, th = w / in_row, h / rows
        for c in range(in_row):
            out.append((x0 + c * tw, y0 + r * th, x0 + (c + 1) * tw, y0 + (r + 1) * th))
    return out


def fmt(v):
    return f"{v:.1f}"


def toml_list(items):
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"


def generate():
    """The two files' text: (district.toml, grids.toml)."""
    rng = random.Random(SEED)
    names = set()

    def unique(name):
        assert name not in names, f"duplicate name {name}"
        names.add(name)
        return name

    did, dname = DISTRICT
    out = [
        "# 东城区 demo district for gridloop: district.toml of a district configuration package",
        "# (区级配置包, format 1; see docs/config.md). 17 streets (街道), their communities (社区)",
        "# and 14 departments (部门). Streets and communities use the inline-array form",
        "# (streets = [ { ... }, ]); departments the [[departments]] form. Both are valid.",
        "# Generated by core/data/tools/gen_district.py -- do not edit by hand.",
        "",
        "format = 1",
        "",
        f'district = {{ id = "{did}", name = "{unique(dname)}" }}',
        'levels = { district = "区", street = "街道", community = "社区" }',
        'grid_code = { rule = "db11" }',
        "",
        "streets = [",
    ]
    for s, (sname, _) in enumerate(STREETS, 1):
        out.append(f'  {{ id = "{did}{s:03}", name = "{unique(sname)}" }},')
    out += ["]", "", "communities = ["]
    grids = []
    rects = street_rects()
    for s, (sname, comms) in enumerate(STREETS):
        assert 8 <= len(comms) <= 15, sname
        sid = f"{did}{s + 1:03}"
        out.append(f"  # {sname}")
        for c, (cname, tile) in enumerate(zip(comms, tiles(rects[s], len(comms))), 1):
            cid = f"{sid}{c:03}"
            cname = unique(cname + "社区")
            out.append(f'  {{ id = "{cid}", name = "{cname}", street = "{sid}" }},')
            n = rng.randint(3, 8)
            grids.append((cid, cname, tile, n))
    out += ["]", ""]
    out += [
        "# duties (职责): the major (大类) or minor (小类) category codes a department answers for.",
    ]
    for d, (dept, duties) in enumerate(DEPARTMENTS, 1):
        out += ["", "[[departments]]", f'id = "{did}D{d:02}"', f'name = "{unique(dept)}"']
        if duties:
            out.append(f"duties = {toml_list(duties)}")
    out.append("")
    district = "\n".join(out)

    out = [
        "# 东城区 demo district for gridloop: grids.toml of a district configuration package",
        "# (区级配置包, format 1; see docs/config.md). Grid cells (单元网格): 15-digit codes =",
        "# community code (12) + 3-digit sequence (DB11).",
        "# x, y: schematic map position in an abstract 0..1000 square (y grows southwards).",
        "# The demo has no real geography: no centre, no grids.geojson.",
        "# Generated by core/data/tools/gen_district.py -- do not edit by hand.",
        "",
        "grids = [",
    ]
    for cid, cname, (x0, y0, x1, y1), n in grids:
        out.append(f"  # {cname}")
        cols = math.ceil(math.sqrt(n))
        rows = math.ceil(n / cols)
        cw, ch = (x1 - x0) / cols, (y1 - y0) / rows
        for g in range(n):
            r, c = divmod(g, cols)
            x = x0 + (c + 0.5 + rng.uniform(-0.2, 0.2)) * cw
            y = y0 + (r + 0.5 + rng.uniform(-0.2, 0.2)) * ch
            out.append(
                f'  {{ code = "{cid}{g + 1:03}", name = "{cname}第{g + 1}网格", '
                f"x = {fmt(x)}, y = {fmt(y)} }},"
            )
    out += ["]", ""]
    grids_text = "\n".join(out)
    return district, grids_text


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(os.path.dirname(here), "demo")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=default,
                    help="output directory (default core/data/demo)")
    args = ap.parse_args()
    district, grids = generate()
    os.makedirs(args.output, exist_ok=True)
    for name, text in (("district.toml", district), ("grids.toml", grids)):
        with open(os.path.join(args.output, name), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)


if __name__ == "__main__":
    main()
