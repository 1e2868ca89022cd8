"""A contest's ranking on the public site: what a 竞赛成绩公布 page (``ContestResultPage``)
appends to its exported body, and the re-export of those pages when the contest's ranking
settings change.

The ranking reaches content/ only through ``ranking_markdown``: the table is made by
``cms.core.block_output.table_markdown`` (every cell escaped) from ``selectors.public_ranking``,
which is None, and the page then shows a notice without a single name, unless the editor
ticked 在公开网站公布排名 on a live contest that has ended.
"""

from __future__ import annotations

from decimal import Decimal

from build_scripts.html_safety import markdown_text
from cms.core.block_output import table_markdown

from . import selectors, services
from .models import ContestResultPage, QuizPage

NOT_PUBLIC_NOTICE = "排名未公开。"
NO_RESULTS_NOTICE = "暂无成绩。"
HEADER = ["名次", "姓名", "单位", "得分", "用时"]


def score_label(score: Decimal | None) -> str:
    """95.5 → "95.5", 100.0 → "100"."""
    if score is None:
        return ""
    return f"{score:.1f}".removesuffix(".0")


def duration_label(seconds: int) -> str:
    """125 → "2分05秒", 45 → "45秒"."""
    minutes, rest = divmod(max(0, seconds), 60)
    return f"{minutes}分{rest:02d}秒" if minutes else f"{rest}秒"


def ranking_markdown(contest: QuizPage | None, limit: int | None) -> str:
    """The ranking table (the first ``limit`` places, ties at the last place included; all
    when None), or a notice when the public site may not show it."""
    if selectors.public_ranking_refusal(contest):
        return markdown_text(NOT_PUBLIC_NOTICE)
    services.finalise_expired_for_quiz(contest)  # a closed tab counts for what it answered
    entries = selectors.public_ranking(contest) or []
    if limit:
        entries = [entry for entry in entries if entry.rank <= limit]
    if not entries:
        return markdown_text(NO_RESULTS_NOTICE)
    rows = [
        [str(entry.rank), entry.name, entry.unit or "—", score_label(entry.score), duration_label(entry.seconds)]
        for entry in entries
    ]
    caption = f"成绩排名（前 {limit} 名）" if limit else "成绩排名"
    return table_markdown({"data": [HEADER, *rows], "first_row_is_table_header": True, "table_caption": caption})


def live_result_pages(contest: QuizPage):
    return ContestResultPage.objects.live().filter(contest=contest)
