"""Pages the site owns (site/pages/): the member area shells and the help section."""

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import pytest
import yaml
from content_samples import write_sample_content

from build_scripts.release_tree import walk_files
from build_scripts.site_build import BuildError, build_release

MEMBER_PAGES = {"member/": "home", "member/course/": "course", "member/lesson/": "lesson"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site-pages")
    return build_release(write_sample_content(root / "content"), root / "releases")


def read(release, url_path):
    return (release.path / url_path / "index.html").read_text(encoding="utf-8")


def test_member_pages_are_shells_that_load_the_member_script(site):
    for url, view in MEMBER_PAGES.items():
        html = read(site, url)
        assert f'data-view="{view}"' in html and 'data-api="/api/member/"' in html
        assert re.search(r'<script src="(\.\./)+assets/javascripts/dj-member\.js" defer>', html), url
        assert '<meta name="robots" content="noindex, nofollow">' in html
        # The shell says what to do without JavaScript and links the help.
        assert "<noscript>" in html and "使用指南" in html
        # The area tabs, hidden until logged in; study views mark 我的学习 as the current one.
        nav = re.search(r'<nav class="dj-member-nav"[^>]*hidden>(.*?)</nav>', html, re.S).group(1)
        assert re.search(r'data-dj-nav-view="home" aria-current="page">我的学习', nav), url
    for url in ("", "news/democratic-review/", "help/"):
        assert "dj-member.js" not in read(site, url)  # loaded on member pages only


def test_member_pages_stay_out_of_sitemap_search_and_feed(site):
    # sitemap.xml is an index of shards (sitemaps/*.xml); the page URLs are in the shards.
    files = dict(walk_files(site.path))  # releases share directories by symlink
    locs = [
        el.text
        for rel, path in sorted(files.items())
        if rel.startswith("sitemaps/")
        for el in ET.parse(path).getroot().iter()
        if el.tag.endswith("loc")
    ]
    assert any(loc.endswith("/help/") for loc in locs)
    assert not any("/member/" in loc for loc in locs)
    urls = set()
    for rel, path in files.items():
        if rel.startswith("search/d/"):
            urls |= {record[0] for record in json.loads(path.read_bytes()).values()}
    assert "help/" in urls and not any(u.startswith("member/") for u in urls)
    feed = (site.path / "feed.xml").read_text(encoding="utf-8")
    assert "/member/" not in feed and "/help/" not in feed


def test_navigation_and_footer_lead_to_member_area_and_help(site):
    html = read(site, "")
    tabs = re.findall(r'<a href="([^"]+)" class="md-tabs__link">\s*([^<]+?)\s*</a>', html)
    assert [title for _, title in tabs][-2:] == ["党员学习", "使用指南"]
    assert [href for href, _ in tabs][-2:] == ["member/", "help/"]
    footer = html.split('class="md-footer"', 1)[1]
    assert 'href="member/">党员学习</a>' in footer and 'href="help/">使用指南</a>' in footer


def _navigation(html: str, url_path: str) -> dict[str, list]:
    """The tabs' and the drawer's links of a page, resolved to site paths, with their classes."""
    page = urljoin("http://site.test/", url_path)
    found = {}
    for kind, pattern in (
        ("tabs", r'<li class="([^"]*)">\s*<a href="([^"]+)" class="md-tabs__link">'),
        ("drawer", r'<a href="([^"]+)" class="(md-nav__link[^"]*)">'),
    ):
        # (the drawer only: the table of contents beside it uses the same link class)
        part = html if kind == "tabs" else html.split("md-nav--primary", 1)[1].split("md-sidebar--secondary", 1)[0]
        links = re.findall(pattern, part)
        if kind == "tabs":
            links = [(href, classes) for classes, href in links]
        found[kind] = [(urljoin(page, href), "active" in classes) for href, classes in links if "#" not in href]
    return found


def test_every_page_links_the_same_navigation_and_marks_only_its_own_entry(site):
    # The tabs and the drawer are rendered once per navigation state and reused (the
    # adapter's _navigation_fragment): pages at other depths and in other sections must
    # still get links that lead to the same places, and only a page of the navigation
    # itself is marked as the current one.
    home = _navigation(read(site, ""), "")
    section_links = {href for href, _ in home["tabs"]}
    assert "http://site.test/news/" in section_links and len(section_links) >= 5
    plain_pages = [
        "news/theme-day-november/",
        "theory/two-studies/",
        "openness/notices/",
        "tags/",
    ]
    in_navigation = ["news/", "theory/", "help/"]  # (these also list their own headings)
    for url_path in plain_pages + in_navigation:
        page = _navigation(read(site, url_path), url_path)
        assert {href for href, _ in page["tabs"]} == section_links, url_path
        assert {href for href, _ in page["drawer"]} == {href for href, _ in home["drawer"]}, url_path
        marked = {href for href, active in page["drawer"] if active}
        assert marked == ({f"http://site.test/{url_path}"} if url_path in in_navigation else set()), url_path
    assert _navigation(read(site, "news/theme-day-november/"), "news/theme-day-november/") == _navigation(
        read(site, "news/democratic-review/"), "news/democratic-review/"
    )


def test_help_page_has_breadcrumbs_and_screenshots(site):
    html = read(site, "help/")
    assert 'class="dj-breadcrumbs"' in html and "<h1" in html
    images = re.findall(r'<img [^>]*src="([^"]+)"', html)
    assert images and all((site.path / "help" / src).is_file() for src in images)
    assert all(re.search(r'<img [^>]*alt="[^"]+"', tag) for tag in re.findall(r"<img [^>]*>", html))


@pytest.mark.parametrize("path", ["help/index.md", "member/notes.md"])
def test_content_may_not_use_the_site_pages_paths(tmp_path, path):
    content = write_sample_content(tmp_path / "content")
    page = content / path
    page.parent.mkdir(parents=True, exist_ok=True)
    meta = {"title": "冲突", "page_id": 999, "type": "section", "intro": "", "order": 9}
    page.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n", encoding="utf-8")
    with pytest.raises(BuildError, match="保留给网站自带页面"):
        build_release(content, tmp_path / "releases")
