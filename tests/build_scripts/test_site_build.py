"""build_scripts.site_build + site/ (mkdocs.yml, hooks, overrides) on a sample site."""

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import threading
import time
import unicodedata
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from content_samples import ICP, SITE_URL, write_sample_content

from build_scripts import site_build
from build_scripts.__main__ import main as cli
from build_scripts.release_tree import walk_files
from build_scripts.site_build import BuildError, build_release, current_release, list_releases, switch_to

EXTRA_NEWS = 62  # 3 sample news + 62 = 65 articles in news/: a first page of 25 and two archive pages
OWN_HOST = urlsplit(SITE_URL).hostname


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One full build of the sample content, shared by the read-only tests."""
    root = tmp_path_factory.mktemp("site")
    content = write_sample_content(root / "content", extra_news=EXTRA_NEWS)
    releases = root / "releases"
    release = build_release(content, releases, commit="0123456789abcdef")
    return release


@pytest.fixture
def small_content(tmp_path):
    return write_sample_content(tmp_path / "content")


def read(release, url_path):
    path = release.path / url_path
    if url_path.endswith("/") or not url_path:
        path = path / "index.html"
    return path.read_text(encoding="utf-8")


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse(html):
    parser = _Collector()
    parser.feed(html)
    return parser.tags


def listing_titles(html):
    return re.findall(r'class="dj-listing__title"><a href="[^"]*">([^<]+)</a>', html)


def listing_dates(html):
    section = html.split('class="dj-listing__items"', 1)[1]
    return re.findall(r'<time datetime="([0-9-]+)">', section)


# --------------------------------------------------------------------------- releases


def test_build_creates_release_and_points_current_at_it(site, directory_flags, tmp_path):
    from build_scripts.release_tree import _FS_TOPDIR_FL, spread_subdirectories

    releases = site.path.parent
    probe = tmp_path / "probe"
    probe.mkdir()
    if spread_subdirectories(probe):  # ext4: each release root starts a hierarchy of its own
        assert directory_flags(releases) & _FS_TOPDIR_FL
    link = releases / "current"
    assert link.is_symlink() and os.readlink(link) == site.name  # relative target
    assert re.fullmatch(r"\d{8}T\d{6}\.\d{3}Z-0123456", site.name)
    data = json.loads((site.path / "release.json").read_text(encoding="utf-8"))
    assert data["commit"] == "0123456789abcdef"
    assert data["page_count"] == site.page_count > 40
    assert data["duration"] > 0 and data["time"].endswith("+00:00")
    assert current_release(releases) == site
    assert list_releases(releases) == [site]
    assert not (releases / "current" / "README.md").exists()
    assert not (releases / "current" / "_site.yml").exists()


@pytest.mark.parametrize(
    "breakage, expected",
    [
        ("bad_date", "date 应为 YYYY-MM-DD"),
        ("bad_site_yml", "site_url"),
        ("no_home", "index.md"),
        ("bad_front_matter", "不是有效的 YAML"),
    ],
)
def test_failed_build_keeps_current_release(tmp_path, small_content, breakage, expected):
    releases = tmp_path / "releases"
    good = build_release(small_content, releases)
    article = small_content / "news" / "democratic-review.md"
    if breakage == "bad_date":
        article.write_text(article.read_text(encoding="utf-8").replace("2026-11-18", "11月18日"), encoding="utf-8")
    elif breakage == "bad_site_yml":
        (small_content / "_site.yml").write_text("org_name: 党委\nsite_url: 不是网址\n", encoding="utf-8")
    elif breakage == "no_home":
        (small_content / "index.md").unlink()
    elif breakage == "bad_front_matter":
        article.write_text("---\ntitle: [未闭合\n---\n正文\n", encoding="utf-8")

    with pytest.raises(BuildError) as info:
        build_release(small_content, releases)
    assert expected in str(info.value)
    assert current_release(releases) == good
    assert sorted(p.name for p in releases.iterdir() if not p.name.startswith(".")) == sorted(["current", good.name])


def test_a_dead_link_in_one_page_does_not_stop_the_build(tmp_path, small_content):
    """Which links are live is decided per page at export (cms/publishing/links.py); the
    build only logs what it cannot resolve, so one page's links never fail everyone's
    publish. A hand-written dead link stays as written."""
    article = small_content / "news" / "democratic-review.md"
    with article.open("a", encoding="utf-8") as fh:
        fh.write("\n详见[附件](missing.md)、[旧页面](/does-not-exist/)和[锚点](#no-such-anchor)。\n")

    release = build_release(small_content, tmp_path / "releases")

    html = read(release, "news/democratic-review/")
    assert 'href="/does-not-exist/"' in html and 'href="#no-such-anchor"' in html
    assert current_release(tmp_path / "releases") == release


def test_keep_n_prunes_oldest_and_switch_rolls_back(tmp_path, small_content, capfd):
    releases = tmp_path / "releases"
    first = build_release(small_content, releases, keep=2, commit="aaaaaaa")
    second = build_release(small_content, releases, keep=2, commit="bbbbbbb")
    # A full build shows its progress on the terminal.
    third = build_release(small_content, releases, keep=2, commit="ccccccc", progress=True, incremental=False)
    err = capfd.readouterr().err
    assert re.search(r"\[\s*\d+/\d+\] 渲染 news/democratic-review\.md", err)
    assert [r.name for r in list_releases(releases)] == [third.name, second.name]
    assert not first.path.exists()

    assert switch_to(releases, second.name) == second
    assert current_release(releases) == second
    # Pruning never removes the release being served, even when it is not among the newest.
    assert site_build._prune(releases, keep=1) == []
    assert second.path.exists() and third.path.exists()
    with pytest.raises(BuildError, match="不存在"):
        switch_to(releases, first.name)


def test_builds_wait_for_the_lock(tmp_path, small_content):
    releases = tmp_path / "releases"
    releases.mkdir()
    done = threading.Event()
    with open(releases / ".build.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        worker = threading.Thread(target=lambda: (build_release(small_content, releases), done.set()))
        worker.start()
        time.sleep(0.5)
        assert not done.is_set() and current_release(releases) is None
        fcntl.flock(fh, fcntl.LOCK_UN)
    worker.join(timeout=60)
    assert done.is_set() and current_release(releases) is not None


def test_cli_build_releases_and_switch(tmp_path, small_content, capsys):
    releases = tmp_path / "releases"
    assert cli(["build", "--content", str(small_content), "--releases", str(releases), "--commit", "deadbeefcafe"]) == 0
    name = capsys.readouterr().out.strip()
    assert name.endswith("-deadbee")
    assert cli(["releases", "--releases", str(releases)]) == 0
    assert f"* {name}" in capsys.readouterr().out
    assert cli(["switch", "--releases", str(releases), "nope"]) == 1
    assert "错误" in capsys.readouterr().err
    (small_content / "_site.yml").unlink()
    assert cli(["build", "--content", str(small_content), "--releases", str(releases)]) == 1
    assert "_site.yml" in capsys.readouterr().err
    assert current_release(releases).name == name


# --------------------------------------------------------------------------- pages


def test_navigation_lists_home_and_top_sections_only(site):
    html = read(site, "news/democratic-review/")
    nav = html.split('data-md-component="sidebar" data-md-type="navigation"', 1)[1].split("</nav>", 1)[0]
    for title in ("新闻动态", "党务公开", "理论学习"):
        assert title in nav
    assert "通知公告" not in nav
    # No other article's title anywhere in an article page: changing one article must
    # not change the HTML of the others.
    assert "党建简讯第1期" not in html and "三会一课安排" not in html
    assert "md-footer__link" not in html  # no site-wide previous/next links


def test_article_meta_line_tags_and_canonical(site):
    html = read(site, "openness/sanhui-yike-2026q4/")
    assert '<time datetime="2026-11-20">2026年11月20日</time>' in html
    assert "发布单位：</span>第一党支部" in html
    assert "类别：</span>三会一课" in html
    tags = [a for tag, a in parse(html) if tag == "a" and "dj-tag" in a.get("class", "")]
    assert {a["href"] for a in tags} == {
        f"../../tags/{site_build_tag_slug('三会一课')}/",
        f"../../tags/{site_build_tag_slug('组织生活')}/",
    }
    assert f'<link rel="canonical" href="{SITE_URL}openness/sanhui-yike-2026q4/">' in html
    # Site-relative asset links from content are validated and made relative.
    assert 'src="../../assets/images/activity-room.png"' in html
    assert (site.path / "assets/images/activity-room.png").is_file()


def site_build_tag_slug(tag):
    """The documented tag URL slug (docs/site-build.md): sha1 of the NFKC form, 10 hex."""
    return hashlib.sha1(unicodedata.normalize("NFKC", tag).strip().encode()).hexdigest()[:10]


def test_section_listing_is_newest_first_with_stable_archive_pages(site):
    """Archive pages are chunks of 20 counted from the oldest article (page/1/ is the
    oldest); the first page shows the rest (20–39 articles) and links them all."""
    first, newer, oldest = read(site, "news/"), read(site, "news/page/2/"), read(site, "news/page/1/")
    assert not (site.path / "news/page/3").exists()
    assert [len(listing_titles(html)) for html in (first, newer, oldest)] == [25, 20, 20]
    titles = listing_titles(first) + listing_titles(newer) + listing_titles(oldest)
    assert len(set(titles)) == len(titles) == 3 + EXTRA_NEWS
    assert titles[0] == "机关党总支开展“不忘初心”主题党日活动"
    assert titles[-1] == f"党建简讯第{EXTRA_NEWS}期"
    dates = listing_dates(first) + listing_dates(newer) + listing_dates(oldest)
    assert dates == sorted(dates, reverse=True)
    assert "2026年11月26日" in first and "机关党总支" in first
    assert "机关党总支组织全体党员赴革命纪念馆开展主题党日活动。" in first  # summary
    # Links: newer/older neighbours, the newest and the oldest page; no page count.
    assert 'href="page/2/" rel="next"' in first and 'href="page/1/">最早的文章' in first
    assert 'href="../../" rel="prev"' in newer and 'href="../1/" rel="next"' in newer
    assert 'href="../2/" rel="prev"' in oldest and 'href="../../">最新文章' in oldest
    assert 'rel="next"' not in oldest
    # Labelled by the dates they span (briefs are dated one a day back from 2026-07-31).
    day = lambda n: dt.date(2026, 7, 31) - dt.timedelta(days=n - 1)  # noqa: E731
    oldest_label = (
        f"{day(EXTRA_NEWS).year}年{day(EXTRA_NEWS).month}月{day(EXTRA_NEWS).day}日—{day(43).month}月{day(43).day}日"
    )
    assert f"新闻动态（{oldest_label}）" in oldest and f"本页为 {oldest_label} 发布的文章" in oldest
    archive = first.split('class="dj-archive"', 1)[1].split("</details>", 1)[0]
    assert archive.index('href="page/2/"') < archive.index(f'href="page/1/">{oldest_label}')


def test_section_lists_subsections_and_home_lists_latest(site):
    openness = read(site, "openness/")
    assert 'href="notices/">通知公告</a>' in openness
    assert listing_titles(openness) == ["第一党支部2026年第四季度三会一课安排", "关于2026年度党费收缴情况的公示"]
    home = read(site, "")
    latest = listing_titles(home)
    assert len(latest) == 10 and latest[0] == "机关党总支开展“不忘初心”主题党日活动"
    assert latest[1] == "第一党支部2026年第四季度三会一课安排"
    for href in ('href="news/">新闻动态', 'href="openness/">党务公开', 'href="theory/">理论学习'):
        assert href in home


def test_tag_pages(site):
    index = read(site, "tags/")
    slug = site_build_tag_slug("三会一课")
    assert f'href="{slug}/">三会一课' in index
    page = read(site, f"tags/{slug}/")
    assert listing_titles(page) == ["第一党支部2026年第四季度三会一课安排"]
    brief = site_build_tag_slug("党建简讯")
    # 62 articles: the first page holds 22, two archive pages 20 each.
    assert len(listing_titles(read(site, f"tags/{brief}/"))) == EXTRA_NEWS - 40
    assert len(listing_titles(read(site, f"tags/{brief}/page/2/"))) == 20
    assert "标签：党建简讯（" in read(site, f"tags/{brief}/page/1/")
    assert re.fullmatch(r"[0-9a-f]{10}", slug)


def test_rss_feed(site):
    root = ET.fromstring((site.path / "feed.xml").read_bytes())
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = root.findall("channel/item")
    assert len(items) == 20
    assert items[0].findtext("title") == "机关党总支开展“不忘初心”主题党日活动"
    assert items[0].findtext("link") == f"{SITE_URL}news/theme-day-november/"
    assert items[0].findtext("pubDate").endswith("+0800")
    assert all(item.findtext("link").startswith(SITE_URL) for item in items)
    for page in ("", "news/", "openness/sanhui-yike-2026q4/", "tags/"):
        assert f'type="application/rss+xml" title="某某集团有限公司党委 最新发布" href="{SITE_URL}feed.xml"' in read(
            site, page
        )


def test_sitemap_is_an_index_of_shards_with_every_page(site):
    index = ET.fromstring((site.path / "sitemap.xml").read_bytes())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    shards = [loc.text for loc in index.findall("s:sitemap/s:loc", ns)]
    assert shards and all(re.fullmatch(rf"{SITE_URL}sitemaps/[0-9a-f]{{2}}\.xml", url) for url in shards)
    urls = {}
    for url in shards:
        shard = ET.fromstring((site.path / url[len(SITE_URL) :]).read_bytes())
        for item in shard.findall("s:url", ns):
            urls[item.findtext("s:loc", namespaces=ns)] = item.findtext("s:lastmod", namespaces=ns)
    assert urls[f"{SITE_URL}openness/sanhui-yike-2026q4/"] == "2026-11-20"
    assert urls[f"{SITE_URL}news/page/1/"] is None and urls[SITE_URL] is None
    html_pages = [rel for rel, _ in walk_files(site.path) if rel.endswith("index.html")]
    # Every page but the member area's shells (noindex, sitemap: false).
    member_shells = [rel for rel in html_pages if rel.startswith("member/")]
    assert {
        "member/index.html",
        "member/course/index.html",
        "member/lesson/index.html",
        "member/consultations/index.html",
        "member/consultation/index.html",
        "member/quizzes/index.html",
        "member/quiz-attempt/index.html",
        "member/quiz-result/index.html",
    } <= set(member_shells)
    assert f"{SITE_URL}help/" in urls
    assert len(urls) == len(html_pages) - len(member_shells) and len(html_pages) == site.page_count


def test_footer_icp_and_announcement(site):
    for page in ("", "news/page/1/", "theory/two-studies/", "tags/"):
        html = read(site, page)
        assert f'href="https://beian.miit.gov.cn/" target="_blank" rel="noopener noreferrer">{ICP}</a>' in html
        assert "某某集团有限公司党委" in html.split('class="md-footer"', 1)[1]
        banner = html.split('data-md-component="announce"', 1)[1].split("</div>", 1)[0]
        assert "权威发布" in banner and "关于近期网传信息的权威说明" in banner
        assert 'theme-day-november/">关于近期网传信息的权威说明' in banner


def test_no_icp_and_no_announcement(tmp_path):
    content = write_sample_content(tmp_path / "content", announcement=False, icp="")
    release = build_release(content, tmp_path / "releases")
    html = read(release, "news/")
    assert "beian.miit.gov.cn" not in html
    assert re.search(r'data-md-component="announce">\s*</div>', html)
    assert "权威发布" not in html


def test_no_request_to_other_hosts(site):
    """Nothing a page loads (scripts, styles, images, fonts, frames) comes from elsewhere."""
    loading = {
        ("script", "src"),
        ("link", "href"),
        ("img", "src"),
        ("iframe", "src"),
        ("source", "src"),
        ("video", "src"),
        ("audio", "src"),
        ("video", "poster"),
    }
    pages = [path for rel, path in walk_files(site.path) if rel.endswith(".html")]
    assert len(pages) > site.page_count / 2
    for path in pages:
        for tag, attrs in parse(path.read_text(encoding="utf-8")):
            for name, value in attrs.items():
                if (tag, name) not in loading or not value:
                    continue
                rel = attrs.get("rel", "")
                if tag == "link" and (rel == "canonical" or "alternate" in rel.split()):
                    host = urlsplit(value).hostname
                    assert host in (None, OWN_HOST), (path, value)
                    continue
                assert urlsplit(value).netloc == "" and not value.startswith("//"), (path, tag, value)
    for css in [path for rel, path in walk_files(site.path) if rel.endswith(".css")]:
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css.read_text(encoding="utf-8")), css
    assert "fonts.googleapis" not in read(site, "")


# --------------------------------------------------------------------------- search


def test_icon_controls_are_named_by_text_not_aria_label_on_labels(site):
    # axe-core: aria-label is prohibited on <label> without a role; screen readers need
    # the control's name as (visually hidden) text instead.
    html = (site.path / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<label[^>]*aria-label=", html)
    assert "打开搜索" in html and "关闭搜索" in html


def test_every_link_of_the_built_site_resolves(site):
    """The strict build no longer fails on links (content's are checked at export, see
    cms/publishing/links.py), so this guards the templates and the site's own pages: every
    site-internal href/src of every page names a file of the release, and every same-page
    #anchor an element of that page."""
    from bs4 import BeautifulSoup

    root = site.path
    broken = []
    for rel, path in walk_files(root):
        if not rel.endswith(".html"):
            continue
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        ids = {node["id"] for node in soup.find_all(id=True)}
        page_dir = os.path.dirname(rel)
        for node in soup.find_all(["a", "img", "link", "script", "video", "audio", "source"]):
            for attr in ("href", "src", "poster"):
                url = node.get(attr)
                if not url or url.startswith(("data:", "mailto:", "tel:")):
                    continue
                parts = urlsplit(url)
                if parts.scheme or parts.netloc:
                    # Links out that the templates make on purpose: the ICP record and the
                    # 微博 share link of the share block (followed only when a reader clicks).
                    if parts.netloc and parts.netloc not in (OWN_HOST, "beian.miit.gov.cn", "service.weibo.com"):
                        broken.append(f"{rel}: outside host {url}")
                    continue
                if not parts.path:
                    if parts.fragment and parts.fragment not in ids:
                        broken.append(f"{rel}: no #{parts.fragment}")
                    continue
                target = (
                    os.path.normpath(os.path.join(page_dir, parts.path))
                    if not parts.path.startswith("/")
                    else parts.path.lstrip("/")
                )
                if parts.path.endswith("/") or target in ("", "."):
                    target = os.path.join(target, "index.html")
                if not (root / target).exists():
                    broken.append(f"{rel}: {attr}={url}")
    assert not broken, "\n".join(sorted(set(broken))[:40])


def test_while_a_page_is_written_no_other_page_holds_its_html_or_markdown(tmp_path, monkeypatch):
    """MkDocs parses every page before writing the first; the adapter keeps the parsed HTML
    compressed until the page's own render and drops it once written, so memory does not
    grow with the site by every page's text (100,000 pages: issue 15). The pages come out
    whole all the same (the incremental == full tests compare them byte for byte)."""
    import gc

    from mkdocs.structure.pages import Page

    seen: list[tuple[str, list[str]]] = []

    class Watching(site_build.Analyser):
        def submit(self, rel, html):
            others = [
                page.file.src_uri
                for page in (o for o in gc.get_objects() if issubclass(type(o), Page))
                if page.file.dest_uri != rel and (page.content or page.markdown)
            ]
            seen.append((rel, others))
            super().submit(rel, html)

    monkeypatch.setattr(site_build, "Analyser", Watching)
    content = write_sample_content(tmp_path / "content")
    release = build_release(content, tmp_path / "releases", incremental=False)

    assert len(seen) > 20
    assert [(rel, others) for rel, others in seen if others] == []
    article = (release.path / "news" / "theme-day-november" / "index.html").read_text(encoding="utf-8")
    assert "<h1" in article and "主题党日" in article


def _release_files(release) -> dict[str, bytes]:
    return {rel: path.read_bytes() for rel, path in walk_files(release.path) if rel != "release.json"}


def _dead_link_messages(caplog) -> list[str]:
    return sorted(r.getMessage() for r in caplog.records if "missing-attachment.md" in r.getMessage())


def test_a_full_build_on_two_cores_makes_the_release_and_the_log_of_one(tmp_path, monkeypatch, caplog):
    """A full build forks a helper that converts the second share of the pages' Markdown
    (site/hooks/mkdocs_adapter.py): the release is byte for byte the one a single process
    makes, and what the helper's pages log reaches this process's log all the same."""
    import logging

    caplog.set_level(logging.INFO, logger="mkdocs")
    content = write_sample_content(tmp_path / "content", extra_news=EXTRA_NEWS)
    for article in (content / "news").glob("brief-*.md"):
        with article.open("a", encoding="utf-8") as fh:
            fh.write("\n详见[附件](missing-attachment.md)。\n")

    monkeypatch.setattr(site_build, "SPLIT_FROM_PAGES", 10**9)
    single = build_release(content, tmp_path / "single", incremental=False)
    logged_single = _dead_link_messages(caplog)
    caplog.clear()
    monkeypatch.setattr(site_build, "SPLIT_FROM_PAGES", 1)
    split = build_release(content, tmp_path / "split", incremental=False)

    assert _release_files(split) == _release_files(single)
    assert len(logged_single) == EXTRA_NEWS
    assert _dead_link_messages(caplog) == logged_single
    converted_by = {r.process for r in caplog.records if "missing-attachment.md" in r.getMessage()}
    assert len(converted_by) == 2 and os.getpid() in converted_by  # this process and its helper


def test_a_killed_helper_costs_time_not_pages(tmp_path, monkeypatch):
    """The helper is killed after the first page it converted and sent back: the build
    converts the rest of its share itself and the release is the same as ever (crashes at
    any point lose nothing)."""
    point = "build.helper_converted_one"
    content = write_sample_content(tmp_path / "content", extra_news=EXTRA_NEWS)
    monkeypatch.setattr(site_build, "SPLIT_FROM_PAGES", 10**9)
    single = build_release(content, tmp_path / "single", incremental=False)

    pauses = tmp_path / "pauses"
    monkeypatch.setenv("DANGJIAN_PAUSE_AT", point)
    monkeypatch.setenv("DANGJIAN_PAUSE_DIR", str(pauses))
    killed = []

    def kill_the_helper():
        marker = pauses / point
        deadline = time.monotonic() + 60
        pid = ""
        while not pid and time.monotonic() < deadline:  # (made first, its pid written after)
            time.sleep(0.01)
            pid = marker.read_text(encoding="utf-8").strip() if marker.exists() else ""
        if pid:
            os.kill(int(pid), 9)
            killed.append(int(pid))

    killer = threading.Thread(target=kill_the_helper)
    killer.start()
    monkeypatch.setattr(site_build, "SPLIT_FROM_PAGES", 1)
    split = build_release(content, tmp_path / "split", incremental=False)
    killer.join()

    assert killed and killed[0] != os.getpid()
    assert _release_files(split) == _release_files(single)


def test_every_page_carries_materials_config_for_its_own_depth(site):
    """material's __config script is made once per depth (mkdocs_adapter._config_script): each
    page's still points at the site's root and the search worker from where the page is."""
    pages = {"": ".", "news/": "..", "news/theme-day-november/": "../..", "news/page/2/": "../../.."}
    for url, base in pages.items():
        html = read(site, url)
        found = re.search(r'<script id="__config" type="application/json">(.*?)</script>', html, re.S)
        assert found, url
        config = json.loads(found.group(1))
        assert config["base"] == base, url
        worker = os.path.normpath(os.path.join(site.path, url, config["search"]))
        assert os.path.isfile(worker), (url, config["search"])
        assert config["translations"]["search.result.none"]
