"""Tests of what travels to a remote GPU machine: the packed data (pack_data.py) and the compact
loss network (vgg.compact). No shared data or real loss network needed.

    python -m pytest test_gpu_carry.py      or      python test_gpu_carry.py
"""

import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import pack_data
import train
import vgg


def fake_data(root):
    """48 photos and 28 paintings (more than train.py holds out) of odd sizes."""
    rng = np.random.default_rng(0)
    folders = [("content/photos", 48, (300, 200)), ("style/wikiart", 20, (224, 224)),
               ("style/pacs_art", 5, (227, 227)), ("style/hires", 3, (400, 300))]
    for folder, count, size in folders:
        (root / folder).mkdir(parents=True)
        for i in range(count):
            pixels = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / folder / f"{folder.split('/')[-1]}_{i:03d}.jpg")


def names(paths):
    return [p.name for p in paths]


def test_the_packed_data_splits_as_the_original_and_holds_nothing_held_out():
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "data", Path(tmp) / "packed"
        fake_data(src)
        pack_data.main(["--data", str(src), "-o", str(out), "--content-side", "128", "--styles", "6"])
        original, packed = train.splits(src), train.splits(out)
        content_train, content_val, style_train, style_val = packed
        assert names(content_val) == names(original[1]) and names(style_val) == names(original[3])
        assert names(content_train) == names(original[0])
        assert len(style_train) == 6 and set(names(style_train)) <= set(names(original[2]))
        assert all(p.stat().st_size == 0 for p in content_val + style_val)
        for p in content_train + style_train:
            with Image.open(p) as im:
                assert min(im.size) <= (128 if "content" in p.parts else 256)


def test_the_compact_loss_network_gives_the_full_ones_features():
    torch.manual_seed(0)
    state, cin = {}, 3
    for b, (c, n) in enumerate(vgg.BLOCKS, start=1):
        for i in range(1, n + 1):
            state[f"block{b}_conv{i}.weight"] = torch.randn(c, cin, 3, 3) * (2 / (9 * cin)) ** 0.5
            state[f"block{b}_conv{i}.bias"] = torch.randn(c) * 0.01
            cin = c
    full, compact = vgg.VGG16Features(state), vgg.VGG16Features(vgg.compact(state, "relu4_1"))
    assert len(compact.convs) == 8 < len(full.convs)
    x = torch.rand(1, 3, 32, 32)
    layers = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    for a, b in zip(full(x, layers), compact(x, layers)):
        assert (a - b).abs().max() <= 0.01 * a.abs().max()
    try:
        compact(x, ("relu4_2",))
    except ValueError:
        pass
    else:
        raise AssertionError("a layer past the compact network's end must be refused")


if __name__ == "__main__":
    test_the_packed_data_splits_as_the_original_and_holds_nothing_held_out()
    test_the_compact_loss_network_gives_the_full_ones_features()
    print("ok")
