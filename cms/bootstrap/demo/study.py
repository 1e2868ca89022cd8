"""Demo courses for the member area: a required course for everyone, one for 入党积极分子 and
one for a single branch. Idempotent like the rest of the demo."""

from __future__ import annotations

import datetime

from django.utils import timezone
from wagtail.models import Page
from wagtail.rich_text import RichText

from cms.accounts.models import MemberStatus
from cms.study import services
from cms.study.models import CoursePage, LessonPage, LessonProgress
from cms.study.selectors import lessons_of
from cms.study.services import ensure_study_root


def _p(*paragraphs: str) -> RichText:
    return RichText("".join(f"<p>{text}</p>" for text in paragraphs))


def _publish(parent: Page, page: Page, author, publisher) -> Page:
    existing = Page.objects.child_of(parent).filter(slug=page.slug).first()
    if existing:
        return existing.specific
    page.owner = author
    page.live = False
    parent.add_child(instance=page)
    revision = page.save_revision(user=author)
    revision.publish(user=publisher)
    page.refresh_from_db()
    return page


def load_demo_courses(units, users, *, images, video) -> list[CoursePage]:
    root = ensure_study_root()
    editor, reviewer = users["editor"], users["reviewer"]
    today = timezone.localdate()

    charter = _publish(
        root,
        CoursePage(
            title="学习贯彻党章",
            slug="party-constitution",
            required=True,
            deadline=today + datetime.timedelta(days=30),
            intro="逐章学习《中国共产党章程》，掌握党员的义务和权利。全体党员、预备党员和入党积极分子必修。",
            audience_statuses=[
                MemberStatus.ACTIVIST,
                MemberStatus.CANDIDATE,
                MemberStatus.PROBATIONARY,
                MemberStatus.FULL,
            ],
        ),
        editor,
        reviewer,
    )
    _publish(
        charter,
        LessonPage(
            title="第一课：党章总纲导读",
            slug="general-program",
            min_study_minutes=1,
            summary="总纲阐明了党的性质、指导思想、奋斗目标和基本路线。",
            body=[
                (
                    "paragraph",
                    _p(
                        "党章是党的根本大法，是全党必须共同遵守的根本行为规范。总纲部分集中阐述了党的性质和宗旨、指导思想、"
                        "最高理想和最终目标、基本路线，以及党的建设的基本要求。",
                        "学习总纲，要把握“两个先锋队”的性质定位，理解全心全意为人民服务的根本宗旨，做到学思用贯通、知信行统一。",
                    ),
                ),
                ("image", {"image": images["banner"], "caption": "党委理论学习中心组集中学习党章"}),
                ("heading", "学习提示"),
                (
                    "paragraph",
                    RichText("<ul><li>通读总纲全文，标出关键词。</li><li>结合岗位实际写一段学习体会。</li></ul>"),
                ),
            ],
        ),
        editor,
        reviewer,
    )
    _publish(
        charter,
        LessonPage(
            title="第二课：党员的义务和权利",
            slug="duties-and-rights",
            min_study_minutes=1,
            summary="党章第一章规定了党员的八项义务和八项权利。",
            body=[
                (
                    "paragraph",
                    _p(
                        "党章第一章规定了党员必须履行的八项义务，以及党员享有的八项权利。义务和权利是统一的，"
                        "党员要自觉履行义务，正确行使权利。",
                        "请观看下面的党课视频片段，再对照党章原文逐条学习。",
                    ),
                ),
                ("video", {"video": video, "poster": images["lecture"], "caption": "专题党课视频片段"}),
            ],
        ),
        editor,
        reviewer,
    )

    activists = _publish(
        root,
        CoursePage(
            title="入党积极分子培训",
            slug="activist-training",
            required=True,
            deadline=today + datetime.timedelta(days=60),
            intro="帮助入党积极分子端正入党动机，了解发展党员的程序。",
            audience_statuses=[MemberStatus.ACTIVIST, MemberStatus.CANDIDATE],
        ),
        editor,
        reviewer,
    )
    _publish(
        activists,
        LessonPage(
            title="端正入党动机",
            slug="motivation",
            summary="为什么入党、入党为什么。",
            body=[
                (
                    "paragraph",
                    _p(
                        "端正入党动机，是每一名要求入党的同志必须解决好的首要问题。入党动机正确与否，直接关系到能否成为一名合格的共产党员。",
                        "要在思想上入党，就要坚定共产主义远大理想和中国特色社会主义共同理想，把个人追求融入党和人民的事业。",
                    ),
                )
            ],
        ),
        editor,
        reviewer,
    )
    _publish(
        activists,
        LessonPage(
            title="发展党员的基本程序",
            slug="procedure",
            summary="从递交入党申请书到预备党员转正。",
            body=[
                (
                    "paragraph",
                    _p(
                        "发展党员工作一般经过五个阶段：入党申请人的确定、入党积极分子的确定和培养教育、发展对象的确定和考察、"
                        "预备党员的接收、预备党员的教育考察和转正。",
                        "入党积极分子经过一年以上的培养教育和考察，基本具备党员条件的，可列为发展对象。",
                    ),
                )
            ],
        ),
        editor,
        reviewer,
    )

    branch2 = _publish(
        root,
        CoursePage(
            title="第二党支部：联建共建专题学习",
            slug="branch2-joint-building",
            intro="第二党支部党员学习联建共建工作经验。",
        ),
        editor,
        reviewer,
    )
    if not branch2.audience_units.exists():
        branch2.audience_units.set([units["第二党支部"]])
        branch2.save_revision(user=editor).publish(user=reviewer)
    _publish(
        branch2,
        LessonPage(
            title="联建共建工作经验交流",
            slug="experience",
            summary="支部与社区党委联建共建的做法。",
            body=[
                (
                    "paragraph",
                    _p(
                        "第二党支部与社区党委在志愿服务、党员教育等方面开展合作，形成了“资源共享、活动共办”的工作机制。"
                    ),
                )
            ],
        ),
        editor,
        reviewer,
    )
    _demo_progress(users, charter, activists)
    return [charter, activists, branch2]


def _study(user, lesson, minutes: int, *, complete: bool, days_ago: int) -> None:
    """Study the way the member page does: open, report visible time, maybe complete."""
    moment = timezone.now() - datetime.timedelta(days=days_ago, hours=1)
    services.open_lesson(user, lesson, now=moment)
    for _ in range(minutes * 2):
        moment += datetime.timedelta(seconds=30)
        services.record_study_time(user, lesson.pk, 30, now=moment)
    if complete:
        services.complete_lesson(user, lesson, now=moment)


def _demo_progress(users, charter, activists) -> None:
    """Some study already done, so the secretary's 学习进度 report has something to show."""
    if LessonProgress.objects.exists():
        return
    charter_lessons = list(lessons_of(charter))
    _study(users["member1"], charter_lessons[0], 3, complete=True, days_ago=2)
    _study(users["activist1"], list(lessons_of(activists))[0], 1, complete=False, days_ago=1)
