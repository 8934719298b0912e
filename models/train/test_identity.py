"""Tests of the identity loss's inputs in train.py and of own_style.py's measure of `alpha` 0
(no data, no loss network needed).

    python -m pytest test_identity.py      or      python test_identity.py
"""

import contextlib
import io

import torch

import own_style
import train


class Pool:
    """ContentPool's interface over one fixed picture: every crop of it is recognisable."""

    def __init__(self, side=300):
        ramp = torch.arange(side, dtype=torch.float32) / side
        self.image = torch.stack([ramp[None].expand(side, side), ramp[:, None].expand(side, side),
                                  torch.full((side, side), 0.5)])

    def batch(self, n, crop, gen):
        y, x = (int(torch.randint(300 - crop + 1, (1,), generator=gen)) for _ in range(2))
        return self.image[:, y:y + crop, x:x + crop].expand(n, 3, crop, crop).clone()


def args(sizes, crop=32):
    return train.parse_args(["--crop", str(crop), "--batch", "4", "--identity-style-sizes", sizes])


def test_without_sizes_the_crop_is_its_own_style():
    content = torch.rand(4, 3, 32, 32)
    own, window = train.identity_pair(Pool(), content, args(""), torch.Generator().manual_seed(0))
    assert own is content and window is content


def test_a_larger_side_encodes_the_photo_and_paints_a_window_of_it():
    gen = torch.Generator().manual_seed(0)
    for _ in range(10):
        own, window = train.identity_pair(Pool(), torch.rand(4, 3, 32, 32), args("96"), gen)
        assert own.shape == (4, 3, 96, 96) and window.shape == (4, 3, 32, 32)
        # the window is a part of the photo encoded, not another picture
        hits = [(y, x) for y in range(65) for x in range(65)
                if torch.equal(own[:, :, y:y + 32, x:x + 32], window)]
        assert hits


def test_sides_are_drawn_from_the_list():
    gen = torch.Generator().manual_seed(1)
    seen = {train.identity_pair(Pool(), torch.rand(4, 3, 32, 32), args("32,64,96"), gen)[0].shape[-1]
            for _ in range(40)}
    assert seen == {32, 64, 96}


def test_a_side_below_the_crop_is_refused():
    try:
        with contextlib.redirect_stderr(io.StringIO()):  # argparse's usage text
            args("32,16")
    except SystemExit:
        return
    raise AssertionError("a 16 px photo has no 32 px window")


class Painter(torch.nn.Module):
    """A stand-in for DINNet: paints the content as itself plus a fixed shift."""

    def __init__(self, shift):
        super().__init__()
        self.shift = shift

    def forward(self, content, style):
        return content + self.shift


def test_own_style_distance_is_the_mean_change_of_the_photo():
    photo = torch.full((1, 3, 8, 8), 0.5)
    assert own_style.own_style_distance(Painter(0.0), photo) == 0
    assert abs(own_style.own_style_distance(Painter(0.1), photo) - 0.1) < 1e-6
    # what leaves [0, 1] is clamped, as dinstyle's output is
    assert abs(own_style.own_style_distance(Painter(0.8), photo) - 0.5) < 1e-6


def test_the_cat_is_scaled_on_its_shorter_side():
    cat = own_style.load_short_side(own_style.CAT, 160)
    assert min(cat.shape[-2:]) == 160 and max(cat.shape[-2:]) > 160
    assert 0 <= cat.min() and cat.max() <= 1


if __name__ == "__main__":
    for name, test in list(globals().items()):
        if name.startswith("test_"):
            test()
            print("ok", name)
