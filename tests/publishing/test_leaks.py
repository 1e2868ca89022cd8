"""Nothing that is not public may reach content/, its git history or the built site."""

import datetime
import re
import subprocess
import uuid

import pytest
from django.utils import timezone
from wagtail.models import CollectionViewRestriction, PageViewRestriction

from build_scripts.release_tree import walk_files
from cms.feedback import services as feedback_services
from tests.factories import (
    CollectionFactory,
    CourseFactory,
    DocumentFactory,
    FeedbackFormFactory,
    ImageFactory,
    LessonFactory,
    MembershipFactory,
    NewsPageFactory,
    SectionPageFactory,
    rich_body,
)

MARKERS = {
    "draft": "LEAKDRAFT001",
    "unpublished_revision": "LEAKREVISION002",
    "restricted_page": "LEAKRESTRICTED003",
    "restricted_ancestor": "LEAKANCESTOR004",
    "expired": "LEAKEXPIRED005",
    "scheduled": "LEAKSCHEDULED006",
    "private_image": "LEAKIMAGE007",
    "private_document": "LEAKDOCUMENT008",
    "private_video": "LEAKVIDEO009",
    "private_link_slug": "leakslug010",
    "course_intro": "LEAKCOURSE011",
    "lesson_text": "LEAKLESSON012",
    "lesson_summary": "LEAKLESSONSUMMARY013",
    "lesson_slug": "leaklessonslug014",
    "member_form_title": "LEAKFORMTITLE015",
    "member_form_intro": "LEAKFORMINTRO016",
    "member_form_label": "LEAKFORMLABEL017",
    "member_form_choice": "LEAKFORMCHOICE018",
    "member_form_thanks": "LEAKFORMTHANKS019",
    "form_answer": "LEAKFORMANSWER020",
    "public_form_answer": "LEAKPUBLICANSWER021",
    "private_audio": "LEAKAUDIO022",
}


@pytest.fixture
def mixed_site(home):
    news = SectionPageFactory(parent=home, title="新闻动态", slug="news")
    public = NewsPageFactory(parent=news, title="公开的新闻", slug="public-news", body=rich_body("这是公开内容。"))

    NewsPageFactory(
        parent=news, publish=False, title=f"草稿 {MARKERS['draft']}", slug="draft", body=rich_body(MARKERS["draft"])
    )

    revised = NewsPageFactory(parent=news, title="已发布页面", slug="revised", body=rich_body("已发布版本"))
    revised.body = rich_body(MARKERS["unpublished_revision"])
    revised.title = f"修改中 {MARKERS['unpublished_revision']}"
    revised.save_revision()

    restricted = NewsPageFactory(
        parent=news,
        title=f"密码保护 {MARKERS['restricted_page']}",
        slug=MARKERS["private_link_slug"],
        body=rich_body(MARKERS["restricted_page"]),
    )
    PageViewRestriction.objects.create(
        page=restricted, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )

    members = SectionPageFactory(parent=home, title="党员专区", slug="members")
    PageViewRestriction.objects.create(page=members, restriction_type=PageViewRestriction.LOGIN)
    NewsPageFactory(
        parent=members,
        title=f"内部通报 {MARKERS['restricted_ancestor']}",
        slug="inside",
        body=rich_body(MARKERS["restricted_ancestor"]),
    )

    NewsPageFactory(
        parent=news,
        title=f"已过期 {MARKERS['expired']}",
        slug="expired",
        expire_at=timezone.now() - datetime.timedelta(minutes=1),
        body=rich_body(MARKERS["expired"]),
    )
    NewsPageFactory(
        parent=news,
        title=f"定时发布 {MARKERS['scheduled']}",
        slug="scheduled",
        go_live_at=timezone.now() + datetime.timedelta(days=1),
        body=rich_body(MARKERS["scheduled"]),
    )

    private_collection = CollectionFactory.create("内部资料")
    CollectionViewRestriction.objects.create(
        collection=private_collection, restriction_type=CollectionViewRestriction.LOGIN
    )
    private_image = ImageFactory(title=MARKERS["private_image"], collection=private_collection)
    private_doc = DocumentFactory(title=MARKERS["private_document"], collection=private_collection)
    private_video = DocumentFactory(
        title=MARKERS["private_video"],
        collection=private_collection,
        file__filename="clip.mp4",
        file__data=b"\x00\x00\x00\x18ftypmp42",
    )
    private_audio = DocumentFactory(
        title=MARKERS["private_audio"], collection=private_collection, file__filename="talk.mp3", file__data=b"ID3"
    )
    public_image = ImageFactory(title="公开图片")
    public_doc = DocumentFactory(title="公开文件", file__filename="public.pdf")
    # Study material is private by design: only the member API may ever show it.
    course = CourseFactory(title=f"课程 {MARKERS['course_intro']}", intro=MARKERS["course_intro"])
    lesson = LessonFactory(
        parent=course,
        title=f"课时 {MARKERS['lesson_text']}",
        slug=MARKERS["lesson_slug"],
        summary=MARKERS["lesson_summary"],
        body=rich_body(MARKERS["lesson_text"]),
    )
    # Member forms are private like study material, and nobody's answers are ever exported.
    member_form = FeedbackFormFactory(
        title=f"问卷 {MARKERS['member_form_title']}",
        intro=MARKERS["member_form_intro"],
        thank_you_text=MARKERS["member_form_thanks"],
        fields=[
            {"label": f"问题 {MARKERS['member_form_label']}", "help_text": MARKERS["member_form_label"]},
            {"label": "选择", "field_type": "radio", "choices": f"甲\n{MARKERS['member_form_choice']}"},
        ],
    )
    respondent = MembershipFactory(status="full").user
    names = [field.clean_name for field in member_form.form_fields.all()]
    feedback_services.submit(
        respondent,
        member_form,
        {names[0]: MARKERS["form_answer"], names[1]: MARKERS["member_form_choice"]},
        uuid.uuid4(),
    )
    voice = SectionPageFactory(parent=home, title="群众心声", slug="voice")
    public_form = FeedbackFormFactory(parent=voice, title="给党组织的一封信", fields=[{"label": "内容"}])
    feedback_services.public_submit(
        public_form,
        {public_form.form_fields.get().clean_name: MARKERS["public_form_answer"]},
        honeypot="",
        address="203.0.113.1",
    )
    NewsPageFactory(
        parent=news,
        title="引用内部资料的公开页面",
        slug="uses-private-media",
        body=[
            (
                "paragraph",
                rich_body(
                    f'见<a linktype="page" id="{restricted.pk}">内部页面</a>和'
                    f'<a linktype="document" id="{private_doc.pk}">内部文件</a>和'
                    f'<a linktype="page" id="{lesson.pk}">学习课时</a>和'
                    f'<a linktype="page" id="{member_form.pk}">内部问卷</a>。'
                )[0][1],
            ),
            ("image", {"image": private_image, "caption": MARKERS["private_image"]}),
            ("image", {"image": public_image, "caption": "公开图片说明"}),
            ("attachment", {"document": private_doc, "title": ""}),
            ("video", {"video": private_video, "poster": private_image, "caption": ""}),
            ("audio", {"audio": private_audio, "caption": ""}),
            ("attachment", {"document": public_doc, "title": "公开文件"}),
        ],
    )
    return {
        "public": public,
        "private_image": private_image,
        "private_doc": private_doc,
        "private_video": private_video,
        "private_audio": private_audio,
        "public_image": public_image,
        "public_doc": public_doc,
    }


def _content_text(content_dir) -> str:
    return "\n".join(
        f"{path.relative_to(content_dir)}\n{path.read_text(encoding='utf-8', errors='replace')}"
        for path in sorted(content_dir.rglob("*"))
        if path.is_file()
    )


def _git_history(site_paths) -> str:
    return subprocess.run(
        ["git", f"--git-dir={site_paths['CONTENT_GIT_DIR']}", "log", "-p", "--all", "--format=%an %s%n%b"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_nothing_private_reaches_content_history_or_site(mixed_site, publish, site_paths, public_site):
    publish()

    content = _content_text(site_paths["CONTENT_DIR"])
    history = _git_history(site_paths)
    site = public_site.all_text()
    assert "公开的新闻" in content and "公开的新闻" in site, "the public page itself must be exported"
    assert "公开图片说明" in site
    for case, marker in MARKERS.items():
        assert marker not in content, f"{case} leaked into content/"
        assert marker not in history, f"{case} leaked into content/'s git history"
        assert marker not in site, f"{case} leaked into the built site"
    for checked in ("search/meta.json", "sitemap.xml", "feed.xml"):
        assert public_site.exists(checked), checked

    # Images and documents (attachments, video, audio) are numbered independently, so an
    # asset is known by its kind and id, never by its leading number alone.
    private = {("image", mixed_site["private_image"].pk)} | {
        ("document", mixed_site[name].pk) for name in ("private_doc", "private_video", "private_audio")
    }
    public = {("image", mixed_site["public_image"].pk), ("document", mixed_site["public_doc"].pk)}
    content_assets = _assets(
        path.relative_to(site_paths["CONTENT_DIR"]).as_posix()
        for path in (site_paths["CONTENT_DIR"] / "assets").rglob("*")
        if path.is_file()
    )
    site_assets = _assets((rel for rel, _file in walk_files(public_site.root) if _ASSET.match(rel)), strict=False)
    for where, assets in (("content/", content_assets), ("the built site", site_assets)):
        assert public <= assets, f"public assets missing from {where}: {public - assets}"
        assert not assets & private, f"private assets in {where}: {assets & private}"


# Where the exporter writes a page's files (cms/publishing/markdown.py, AssetCollector).
_ASSET = re.compile(r"assets/(images|media)/(\d+)-[0-9a-f]{10}[-.]")
_ASSET_KINDS = {"images": "image", "media": "document"}


def _assets(paths, strict: bool = True) -> set[tuple[str, int]]:
    """(kind, id) of every exported asset among `paths`; with `strict`, every path must be one."""
    found = set()
    for path in paths:
        match = _ASSET.match(path)
        assert match or not strict, f"unexpected file {path}: the oracle would not see what it holds"
        if match:
            found.add((_ASSET_KINDS[match[1]], int(match[2])))
    return found


def test_restricting_a_live_page_removes_it_from_the_site(mixed_site, publish, public_site):
    publish()
    assert public_site.exists("news/public-news/index.html")

    PageViewRestriction.objects.create(page=mixed_site["public"], restriction_type=PageViewRestriction.LOGIN)
    publish()

    assert not public_site.exists("news/public-news/index.html")
    assert "公开的新闻" not in public_site.all_text()


def test_publishing_study_material_queues_no_site_build(home):
    from cms.publishing.models import ContentChange

    before = ContentChange.objects.count()
    course = CourseFactory()
    lesson = LessonFactory(parent=course)
    lesson.save_revision().publish()
    lesson.unpublish()
    course.delete()

    assert ContentChange.objects.count() == before, "study pages are outside the public site"
    NewsPageFactory(parent=SectionPageFactory(parent=home))
    assert ContentChange.objects.count() > before, "public pages still record their changes"


def test_publishing_a_member_form_queues_no_site_build(home):
    from cms.publishing.models import ContentChange

    before = ContentChange.objects.count()
    form = FeedbackFormFactory(fields=[{"label": "建议"}])
    form.save_revision().publish()
    form.unpublish()
    form.delete()

    assert ContentChange.objects.count() == before, "member forms are outside the public site"


# Consultations (cms/consultations): what a member asked, who asked and from which branch never
# reaches the public site; only what an editor wrote into a 常见问题 page does.
CONSULTATION_MARKERS = {
    "asker_name": "LEAKASKERNAME015",
    "asker_username": "leakasker016",
    "branch": "LEAKBRANCH017",
    "subject": "LEAKSUBJECT018",
    "question_text": "LEAKQUESTION019",
    "attachment_name": "LEAKFILE020",
    "follow_up": "LEAKFOLLOWUP021",
    "answer_text": "LEAKANSWER022",
}


def test_consultations_reach_the_site_only_as_an_editors_faq_wording(home, publish, site_paths, public_site):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.rich_text import RichText

    from cms.accounts.models import BranchRole, MemberStatus, OrganisationUnit
    from cms.consultations import services
    from tests.factories import MembershipFactory, OrganisationUnitFactory
    from tests.study.conftest import administrator

    m = CONSULTATION_MARKERS
    committee = OrganisationUnitFactory(name="机关党委", kind=OrganisationUnit.Kind.COMMITTEE)
    branch = OrganisationUnitFactory(name=f"{m['branch']}党支部", parent=committee)
    asker = MembershipFactory(
        user__organisation=branch,
        user__username=m["asker_username"],
        user__last_name="赵",
        user__first_name=m["asker_name"],
    ).user
    secretary = MembershipFactory(user__organisation=branch, status=MemberStatus.FULL, role=BranchRole.SECRETARY).user
    faq_section = SectionPageFactory(parent=home, title="常见问题", slug="faq")
    NewsPageFactory(
        parent=SectionPageFactory(parent=home, title="新闻动态", slug="news"), title="公开的新闻", slug="public-news"
    )

    item = services.ask(
        asker,
        kind="question",
        addressee="branch",
        subject=f"主题 {m['subject']}",
        text=f"我是{asker.get_full_name()}，{m['question_text']}",
        public_consent=True,
        attachment=SimpleUploadedFile(f"{m['attachment_name']}.pdf", b"%PDF-1.4 x"),
    )
    services.follow_up(asker, item, m["follow_up"])
    services.answer(secretary, item, f"{asker.get_full_name()}同志：{m['answer_text']}")
    page = services.make_faq_draft(administrator(), item, faq_section)
    publish()  # the draft: nothing of it is public

    # The editor rewrites it. Publishing is refused while the asker's name is still in it.
    page.refresh_from_db()
    page.personal_data_removed = True
    with pytest.raises(ValidationError, match="个人信息"):
        page.save_revision().publish()
    page.refresh_from_db()
    page.title = "如何办理组织关系转接"
    page.question = "党员调动工作时，如何转接组织关系？"
    page.body = [("paragraph", RichText("<p>请向所在党支部申请开具介绍信。</p>"))]
    page.personal_data_removed = True
    page.save_revision().publish()
    publish()

    content = _content_text(site_paths["CONTENT_DIR"])
    history = _git_history(site_paths)
    site = public_site.all_text()
    assert "党员调动工作时，如何转接组织关系？" in content and "请向所在党支部申请开具介绍信。" in site
    for case, marker in CONSULTATION_MARKERS.items():
        assert marker not in content, f"{case} leaked into content/"
        assert marker not in history, f"{case} leaked into content/'s git history"
        assert marker not in site, f"{case} leaked into the built site"
    assert "source_consultation" not in content and f"consultations/{item.pk}" not in content


# Notices (cms/notifications): private to their recipients; nothing of a notice, its
# recipients or their replies reaches content/ or the site, and sending queues no build.
NOTICE_MARKERS = {
    "title": "LEAKNOTICETITLE023",
    "body": "LEAKNOTICEBODY024",
    "reason": "LEAKNOTICEREASON025",
    "recipient": "LEAKNOTICEREADER026",
}


def test_notices_never_reach_content_or_the_site(home, publish, site_paths, public_site):
    from cms.accounts.models import OrganisationUnit
    from cms.notifications import selectors as notice_selectors
    from cms.notifications import services as notices
    from cms.publishing.models import ContentChange
    from tests.factories import OrganisationUnitFactory
    from tests.study.conftest import administrator

    m = NOTICE_MARKERS
    committee = OrganisationUnitFactory(name="机关党委", kind=OrganisationUnit.Kind.COMMITTEE)
    branch = OrganisationUnitFactory(name="第一党支部", parent=committee)
    reader = MembershipFactory(user__organisation=branch, status="full", user__first_name=m["recipient"]).user
    NewsPageFactory(
        parent=SectionPageFactory(parent=home, title="新闻动态", slug="news"), title="公开的新闻", slug="public-news"
    )
    publish()
    before = ContentChange.objects.count()

    office = administrator()
    notice = notices.save_draft(
        office,
        None,
        title=f"会议通知 {m['title']}",
        body=m["body"],
        kind="meeting",
        sender_unit=committee,
        audience_units=[committee],
        audience_statuses=[],
        requires_confirmation=True,
        requires_reply=True,
        deadline=timezone.now() + datetime.timedelta(days=3),
    )
    notices.send(office, notice)
    notices.reply(notice_selectors.my_receipt(reader, notice.pk), attend=False, reason=m["reason"])
    assert ContentChange.objects.count() == before, "notices are outside the public site"
    publish()

    content = _content_text(site_paths["CONTENT_DIR"])
    history = _git_history(site_paths)
    site = public_site.all_text()
    assert "公开的新闻" in site
    for case, marker in NOTICE_MARKERS.items():
        assert marker not in content, f"{case} leaked into content/"
        assert marker not in history, f"{case} leaked into content/'s git history"
        assert marker not in site, f"{case} leaked into the built site"
