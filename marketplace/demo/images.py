"""Pillow-drawn pictures for the demo data: no downloads, no binary files in the repo."""

import io
import math
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFilter


def _gradient(
    size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]
):
    width, height = size
    image = Image.new("RGB", size, top)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / max(1, height - 1)
        colour = tuple(int(top[i] + (bottom[i] - top[i]) * t) for i in range(3))
        draw.line([(0, y), (width, y)], fill=colour)
    return image


def _as_upload(image: Image.Image, name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


METAL_TONES = {
    "silver": ((226, 228, 231), (150, 154, 160)),
    "gold": ((246, 222, 150), (183, 136, 48)),
    "platinum": ((235, 236, 238), (170, 172, 178)),
    "palladium": ((222, 220, 214), (150, 148, 140)),
}


def piece_photo(
    seed: int, *, metal: str = "silver", stone=None, shape: str = "ring", size=900
):
    """A studio-style photo of a piece: a soft backdrop and a drawn ring, pendant or earring."""
    rng = random.Random(seed)
    backdrop = rng.choice(
        [
            ((247, 243, 236), (226, 218, 204)),
            ((236, 240, 238), (205, 214, 210)),
            ((242, 236, 232), (214, 200, 192)),
        ]
    )
    image = _gradient((size, size), *backdrop)
    draw = ImageDraw.Draw(image)
    light, dark = METAL_TONES.get(metal, METAL_TONES["silver"])
    cx, cy = size // 2, size // 2 + rng.randint(-30, 30)
    # Shadow
    shadow = Image.new("L", (size, size), 0)
    ImageDraw.Draw(shadow).ellipse([cx - 260, cy + 170, cx + 260, cy + 230], fill=90)
    image.paste((120, 110, 100), mask=shadow.filter(ImageFilter.GaussianBlur(24)))
    if shape in ("ring", "bracelet"):
        radius = 200 if shape == "ring" else 280
        for i in range(38):
            t = i / 37
            colour = tuple(int(light[k] * (1 - t) + dark[k] * t) for k in range(3))
            draw.ellipse(
                [
                    cx - radius + i,
                    cy - radius * 0.55 + i * 0.5,
                    cx + radius - i,
                    cy + radius * 0.55 - i * 0.5,
                ],
                outline=colour,
                width=3,
            )
    else:
        draw.line([(cx - 220, 80), (cx, cy - 120), (cx + 220, 80)], fill=dark, width=5)
        for i in range(30):
            t = i / 29
            colour = tuple(int(light[k] * (1 - t) + dark[k] * t) for k in range(3))
            draw.ellipse(
                [cx - 110 + i, cy - 120 + i, cx + 110 - i, cy + 100 - i],
                outline=colour,
                width=3,
            )
    # Texture: hammered facets
    for _ in range(60):
        angle = rng.random() * math.tau
        r = rng.randint(40, 190)
        x, y = cx + int(math.cos(angle) * r), cy + int(math.sin(angle) * r * 0.5)
        draw.ellipse([x - 4, y - 2, x + 4, y + 2], fill=light)
    if stone:
        sx, sy = (cx, cy - 135) if shape in ("ring", "bracelet") else (cx, cy - 10)
        draw.polygon(
            [(sx, sy - 55), (sx + 48, sy), (sx, sy + 55), (sx - 48, sy)],
            fill=stone,
            outline=dark,
        )
        draw.polygon(
            [(sx, sy - 55), (sx + 16, sy), (sx, sy + 20), (sx - 16, sy)],
            fill=tuple(min(255, c + 70) for c in stone),
        )
    return _as_upload(image.filter(ImageFilter.SMOOTH), f"piece-{seed}.jpg")


def portrait(seed: int, *, skin=(198, 156, 120), clothing=(70, 90, 110), size=700):
    """A simple illustrated portrait."""
    rng = random.Random(seed)
    image = _gradient((size, size), (238, 232, 222), (205, 194, 178))
    draw = ImageDraw.Draw(image)
    cx = size // 2 + rng.randint(-20, 20)
    draw.ellipse([cx - 230, 470, cx + 230, 900], fill=clothing)
    draw.rectangle([cx - 45, 400, cx + 45, 500], fill=skin)
    draw.ellipse([cx - 120, 170, cx + 120, 450], fill=skin)
    hair = rng.choice([(40, 30, 25), (70, 50, 35), (25, 25, 28), (120, 90, 60)])
    draw.chord([cx - 130, 140, cx + 130, 360], 180, 360, fill=hair)
    return _as_upload(image.filter(ImageFilter.SMOOTH_MORE), f"portrait-{seed}.jpg")


def workshop(seed: int, *, size=(1200, 800)):
    """A workbench scene: bench peg, tools and warm light."""
    rng = random.Random(seed)
    image = _gradient(size, (94, 72, 52), (54, 40, 30))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle([0, int(height * 0.62), width, height], fill=(139, 103, 66))
    draw.polygon(
        [
            (width * 0.42, height * 0.62),
            (width * 0.58, height * 0.62),
            (width * 0.54, height * 0.5),
            (width * 0.46, height * 0.5),
        ],
        fill=(181, 140, 95),
    )
    for _ in range(7):
        x = rng.randint(60, width - 60)
        draw.rectangle(
            [x, int(height * 0.3), x + 10, int(height * 0.6)], fill=(60, 60, 64)
        )
        draw.ellipse(
            [x - 14, int(height * 0.26), x + 24, int(height * 0.32)],
            fill=(150, 150, 156),
        )
    draw.ellipse([width * 0.7, 40, width * 0.9, 200], fill=(255, 226, 160))
    return _as_upload(
        image.filter(ImageFilter.GaussianBlur(1.2)), f"workshop-{seed}.jpg"
    )


def mark_image(text: str, *, size=400):
    """A maker's mark in a shield, as it would be struck."""
    image = Image.new("RGB", (size, size), (250, 248, 244))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        [60, 100, size - 60, size - 100], radius=40, outline=(36, 33, 29), width=10
    )
    draw.text(
        (size // 2, size // 2), text, fill=(36, 33, 29), anchor="mm", font_size=110
    )
    return _as_upload(image, f"mark-{text}.jpg")
