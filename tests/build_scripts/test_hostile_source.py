"""A hand-edited or old content/ file cannot inject markup either: the build sanitises what
Markdown renders and escapes every front-matter value, whoever wrote the file."""

import json
import xml.etree.ElementTree as ET

import pytest
import yaml
from bs4 import BeautifulSoup
from content_samples import SITE_URL, article_meta, write_sample_content

from build_scripts.release_tree import walk_files
from build_scripts.sharing import DESCRIPTION_MAX, one_line
from build_scripts.site_build import build_release
from tests.hostile import PAYLOADS, URL_PAYLOADS, marker, shown, unsafe_markup


def _text(node) -> str:
    return " ".join(node.get_text(" ").split())


@pytest.fixture(scope="module")
def hostile_release(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    content = write_sample_content(root / "content")
    site = yaml.safe_load((content / "_site.yml").read_text(encoding="utf-8"))
    site["org_name"] = PAYLOADS[1]
    site["icp_number"] = PAYLOADS[8]
    site["announcement"] = {"text": PAYLOADS[0], "url": URL_PAYLOADS[1]}
    (content / "_site.yml").write_text(yaml.safe_dump(site, allow_unicode=True), encoding="utf-8")
    section = content / "news" / "index.md"
    section.write_text(
        section.read_text(encoding="utf-8").replace("新闻动态", "新闻动态" + PAYLOADS[2].replace("\n", " "), 1),
        encoding="utf-8",
    )
    for number, payload in enumerate(PAYLOADS):
        meta = article_meta(
            5000 + number,
            payload,
            f"news/hostile-{number:02d}/",
            "2026-11-27",
            tags=[payload, f"标签{marker(payload)}"],
            category=payload,
            unit=payload,
            summary=payload,
        )
        # Keys material's templates would print or obey, if the build let them through.
        meta.update(
            {
                "description": payload,
                "author": payload,
                "template": "member.html",
                "canonical_url": URL_PAYLOADS[number % len(URL_PAYLOADS)],
                "hide": ["navigation"],
            }
        )
        body = "\n\n".join(
            [
                payload,
                f"## {payload}",
                f"[链接{marker(payload)}]({URL_PAYLOADS[number % 8]})",
                f'<a href="{URL_PAYLOADS[number % 8]}">原样链接</a>',
                f"> {payload}",
            ]
        )
        front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
        (content / "news" / f"hostile-{number:02d}.md").write_text(f"---\n{front}---\n\n{body}\n", encoding="utf-8")
    return build_release(content, root / "releases")


def test_hand_written_content_cannot_inject_markup(hostile_release):
    ours = {p.name for p in (hostile_release.path / "assets" / "javascripts").iterdir() if p.suffix == ".js"}
    problems = []
    for rel, path in walk_files(hostile_release.path):
        if rel.endswith(".html"):
            problems += unsafe_markup(
                path.read_text(encoding="utf-8"), allowed_scripts=ours, where=rel, content="article.md-content__inner"
            )
        elif rel == "feed.xml":
            for item in ET.parse(path).getroot().iter("item"):
                problems += unsafe_markup(item.findtext("description") or "", allowed_scripts=set(), where=rel)
        elif rel.endswith(".json"):
            json.loads(path.read_bytes())
    assert not problems, "\n".join(problems[:40])


def test_front_matter_shows_as_text_and_steers_nothing(hostile_release):
    for number, payload in enumerate(PAYLOADS):
        soup = BeautifulSoup(
            (hostile_release.path / f"news/hostile-{number:02d}/index.html").read_text(encoding="utf-8"), "html.parser"
        )
        where = marker(payload)
        assert _text(soup.select_one("article h1")) == shown(payload), where
        assert _text(soup.title).startswith(shown(payload)), where
        assert soup.find(attrs={"data-view": True}) is None, f"{where}: template: from content was obeyed"
        # The description apps show is the summary as text, never the front matter's own key.
        description = soup.find("meta", attrs={"name": "description"})["content"]
        assert description == one_line(payload, DESCRIPTION_MAX), where
        assert soup.find("meta", attrs={"property": "og:description"})["content"] == description, where
        assert soup.find("meta", attrs={"property": "og:title"})["content"] == shown(payload), where
        assert soup.find("meta", attrs={"name": "author"}) is None, where
        canonical = soup.find("link", rel="canonical")["href"]
        assert canonical.startswith(SITE_URL), (where, canonical)
        assert shown(payload) in [_text(a) for a in soup.select(".dj-tags a")], where
    home = BeautifulSoup((hostile_release.path / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert shown(PAYLOADS[1]) in _text(home.select_one(".dj-footer__org"))
    assert home.select_one(".dj-announce a") is None
    assert any(shown(PAYLOADS[2]) in _text(tab) for tab in home.select(".md-tabs__link"))
    assert shown(PAYLOADS[1]) in _text(home.select_one(".md-header__topic"))
