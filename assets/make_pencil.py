"""Makes assets/styles/pencil_hatching.png: a procedural pencil drawing (graphite hatching and
contour strokes on white paper), the README's test that a pencil style gives lines, not a faded
photo. Drawn from nothing but a seeded random generator, so it is ours to publish (CC0).

    python3 assets/make_pencil.py

Needs numpy and Pillow.
"""
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

OUT = Path(__file__).resolve().parent / "styles" / "pencil_hatching.png"
SIDE = 512


def main() -> None:
    rng = np.random.default_rng(7)
    paper = Image.new("L", (SIDE, SIDE), 250)
    draw = ImageDraw.Draw(paper)
    # patches of parallel hatching at a few angles and densities, like shading in a sketch
    for _ in range(70):
        cx, cy = rng.uniform(0, SIDE, 2)
        size = rng.uniform(40, 140)
        angle = rng.choice([np.pi / 4, -np.pi / 4, np.pi / 3, -np.pi / 6]) + rng.normal(0, 0.08)
        spacing = rng.uniform(3.5, 8)
        tone = int(rng.uniform(60, 160))
        d = np.array([np.cos(angle), np.sin(angle)])
        n = np.array([-d[1], d[0]])
        for k in np.arange(-size / 2, size / 2, spacing):
            half = size / 2 * np.sqrt(max(0.0, 1 - (2 * k / size) ** 2)) * rng.uniform(0.7, 1.0)
            a = np.array([cx, cy]) + n * k - d * half
            b = np.array([cx, cy]) + n * k + d * half
            draw.line([tuple(a), tuple(b)], fill=tone, width=1)
    # a few long wavering contour strokes, darker and heavier
    for _ in range(25):
        p = rng.uniform(0, SIDE, 2)
        heading = rng.uniform(0, 2 * np.pi)
        points = [tuple(p)]
        for _ in range(40):
            heading += rng.normal(0, 0.15)
            p = p + 6 * np.array([np.cos(heading), np.sin(heading)])
            points.append(tuple(p))
        draw.line(points, fill=int(rng.uniform(20, 70)), width=int(rng.integers(1, 3)))
    img = paper.filter(ImageFilter.GaussianBlur(0.6))
    grain = rng.normal(0, 6, (SIDE, SIDE))  # paper tooth
    out = np.clip(np.asarray(img, dtype=np.float64) + grain, 0, 255).astype(np.uint8)
    Image.fromarray(out).convert("RGB").save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
