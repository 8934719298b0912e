"""Tests of evaluate.py's blotch measure, painter formulas and dinstyle runs (no data, no judge).

    python -m pytest test_evaluate.py      or      python test_evaluate.py
"""

import argparse
import json
import stat
import sys
import tempfile
from pathlib import Path

import torch

from evaluate import (HeldOut, dinstyle_options, fine_band_level, layout_change, matching_share, MOST_MATCHED_SHARE,
                      paint_with_dinstyle, resize, with_detail, with_fine_band)
from losses import luma


def photo(seed=0, side=64):
    return torch.rand(1, 3, side, side, generator=torch.Generator().manual_seed(seed))


def test_a_photo_keeps_its_own_layout():
    x = photo()
    assert layout_change(x, x) == 0.0


def test_a_global_change_of_light_or_fine_texture_costs_little():
    x = photo()
    darker = x - 0.2  # every pixel darker by the same amount
    strokes = x + 0.3 * torch.sign(torch.randn(x.shape, generator=torch.Generator().manual_seed(1)))
    assert layout_change(darker, x) < 1e-10
    assert layout_change(strokes, x) < 0.002  # 8 x 8 averaging smooths pixel-scale texture away


def test_a_blotch_raises_it():
    x = torch.full((1, 3, 64, 64), 0.5)
    blotched = x.clone()
    blotched[..., 8:40, 16:48] = 0.1  # a dark blob over a flat region
    assert layout_change(blotched, x) > 0.01


def test_full_detail_gives_back_the_photos_light():
    # stripes two pixels wide vanish at half the size; painting = the blurred photo itself
    x = torch.zeros(1, 3, 64, 64)
    x[..., :, 0::4] = x[..., :, 1::4] = 0.8
    x = x + 0.1
    small = resize(x, 32)
    blurred = resize(small, 64)
    sharp = with_detail(blurred, x, small, 1.0)
    half = with_detail(blurred, x, small, 0.5)
    err = lambda t: (luma(t) - luma(x)).abs().mean().item()
    assert err(blurred) > 0.2 and err(sharp) < 0.02 < err(half) < err(blurred)
    assert with_detail(blurred, x, small, 0) is blurred


def test_the_fine_band_brings_the_full_size_strokes_and_keeps_the_bold_ones():
    # full-size painting: fine stripes over a left/right split; the painting at the processing
    # size has other colours in the bold regions and no stripes
    full = torch.full((1, 3, 64, 64), 0.3)
    full[..., 32:] = 0.6
    full[..., :, 0::2] += 0.2  # stripes one pixel wide: gone at half the size
    painted = torch.full((1, 3, 64, 64), 0.5)
    both = with_fine_band(painted, full, 32, 1.0)
    stripes = lambda t: (t[..., 8:56, 4:24:2] - t[..., 8:56, 5:25:2]).mean().item()
    assert stripes(painted) == 0 and abs(stripes(both) - stripes(full)) < 0.03
    region = lambda t: t[..., 8:56, 4:24].mean().item()
    assert abs(region(both) - region(painted)) < 0.03  # the bold colour stays the small painting's
    assert with_fine_band(painted, full, 32, 0) is painted



def test_texture_auto_reaches_the_level_asked_for():
    torch.manual_seed(0)
    band = torch.randn(1, 3, 64, 64) * 0.1
    detail_band = torch.randn(1, 1, 64, 64) * 0.02
    rms = lambda t: float((t * luma(band) + detail_band).pow(2).mean().sqrt())
    for want in (0.05, 0.08):
        assert abs(rms(matching_share(band, detail_band, want, most=2.0)) - want) < 1e-4
    assert matching_share(band, detail_band, 10.0) == MOST_MATCHED_SHARE  # no more than `most`
    assert matching_share(band * 0, detail_band, 0.05) == 0.0  # no band: nothing to add
    flat, noisy = torch.full((1, 3, 64, 64), 0.4), torch.rand(1, 3, 64, 64)
    assert fine_band_level(flat, 16) < 1e-4 < 0.1 < fine_band_level(noisy, 16)


# A stand-in for the dinstyle binary: copies each photo to `<photo>-<style>.png` in --out-dir, as
# `dinstyle image` names its results, and logs its arguments.
FAKE_DINSTYLE = """#!{python}
import json, shutil, sys
from pathlib import Path
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(json.dumps(args) + "\\n")
style, out = Path(args[args.index("--style") + 1]), Path(args[args.index("--out-dir") + 1])
for photo in (Path(a) for a in args if a.endswith(".png") and a != str(style)):
    shutil.copy(photo, out / f"{{photo.stem}}-{{style.stem}}.png")
"""


class TwoByTwo(HeldOut):
    """Two photos and two styles laid out as evaluate.HeldOut writes them for the judge (its pair
    names and order are HeldOut's own)."""

    def __init__(self, root):
        self.content_dir, self.style_dir = root / "content-8px", root / "style-8px"
        self.photo_paths = [Path("data/photo_a.jpg"), Path("data/photo-b.jpg")]  # a '-' in a stem too
        self.style_paths = [Path("data/style_x.jpg"), Path("data/style_y.jpg")]
        for folder, paths in ((self.content_dir, self.photo_paths), (self.style_dir, self.style_paths)):
            folder.mkdir()
            for i, p in enumerate(paths):
                (folder / f"{p.stem}.png").write_bytes(f"{p.stem} {i}".encode())


def test_dinstyle_paints_every_pair_under_the_judges_names():
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        held, log = TwoByTwo(root), root / "calls.jsonl"
        binary = root / "dinstyle"
        binary.write_text(FAKE_DINSTYLE.format(python=sys.executable, log=str(log)))
        binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
        settings = argparse.Namespace(style_size=256, processing_size=288, detail=0.5, texture="auto")
        options = dinstyle_options(Path("/m/model.safetensors"), 0.7, settings)
        folder = root / "painted"
        paint_with_dinstyle(binary, held, folder, options)
        written = sorted(p.name for p in folder.iterdir())
        assert written == sorted(n for _, _, n in held.pairs())  # nothing else left behind
        for ci, si, name in held.pairs():  # each picture is its own photo's, under its pair's name
            assert (folder / name).read_bytes() == (held.content_dir / f"{held.photo_paths[ci].stem}.png").read_bytes()
        calls = [json.loads(line) for line in log.read_text().splitlines()]
        assert len(calls) == 2  # one run per style
        first = calls[0]
        assert first[0] == "image" and first[first.index("--style") + 1] == str(held.style_dir / "style_x.png")
        for flag, value in (("--model", "/m/model.safetensors"), ("--alpha", "0.7"), ("--style-size", "256"),
                            ("--processing-size", "288"), ("--detail", "0.5"), ("--texture", "auto")):
            assert first[first.index(flag) + 1] == value
        paint_with_dinstyle(binary, held, folder, options)  # a complete folder is not painted again
        assert len(log.read_text().splitlines()) == 2


if __name__ == "__main__":
    for name, fn in list(globals().items()):
        if name.startswith("test_"):
            fn()
            print("ok", name)
