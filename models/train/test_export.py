"""Tests of export.py's joining of an upscaled style path (no data needed).

    python -m pytest test_export.py      or      python test_export.py
"""

from dataclasses import replace

import torch

from export import join_upscaled_style_path
from model import STYLE_PATH, Config, DINNet

TINY = replace(Config.preset("din-modulated"), widths=(4, 8, 8), style_widths=(8, 8, 8, 8, 8), hidden=4,
               modulation_hidden=4)


def pair():
    """Two networks with one frame network and different style paths."""
    torch.manual_seed(0)
    native, upscaled = DINNet(TINY).eval(), DINNet(TINY).eval()
    with torch.no_grad():  # a head that draws (a fresh one paints flat grey)
        native.decoder.head.conv.weight.normal_(std=0.3)
    upscaled.load_state_dict({k: v for k, v in native.state_dict().items() if k.split(".")[0] not in STYLE_PATH},
                             strict=False)
    with torch.no_grad():  # style paths apart from the near-identity kernels they start at
        for net, seed in ((native, 1), (upscaled, 2)):
            gen = torch.Generator().manual_seed(seed)
            for p in net.modulation_net.parameters():
                p.add_(0.1 * torch.randn(p.shape, generator=gen))
            for d in net.dins():
                for p in d.parameters():
                    p.add_(0.1 * torch.randn(p.shape, generator=gen))
    return native, upscaled


def test_the_joined_network_paints_with_either_style_path():
    native, upscaled = pair()
    joined = join_upscaled_style_path(native, upscaled)
    style, photo = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 16, 20)
    with torch.no_grad():
        for path, twin in ((False, native), (True, upscaled)):
            got = joined.stylize(photo, joined.encode_style(style, upscaled=path))
            want = twin.stylize(photo, twin.encode_style(style))
            assert torch.allclose(got, want, atol=1e-6), path
        apart = joined.stylize(photo, joined.encode_style(style, upscaled=True)) - joined.stylize(
            photo, joined.encode_style(style))
    assert apart.abs().max() > 1e-3  # the two paths are not the same kernels
    assert any(k.startswith("upscaled.din1.") for k in joined.state_dict())


def test_a_network_without_an_upscaled_path_paints_every_frame_with_its_one_path():
    native, _ = pair()
    style = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        for a, b in zip(native.encode_style(style, upscaled=True), native.encode_style(style)):
            assert all(torch.equal(x, y) for x, y in zip(a, b))


def test_networks_with_different_frame_networks_are_not_joined():
    native, upscaled = pair()
    with torch.no_grad():
        upscaled.decoder.head.conv.bias.add_(0.01)
    try:
        join_upscaled_style_path(native, upscaled)
    except SystemExit as e:
        assert "decoder.head.conv.bias" in str(e)
    else:
        raise AssertionError("joined two frame networks")


if __name__ == "__main__":
    test_the_joined_network_paints_with_either_style_path()
    test_a_network_without_an_upscaled_path_paints_every_frame_with_its_one_path()
    test_networks_with_different_frame_networks_are_not_joined()
    print("ok")
