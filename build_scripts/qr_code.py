"""QR codes as inline SVG, drawn on our own machine (no outside service, nothing fetched).

The one way the project draws a QR code: the share block of every public page (a code of
the page's address, built with the page) and the authenticator enrolment of the admin
(cms/accounts/otp.py). The site build draws one per page, so speed matters: zxing-cpp's
C++ encoder (the same library reads codes back, which the tests use to scan what we drew)
encodes in ~0.3 ms, ~0.7 ms with our SVG path, where segno, in pure Python, took ~8 ms;
at 10,000 pages that is ~7 s of a full build instead of ~80.

No Django import: the MkDocs hook uses it too, and its source is part of the site's theme
signature (a change here re-renders every page).
"""

from __future__ import annotations

import re
from typing import Any, cast

import zxingcpp

from build_scripts.html_safety import escape

QUIET_ZONE = 2  # modules of white around the code (4 in the standard; 2 scans fine on screen)
EC_LEVEL = "M"  # ~15% of the code may be covered or smudged and it still reads


def qr_modules(text: str) -> list[bytes]:
    """The code's rows, one byte per module: 0 dark, 255 light."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=EC_LEVEL)
    # (zxingcpp.Image is a buffer of rows; its type stub does not say so)
    image = memoryview(cast(Any, barcode.to_image(scale=1, add_quiet_zones=False)))
    size = cast(tuple[int, int], image.shape)[1]
    data = image.tobytes()
    return [data[row : row + size] for row in range(0, len(data), size)]


# A run of dark modules (0) in a row.
_DARK_RUN = re.compile(rb"\x00+")


def _path(rows: list[bytes]) -> str:
    # Each run of dark modules is one horizontal stroke of width 1 through the middle of its
    # row ("h" run, relative moves between runs): about half the size of a rectangle per run.
    # Whole-number moves (every stroke is half a module down its row) and the runs found by
    # the regex engine: the site build draws one code per page.
    parts: list[str] = []
    x = row_y = -1
    for row_index, row in enumerate(rows):
        for run in _DARK_RUN.finditer(row):
            start, end = run.span()
            to_x = start + QUIET_ZONE
            if x < 0:
                parts.append(f"M{to_x} {row_index + QUIET_ZONE}.5h{end - start}")
            else:
                parts.append(f"m{to_x - x} {row_index - row_y}h{end - start}")
            x, row_y = to_x + end - start, row_index
    return "".join(parts)


def qr_svg(text: str, *, label: str, size: int | None = None, css_class: str = "") -> str:
    """An inline ``<svg>`` of ``text`` as a QR code, scaled by its viewBox (``size``: its
    width and height in px, else the stylesheet decides). ``label`` is what a screen reader
    says (escaped here, like every attribute)."""
    rows = qr_modules(text)
    width = len(rows) + 2 * QUIET_ZONE
    dimensions = f' width="{size}" height="{size}"' if size else ""
    class_attribute = f' class="{escape(css_class)}"' if css_class else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {width}"{dimensions}{class_attribute}'
        f' role="img" aria-label="{escape(label)}" shape-rendering="crispEdges">'
        f"<title>{escape(label)}</title>"
        f'<rect width="{width}" height="{width}" fill="#fff"/>'
        f'<path stroke="#000" stroke-width="1" d="{_path(rows)}"/></svg>'
    )
