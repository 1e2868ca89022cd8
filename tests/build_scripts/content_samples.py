"""A small, realistic content/ folder (docs/content-format.md) for build tests."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import yaml

SITE_URL = "https://dangjian.example.cn/"
ICP = "京ICP备12345678号-1"
ORG = "某某集团有限公司党委"

# 1x1 red PNG: a real asset so the build copies and links it.
_PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC")


def _write(path: Path, meta: dict, body: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    path.write_text(f"---\n{front}---\n\n{body.strip()}\n" if body else f"---\n{front}---\n", encoding="utf-8")


def article_meta(
    page_id: int,
    title: str,
    url_path: str,
    date: str,
    *,
    kind="news",
    tags=(),
    category=None,
    unit="第一党支部",
    summary="",
) -> dict:
    labels = {"news": "新闻动态", "openness": "党务公开", "theory": "理论学习"}
    return {
        "title": title,
        "page_id": page_id,
        "type": kind,
        "date": date,
        "tags": list(tags),
        "category": category,
        "issuing_unit": unit,
        "canonical_url": SITE_URL + url_path,
        "summary": summary,
        "type_label": labels[kind],
    }


ARTICLES = [
    # (path, id, title, date, type, tags, category, unit, summary, body)
    (
        "openness/sanhui-yike-2026q4.md",
        201,
        "第一党支部2026年第四季度三会一课安排",
        "2026-11-20",
        "openness",
        ["三会一课", "组织生活"],
        "三会一课",
        "第一党支部",
        "公布第一党支部第四季度支部党员大会、支委会、党小组会和党课的时间安排。",
        """
根据上级党委要求，现将第一党支部2026年第四季度**三会一课**安排公布如下。

## 安排表

| 时间 | 内容 | 地点 |
|---|---|---|
| 10月15日 | 支部党员大会 | 三楼会议室 |
| 11月12日 | 支部委员会 | 党员活动室 |
| 12月10日 | 党课：学习贯彻党的二十大精神 | 报告厅 |

<figure markdown="1">
![党员活动室](/assets/images/activity-room.png)
<figcaption>党员活动室</figcaption>
</figure>

请各党小组按时组织学习，做好会议记录。
""",
    ),
    (
        "openness/dues-2026.md",
        202,
        "关于2026年度党费收缴情况的公示",
        "2026-11-05",
        "openness",
        ["党费收缴", "党务公开"],
        "党费收缴",
        "机关党总支",
        "公示机关党总支2026年度党费收缴、使用和管理情况。",
        '经核对，2026年度党费收缴工作已全部完成，现予公示。\n\n!!! note "监督渠道"\n    如有疑问，请联系机关党总支。',
    ),
    (
        "openness/notices/development-targets.md",
        203,
        "关于确定2026年度发展对象的公示",
        "2026-10-28",
        "openness",
        ["发展对象", "入党积极分子"],
        "组织建设",
        "第二党支部",
        "经支部委员会研究，拟将张三等2名入党积极分子确定为发展对象。",
        "经支部委员会研究，拟将张三、李四2名入党积极分子确定为发展对象，现予公示。",
    ),
    (
        "news/theme-day-november.md",
        101,
        "机关党总支开展“不忘初心”主题党日活动",
        "2026-11-26",
        "news",
        ["主题党日", "不忘初心"],
        None,
        "机关党总支",
        "机关党总支组织全体党员赴革命纪念馆开展主题党日活动。",
        "11月26日，机关党总支组织全体党员开展主题党日活动，重温入党誓词。",
    ),
    (
        "news/democratic-review.md",
        102,
        "第二党支部召开组织生活会和民主评议党员会议",
        "2026-11-18",
        "news",
        ["组织生活会", "民主评议"],
        None,
        "第二党支部",
        "第二党支部召开年度组织生活会，开展民主评议党员。",
        "会上，支部书记代表支委会作检视剖析，党员逐一发言，开展批评与自我批评。",
    ),
    (
        "news/probationary-members.md",
        103,
        "公司党委为新发展预备党员集中培训",
        "2026-10-30",
        "news",
        ["预备党员"],
        None,
        "公司党委",
        "",
        "公司党委对今年新发展的预备党员进行集中培训。",
    ),
    (
        "theory/two-studies.md",
        301,
        "深入推进两学一做学习教育常态化制度化",
        "2026-09-15",
        "theory",
        ["两学一做"],
        None,
        "党委宣传部",
        "理论文章：推进两学一做学习教育常态化制度化的几点思考。",
        "## 一、提高思想认识\n\n学习教育是加强党的思想建设的重要举措。\n\n## 二、抓好制度落实\n\n坚持以上率下。",
    ),
    (
        "theory/openness-guide.md",
        302,
        "党务公开工作指南",
        "2026-08-01",
        "theory",
        ["党务公开"],
        None,
        "党委办公室",
        "党务公开的内容、程序和方式。",
        "党务公开应当坚持发扬民主、正确集中，坚持积极稳妥、依规有序。",
    ),
]


def write_sample_content(root: Path, *, announcement: bool = True, icp: str = ICP, extra_news: int = 0) -> Path:
    """Write a sample content/ folder at `root` and return it.

    `extra_news` adds that many short news articles (dated one a day before the sample
    articles) so tests can exercise pagination.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text("# content/\n\n由 CMS 导出，请勿手工编辑。\n", encoding="utf-8")
    site = {
        "org_name": ORG,
        "icp_number": icp,
        "announcement": {"text": "关于近期网传信息的权威说明", "url": "/news/theme-day-november/"}
        if announcement
        else None,
        "site_url": SITE_URL,
    }
    (root / "_site.yml").write_text(yaml.safe_dump(site, allow_unicode=True, sort_keys=False), encoding="utf-8")
    _write(
        root / "index.md",
        {"title": ORG, "page_id": 2, "type": "home", "intro": "", "order": 0},
        "欢迎访问网络党建平台。",
    )
    sections = [
        ("news", 10, "新闻动态", "党建工作新闻与动态。", 1),
        ("openness", 20, "党务公开", "依规公开党的组织建设、党费收缴等事项。", 2),
        ("openness/notices", 21, "通知公告", "公示与通知。", 1),
        ("theory", 30, "理论学习", "理论文章与学习资料。", 3),
    ]
    for path, page_id, title, intro, order in sections:
        _write(
            root / path / "index.md",
            {"title": title, "page_id": page_id, "type": "section", "intro": intro, "order": order},
            intro,
        )
    images = root / "assets" / "images"
    images.mkdir(parents=True, exist_ok=True)
    (images / "activity-room.png").write_bytes(_PNG)

    for path, page_id, title, date, kind, tags, category, unit, summary, body in ARTICLES:
        url_path = path[:-3] + "/"
        _write(
            root / path,
            article_meta(
                page_id, title, url_path, date, kind=kind, tags=tags, category=category, unit=unit, summary=summary
            ),
            body,
        )

    start = dt.date(2026, 7, 31)
    for i in range(extra_news):
        day = start - dt.timedelta(days=i)
        slug = f"brief-{i + 1:03d}"
        _write(
            root / "news" / f"{slug}.md",
            article_meta(
                1000 + i,
                f"党建简讯第{i + 1}期",
                f"news/{slug}/",
                day.isoformat(),
                tags=["党建简讯"],
                summary=f"第{i + 1}期党建简讯。",
            ),
            f"本期简讯汇总{day.month}月{day.day}日各支部工作动态。",
        )
    return root
