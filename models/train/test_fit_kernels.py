"""Tests of fit_kernels.py's pieces (no data needed).

    python -m pytest test_fit_kernels.py      or      python test_fit_kernels.py
"""

import torch

from data import YIQ, rotate_hue
from fit_kernels import head_reads, kernels_from_heads, ridge
from test_calibrate import random_net, styles


def test_kernels_from_the_heads_are_the_style_paths():
    net = random_net()
    style = styles(3, 1).float() / 255
    with torch.no_grad():
        _, predicted = head_reads(net, style)
        made, encoded = kernels_from_heads(net, predicted), net.encode_style(style)
    assert len(made) == len(encoded) == 4  # 3 DIN layers + the modulation
    for (w, b), (we, be) in zip(made, encoded):
        torch.testing.assert_close(w, we)
        torch.testing.assert_close(b, be)


def test_ridge_recovers_a_linear_map_and_falls_back_to_the_mean():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(200, 6, generator=gen, dtype=torch.float64) + 3
    w, b = torch.randn(4, 6, generator=gen, dtype=torch.float64), torch.randn(4, generator=gen, dtype=torch.float64)
    r = x @ w.T + b
    dw, db = ridge(x, r, 1e-9)
    torch.testing.assert_close(dw, w)
    torch.testing.assert_close(db, b)
    dw, db = ridge(x, r, 1e9)  # all penalty: only the mean residual is left
    assert dw.abs().max() < 1e-6
    torch.testing.assert_close(x @ dw.T + db, r.mean(0).expand_as(r), atol=1e-5, rtol=0)


def test_hue_rotation_keeps_luma_and_turns_around():
    gen = torch.Generator().manual_seed(0)
    images = 0.3 + 0.4 * torch.rand(3, 3, 8, 8, generator=gen)  # mid colours: nothing is clamped at 30 degrees
    luma = lambda t: torch.einsum("j,bjhw->bhw", YIQ[0], t)
    turned = rotate_hue(images, torch.tensor([0.0, 30.0, 360.0]))
    torch.testing.assert_close(turned[0], images[0], atol=1e-5, rtol=0)
    torch.testing.assert_close(turned[2], images[2], atol=1e-5, rtol=0)
    torch.testing.assert_close(luma(turned[1:2]), luma(images[1:2]), atol=1e-5, rtol=0)
    assert (turned[1] - images[1]).abs().max() > 0.01


if __name__ == "__main__":
    test_kernels_from_the_heads_are_the_style_paths()
    test_ridge_recovers_a_linear_map_and_falls_back_to_the_mean()
    test_hue_rotation_keeps_luma_and_turns_around()
    print("ok")
