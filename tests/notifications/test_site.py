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
