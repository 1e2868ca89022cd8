"""The static site's part: the 通知 shells load their script and hold nothing private, and
the tab is in the member navigation."""


def test_shells_and_tab(home, people, sent, publish, public_site):
    sent(title="SHELLSECRET标题", body="SHELLSECRET正文")
    publish()

    shell = public_site.text("member/notices/index.html")
    assert 'data-view="notices"' in shell and "assets/javascripts/dj-notices.js" in shell
    assert 'data-dj-nav-view="notices"' in shell
    detail = public_site.text("member/notice/index.html")
    assert 'data-view="notice"' in detail and "dj-notices.js" in detail
    assert 'data-dj-nav-view="notices" aria-current="page"' in detail
    assert public_site.exists("assets/javascripts/dj-notices.js")
    assert "SHELLSECRET" not in public_site.all_text()


def test_help_chapter_is_built_with_its_pictures(home, publish, public_site):
    publish()
    chapter = public_site.text("help/notices/index.html")
    assert "确认和回执" in chapter and "images/n1-list.png" in chapter
    assert "邮件提醒" in chapter and "images/n4-email.png" in chapter
    for name in ("n1-list.png", "n2-replied.png", "n3-status.png", "n4-email.png"):
        assert public_site.exists(f"help/images/{name}")
    assert "notices/" in public_site.text("help/index.html")
