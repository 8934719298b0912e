"""Makes assets/controls.jpg, the README's picture of the runtime controls, with the built CLI.

    cargo build --release -p dinstyle-cli && python3 assets/make_controls.py

Needs Pillow. Only publishable images: the CC0 photo and the public-domain presets in assets/.
"""
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "target" / "release" / "dinstyle"
PHOTO = ROOT / "assets" / "photos" / "coffee.png"
CELL = (300, 200)


def paint(out: Path, *args: str) -> Image.Image:
    subprocess.run([str(CLI), "image", str(PHOTO), "-q", "-o", str(out), *args], check=True,
                   stdout=subprocess.DEVNULL)
    return Image.open(out).convert("RGB")


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    photo = Image.open(PHOTO).convert("RGB")
    w, h = photo.size
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).ellipse((w * 0.18, -h * 0.1, w * 0.82, h * 1.1), fill=255)
    mask_path = tmp / "mask.png"
    mask.save(mask_path)
    cafe, harvest = "preset:the-night-cafe", "preset:church-at-auvers"
    n = iter(range(100))
    p = lambda *a: paint(tmp / f"{next(n)}.png", *a)  # noqa: E731
    rows = [
        ("strength (--alpha)", [
            (photo, "photo"),
            (p("--style", cafe, "--alpha", "0.25"), "alpha 0.25"),
            (p("--style", cafe, "--alpha", "0.5"), "alpha 0.5"),
            (p("--style", cafe, "--alpha", "0.75"), "alpha 0.75"),
            (p("--style", cafe), "alpha 1 (the-night-cafe)"),
        ]),
        ("style mixing", [
            (p("--style", cafe), "the-night-cafe"),
            (p("--style", f"{cafe}:0.75,{harvest}:0.25"), "0.75 / 0.25"),
            (p("--style", f"{cafe}:0.5,{harvest}:0.5"), "0.5 / 0.5"),
            (p("--style", f"{cafe}:0.25,{harvest}:0.75"), "0.25 / 0.75"),
            (p("--style", harvest), "church-at-auvers"),
        ]),
        ("colour and masks", [
            (p("--style", "preset:langlois-bridge"), "langlois-bridge"),
            (p("--style", "preset:langlois-bridge", "--preserve-colour"), "--preserve-colour"),
            (mask.convert("RGB"), "mask"),
            (p("--style", cafe, "--mask", str(mask_path)), "the-night-cafe in the mask"),
            (p("--style", cafe, "--mask", str(mask_path), "--mask-style", harvest),
             "+ --mask-style church-at-auvers"),
        ]),
    ]
    label_h = 18
    grid = Image.new("RGB", (5 * CELL[0], len(rows) * (CELL[1] + label_h)), "white")
    draw = ImageDraw.Draw(grid)
    for r, (_, cells) in enumerate(rows):
        for c, (img, label) in enumerate(cells):
            x, y = c * CELL[0], r * (CELL[1] + label_h)
            grid.paste(img.resize(CELL, Image.LANCZOS), (x, y + label_h))
            draw.text((x + 4, y + 3), label, fill="black")
    out = ROOT / "assets" / "controls.jpg"
    grid.save(out, quality=88)
    print(out, file=sys.stderr)


if __name__ == "__main__":
    main()
