"""Read admin pages the way a person does: table cells and form errors as text."""

import re

from bs4 import BeautifulSoup


def _text(node) -> str:
    return re.sub(r"\s+", " ", node.get_text(" ")).strip()


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content.decode(), "html.parser")


def table_rows(response, index: int = 0) -> list[list[str]]:
    """The body rows of the ``index``-th listing table on the page, each a list of cell texts."""
    table = soup(response).select("table.listing")[index]
    return [[_text(cell) for cell in row.find_all(["td", "th"])] for row in table.tbody.find_all("tr")]


def table_header(response, index: int = 0) -> list[str]:
    table = soup(response).select("table.listing")[index]
    return [_text(cell) for cell in table.thead.find_all("th")]


def rows_by_first_cell(response, index: int = 0) -> dict[str, dict[str, str]]:
    """{first cell text: {column header: cell text}} for the ``index``-th table."""
    header = table_header(response, index)
    return {row[0]: dict(zip(header, row)) for row in table_rows(response, index) if len(row) == len(header)}


def error_texts(response) -> list[str]:
    """Field and form errors as Wagtail renders them."""
    page = soup(response)
    nodes = page.select(".messages li.error, .error-message, .errorlist li, .help-critical, .w-field__errors")
    return [_text(node) for node in nodes if _text(node)]


def summary(response) -> dict[str, str]:
    """The <dl class="dj-summary"> figures: {label: value}."""
    block = soup(response).select_one("dl.dj-summary")
    return {_text(div.dt): _text(div.dd) for div in block.find_all("div")}
