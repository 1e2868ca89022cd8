"""Hostile subjects and texts are shown as text: in the admin list and thread, and in the
member API (as JSON strings the member area puts into text nodes)."""

import pytest
from bs4 import BeautifulSoup

from cms.consultations import services
from tests.hostile import PAYLOADS, marker, storable

from .conftest import API, client_for

HTML_PAYLOADS = [storable(p) for p in PAYLOADS if "<" in p]


@pytest.fixture
def hostile_items(people):
    items = []
    for payload in HTML_PAYLOADS:
        item = services.ask(people.asker, kind="question", addressee="branch", subject=payload[:100], text=payload)
        services.answer(people.secretary, item, payload)
        items.append(item)
    return items


def test_admin_list_shows_hostile_subjects_as_text(people, hostile_items):
    html = client_for(people.secretary).get("/admin/consultations/").content.decode()
    for payload in HTML_PAYLOADS:
        assert payload[:100] not in html, marker(payload)
    titles = {a.get_text() for a in BeautifulSoup(html, "html.parser").select("td.dj-card-title a")}
    assert {p[:100] for p in HTML_PAYLOADS} == titles


def test_admin_thread_shows_hostile_text_as_text(people, hostile_items):
    client = client_for(people.secretary)
    for item, payload in zip(hostile_items, HTML_PAYLOADS):
        html = client.get(f"/admin/consultations/{item.pk}/").content.decode()
        assert payload not in html, marker(payload)
        page = BeautifulSoup(html, "html.parser")
        texts = [p.get_text() for p in page.select(".dj-thread-text")]
        # linebreaksbr keeps lines; the text itself is what was typed.
        assert [t.replace("\n", "") for t in texts] == [payload.replace("\n", "")] * 2, marker(payload)
        assert not page.select(".dj-thread script, .dj-thread img, .dj-thread svg, .dj-thread iframe")


def test_member_api_returns_the_text_as_typed(people, hostile_items):
    client = client_for(people.asker)
    for item, payload in zip(hostile_items, HTML_PAYLOADS):
        body = client.get(f"{API}{item.pk}/").json()
        assert body["subject"] == payload[:100].strip()
        assert [m["text"] for m in body["messages"]] == [payload.strip()] * 2
