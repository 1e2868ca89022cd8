"""Idempotent demo content: a committee with two branches, editorial users and a dozen pages.

Running it again creates only what is missing: existing users, pages and edits are kept.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, PageViewRestriction, Site
from wagtail.rich_text import RichText

from cms.accounts.first_login import mark_initial_password
from cms.accounts.models import BranchRole, MemberStatus, Membership, OrganisationUnit, User
from cms.accounts.roles import ADMINISTRATOR, EDITOR, REVIEWER
from cms.assessment.demo import load_demo_assessment
from cms.assessment.models import ContestResultPage
from cms.bootstrap.roles import setup_roles
from cms.core.models import SiteSettings
from cms.openness.models import NewsPage, OpennessCategory, OpennessPage, SectionPage, TheoryPage
from cms.openness.services import ensure_home_page

from .consultations import load_demo_consultations
from .forms import load_demo_forms
from .media import draw_demo_image, draw_demo_pdf
from .notices import load_demo_notices
from .study import load_demo_courses

DEMO_MEDIA_DIR = Path(__file__).resolve().parent.parent / "demo_media"
DEMO_PASSWORD = "Dangjian@2026"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    full_name: str


DEMO_LOGINS = [
    DemoLogin("admin", ADMINISTRATOR, "张管理"),
    DemoLogin("editor", EDITOR, "王编辑"),
    DemoLogin("reviewer", REVIEWER, "李审核"),
    DemoLogin("branch1", "编辑·第一党支部", "赵书记"),
]

#: Demo members of the member area (no admin access): (username, name, branch, status, role).
DEMO_MEMBERS = [
    ("member1", "钱学员", "第一党支部", MemberStatus.FULL, BranchRole.MEMBER),
    ("activist1", "孙积极", "第一党支部", MemberStatus.ACTIVIST, BranchRole.MEMBER),
    # A second Party member in 第一党支部: 民主评议党员 rates more than one person.
    ("member3", "吴党员", "第一党支部", MemberStatus.FULL, BranchRole.MEMBER),
    ("member2", "周党员", "第二党支部", MemberStatus.PROBATIONARY, BranchRole.MEMBER),
]


def p(*paragraphs: str) -> RichText:
    return RichText("".join(f"<p>{text}</p>" for text in paragraphs))


def _org_tree() -> tuple[dict[str, OrganisationUnit], bool]:
    """The demo organisation; the flag says whether this is the first run of load_demo."""
    committee, first_run = OrganisationUnit.objects.get_or_create(
        name="某某集团有限公司党委", defaults={"kind": OrganisationUnit.Kind.COMMITTEE}
    )
    units = {"committee": committee}
    for order, name in enumerate(["第一党支部", "第二党支部"], start=1):
        units[name], _ = OrganisationUnit.objects.get_or_create(
            name=name, defaults={"kind": OrganisationUnit.Kind.BRANCH, "parent": committee, "sort_order": order}
        )
    return units, first_run


def _section(parent: Page, slug: str, title: str, intro: str, organisation=None) -> SectionPage:
    existing = SectionPage.objects.child_of(parent).filter(slug=slug).first()
    if existing:
        return existing
    section = parent.add_child(instance=SectionPage(title=title, slug=slug, intro=intro, organisation=organisation))
    section.save_revision().publish()
    return section


def _image(title: str, seed: int):
    Image = get_image_model()
    existing = Image.objects.filter(title=title).first()
    if existing:
        return existing
    image = Image(
        title=title,
        collection=Collection.get_first_root_node(),
        file=ImageFile(io.BytesIO(draw_demo_image(seed)), name=f"demo-{seed}.jpg"),
    )
    image._set_file_hash()
    image.save()
    return image


def _document(title: str, filename: str, data: bytes):
    Document = get_document_model()
    existing = Document.objects.filter(title=title).first()
    if existing:
        return existing
    document = Document(title=title, collection=Collection.get_first_root_node())
    document.file.save(filename, ContentFile(data), save=False)
    document._set_file_hash()
    document.save()
    return document


def _users(units) -> dict[str, User]:
    groups = setup_roles()
    users = {}
    for login in DEMO_LOGINS:
        user, created = User.objects.get_or_create(
            username=login.username,
            defaults={
                "last_name": login.full_name[0],
                "first_name": login.full_name[1:],
                "email": f"{login.username}@example.com",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            mark_initial_password(user, save=False)  # a published password: changed at first log-in in production
            if login.username == "admin":
                user.is_staff = True
            if login.username == "branch1":
                user.organisation = units["第一党支部"]
            user.save()
            user.groups.add(groups[login.role])
        users[login.username] = user
    # The branch editor is also 第一党支部's secretary: the one who follows its members' study.
    Membership.objects.get_or_create(
        user=users["branch1"],
        defaults={
            "status": MemberStatus.FULL,
            "role": BranchRole.SECRETARY,
            "joined_party_on": datetime.date(2010, 7, 1),
        },
    )
    for username, full_name, branch, status, role in DEMO_MEMBERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "last_name": full_name[0],
                "first_name": full_name[1:],
                "email": f"{username}@example.com",
                "organisation": units[branch],
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            mark_initial_password(user, save=False)
            user.save()
        Membership.objects.get_or_create(user=user, defaults={"status": status, "role": role})
        users[username] = user
    return users


def _article(parent: Page, model, slug: str, author: User, *, publisher: User | None, **fields):
    """Create a page written by `author`; `publisher` (a reviewer) approves it, None keeps a draft."""
    existing = Page.objects.child_of(parent).filter(slug=slug).first()
    if existing:
        return existing.specific
    tags = fields.pop("tags", [])
    page = model(slug=slug, owner=author, live=False, **fields)
    parent.add_child(instance=page)
    page.tags.set(tags)
    revision = page.save_revision(user=author)
    if publisher is not None:
        revision.publish(user=publisher)
    return page


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    units, first_run = _org_tree()
    home = ensure_home_page(intro="学习宣传党的理论 · 公开党务信息 · 服务党员群众")
    committee = units["committee"]

    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    if first_run:  # later runs keep whatever the administrator set
        settings.org_name = "某某集团有限公司党委"
        settings.icp_number = "京ICP备12345678号-1"
        settings.save()

    news = _section(home, "news", "新闻动态", "党委和各支部的工作动态。")
    openness = _section(home, "openness", "党务公开", "按照党务公开条例公开的党内事务。")
    theory = _section(home, "theory", "理论学习", "党的创新理论与学习辅导材料。")
    branch1 = _section(
        home, "branch-1", "第一党支部", "第一党支部的工作动态与支部党务公开。", organisation=units["第一党支部"]
    )
    branch2 = _section(
        home, "branch-2", "第二党支部", "第二党支部的工作动态与支部党务公开。", organisation=units["第二党支部"]
    )
    # Last in the navigation: 群众心声 (a public form) and, one level down, 常见问题, so the
    # tabs grow by one and the FAQ entries are not listed between the form and the news.
    interact = _section(home, "interact", "互动交流", "给党委留言，查看党员群众关心的常见问题。")
    faq = _section(interact, "faq", "常见问题", "党员群众咨询较多的问题及答复，已去除个人信息。")
    users = _users(units)  # after the branch sections, which scope the branch editor groups
    editor, branch_secretary = users["editor"], users["branch1"]

    def article(parent, model, slug, author, publish=True, **fields):
        return _article(parent, model, slug, author, publisher=users["reviewer"] if publish else None, **fields)

    today = timezone.localdate()

    def day(offset: int) -> datetime.date:
        return today - datetime.timedelta(days=offset)

    category = {c.name: c for c in OpennessCategory.objects.all()}
    banner = _image("党委理论学习中心组学习会", 1)
    volunteer = _image("主题党日志愿服务", 2)
    lecture = _image("专题党课现场", 3)
    gallery = [_image(f"红色教育基地参观{i}", 10 + i) for i in range(1, 4)]
    video = _document("专题党课视频片段", "party-class.mp4", (DEMO_MEDIA_DIR / "party-class.mp4").read_bytes())
    audio = _document("专题党课录音", "party-lecture.mp3", (DEMO_MEDIA_DIR / "party-lecture.mp3").read_bytes())
    dues_form = _document("2026年党费收缴情况表", "dues-2026.pdf", draw_demo_pdf())

    article(
        news,
        NewsPage,
        "theory-study-group-meeting",
        editor,
        title="党委理论学习中心组召开专题学习会",
        date=day(1),
        issuing_unit=committee,
        tags=["理论学习", "中心组学习"],
        summary="党委理论学习中心组围绕党的创新理论开展专题学习研讨。",
        body=[
            (
                "paragraph",
                p(
                    "11月25日，集团党委理论学习中心组召开专题学习会，党委书记主持会议并讲话。",
                    "会议强调，要把学习成果转化为推动企业高质量发展的实际成效。",
                ),
            ),
            ("image", {"image": banner, "caption": "学习会现场"}),
            ("heading", "会议要求"),
            (
                "paragraph",
                RichText(
                    "<ol><li>各党支部要结合“三会一课”制度抓好学习传达。</li><li>党员领导干部要带头讲党课。</li></ol>"
                ),
            ),
        ],
    )
    article(
        news,
        NewsPage,
        "volunteer-party-day",
        editor,
        title="第二党支部开展“我为群众办实事”主题党日活动",
        date=day(3),
        issuing_unit=units["第二党支部"],
        tags=["主题党日", "志愿服务"],
        summary="第二党支部组织党员走进社区开展志愿服务。",
        body=[
            ("paragraph", p("本月主题党日，第二党支部组织20名党员走进社区，开展义务维修、政策宣讲等志愿服务。")),
            ("image", {"image": volunteer, "caption": "党员志愿者为居民义务维修家电"}),
            ("quote", {"text": "把支部建在项目上，把服务送到群众身边。", "source": "第二党支部书记"}),
        ],
    )
    article(
        news,
        NewsPage,
        "red-education-visit",
        editor,
        title="集团党委组织党员参观红色教育基地",
        date=day(6),
        issuing_unit=committee,
        tags=["党性教育"],
        summary="在红色教育基地重温入党誓词，接受党性教育。",
        body=[
            ("paragraph", p("集团党委组织60余名党员赴红色教育基地开展党性教育，全体党员面向党旗重温入党誓词。")),
            (
                "gallery",
                {
                    "title": "活动剪影",
                    "images": [{"image": image, "caption": f"参观现场{i}"} for i, image in enumerate(gallery, start=1)],
                },
            ),
        ],
    )
    article(
        news,
        NewsPage,
        "party-class-video",
        editor,
        title="专题党课：以高质量党建引领企业高质量发展",
        date=day(9),
        issuing_unit=committee,
        tags=["党课", "视频"],
        summary="党委书记讲授专题党课（视频）。",
        cover_image=lecture,  # the body has only a video: the picture shown when shared
        body=[
            ("paragraph", p("党委书记以“以高质量党建引领企业高质量发展”为题讲授专题党课。以下为党课视频片段。")),
            ("video", {"video": video, "poster": lecture, "caption": "专题党课视频片段"}),
        ],
    )

    article(
        openness,
        OpennessPage,
        "three-meetings-one-lesson-2026q4",
        editor,
        title="2026年第四季度“三会一课”开展情况公开",
        category=category["三会一课"],
        date=day(2),
        issuing_unit=committee,
        tags=["三会一课", "组织生活"],
        summary="公开各党支部第四季度支部党员大会、支委会、党小组会和党课开展情况。",
        body=[
            (
                "paragraph",
                p("根据《中国共产党党务公开条例（试行）》，现将第四季度各党支部“三会一课”开展情况公开如下。"),
            ),
            (
                "table",
                {
                    "data": [
                        ["支部", "党员大会", "支委会", "党小组会", "党课"],
                        ["第一党支部", "1次", "3次", "6次", "1次"],
                        ["第二党支部", "1次", "3次", "5次", "1次"],
                    ],
                    "first_row_is_table_header": True,
                    "first_col_is_header": False,
                    "table_caption": "“三会一课”开展情况统计",
                },
            ),
        ],
    )
    article(
        openness,
        OpennessPage,
        "party-dues-2026",
        editor,
        title="2026年度党费收缴使用情况公开",
        category=category["党费收缴使用"],
        date=day(4),
        issuing_unit=committee,
        tags=["党费"],
        summary="公开本年度党费收缴、使用和管理情况。",
        body=[
            ("paragraph", p("现将2026年度党费收缴使用情况予以公开，欢迎党员监督。详细数据见附件。")),
            ("attachment", {"document": dues_form, "title": "2026年党费收缴情况表"}),
        ],
    )
    article(
        openness,
        OpennessPage,
        "democratic-appraisal-2026",
        editor,
        title="关于开展2026年度民主评议党员工作的通知",
        category=category["民主评议"],
        date=day(7),
        issuing_unit=committee,
        tags=["民主评议"],
        summary="部署年度民主评议党员工作的时间安排和程序。",
        body=[
            (
                "paragraph",
                p(
                    "按照党委工作安排，2026年度民主评议党员工作于12月开展，分学习教育、自我评价、民主测评、组织评定四个环节。"
                ),
            )
        ],
    )
    article(
        openness,
        OpennessPage,
        "development-candidates-notice",
        editor,
        title="发展对象公示",
        category=category["发展党员公示"],
        date=day(10),
        issuing_unit=units["第一党支部"],
        tags=["发展对象"],
        summary="第一党支部拟将两名入党积极分子列为发展对象，现予公示。",
        body=[
            (
                "paragraph",
                p(
                    "经支部委员会研究，拟将张某某、刘某某两名同志列为发展对象，公示期为5个工作日。",
                    "如有意见，请向党委组织部反映。",
                ),
            )
        ],
    )

    article(
        theory,
        TheoryPage,
        "theme-party-day-guide",
        editor,
        title="如何开好主题党日：一份支部书记工作指引",
        date=day(5),
        issuing_unit=committee,
        tags=["主题党日", "支部建设"],
        source="集团党委组织部",
        summary="主题党日的选题、组织与记录要点。",
        body=[
            (
                "paragraph",
                p("主题党日是党支部组织党员开展党性教育和实践活动的重要载体，应当做到主题鲜明、形式多样、注重实效。"),
            ),
            ("heading", "三个环节"),
            (
                "paragraph",
                RichText(
                    "<ul><li>会前：确定主题，提前通知。</li><li>会中：集中学习，交流研讨。</li>"
                    "<li>会后：形成记录，跟踪落实。</li></ul>"
                ),
            ),
        ],
    )
    article(
        theory,
        TheoryPage,
        "party-lecture-audio",
        editor,
        title="党课录音：坚定理想信念 筑牢信仰之基",
        date=day(8),
        issuing_unit=committee,
        tags=["党课", "音频"],
        source="集团党委宣传部",
        summary="专题党课录音，可在通勤路上收听。",
        body=[
            ("paragraph", p("本期党课围绕坚定理想信念展开，适合党员利用碎片时间收听学习。")),
            ("audio", {"audio": audio, "caption": "专题党课录音"}),
        ],
    )
    article(
        theory,
        TheoryPage,
        "democratic-life-meeting-notes",
        editor,
        title="组织生活会与民主评议：要点解读",
        date=day(12),
        issuing_unit=committee,
        tags=["民主评议", "组织生活"],
        source="学习辅导材料",
        summary="组织生活会的程序、批评与自我批评的方法。",
        body=[("paragraph", p("组织生活会一般每年召开一次，通常与民主评议党员结合进行。"))],
    )

    article(
        branch1,
        NewsPage,
        "branch1-study-session",
        branch_secretary,
        title="第一党支部开展集中学习",
        date=day(2),
        issuing_unit=units["第一党支部"],
        tags=["三会一课"],
        summary="第一党支部召开支部党员大会，集中学习有关会议精神。",
        body=[("paragraph", p("第一党支部召开党员大会，传达学习集团党委会议精神，并对下一阶段工作作出安排。"))],
    )
    article(
        branch2,
        NewsPage,
        "branch2-joint-building",
        editor,
        title="第二党支部与社区党委开展联建共建",
        date=day(11),
        issuing_unit=units["第二党支部"],
        tags=["联建共建"],
        summary="支部与社区党委签订联建共建协议。",
        body=[("paragraph", p("第二党支部与所在社区党委签订联建共建协议，在志愿服务、党员教育等方面开展合作。"))],
    )

    # A members-only page and a draft: neither may ever reach the public site.
    private = article(
        news,
        NewsPage,
        "members-only-briefing",
        editor,
        title="（内部）党委会议情况通报",
        date=day(1),
        issuing_unit=committee,
        summary="仅限登录的党员查看。",
        body=[("paragraph", p("本页内容仅供党员内部学习，不在公开网站发布。"))],
    )
    if not PageViewRestriction.objects.filter(page=private).exists():
        PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    load_demo_courses(units, users, images={"banner": banner, "lecture": lecture}, video=video)
    load_demo_forms(units, users, interact=interact)
    ended_contest = load_demo_assessment(units, users)[-1]
    load_demo_consultations(units, users, faq_section=faq)
    load_demo_notices(units, users)
    # The ended contest's ranking on the public site (names masked: the contest's default).
    article(
        news,
        ContestResultPage,
        "party-founding-contest-results",
        editor,
        title="“党的创建”知识竞赛成绩公布",
        date=day(2),
        issuing_unit=committee,
        contest=ended_contest,
        summary="“党的创建”知识竞赛已结束，现公布成绩排名。",
        body=[("paragraph", p("感谢各支部党员踊跃参赛。按得分从高到低排列，得分相同时用时短的在前。"))],
    )
    article(
        news,
        NewsPage,
        "draft-year-end-summary",
        editor,
        publish=False,
        title="（草稿）年度党建工作总结",
        date=day(0),
        issuing_unit=committee,
        summary="尚未审核的草稿。",
        body=[("paragraph", p("草稿内容，尚未提交审核。"))],
    )
    return DEMO_LOGINS
