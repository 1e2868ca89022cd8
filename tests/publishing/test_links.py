"""One page's dead links never stop anybody's publishing: they are found per page at export,
become plain text on the site, and the editor and the reviewer see them in the editor."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from wagtail.models import Collection, CollectionViewRestriction
from wagtail.rich_text import RichText
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from build_scripts.site_paths import tag_slug
from cms.openness.models import NewsPage
from cms.publishing.exporter import link_problems
from cms.publishing.links import heading_anchors
from cms.publishing.models import SiteBuild
from cms.publishing.services import content_repo
from tests.factories import PASSWORD, DocumentFactory, NewsPageFactory, SectionPageFactory
from tests.html import soup as admin_soup

LIVE = {
    "另一篇": None,  # the chooser link: filled in by the fixture
    "新闻栏目": "/news/",
    "本页要求": "#工作要求",
    "对方小标题": "/news/target/#一安排",
    "党员学习": "/member/",
    "标签列表": "/tags/",
    "本标签": f"/tags/{tag_slug('三会一课')}/",
    "订阅": "/feed.xml",
    "外站": "https://www.12371.cn/",
    "电话": "tel:010-12345678",
}
DEAD = {
    "坏链接": ("/does-not-exist/", "在公开网站上不存在"),
    "坏锚点": ("#no-such-anchor", "本页没有名为“no-such-anchor”的小标题"),
    "对方坏锚点": ("/news/target/#nope", "页面“目标页面”没有名为“nope”的小标题"),
    "相对地址": ("news/target/", "站内链接请以 / 开头"),
    "旧档案": ("/news/page/3/", "在公开网站上不存在"),
    "后台": ("/admin/pages/", "在公开网站上不存在"),
    "脚本": ("javascript:alert(1)", "不是允许的链接地址"),
}


@pytest.fixture
def news(home):
    return SectionPageFactory(parent=home, title="新闻动态", slug="news")


@pytest.fixture
def linking_page(news):
    target = NewsPageFactory(
        parent=news,
        title="目标页面",
        slug="target",
        tags=["三会一课"],
        body=[("heading", "一、安排"), ("paragraph", RichText("<p>内容</p>"))],
    )
    draft = NewsPageFactory(parent=news, title="草稿页面", slug="draft", publish=False)
    private = Collection.get_first_root_node().add_child(name="内部")
    CollectionViewRestriction.objects.create(collection=private, restriction_type=CollectionViewRestriction.LOGIN)
    secret = DocumentFactory(title="内部文件", collection=private)
    links = [f'<a linktype="page" id="{target.pk}">另一篇</a>']
    links += [f'<a href="{url}">{text}</a>' for text, url in LIVE.items() if url]
    links += [f'<a href="{url}">{text}</a>' for text, (url, _) in DEAD.items()]
    links += [f'<a linktype="page" id="{draft.pk}">草稿</a>', f'<a linktype="document" id="{secret.pk}">内部</a>']
    page = NewsPageFactory(
        parent=news,
        title="链接很多的页面",
        slug="links",
        body=[
            ("heading", "工作要求"),
            ("paragraph", RichText("<p>" + "，".join(links) + "。</p>")),
        ],
    )
    return page


def _links(public_site, path: str) -> tuple[dict[str, str], str]:
    soup = BeautifulSoup(public_site.text(path), "html.parser")
    content = soup.select_one("article.md-content__inner")
    return {a.get_text(): a["href"] for a in content.find_all("a", href=True)}, content.get_text()


def test_dead_links_become_text_and_live_ones_stay(linking_page, publish, public_site):
    publish()

    hrefs, text = _links(public_site, "news/links/index.html")
    for words in LIVE:
        assert words in hrefs, f"{words} should stay a link"
    assert hrefs["另一篇"] == "/news/target/"
    for words in [*DEAD, "草稿", "内部"]:
        assert words not in hrefs and words in text, f"{words} should be plain text"


def test_the_problems_name_each_dead_link_in_chinese(linking_page):
    problems = link_problems(linking_page)

    by_text = {problem.text: problem for problem in problems}
    assert set(by_text) == {*DEAD, "草稿", "内部"}
    for words, (url, reason) in DEAD.items():
        assert by_text[words].url == url and reason in by_text[words].reason, by_text[words]
    assert "没有在公开网站上发布" in by_text["草稿"].reason
    assert "不公开的文件夹" in by_text["内部"].reason
    assert all(problem.field == "正文第 2 块（正文段落）" for problem in problems)
    assert str(by_text["坏链接"]).startswith("正文第 2 块（正文段落）：链接“坏链接”（/does-not-exist/）")


def test_anchors_are_the_ids_the_built_page_gives_its_headings(news, publish, public_site):
    page = NewsPageFactory(
        parent=news,
        title="锚点",
        slug="anchors",
        body=[
            ("heading", "一、提高认识"),
            ("heading", "Plan A"),
            ("paragraph", RichText("<h3>一、提高认识</h3><p>正文</p><h4>三会 一课</h4><h3>_private</h3>")),
            ("heading", "一、提高认识"),
        ],
    )
    publish()

    soup = BeautifulSoup(public_site.text("news/anchors/index.html"), "html.parser")
    built = {h["id"] for h in soup.select("article.md-content__inner :is(h2, h3, h4)") if h.has_attr("id")}
    assert heading_anchors(page.body) == built
    assert {"一提高认识", "一提高认识_1", "一提高认识_2", "plan-a"} <= built


def test_a_page_with_dead_links_does_not_stop_the_next_publish(linking_page, news, publish, public_site):
    publish()
    NewsPageFactory(parent=news, title="下一篇", slug="next", body=[("paragraph", RichText("<p>正常发布</p>"))])

    build = publish()

    assert build.status == SiteBuild.Status.SUCCEEDED
    assert "正常发布" in public_site.text("news/next/index.html")


def test_the_editor_and_the_reviewer_see_the_dead_links(client, news, editor, reviewer):
    client.login(username="editor", password=PASSWORD)
    url = reverse("wagtailadmin_pages:add", args=("openness", "newspage", news.pk))
    response = client.post(
        url,
        nested_form_data(
            {
                "title": "有坏链接的稿件",
                "slug": "dead-links",
                "date": "2026-11-26",
                "body": streamfield(
                    [
                        (
                            "paragraph",
                            rich_text(
                                '<p>见<a href="/does-not-exist/">旧通知&lt;img src=x onerror=alert(1)&gt;</a>。</p>'
                            ),
                        )
                    ]
                ),
                "action-submit": "提交审核",
            }
        ),
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any("1 个链接在公开网站上无法使用" in m and "旧通知" in m for m in messages), messages

    page = NewsPage.objects.get(slug="dead-links")
    for user in ("editor", "reviewer"):
        client.logout()
        client.login(username=user, password=PASSWORD)
        edit = client.get(reverse("wagtailadmin_pages:edit", args=(page.pk,)))
        problems = admin_soup(edit).select_one(".dj-link-problems")
        warning = " ".join(problems.get_text(" ").split())
        assert "旧通知<img src=x onerror=alert(1)>" in warning, user  # the editor's words, as text
        assert "/does-not-exist/" in warning and "不存在" in warning, user
        assert problems.find("img") is None


def test_the_editor_sees_no_warning_when_every_link_works(client, news, editor):
    page = NewsPageFactory(
        parent=news, title="好稿件", slug="fine", body=[("paragraph", RichText('<p><a href="/news/">新闻</a></p>'))]
    )
    client.login(username="editor", password=PASSWORD)
    edit = client.get(reverse("wagtailadmin_pages:edit", args=(page.pk,)))
    assert edit.status_code == 200 and admin_soup(edit).select_one(".dj-link-problems") is None


def test_a_failed_build_names_the_page_and_the_field(news, publish, site_paths, client, editor):
    broken = NewsPageFactory(parent=news, title="被手工改坏的页面", slug="hand-edited")
    publish()
    # Someone edits content/ by hand (or an old exporter wrote it) and commits.
    path = site_paths["CONTENT_DIR"] / "news" / "hand-edited.md"
    path.write_text(path.read_text(encoding="utf-8").replace("date: '", "date: '十一月"), encoding="utf-8")
    content_repo().commit_all("手工修改", "某人", "someone@localhost")
    NewsPageFactory(parent=news, title="另一篇", slug="another")

    build = publish(expect_success=False)

    assert build.status == SiteBuild.Status.FAILED
    named = f"页面“被手工改坏的页面”（/news/hand-edited/，页面ID {broken.pk}）的“发布日期”（date）"
    assert named in build.error
    client.login(username="editor", password=PASSWORD)
    for screen in (reverse("wagtailadmin_home"), reverse("publishing_build_list")):
        assert named in client.get(screen).content.decode(), screen
