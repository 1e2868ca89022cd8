"""Demo images drawn locally with Pillow, so `make run` downloads nothing."""

import io
import math
import random

from PIL import Image, ImageDraw

PARTY_RED = (200, 16, 46)
GOLD = (255, 204, 0)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float, fill) -> None:
    points = []
    for i in range(10):
        angle = math.pi / 2 + i * math.pi / 5
        r = radius if i % 2 == 0 else radius * 0.382
        points.append((cx + r * math.cos(angle), cy - r * math.sin(angle)))
    draw.polygon(points, fill=fill)


def draw_demo_image(seed: int, width: int = 1200, height: int = 675) -> bytes:
    """A banner-like picture: a red-to-gold gradient, a star and a few soft shapes."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    top = PARTY_RED
    bottom = (min(255, 160 + seed * 17 % 80), 40 + seed * 29 % 60, 30 + seed * 13 % 40)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line([(0, y), (width, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    for _ in range(6):
        r = rng.randint(height // 10, height // 3)
        x, y = rng.randint(0, width), rng.randint(0, height)
        shade = tuple(min(255, c + rng.randint(10, 50)) for c in PARTY_RED)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=shade, width=6)
    _star(draw, width * (0.2 + 0.6 * rng.random()), height * 0.45, height * 0.22, GOLD)
    for i in range(4):
        _star(draw, width * 0.78 + i * 40, height * 0.2 + (i % 2) * 50, height * 0.05, GOLD)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82, optimize=True)
    return out.getvalue()


def draw_demo_pdf(title_seed: int = 1) -> bytes:
    """A one-page PDF attachment (a drawn form), made with Pillow's PDF writer."""
    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle([80, 80, 1160, 200], fill=PARTY_RED)
    for row in range(12):
        y = 300 + row * 100
        draw.rectangle([80, y, 1160, y + 80], outline=(120, 120, 120), width=3)
        draw.line([(400, y), (400, y + 80)], fill=(120, 120, 120), width=3)
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=150.0)
    return out.getvalue()
