"""Training and validation images from ../shared/data, held in memory as uint8 tensors.

The validation split is fixed by hashing file names, so it never depends on what else is in the
folders and training never sees it.
"""

import hashlib
from pathlib import Path

import numpy as np
import torch
from PIL import Image

EXTS = {".jpg", ".jpeg", ".png"}


def list_images(root, folders):
    paths = []
    for folder in folders:
        paths += [p for p in sorted((Path(root) / folder).rglob("*")) if p.suffix.lower() in EXTS]
    return paths


def _key(path):
    return hashlib.sha256(path.name.encode()).hexdigest()


def split(paths, n_val):
    """Deterministic (train, val) split: the n_val names with the smallest hashes are held out."""
    ranked = sorted(paths, key=_key)
    return sorted(ranked[n_val:]), sorted(ranked[:n_val])


def load_rgb(path):
    with Image.open(path) as im:
        return im.convert("RGB")


def resize_short(im, side):
    w, h = im.size
    s = side / min(w, h)
    return im.resize((max(side, round(w * s)), max(side, round(h * s))), Image.BICUBIC)


def center_square(im, side):
    im = resize_short(im, side)
    w, h = im.size
    left, top = (w - side) // 2, (h - side) // 2
    return im.crop((left, top, left + side, top + side))


def to_uint8_tensor(im):
    return torch.from_numpy(np.asarray(im, dtype=np.uint8).copy()).permute(2, 0, 1)


class ContentPool:
    """Content photos at native scale (short side raised to `min_side`); random crops and flips."""

    def __init__(self, paths, min_side):
        self.images = []
        for p in paths:
            im = load_rgb(p)
            if min(im.size) < min_side:
                im = resize_short(im, min_side)
            self.images.append(to_uint8_tensor(im))

    def __len__(self):
        return len(self.images)

    def batch(self, n, crop, gen):
        out = torch.empty(n, 3, crop, crop, dtype=torch.uint8)
        for i in range(n):
            img = self.images[int(torch.randint(len(self.images), (1,), generator=gen))]
            _, h, w = img.shape
            if min(h, w) < crop:  # a later phase may ask for larger crops than preloaded
                img = torch.nn.functional.interpolate(img[None].float(), scale_factor=crop / min(h, w) + 1e-3,
                                                      mode="bilinear").round().clamp(0, 255).byte()[0]
                _, h, w = img.shape
            y = int(torch.randint(h - crop + 1, (1,), generator=gen))
            x = int(torch.randint(w - crop + 1, (1,), generator=gen))
            c = img[:, y:y + crop, x:x + crop]
            if torch.rand(1, generator=gen).item() < 0.5:
                c = c.flip(2)
            out[i] = c
        return out.float() / 255.0


def load_squares(paths, side):
    """Images as a uint8 [N, 3, side, side] tensor (short side to `side`, centre crop)."""
    return torch.stack([to_uint8_tensor(center_square(load_rgb(p), side)) for p in paths])


# BT.601 RGB -> YIQ: hue is the angle in the (I, Q) plane
YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])


def rotate_hue(images, degrees):
    """[B, 3, H, W] in [0, 1], each image's hue turned by its angle; luma is kept."""
    yiq = torch.einsum("ij,bjhw->bihw", YIQ, images)
    t = degrees.deg2rad()[:, None, None]
    i, q = yiq[:, 1], yiq[:, 2]
    yiq = torch.stack([yiq[:, 0], t.cos() * i - t.sin() * q, t.sin() * i + t.cos() * q], 1)
    return torch.einsum("ij,bjhw->bihw", torch.linalg.inv(YIQ), yiq).clamp(0, 1)
