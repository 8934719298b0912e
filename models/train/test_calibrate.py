"""Tests of calibrate.py's kernel gain (no data needed).

    python -m pytest test_calibrate.py      or      python test_calibrate.py
"""

import copy
from dataclasses import replace

import torch

from calibrate import apply_gain, heads
from model import Config, DINNet

TINY = replace(Config.preset("din-modulated"), widths=(4, 8, 8), style_widths=(8, 8, 8, 8, 8), hidden=4,
               modulation_hidden=4)


def styles(n, seed):
    return (torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed)) * 255).to(torch.uint8)


def head_outputs(net, style, upscaled=False):
    found = []
    hooks = [h.register_forward_hook(lambda m, i, o: found.append(o.flatten(1))) for h in heads(net, upscaled)]
    net.encode_style(style.float() / 255, upscaled=upscaled)
    for h in hooks:
        h.remove()
    return found


def random_net(cfg=TINY):
    torch.manual_seed(0)
    net = DINNet(cfg).eval()
    with torch.no_grad():  # heads that read the style (some start at zero)
        for h in heads(net) + (heads(net, upscaled=True) if cfg.upscaled_style_path else []):
            h.weight.normal_(std=0.3)
    return net


def test_gain_moves_every_head_from_its_mean():
    net = random_net()
    fitted, unseen = styles(6, 1), styles(2, 2)
    gained = copy.deepcopy(net)
    with torch.no_grad():
        apply_gain(gained, fitted, 1.3)
        means = [torch.cat(o).mean(0) for o in zip(*(head_outputs(net, fitted[i:i + 1]) for i in range(6)))]
        before, after = head_outputs(net, unseen), head_outputs(gained, unseen)
    assert len(before) == 7  # 3 DIN layers x (weight, bias) + the modulation network
    for m, b, a in zip(means, before, after):
        torch.testing.assert_close(a, m + 1.3 * (b - m), rtol=1e-4, atol=1e-5)
        assert (a - b).abs().max() > 1e-3  # it did change something


def test_gain_one_changes_nothing():
    net = random_net()
    gained = copy.deepcopy(net)
    with torch.no_grad():
        apply_gain(gained, styles(4, 1), 1.0)
    for (k, a), b in zip(net.state_dict().items(), gained.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)


def test_upscaled_gain_moves_only_the_upscaled_path():
    net = random_net(replace(TINY, upscaled_style_path=True))
    fitted, unseen = styles(6, 1), styles(2, 2)
    gained = copy.deepcopy(net)
    with torch.no_grad():
        apply_gain(gained, fitted, 1.3, upscaled=True)
        means = [torch.cat(o).mean(0) for o in zip(*(head_outputs(net, fitted[i:i + 1], True) for i in range(6)))]
        before, after = head_outputs(net, unseen, True), head_outputs(gained, unseen, True)
        main_before, main_after = head_outputs(net, unseen), head_outputs(gained, unseen)
    assert len(before) == 7
    for m, b, a in zip(means, before, after):
        torch.testing.assert_close(a, m + 1.3 * (b - m), rtol=1e-4, atol=1e-5)
        assert (a - b).abs().max() > 1e-3
    for b, a in zip(main_before, main_after):
        torch.testing.assert_close(a, b)


if __name__ == "__main__":
    test_gain_moves_every_head_from_its_mean()
    test_gain_one_changes_nothing()
    test_upscaled_gain_moves_only_the_upscaled_path()
    print("ok")
