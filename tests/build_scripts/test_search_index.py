"""build_scripts.search_index: ranking on the sample site, incremental == full, the cost
of an update, and what the index may contain. Runs without Django (-p no:django)."""

import filecmp
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from content_samples import write_sample_content

from build_scripts import search_index
from build_scripts.release_tree import walk_files
from build_scripts.search_index import build_search_index, extract, fnv1a, query, update_search_index

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "site" / "overrides" / "assets" / "javascripts" / "dj-search.js"


# --------------------------------------------------------------------------- sample site


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from build_scripts.site_build import build_release

    root = tmp_path_factory.mktemp("search-sample")
    content = write_sample_content(root / "content", extra_news=25)
    return build_release(content, root / "releases", incremental=False)


def first_title(release, text):
    return query(release.path / "search", text)["results"][0][1]


@pytest.mark.parametrize(
    "text, title",
    [
        ("三会一课", "第一党支部2026年第四季度三会一课安排"),
        ("党费", "关于2026年度党费收缴情况的公示"),
        ("主题党日", "机关党总支开展“不忘初心”主题党日活动"),
        ("主题党日活动", "机关党总支开展“不忘初心”主题党日活动"),
        ("民主评议", "第二党支部召开组织生活会和民主评议党员会议"),
        ("发展对象", "关于确定2026年度发展对象的公示"),
        ("两学一做", "深入推进两学一做学习教育常态化制度化"),
        ("党务公开 指南", "党务公开工作指南"),
    ],
)
def test_party_terms_find_their_page_first(sample, text, title):
    assert first_title(sample, text) == title


def test_query_is_segmented_by_the_index_vocabulary(sample):
    result = query(sample.path / "search", "三会一课安排")
    assert result["terms"] == ["三会一课", "安排"]
    assert query(sample.path / "search", "麒麟貔貅")["results"] == []


def test_only_content_pages_are_indexed(sample):
    urls = set()
    for _rel, shard in walk_files(sample.path / "search" / "d"):
        urls |= {record[0] for record in json.loads(shard.read_bytes()).values()}
    assert "openness/sanhui-yike-2026q4/" in urls and "news/" in urls and "" in urls
    assert not any(u.startswith("tags/") or re.search(r"/page/\d+/$", u) for u in urls)
    # The help pages (site/pages/help/) are searchable; the member area's shells are not.
    assert "help/" in urls and not any(u.startswith("member/") for u in urls)
    meta = json.loads((sample.path / "search" / "meta.json").read_bytes())
    assert meta["documents"] == len(urls) == 41  # 8 articles + 25 briefs + 4 sections + home + 3 help pages
    assert not (sample.path / "search" / "search_index.json").exists()  # material's is off


def test_section_pages_index_their_intro_not_their_listing(sample):
    page = (sample.path / "news" / "index.html").read_text(encoding="utf-8")
    doc = extract(page, "news/index.html")
    assert doc.title == "新闻动态" and "党建工作新闻与动态" in doc.body_text
    assert "党建简讯" not in doc.body_text  # article titles of the listing


def test_records_carry_title_date_and_excerpt(sample):
    result = query(sample.path / "search", "三会一课")
    url, title, date, excerpt = result["results"][0]
    assert (url, date) == ("openness/sanhui-yike-2026q4/", "2026-11-20")
    assert excerpt.startswith("根据上级党委要求")


def test_a_full_build_is_deterministic(sample, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(sample.path, copy)
    shutil.rmtree(copy / "search")
    build_search_index(copy, workers=2)  # parallel and serial give the same bytes
    assert _differences(sample.path / "search", copy / "search") == []


@pytest.mark.parametrize("mishap", [None, "a page written twice", "a page not in the release"])
def test_pages_analysed_while_written_index_as_the_files_do(sample, tmp_path, mishap):
    """A full build folds each page into the index as it is rendered (search_index.Analyser),
    in whatever order the analyses finish; the index is the one reading the files gives."""
    copy = tmp_path / "copy"
    shutil.copytree(sample.path, copy)
    shutil.rmtree(copy / "search")
    pages = sorted(
        str(path.relative_to(copy))
        for path in copy.rglob("index.html")
        if search_index.is_indexed_path(str(path.relative_to(copy)))
    )
    random.Random(7).shuffle(pages)
    analyser = search_index.Analyser(workers=2)
    try:
        if mishap == "a page written twice":
            analyser.submit(pages[0], _html("先写出的旧标题", "随后被覆盖的旧正文"))
        if mishap == "a page not in the release":
            analyser.submit("news/gone/index.html", _html("不在版本中的页面", "不应进入索引的正文"))
        for rel in pages:
            analyser.submit(rel, (copy / rel).read_bytes().decode("utf-8"))
        stats = build_search_index(copy, analysed=analyser.results())
    finally:
        analyser.close()
    assert _differences(sample.path / "search", copy / "search") == []
    assert stats.documents == json.loads((sample.path / "search" / "meta.json").read_bytes())["documents"]


def test_index_holds_nothing_but_public_page_text(tmp_path):
    site = tmp_path / "site"
    _page(
        site,
        "news/a/index.html",
        "公开文章",
        "公开正文内容。<!-- 内部备注：机密甲 --><script>var secret = '机密乙';</script>",
    )
    _page(site, "news/hidden/index.html", "不公开页面", "机密丙", noindex=True)
    (site / "news" / "b").mkdir(parents=True)
    (site / "news" / "b" / "index.html").write_text(
        "<html><body><header>机密丁</header><p>没有 article 的页面</p></body></html>", encoding="utf-8"
    )
    build_search_index(site)
    blob = b"".join(p.read_bytes() for p in (site / "search").rglob("*") if p.is_file())
    text = blob.decode("utf-8")
    for marker in ("机密", "内部备注", "secret", str(tmp_path)):
        assert marker not in text
    assert json.loads((site / "search" / "meta.json").read_bytes())["documents"] == 1


def test_javascript_and_python_hash_alike():
    node = shutil.which("node")
    if not node:
        # A skip would let CI pass without checking that the browser finds what Python indexed.
        pytest.fail(
            "需要 Node.js（node）来比较浏览器端与 Python 的哈希：请先运行 make browser"
            "（Debian: apt-get install nodejs）。"
        )
    source = JS.read_text(encoding="utf-8")
    fnv = re.search(r"function fnv1a\(text\) \{.*?\n  \}\n", source, re.S).group(0)
    words = ["三会一课", "党费", "a", "2026", "𠀀字", "主题党日活动"]
    script = fnv + f"console.log(JSON.stringify({json.dumps(words, ensure_ascii=False)}.map(fnv1a)));"
    out = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [fnv1a(w) for w in words]


# --------------------------------------------------------------------------- synthetic sites

WORDS = (
    "三会一课 主题党日 党费 民主评议 发展对象 组织生活会 党课 理论学习 志愿服务 党务公开 预备党员 "
    "入党积极分子 安全生产 技术创新 质量提升 节能降耗 客户服务 人才培养 数字化转型 合规管理 "
    "支部 党员 学习 会议 工作 要求 落实 制度 群众 社区 活动 服务 研讨 交流 整改 措施 方案 "
    "检查 考核 通报 表彰 培训 宣讲 调研 座谈 部署 推进 总结 计划 报告 公示 通知 安排"
).split()


def _page(site: Path, rel: str, title: str, body: str, *, date="2026-11-01", noindex=False) -> None:
    target = site / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(".tmp-" + target.name)
    tmp.write_text(_html(title, body, date=date, noindex=noindex), encoding="utf-8")
    os.replace(tmp, target)  # like the site build: never write into a (hard-linked) file


def _article(rng: random.Random, number: int) -> tuple[str, str]:
    title = f"{rng.choice(WORDS)}{rng.choice(WORDS)}第{number}期"
    body = "，".join("".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))) for _ in range(25)) + "。"
    return title, body


def _synthetic(site: Path, pages: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    for number in range(pages):
        _page(site, f"s{number % 7}/p{number}/index.html", *_article(rng, number))
    _page(site, "index.html", "首页", "欢迎访问")
    _page(site, "s0/page/2/index.html", "列表第2页", "不应被索引的列表")
    _page(site, "tags/x/index.html", "标签页", "不应被索引的标签")


def _next_release(previous: Path, target: Path) -> Path:
    """A new release that shares every file with the previous one, as the site build does."""
    shutil.copytree(previous, target, copy_function=os.link)
    return target


def _html(title: str, body: str, *, date="2026-11-01", noindex=False) -> str:
    robots = '<meta name="robots" content="noindex">' if noindex else ""
    return (
        f'<!doctype html><html lang="zh"><head><meta charset="utf-8">{robots}<title>{title}</title></head>'
        f'<body><header>网站页头 组织名称</header><article class="md-content__inner md-typeset">'
        f'<nav class="dj-breadcrumbs"><ol><li><a href="/">首页</a></li></ol></nav>'
        f'<h1>{title}</h1><p class="dj-meta"><time datetime="{date}">日期</time>'
        f'<span class="dj-meta__unit"><span class="dj-meta__key">发布单位：</span>第一党支部</span></p>'
        f"<p>{body}</p></article><footer>页脚 备案号</footer></body></html>"
    )


def _differences(a: Path, b: Path) -> list[str]:
    """What differs between two search indexes: any public file (what the browser fetches)
    not byte for byte the same, and any cut list whose document frequency or complete
    postings differ (the state files record them as base + journal, so updates and a full
    build may lay the same lists out differently)."""
    names_a = {rel for rel, _ in walk_files(a) if not rel.startswith(("s/", "b/"))}
    names_b = {rel for rel, _ in walk_files(b) if not rel.startswith(("s/", "b/"))}
    assert names_a and names_b
    lists_a, lists_b = search_index.state_lists(a), search_index.state_lists(b)
    return (
        sorted(names_a ^ names_b)
        + [n for n in sorted(names_a & names_b) if not filecmp.cmp(a / n, b / n, shallow=False)]
        + [f"state of {t}" for t in sorted(set(lists_a) | set(lists_b)) if lists_a.get(t) != lists_b.get(t)]
    )


def _check_state_layout(search: Path) -> None:
    """Each state file holds only the terms of its term shard, each base file only terms
    numbered into it whose state file has them, and neither exists while empty."""
    journaled = set()
    for path in (search / "s").rglob("*.json"):
        name = path.relative_to(search).as_posix()
        terms = json.loads(path.read_bytes())
        assert terms and {search_index._s_name(search_index.term_shard(t)) for t in terms} == {name}
        journaled |= set(terms)
    for path in (search / "b").rglob("*.json"):
        name = path.relative_to(search).as_posix()
        base = json.loads(path.read_bytes())
        assert base and {search_index._b_name(search_index.state_shard(t)) for t in base} == {name}
        assert set(base) <= journaled, path


def _digest(root: Path) -> str:
    digest = hashlib.sha1()
    for rel, path in walk_files(root):
        digest.update(rel.encode() + path.read_bytes())
    return digest.hexdigest()


def _rewritten(previous: Path, new: Path) -> list[str]:
    return sorted(
        p.relative_to(new).as_posix()
        for p in new.rglob("*")
        if p.is_file()
        and (
            not (previous / p.relative_to(new)).exists()
            or (previous / p.relative_to(new)).stat().st_ino != p.stat().st_ino
        )
    )


def _steps(rng):
    return [
        (
            "add",
            lambda site: _page(site, "s1/new-1/index.html", "新召开的三会一课会议", "支部召开三会一课。"),
            ["s1/new-1/index.html"],
            [],
        ),
        ("edit body", lambda site: _page(site, "s2/p2/index.html", *_article(rng, 9002)), ["s2/p2/index.html"], []),
        (
            "edit title only",
            lambda site: _page(site, "s3/p3/index.html", "改过标题的党费公示", _body_of(site / "s3/p3/index.html")),
            ["s3/p3/index.html"],
            [],
        ),
        ("remove", lambda site: os.unlink(site / "s4/p4/index.html"), [], ["s4/p4/index.html"]),
        ("re-render unchanged + listing", lambda site: None, ["s5/p5/index.html", "s0/page/2/index.html"], []),
        (
            "add many and remove",
            lambda site: (
                [_page(site, f"s6/more-{i}/index.html", *_article(rng, 9100 + i)) for i in range(12)],
                os.unlink(site / "s1/new-1/index.html"),
            ),
            [f"s6/more-{i}/index.html" for i in range(12)],
            ["s1/new-1/index.html"],
        ),
    ]


def _body_of(path: Path) -> str:
    return re.search(r"</p><p>(.*)</p></article>", path.read_text(encoding="utf-8")).group(1)


@pytest.mark.parametrize(
    ("top_k", "journal_limit"),
    [(search_index.TOP_K, search_index.JOURNAL_LIMIT), (3, search_index.JOURNAL_LIMIT), (3, 0)],
    ids=["default", "top-3", "top-3-compacting-every-update"],
)
def test_incremental_updates_equal_full_builds(tmp_path, monkeypatch, top_k, journal_limit):
    """With the public lists cut at 3, most terms are cut and every step moves some across
    the cut, in both directions: their complete lists come and go in the state files. With
    no room in the journals, every update folds them into the base lists."""
    monkeypatch.setattr(search_index, "TOP_K", top_k)
    monkeypatch.setattr(search_index, "JOURNAL_LIMIT", journal_limit)
    previous = tmp_path / "r0"
    _synthetic(previous, 150)
    build_search_index(previous)
    state_files = {len(list((previous / "search" / "s").rglob("*.json")))}
    rng = random.Random(5)
    for number, (step, change, changed, removed) in enumerate(_steps(rng), start=1):
        before = _digest(previous / "search")
        release = _next_release(previous, tmp_path / f"r{number}")
        change(release)
        stats = update_search_index(release, previous, changed, removed)
        assert stats.mode == "incremental", step
        # The previous release (still served, and the rollback target) is untouched.
        assert _digest(previous / "search") == before, step
        full = tmp_path / f"full{number}"
        shutil.copytree(release, full, ignore=shutil.ignore_patterns("search"))
        build_search_index(full)
        assert _differences(release / "search", full / "search") == [], step
        state_files.add(len(list((release / "search" / "s").rglob("*.json"))))
        previous = release
        _check_state_layout(release / "search")
    if top_k == 3:  # the state came and went, each term's list in its own eighth of its shard
        assert len(state_files) > 1
    assert first_title_of(previous, "改过标题的党费公示") == "改过标题的党费公示"
    assert query(previous / "search", "新召开")["results"] == []


def first_title_of(site: Path, text: str) -> str:
    return query(site / "search", text)["results"][0][1]


def test_unchanged_text_costs_no_segmentation_and_no_writes(tmp_path):
    first = tmp_path / "r0"
    _synthetic(first, 40)
    build_search_index(first)
    second = _next_release(first, tmp_path / "r1")
    # Re-rendered (new inode, e.g. a new banner outside the article) with the same article.
    page = (second / "s1/p1/index.html").read_text(encoding="utf-8").replace("网站页头", "新的横幅")
    (second / "s1/p1/.tmp").write_text(page, encoding="utf-8")
    os.replace(second / "s1/p1/.tmp", second / "s1/p1/index.html")
    stats = update_search_index(second, first, ["s1/p1/index.html"], [])
    assert (stats.analysed, stats.files_written) == (0, 0)
    assert _rewritten(first / "search", second / "search") == []


def test_a_one_page_update_costs_the_same_on_a_bigger_site(tmp_path):
    costs = {}
    for pages in (100, 400):
        base = tmp_path / f"site{pages}"
        _synthetic(base, pages)
        build_search_index(base)
        release = _next_release(base, tmp_path / f"site{pages}-1")
        _page(release, "s2/p9/index.html", "支部三会一课安排调整", "本次调整了支部党员大会的时间。")
        stats = update_search_index(release, base, ["s2/p9/index.html"], [])
        rewritten = _rewritten(base / "search", release / "search")
        total = sum(1 for p in (release / "search").rglob("*") if p.is_file())
        costs[pages] = len(rewritten)
        assert stats.analysed == 2  # the old and the new version of that page, nothing else
        assert len(rewritten) == stats.files_written
        # Bounded by the page's own terms (~60 here), far below the index size.
        assert len(rewritten) < 160 and len(rewritten) < total / 5, (pages, len(rewritten), total)
    assert costs[400] <= costs[100] * 1.5 + 10, costs


def test_an_update_reads_the_complete_lists_only_when_a_top_posting_leaves(tmp_path, monkeypatch):
    """A cut list's complete postings grow with the site: adding a page must not read them
    (its postings go into the journal and, if good enough, the public top), and removing a
    page reads only the base lists of terms whose public top it was in."""
    monkeypatch.setattr(search_index, "TOP_K", 3)
    read: list[str] = []
    real_read = search_index._Files.read

    def recording_read(files, name):
        read.append(name)
        return real_read(files, name)

    monkeypatch.setattr(search_index._Files, "read", recording_read)
    base = tmp_path / "r0"
    _synthetic(base, 120)
    build_search_index(base)
    assert len(list((base / "search" / "b").rglob("*.json"))) > 10

    added = _next_release(base, tmp_path / "r1")
    _page(added, "s1/new/index.html", *_article(random.Random(3), 7777))
    update_search_index(added, base, ["s1/new/index.html"], [])
    assert [n for n in read if n.startswith("s/")] and not [n for n in read if n.startswith("b/")]

    read.clear()
    removed = _next_release(added, tmp_path / "r2")
    os.unlink(removed / "s1/new/index.html")
    update_search_index(removed, added, [], ["s1/new/index.html"])
    public_tops = set()  # the cut terms of the new page whose public top 3 it made
    key = _key_of(added, "s1/new/")
    for term, (_df, full) in search_index.state_lists(added / "search").items():
        posting = next((full[i : i + 5] for i in range(0, len(full), 5) if full[i + 1 : i + 5] == key), None)
        shard = json.loads((added / "search" / search_index._p_name(search_index.term_shard(term))).read_bytes())
        if posting is not None and search_index._contains(shard[term][1], posting):
            public_tops.add(term)
    assert public_tops
    assert {n for n in read if n.startswith("b/")} == {
        search_index._b_name(search_index.state_shard(t)) for t in public_tops
    }
    full = tmp_path / "full"
    shutil.copytree(removed, full, ignore=shutil.ignore_patterns("search"))
    build_search_index(full)
    assert _differences(removed / "search", full / "search") == []


def _key_of(site: Path, url: str) -> str:
    return next(
        key
        for path in (site / "search" / "d").rglob("*.json")
        for key, record in json.loads(path.read_bytes()).items()
        if record[0] == url
    )


def test_colliding_document_keys_are_resolved_the_same_way(tmp_path, monkeypatch):
    real = search_index._url_hash
    # Squeeze every URL into 3 doc shards and 5 slots: many collisions and probes.
    monkeypatch.setattr(search_index, "_url_hash", lambda url: (real(url)[0] % 3, real(url)[1] % 5))
    previous = tmp_path / "r0"
    _synthetic(previous, 30)
    build_search_index(previous)
    rng = random.Random(9)
    for number, (step, change, changed, removed) in enumerate(_steps(rng), start=1):
        release = _next_release(previous, tmp_path / f"r{number}")
        change(release)
        update_search_index(release, previous, changed, removed)
        full = tmp_path / f"full{number}"
        shutil.copytree(release, full, ignore=shutil.ignore_patterns("search"))
        build_search_index(full)
        assert _differences(release / "search", full / "search") == [], step
        previous = release


def test_without_a_compatible_previous_index_it_builds_in_full(tmp_path):
    first = tmp_path / "r0"
    _synthetic(first, 10)
    second = _next_release(first, tmp_path / "r1")
    assert update_search_index(second, first, [], []).mode == "full"  # r0 has no index
    assert update_search_index(second, None, [], []).mode == "full"
    third = _next_release(second, tmp_path / "r2")
    meta = json.loads((third / "search/meta.json").read_bytes())
    meta["term_shards"] = 7
    (third / "search/.m").write_text(json.dumps(meta), encoding="utf-8")
    os.replace(third / "search/.m", third / "search/meta.json")
    fourth = _next_release(third, tmp_path / "r3")
    assert update_search_index(fourth, third, [], []).mode == "full"
    assert _differences(fourth / "search", second / "search") == []


def test_the_analysers_children_do_not_outlive_a_killed_build(tmp_path):
    """They inherit the build's locks: an orphan would keep every later publish waiting."""
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import os, sys, time\n"
        "from build_scripts.search_index import Analyser\n"
        "analyser = Analyser(workers=2)\n"
        "print(' '.join(str(p) for p in analyser._pool._processes), flush=True)\n"
        "time.sleep(60)\n"
    )
    build = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    children = [int(pid) for pid in build.stdout.readline().split()]
    assert len(children) == 2 and all(Path(f"/proc/{pid}").exists() for pid in children)
    build.send_signal(signal.SIGKILL)
    build.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in children):
        assert time.monotonic() < deadline, "an analyser child outlived the killed build"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "Z"


def test_a_cut_list_is_its_base_without_the_removed_postings_with_the_added_ones():
    """``_merged`` splices the base at the edits' places; it must equal the plain reading:
    every base posting not removed, plus the added ones, in order."""
    from build_scripts.search_index import B64, _chunks, _merged

    rng = random.Random(15)
    for _ in range(300):
        pool = sorted({"".join(rng.choice(B64) for _ in range(5)) for _ in range(rng.randint(0, 80))})
        base = [chunk for chunk in pool if rng.random() < 0.6]
        removed = [chunk for chunk in base if rng.random() < 0.2] + ["~~~~~"] * rng.randint(0, 1)  # one not there
        added = [chunk for chunk in pool if chunk not in base and rng.random() < 0.3]
        expected = "".join(sorted([c for c in base if c not in set(removed)] + added))
        merged = _merged("".join(base), "".join(sorted(added)), "".join(sorted(removed)))
        assert merged == expected
        assert _chunks(merged) == sorted(_chunks(merged))


def test_a_postings_file_changed_in_place_is_the_file_a_full_encoding_gives():
    """An update replaces a list in the postings file's text instead of decoding and encoding
    the whole file; whatever it changes, adds or removes, the bytes must be ``_dumps`` of the
    changed object, also for terms that need escaping or end another term."""
    from build_scripts.search_index import B64, _PostingsFile, _dumps

    rng = random.Random(16)
    words = ["党建", "基层党建", "党", 'say"hi', "back\\slash", "a", "ab", "b", "学习", "习", "tab\tx", "2024"]

    def entry():
        postings = "".join(rng.choice(B64) for _ in range(5 * rng.randint(1, 30)))
        return postings if rng.random() < 0.5 else [rng.randint(1, 140), postings]

    for _ in range(400):
        expected = {word: entry() for word in words if rng.random() < 0.6}
        postings = _PostingsFile(_dumps(expected) if expected or rng.random() < 0.5 else None)
        for word in rng.sample(words, rng.randint(1, 4)):
            assert postings.get(word, "") == expected.get(word, "")
            if rng.random() < 0.2:
                postings.pop(word)
                expected.pop(word, None)
            elif rng.random() < 0.3 or word in expected:
                postings[word] = expected[word] = entry()
            assert (word in postings) == (word in expected)
        assert postings.dumps() == _dumps(expected)


# --------------------------------------------------------------------------- segmentation


def test_segmenter_cuts_exactly_as_jieba():
    """The index's words are jieba's, word for word, though rjieba cuts the Chinese runs:
    dictionary words run together (routes), rare characters (the HMM's unknown words), the
    site's Party terms, and numbers, Latin words and punctuation, which rjieba alone would
    cut otherwise."""
    segmenter = search_index.tokenizer()
    rng = random.Random(15)
    words = [word for word, freq in segmenter.FREQ.items() if freq > 0 and len(word) <= 4]
    rare = [chr(code) for code in range(0x4E00, 0x9FD6, 7)]
    party = [
        line.split()[0]
        for line in search_index.DEFAULT_USER_DICT.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    runs = []
    for _ in range(400):
        pieces = [rng.choice(words) for _ in range(rng.randint(3, 30))]
        pieces += [rng.choice(rare) for _ in range(rng.randint(0, 4))] + [rng.choice(party)]
        rng.shuffle(pieces)
        runs.append("".join(pieces))
    mixed = "截至12月底共完成808项任务，2024-12-01 中组发〔2024〕12号 iPhone15 C++ 3.5% a.b_c\r\n¼ Ωmega 㐀㐁 丌丏。"
    texts = ["，".join(runs[i : i + 8]) + mixed for i in range(0, len(runs), 8)]
    assert sum(map(len, texts)) > 20_000
    for text in texts:
        assert list(segmenter.cut(text)) == list(segmenter.jieba.cut(text, HMM=True))


def test_segmenter_keeps_the_party_terms_whole():
    assert "三会一课" in search_index.tokens("认真落实三会一课制度")
    assert "主题党日" in search_index.tokens("开展主题党日活动")


def test_segmenter_scores_routes_with_jiebas_dictionary_total(tmp_path):
    """A user dictionary word that is in the main one already: jieba counts it twice in the
    dictionary's total, rjieba once. A word whose frequency sits between the two totals'
    thresholds is one word for jieba and two for an unbalanced rjieba."""
    first = tmp_path / "first.txt"
    first.write_text("的 30000000\n", encoding="utf-8")
    base = search_index.Segmenter(first)
    f1, f2 = base.FREQ["是"], base.FREQ["在"]
    assert "是在" not in base.FREQ
    jieba_total = base.jieba.total
    counted_once = sum(freq for freq in base.FREQ.values() if freq > 0)
    assert counted_once < jieba_total
    # One word 是在 wins when F / T > f1 / T * f2 / T, i.e. F > f1 * f2 / T (T grows by F too).
    low, high = f1 * f2 / jieba_total, f1 * f2 / counted_once
    freq = int((low + high) / 2)
    assert low + 2 < freq < high - 2
    both = tmp_path / "both.txt"
    both.write_text(f"的 30000000\n是在 {freq}\n", encoding="utf-8")
    segmenter = search_index.Segmenter(both)
    assert list(segmenter.jieba.cut("是在", HMM=True)) == ["是在"]
    assert list(segmenter.cut("是在")) == ["是在"]
