"""Tests of train.train_step's terms on a random loss network and of where a run stops (no data,
no VGG file needed).

    python -m pytest test_train_step.py      or      python test_train_step.py
"""

import tempfile

import torch

import train
import vgg
from model import Config, DINNet


def random_loss_net():
    """VGG-16's shapes up to relu4_1 with random weights: the step's plumbing, not its numbers."""
    gen = torch.Generator().manual_seed(0)
    state, cin = {}, 3
    for b, (c, n) in enumerate(vgg.BLOCKS, start=1):
        for i in range(1, (n if b < 4 else 1) + 1):
            state[f"block{b}_conv{i}.weight"] = torch.randn(c, cin, 3, 3, generator=gen) * (2 / (9 * cin)) ** 0.5
            state[f"block{b}_conv{i}.bias"] = torch.zeros(c)
            cin = c
    return vgg.VGG16Features(state)


def zero_stats(loss_net, layers):
    x = torch.rand(1, 3, 32, 32)
    return [(torch.zeros(2, f.shape[1]), torch.zeros(2, f.shape[1])) for f in loss_net(x, layers)]


def step(upscaled_weight, upscaled_stats):
    args = train.parse_args(["--crop", "32", "--batch", "2", "--styles-per-batch", "1", "--loss", "balanced",
                             "--identity-weight", "0", "--no-bf16", "--upscaled-window", "16",
                             "--upscaled-style-weight", str(upscaled_weight)])
    torch.manual_seed(0)
    net = DINNet(Config.preset("din-modulated"))
    loss_net = random_loss_net()
    content, style = torch.rand(2, 3, 32, 32), torch.rand(1, 3, 64, 64)
    stats = [zero_stats(loss_net, args.loss_layers.style)]
    total, parts = train.train_step(net, loss_net, content, style, stats, args, torch.Generator().manual_seed(1),
                                    upscaled_stats=upscaled_stats)
    total.backward()
    grads = torch.cat([p.grad.flatten() for p in net.parameters() if p.grad is not None])
    return total.item(), parts, grads


def test_the_upscaled_term_adds_its_weighted_loss_and_reaches_the_network():
    targets = zero_stats(random_loss_net(), train.parse_args(["--loss", "balanced"]).loss_layers.style)
    base_total, base_parts, base_grads = step(0.0, None)
    total, parts, grads = step(2.0, targets)
    assert base_parts["upscaled_style"] == 0.0 and parts["upscaled_style"] > 0.0
    assert abs(total - base_total - 2.0 * parts["upscaled_style"]) < 1e-3 * total
    assert not torch.allclose(grads, base_grads)


def test_frozen_layers_get_no_gradient_and_the_style_path_does():
    args = train.parse_args(["--crop", "32", "--batch", "2", "--styles-per-batch", "1", "--loss", "balanced",
                             "--identity-weight", "0", "--no-bf16", "--frozen", "content_encoder,decoder"])
    torch.manual_seed(0)
    net = train.freeze(DINNet(Config.preset("din-modulated")), args.frozen)
    loss_net = random_loss_net()
    stats = [zero_stats(loss_net, args.loss_layers.style)]
    total, _ = train.train_step(net, loss_net, torch.rand(2, 3, 32, 32), torch.rand(1, 3, 64, 64), stats, args,
                                torch.Generator().manual_seed(1))
    total.backward()
    grads = {name: p.grad for name, p in net.named_parameters()}
    frozen = [n for n in grads if n.startswith(("content_encoder", "decoder"))]
    assert frozen and all(grads[n] is None for n in frozen)
    assert all(grads[n] is not None for n in grads if n.startswith(("style_encoder", "din1", "modulation_net")))


def test_a_mean_pooled_style_path_grows_to_mean_std_as_the_same_function():
    torch.manual_seed(0)
    small = DINNet(Config.preset("din-modulated"))
    for p in small.parameters():  # heads away from their near-zero start, so a change would show
        p.data.add_(0.05 * torch.randn_like(p))
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/small.pt"
        torch.save({"model": small.state_dict(), "iteration": 7}, path)
        grown, it = train.init_from(path, Config.preset("din-modulated-std"))
    assert it == 7 and grown.din3.weight_net[2].weight.shape[1] == 2 * small.din3.weight_net[2].weight.shape[1]
    style = torch.rand(2, 3, 64, 64)
    for (a, b), (c, d) in zip(small.encode_style(style), grown.encode_style(style)):
        assert torch.allclose(a, c, atol=1e-5) and torch.allclose(b, d, atol=1e-5)
    # the spreads' columns start at zero but learn: the style's spread reaches the kernels
    grown.encode_style(style)[2][0].square().sum().backward()
    head = grown.din3.weight_net[2].weight
    assert head.grad[:, head.shape[1] // 2:].abs().sum() > 0


def test_whitened_heads_compute_the_plain_heads_kernels_and_export_as_them():
    torch.manual_seed(0)
    plain = DINNet(Config.preset("din-modulated"))
    for p in plain.parameters():
        p.data.add_(0.05 * torch.randn_like(p))
    with tempfile.TemporaryDirectory() as tmp:
        torch.save({"model": plain.state_dict(), "iteration": 3}, f"{tmp}/plain.pt")
        whitened = train.init_from(f"{tmp}/plain.pt", Config.preset("din-modulated-whiten"))[0]
    styles = torch.rand(96, 3, 32, 32)
    whitened.fit_whitening(styles)
    head = whitened.din2.bias_net[2]
    assert not torch.allclose(head.in_whiten, torch.eye(head.in_whiten.shape[0]))  # fitted, not the default
    style = torch.rand(2, 3, 48, 48)
    exported = whitened.without_whitening()
    assert not exported.cfg.param_whiten and "din2.bias_net.2.in_whiten" not in exported.state_dict()
    for net in (whitened, exported):
        for (a, b), (c, d) in zip(plain.encode_style(style), net.encode_style(style)):
            assert torch.allclose(a, c, atol=1e-4) and torch.allclose(b, d, atol=1e-4)
    # the styles it was fitted to read centred and white: at most unit variance in any direction
    with torch.no_grad():
        levels = whitened.style_encoder(styles)
        pn, t = whitened.param_nets()[3]
        z = (pn.pooled(levels[t]).flatten(1) - pn[2].in_center) @ pn[2].in_whiten.T
    assert z.mean(0).abs().max() < 1e-3 and torch.linalg.eigvalsh(torch.cov(z.T.double(), correction=0)).max() < 1.001


def test_a_style_subset_keeps_each_kept_styles_own_statistics():
    images = torch.arange(10).view(10, 1, 1, 1).to(torch.uint8)
    stats = [[torch.arange(10.0).view(10, 1, 1).expand(10, 2, 3) * (o + 1)] for o in range(2)]
    upscaled = [torch.arange(10.0).view(10, 1, 1).expand(10, 2, 5)]
    styles, table = train.style_subset({"images": images, "stats": stats}, upscaled, 4)
    kept = styles["images"].flatten().tolist()
    assert kept == [0, 3, 6, 9]
    assert styles["stats"][1][0][:, 0, 0].tolist() == [2 * k for k in kept]
    assert table[0][:, 1, 4].tolist() == kept and train.style_subset(styles, None, 2)[1] is None


def test_stop_at_ends_the_run_early_on_the_full_schedule():
    def lr_at(it, extra):
        args = train.parse_args(["--iters", "100", "--decay-from", "0", "--lr", "1e-3"] + extra)
        opt = torch.optim.Adam([{"params": [torch.zeros(1)]}, {"params": [torch.zeros(1)]}])
        train.set_lr(opt, args, it, None)
        return train.last_iteration(args), opt.param_groups[0]["lr"]

    assert lr_at(40, ["--stop-at", "40"])[1] == lr_at(40, [])[1]  # the same learning rate at 40
    assert lr_at(40, ["--stop-at", "40"])[0] == 40 and lr_at(40, [])[0] == 100
    assert lr_at(40, [])[1] > 5e-4  # mid-cycle, not the floor a cycle ending at 40 would give
    assert lr_at(0, ["--stop-at", "400"])[0] == 100  # never past --iters


def test_hue_turned_paintings_take_their_own_statistics():
    loss_net = random_loss_net()
    style = 0.2 + 0.6 * torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(2))

    def turn(share):
        args = train.parse_args(["--batch", "4", "--styles-per-batch", "2", "--loss", "balanced", "--no-bf16",
                                 "--octaves", "2", "--hue-turn", str(share)])
        cached = [[(torch.zeros(4, m.shape[1]), torch.zeros(4, m.shape[1]))
                   for m, _ in train.losses.style_stats_of(loss_net, style, args.loss_layers.style)]
                  for _ in range(2)]
        turned, stats = train.hue_turned(style, [list(o) for o in cached], args, loss_net,
                                         torch.Generator().manual_seed(3))
        return turned, stats, cached, args

    turned, stats, _, args = turn(1)
    assert (turned - style).abs().amax((1, 2, 3)).min() > 0.05  # every painting turned at a share of 1
    for octave in range(2):
        fresh = train.losses.style_stats_of(loss_net, train.losses.downsample(turned, 2 ** octave),
                                            args.loss_layers.style)
        for (mean, std), (m, s) in zip(stats[octave], fresh):
            torch.testing.assert_close(mean, m.repeat_interleave(2, 0))  # two photos per painting
            torch.testing.assert_close(std, s.repeat_interleave(2, 0))
    same, same_stats, cached, _ = turn(1e-9)  # none drawn: the batch as it came
    assert same is style
    assert all(a is b for o, c in zip(same_stats, cached) for a, b in zip(o, c))


if __name__ == "__main__":
    for name, test in list(globals().items()):
        if name.startswith("test_"):
            test()
            print("ok", name)
