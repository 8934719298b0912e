"""DIN: Dynamic Instance Normalization for arbitrary style transfer (Jing et al., AAAI 2020).

The network of the paper's Fig. 4, with the choices the paper leaves open written down here:

* content encoder (runs per frame): reflect-padded 3x3 stem, two stride-2 depthwise-separable
  blocks (MobileNetV1), two depthwise-separable residual blocks; no normalisation of its own;
* hierarchical DIN: one DIN layer per scale (1, 1/2, 1/4) normalises the encoder feature at that
  scale and applies the style's dynamic 1x1 convolution; the 1/4 one starts the decoder, the
  others are added into the decoder at their scale;
* decoder: two residual blocks, then 1x1 conv -> bilinear x2 -> depthwise 3x3 per level (upsample
  then conv: no checkerboard), optionally residual blocks at full resolution, reflect-padded
  3x3 (or larger) head;
* style encoder (runs once per style): plain 3x3 convs, 32-256 channels, down to 1/16, trained
  from scratch; each DIN layer has a weight network and a bias network (two convs + adaptive
  average pooling, so any style size works) reading its last feature map;
* the dynamic convolution predicts a residual on the identity (`I + dW`) so that an untrained DIN
  layer starts as plain instance normalisation;
* optionally (`din-modulated`) a modulation network gives every decoder conv but the head a
  per-style scale and shift of its output channels, folded into the weights once per style (no
  per-frame cost), and the weight, bias and modulation networks use PReLU.

Images are RGB in [0, 1], NCHW. Module names are the checkpoint keys the Rust port reads.
"""

from dataclasses import dataclass, asdict, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

STRIDE = 4  # total down-sampling of the content path
MIN_SIDE = 8  # smallest internal size: the 1/4 level must be >= 2 for reflection padding
IN_EPS = 1e-5


@dataclass
class Config:
    widths: tuple = (16, 32, 64)  # content path channels at scales 1, 1/2, 1/4
    din_mode: str = "full"  # dynamic 1x1 conv: "channel", "group" or "full" channel mixing
    din_groups: int = 4  # used by "group"
    style_widths: tuple = (32, 64, 128, 256, 256)  # style encoder, scales 1 .. 1/16
    hidden: int = 64  # weight/bias network hidden channels
    # Style encoder level read by DIN layers 1, 2, 3. Reading the deepest level everywhere
    # learns brightness but not hue in the first thousand iterations; the matching scales do.
    style_taps: tuple = (4, 4, 4)
    # DIN layers (1, 2, 3 = scales 1, 1/2, 1/4) whose dynamic convolution is held at zero: they add
    # only the style's bias to the decoder. Cutting the full-resolution skip this way makes the
    # decoder paint the picture from the coarse levels instead of passing the photo through, and
    # needs no change to inference: the weight network's last layer is fixed to give -I (exact in
    # f16), so I + dW = 0.
    bias_only_dins: tuple = ()
    # Style-modulated decoder: every decoder conv but the head gets a per-style scale and shift of
    # its output channels (conditional instance norm's affine, without the norm), predicted from
    # the deepest style level. Folded into the conv weights once per style, so it costs nothing
    # per frame, and it lets the style choose which decoder features fire: DIN alone modulates
    # only the decoder's inputs, and a fixed decoder paints every style with the same strokes.
    modulated_decoder: bool = False
    modulation_hidden: int = 128
    # The modulation's scale is bound * tanh(.), so every gain stays in 1 +- bound: the gains of
    # twelve layers multiply, and unbounded ones blew up the decoder on an unusual held-out
    # style (a blue-and-yellow abstract painted a cyan frame) after 1,100 iterations.
    modulation_bound: float = 0.25
    # PReLU instead of ReLU in the weight, bias and modulation networks. With ReLU, Adam pushes
    # their hidden units below zero for good (the style features are large and all positive, so
    # a few coherent steps on the 3x3 conv move every pre-activation, and while the last layer
    # is still noise, shrinking the hidden units lowers the loss): in the din-mobile weights 98 %
    # of DIN 3's weight-network units never fire, and its dynamic kernel is the same for every
    # style. A slope gives dead units a gradient back. The DIN networks' slopes start at 0 (the
    # ReLU networks they may be grown from), the modulation network's at 0.25.
    param_prelu: bool = False
    # Per-frame capacity where the strokes are drawn: depthwise-separable residual blocks at full
    # resolution before the head, and the head's kernel side (odd). A new block's last 1x1 conv
    # starts at zero and a smaller head sits in the centre of a larger one (`grow_kernel`), so a
    # network grown from one without them starts as the same function.
    full_res_blocks: int = 0
    head_kernel: int = 3
    # What the weight, bias and modulation networks pool over the style's positions before their
    # last (linear) layer: "mean" of the hidden units, or "mean_std", their mean and standard
    # deviation (AdaIN's statistics; twice the head's inputs). Tried because kernels fitted per
    # style took a third off y9's judged style loss; trained from y9 it gained nothing (z1,
    # models/README.md "y9's kernels hold it back").
    param_pool: str = "mean"
    # Training only (export.py folds it away): the weight, bias and modulation networks' heads
    # read their pooled inputs centred and whitened across training styles (`WhitenedHead`).
    # In y9 those inputs are 51-85 % common to all styles and differ between styles in few
    # directions, so a step on a head moves every style's kernels nearly alike. It did not help
    # the style path fit 16 styles at once (z5, the same section).
    param_whiten: bool = False
    # A second style path (style encoder, DIN weight and bias networks, modulation network) under
    # `upscaled.`, for frames painted smaller than shown and scaled up (dinstyle's processing
    # size): the upscaled picture's strokes are larger and softer, so the kernels that paint a
    # frame at its own size and the ones trained with the style term on the picture scaled up
    # (train.py --upscaled-style-weight) differ, and one set does either job worse (z9 and y9,
    # models/README.md). Both paths share the frame network; export.py joins two checkpoints.
    upscaled_style_path: bool = False

    @staticmethod
    def preset(name):
        modulated = Config(style_taps=(1, 2, 4), modulated_decoder=True, param_prelu=True)
        presets = {
            "din-mobile": Config(style_taps=(1, 2, 4)),
            "din-mobile-group": Config(style_taps=(1, 2, 4), din_mode="group"),
            "din-mobile-channel": Config(style_taps=(1, 2, 4), din_mode="channel"),
            "din-mobile-deep-taps": Config(),  # every DIN reads the deepest level: learns no hue
            "din-paint": Config(style_taps=(1, 2, 4), bias_only_dins=(1,)),
            "din-paint-coarse": Config(style_taps=(1, 2, 4), bias_only_dins=(1, 2)),
            "din-modulated": modulated,
            # din-modulated with a third more per-frame work at full resolution, two ways
            "din-modulated-block5": replace(modulated, full_res_blocks=1, head_kernel=5),
            "din-modulated-head7": replace(modulated, head_kernel=7),
            # din-modulated with a style path four (DIN) and two (modulation) times as wide: it runs
            # once per style, so it costs nothing per frame
            "din-modulated-wide-style": replace(modulated, hidden=256, modulation_hidden=256),
            # din-modulated whose style path reads the spread of its hidden units as well
            "din-modulated-std": replace(modulated, param_pool="mean_std"),
            # din-modulated whose parameter networks train on whitened inputs (the same network once
            # exported)
            "din-modulated-whiten": replace(modulated, param_whiten=True),
        }
        if name not in presets:
            raise ValueError(f"unknown preset {name!r}; known: {', '.join(presets)}")
        return presets[name]

    def to_dict(self):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @staticmethod
    def from_dict(d):
        d = dict(d)
        for k in ("widths", "style_widths", "style_taps", "bias_only_dins"):
            if k in d:
                d[k] = tuple(d[k])
        return Config(**d)


class ReflectConv(nn.Module):
    """Reflection padding then a convolution (no zero borders in the image path)."""

    def __init__(self, cin, cout, k, stride=1, groups=1):
        super().__init__()
        self.pad = k // 2
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, groups=groups)

    def forward(self, x):
        return self.conv(F.pad(x, [self.pad] * 4, mode="reflect"))


class DepthwiseSeparable(nn.Module):
    """MobileNetV1 block: depthwise 3x3 (optionally strided), ReLU, pointwise 1x1."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.dw = ReflectConv(cin, cin, 3, stride=stride, groups=cin)
        self.pw = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        return self.pw(F.relu(self.dw(x)))


class ResidualBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = DepthwiseSeparable(c, c)
        self.conv2 = DepthwiseSeparable(c, c)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(x)))


class UpBlock(nn.Module):
    """1x1 channel reduction at low resolution, bilinear x2, depthwise 3x3."""

    def __init__(self, cin, cout):
        super().__init__()
        self.pw = nn.Conv2d(cin, cout, 1)
        self.dw = ReflectConv(cout, cout, 3, groups=cout)

    def forward(self, x):
        x = F.relu(self.pw(x))
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return self.dw(x)


class ContentEncoder(nn.Module):
    def __init__(self, widths):
        super().__init__()
        c1, c2, c3 = widths
        self.stem = ReflectConv(3, c1, 3)
        self.down1 = DepthwiseSeparable(c1, c2, stride=2)
        self.down2 = DepthwiseSeparable(c2, c3, stride=2)
        self.res1 = ResidualBlock(c3)
        self.res2 = ResidualBlock(c3)

    def forward(self, x):
        e1 = F.relu(self.stem(x))
        e2 = F.relu(self.down1(e1))
        e3 = F.relu(self.down2(e2))
        e3 = self.res2(self.res1(e3))
        return e1, e2, e3


class Decoder(nn.Module):
    def __init__(self, widths, full_res_blocks=0, head_kernel=3):
        super().__init__()
        c1, c2, c3 = widths
        self.res1 = ResidualBlock(c3)
        self.res2 = ResidualBlock(c3)
        self.up1 = UpBlock(c3, c2)
        self.up2 = UpBlock(c2, c1)
        self.full_res = nn.Sequential(*(ResidualBlock(c1) for _ in range(full_res_blocks)))
        self.head = ReflectConv(c1, 3, head_kernel)

    def modulated_convs(self):
        """The convs a modulated decoder scales and shifts, in the order of the modulation vector."""
        convs = []
        for res in (self.res1, self.res2):
            for ds in (res.conv1, res.conv2):
                convs += [ds.dw.conv, ds.pw]
        return convs + [self.up1.pw, self.up1.dw.conv, self.up2.pw, self.up2.dw.conv]

    def forward(self, s1, s2, s3, modulation=None):
        """`modulation`: (scale [B, M], shift [B, M]) for `modulated_convs`, or None."""
        hooks = []
        if modulation is not None:
            scale, shift = modulation
            start = 0
            for conv in self.modulated_convs():
                end = start + conv.out_channels
                g = (1 + scale[:, start:end])[:, :, None, None]
                b = shift[:, start:end, None, None]
                hooks.append(conv.register_forward_hook(lambda m, i, o, g=g, b=b: o * g + b))
                start = end
        try:
            x = self.res2(self.res1(s3))
            x = self.up1(x) + s2
            x = self.full_res(self.up2(F.relu(x)) + s1)
            return self.head(F.relu(x))
        finally:
            for h in hooks:
                h.remove()


# The style encoder sees ImageNet-normalised RGB: an all-positive [0, 1] input gives its first
# layer a large common mode that hides colour differences between styles.
RGB_MEAN = (0.485, 0.456, 0.406)
RGB_STD = (0.229, 0.224, 0.225)


class StyleEncoder(nn.Module):
    """Plain 3x3 convs with ReLU: 1 -> 1/16 resolution. No feature normalisation (it would
    erase the statistics that carry the style)."""

    def __init__(self, widths):
        super().__init__()
        layers, cin, self.level_ends = [], 3, []
        for i, c in enumerate(widths):
            layers += [nn.Conv2d(cin, c, 3, stride=1 if i == 0 else 2, padding=1), nn.ReLU()]
            if 0 < i < len(widths) - 1:
                layers += [nn.Conv2d(c, c, 3, padding=1), nn.ReLU()]
            self.level_ends.append(len(layers))
            cin = c
        self.layers = nn.Sequential(*layers)

    def forward(self, s):
        """The feature map at the end of every level (scales 1 .. 1/16)."""
        mean = torch.tensor(RGB_MEAN, dtype=s.dtype, device=s.device).view(1, 3, 1, 1)
        std = torch.tensor(RGB_STD, dtype=s.dtype, device=s.device).view(1, 3, 1, 1)
        s = (s - mean) / std
        levels = []
        for i, layer in enumerate(self.layers, start=1):
            s = layer(s)
            if i in self.level_ends:
                levels.append(s)
        return levels


POOL_EPS = 1e-5  # inside the square root of mean_std pooling: a finite gradient at zero spread


class MeanStdPool(nn.Module):
    """[B, C, H, W] -> [B, 2C, 1, 1]: every channel's mean over positions, then its standard
    deviation (biased, sqrt(var + POOL_EPS))."""

    def forward(self, x):
        var = x.var(dim=(2, 3), keepdim=True, unbiased=False)
        return torch.cat([x.mean(dim=(2, 3), keepdim=True), torch.sqrt(var + POOL_EPS)], 1)


class WhitenedHead(nn.Conv2d):
    """A parameter network's 1x1 head on pooled inputs `x` [B, C, 1, 1] that computes
    `W A (x - c) + b`, where the centre `c` and the whitening `A` are buffers fitted to the pooled
    inputs of training styles (`fit`) and `W`, `b` are what trains. The functions are a plain
    head's (`folded`); only gradient steps differ: every direction in which styles differ
    moves the output as much as any other."""

    def __init__(self, cin, cout):
        super().__init__(cin, cout, 1)
        self.register_buffer("in_center", torch.zeros(cin))
        self.register_buffer("in_whiten", torch.eye(cin))

    def forward(self, x):
        z = (x.flatten(1) - self.in_center) @ self.in_whiten.T
        return super().forward(z[:, :, None, None])

    def folded(self):
        """(weight, bias) of the plain 1x1 conv that computes the same."""
        w = self.weight.flatten(1) @ self.in_whiten
        return w.view_as(self.weight), self.bias - w @ self.in_center

    @torch.no_grad()
    def fit(self, pooled, shrink=0.01):
        """Centre and whiten (ZCA, eigenvalues raised by `shrink` times their mean: directions
        in which no style differs are not blown up) the inputs `pooled` [S, C], keeping the
        function."""
        weight, bias = self.folded()
        pooled = pooled.double()
        center = pooled.mean(0)
        cov = torch.cov((pooled - center).T, correction=0)
        values, vectors = torch.linalg.eigh(cov)
        values = values.clamp(min=0)
        values = values + shrink * values.mean() + 1e-12
        whiten = vectors @ torch.diag(values.rsqrt()) @ vectors.T
        unwhiten = vectors @ torch.diag(values.sqrt()) @ vectors.T
        w = weight.flatten(1).double()
        self.weight.copy_((w @ unwhiten).view_as(self.weight))
        self.bias.copy_(bias + (w @ center).float())
        self.in_center.copy_(center)
        self.in_whiten.copy_(whiten)


class ParamNet(nn.Sequential):
    """Weight or bias network: 3x3 conv, ReLU (or PReLU), 1x1 conv, pooling to the dynamic
    kernel's size (1x1): average, or with pool="mean_std" mean and spread of the hidden units
    before the 1x1 conv; the keys 0..3 are the checkpoint's."""

    def __init__(self, cin, hidden, cout, prelu=False, slope=0.0, pool="mean", whiten=False):
        if pool not in ("mean", "mean_std"):
            raise ValueError(f"unknown param_pool {pool!r}; known: mean, mean_std")
        act = nn.PReLU(hidden, init=slope) if prelu else nn.ReLU()
        spread = pool == "mean_std"
        inputs = 2 * hidden if spread else hidden
        super().__init__(nn.Conv2d(cin, hidden, 3, padding=1), act,
                         WhitenedHead(inputs, cout) if whiten else nn.Conv2d(inputs, cout, 1),
                         MeanStdPool() if spread else nn.AdaptiveAvgPool2d(1))

    def pooled(self, x):
        """What the head reads: [B, inputs, 1, 1]."""
        conv, relu, _, pool = self
        return pool(relu(conv(x)))

    def forward(self, x):
        conv, relu, head, pool = self
        # pooling first gives the same numbers for the mean (both are linear) without building
        # C*C-channel maps at the style's resolution, as the Rust code does; the spread must
        # come before the head anyway
        return head(pool(relu(conv(x))))


def init_conv(m):
    """He init for every conv: PyTorch's default shrinks the signal ~6x in variance per ReLU
    layer, which starves the plain 9-layer style encoder (its output would be ~0)."""
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
        nn.init.zeros_(m.bias)


def instance_norm(x):
    mean = x.mean(dim=(2, 3), keepdim=True)
    var = x.var(dim=(2, 3), keepdim=True, unbiased=False)
    return (x - mean) * torch.rsqrt(var + IN_EPS)


def group_size(channels, mode, groups):
    return {"channel": 1, "group": channels // groups, "full": channels}[mode]


class DIN(nn.Module):
    """DIN(Fc, Fs) = f[Fs, IN(Fc)]: instance norm then a 1x1 dynamic convolution.

    The dynamic kernel is block-diagonal with blocks of `group_size` channels: 1 is a per-channel
    scale (CIN/AdaIN-like), `channels` is full channel mixing.
    """

    def __init__(self, channels, style_channels, hidden, mode, groups, prelu=False, pool="mean", whiten=False):
        super().__init__()
        self.channels = channels
        self.gs = group_size(channels, mode, groups)
        self.weight_net = ParamNet(style_channels, hidden, channels * self.gs, prelu, pool=pool, whiten=whiten)
        self.bias_net = ParamNet(style_channels, hidden, channels, prelu, pool=pool, whiten=whiten)

    def kernels(self, fs):
        """Style features -> (weight [B, G, gs, gs], bias [B, C]); G * gs = C."""
        return self.kernels_from_heads(self.weight_net(fs), self.bias_net(fs))

    def kernels_from_heads(self, dw, bias):
        """The kernels from the weight and bias networks' outputs ([B, C * gs, 1, 1] or [B, C * gs],
        [B, C, ...]): the weight is the identity plus `dw`."""
        b, g = dw.shape[0], self.channels // self.gs
        eye = torch.eye(self.gs, device=dw.device, dtype=dw.dtype)
        return dw.reshape(b, g, self.gs, self.gs) + eye, bias.reshape(b, self.channels)

    def forward(self, fc, weight, bias):
        b, c, h, w = fc.shape
        g, gs = weight.shape[1], weight.shape[2]
        x = instance_norm(fc).view(b, g, gs, h * w)
        y = torch.matmul(weight, x).view(b, c, h, w)
        return y + bias.view(b, c, 1, 1)


STYLE_PATH = ("style_encoder", "din1", "din2", "din3", "modulation_net")
"""Top-level modules of the style path (run once per style); the rest is the frame network."""


class UpscaledStylePath(nn.Module):
    """`Config.upscaled_style_path`: the style path's modules again, for frames painted at the
    processing size and scaled up."""

    def __init__(self, cfg: Config):
        super().__init__()
        twin = DINNet(replace(cfg, upscaled_style_path=False))
        for name in STYLE_PATH:
            if hasattr(twin, name):
                setattr(self, name, getattr(twin, name))

    def dins(self):
        return [self.din1, self.din2, self.din3]


class DINNet(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        c1, c2, c3 = cfg.widths
        cs = [cfg.style_widths[t] for t in cfg.style_taps]
        self.content_encoder = ContentEncoder(cfg.widths)
        self.style_encoder = StyleEncoder(cfg.style_widths)
        din = lambda c, cs: DIN(c, cs, cfg.hidden, cfg.din_mode, cfg.din_groups, cfg.param_prelu,
                               cfg.param_pool, cfg.param_whiten)
        self.din1, self.din2, self.din3 = din(c1, cs[0]), din(c2, cs[1]), din(c3, cs[2])
        self.decoder = Decoder(cfg.widths, cfg.full_res_blocks, cfg.head_kernel)
        if cfg.modulated_decoder:
            channels = sum(c.out_channels for c in self.decoder.modulated_convs())
            # scale and shift of every modulated channel, from the deepest style level
            # a new network: PReLU's usual 0.25 slope from the start (no ReLU to stay close to)
            self.modulation_net = ParamNet(cfg.style_widths[-1], cfg.modulation_hidden, 2 * channels,
                                           cfg.param_prelu, slope=0.25, pool=cfg.param_pool,
                                           whiten=cfg.param_whiten)
        self.apply(init_conv)
        # A fresh network starts as a mid-grey picture. He init all the way to the head gave
        # losses 100x their usual size, and within the first hundred steps out of that the head
        # inputs alive fell from 13 to 9 of 16 (channels held below zero for every input, where
        # ReLU passes no gradient; see `liveness`); from a flat picture they held at 13-15.
        nn.init.zeros_(self.decoder.head.conv.weight)
        nn.init.constant_(self.decoder.head.conv.bias, 0.5)
        for block in self.decoder.full_res:  # start as the identity
            nn.init.zeros_(block.conv2.pw.weight)
            nn.init.zeros_(block.conv2.pw.bias)
        if cfg.modulated_decoder:  # start close to the unmodulated decoder (not at exactly zero:
            # its hidden units would get no gradient until the last layer grew)
            nn.init.normal_(self.modulation_net[2].weight, std=1e-3)
            nn.init.zeros_(self.modulation_net[2].bias)
        for d in self.dins():  # start every DIN layer as plain instance norm (identity kernel)
            for net in (d.weight_net, d.bias_net):
                nn.init.normal_(net[2].weight, std=1e-3)
                nn.init.zeros_(net[2].bias)
        self.hold_bias_only_dins()
        if cfg.upscaled_style_path:
            self.upscaled = UpscaledStylePath(cfg)

    def dins(self):
        return [self.din1, self.din2, self.din3]

    def hold_bias_only_dins(self):
        """Fix the dynamic convolution of `cfg.bias_only_dins` at zero (weights loaded from a
        model without the cut lose that skip here) and exclude it from training."""
        for level in self.cfg.bias_only_dins:
            d = self.dins()[level - 1]
            head = d.weight_net[2]
            with torch.no_grad():
                head.weight.zero_()
                head.bias.copy_(-torch.eye(d.gs).repeat(d.channels // d.gs, 1, 1).flatten())
            d.weight_net.requires_grad_(False)
        return self

    def param_nets(self, upscaled=False):
        """[(network, the style level it reads)]: the DIN layers' weight and bias networks, then
        the modulation network if the config has one; of the upscaled style path with `upscaled`."""
        path = self.upscaled if upscaled else self
        nets = [(pn, t) for d, t in zip(path.dins(), self.cfg.style_taps) for pn in (d.weight_net, d.bias_net)]
        if self.cfg.modulated_decoder:
            nets.append((path.modulation_net, len(self.cfg.style_widths) - 1))
        return nets

    @torch.no_grad()
    def fit_whitening(self, styles, batch=16):
        """Fit every `WhitenedHead` (`cfg.param_whiten`) to the pooled inputs of `styles`
        [S, 3, H, W] in [0, 1] (S well above the widest head's inputs); the function stays."""
        nets = self.param_nets()
        pooled = [[] for _ in nets]
        for i in range(0, len(styles), batch):
            levels = self.style_encoder(styles[i:i + batch])
            for p, (pn, t) in zip(pooled, nets):
                p.append(pn.pooled(levels[t]).flatten(1).float())
        for (pn, _), p in zip(nets, pooled):
            pn[2].fit(torch.cat(p))
        return self

    def without_whitening(self):
        """The same network with plain heads (`cfg.param_whiten` off), as export.py ships it."""
        if not self.cfg.param_whiten:
            return self
        plain = DINNet(replace(self.cfg, param_whiten=False))
        state = {k: v for k, v in self.state_dict().items() if not k.endswith(("in_center", "in_whiten"))}
        for name, module in self.named_modules():
            if isinstance(module, WhitenedHead):
                state[f"{name}.weight"], state[f"{name}.bias"] = (t.detach() for t in module.folded())
        plain.load_state_dict(state)
        return plain

    def param_net_parameters(self):
        mod = list(self.modulation_net.parameters()) if self.cfg.modulated_decoder else []
        return [p for d in self.dins() for p in d.parameters()] + mod

    def encode_style(self, style, upscaled=False):
        """Style image -> style kernels: [(weight, bias)] for DIN layers 1..3, then (scale, shift)
        of the modulated decoder if the config has one. `upscaled`: the kernels for frames
        painted smaller and scaled up (`Config.upscaled_style_path`; the same kernels without
        one)."""
        path = self.upscaled if upscaled and self.cfg.upscaled_style_path else self
        return self.kernels_of(path.style_encoder(style), path)

    def kernels_of(self, levels, path=None):
        """`encode_style` from the style encoder's output, for a caller that needs it too;
        `path`: the module holding the DIN and modulation networks (default: this one)."""
        path = path or self
        kernels = [d.kernels(levels[t]) for d, t in zip(path.dins(), self.cfg.style_taps)]
        if self.cfg.modulated_decoder:
            kernels.append(self.modulation_from_head(path.modulation_net(levels[-1])))
        return kernels

    def modulation_from_head(self, out):
        """The modulated decoder's (scale, shift) from the modulation network's output."""
        scale, shift = out.flatten(1).chunk(2, dim=1)
        return self.cfg.modulation_bound * torch.tanh(scale), shift

    @staticmethod
    def style_signal(levels):
        """A picture's style signal: the channel means of its deepest style level, what the
        modulation network reads ([B, C]; MicroAST's "style signal")."""
        return levels[-1].mean((2, 3))

    def stylize(self, content, kernels):
        """Content image (any size) + style kernels -> stylized image of the same size."""
        h, w = content.shape[2:]
        x = pad_to_stride(content)
        e1, e2, e3 = self.content_encoder(x)
        s1 = self.din1(e1, *kernels[0])
        s2 = self.din2(e2, *kernels[1])
        s3 = self.din3(e3, *kernels[2])
        modulation = kernels[3] if self.cfg.modulated_decoder else None
        return self.decoder(s1, s2, s3, modulation)[:, :, :h, :w]

    def forward(self, content, style):
        return self.stylize(content, self.encode_style(style))


@torch.no_grad()
def liveness(net, content, kernels):
    """How much of the decoder reaches the picture, on one batch:

    * `alive`: share of the head's input channels that fire (> 0) on at least 1 % of pixels;
    * `coarse`: mean |output| of the half-resolution level (`up2`) over that of DIN 1, which it
      is added to: ~0 means only the full-resolution skip paints, and >> 1 means the coarse
      level swamps the skip.

    Every din-mobile model shipped up to 17,750 iterations had 2-4 of 16 head inputs alive and
    `coarse` 43-87: DIN 3's output had grown to |x| ~ 46, the up-sampling levels turned it into
    values of -400..-800 that held the other full-resolution channels below zero for every photo
    and style, and ReLU passes no gradient there, so everything below the full-resolution skip
    (the content encoder's deeper levels, DIN 2 and 3, the decoder) had stopped learning: the
    picture was the stem's features recoloured by DIN 1.
    """
    seen = {}
    hooks = [net.decoder.head.register_forward_hook(lambda m, i, o: seen.__setitem__("head", i[0])),
             net.decoder.up2.register_forward_hook(lambda m, i, o: seen.__setitem__("up2", o)),
             net.din1.register_forward_hook(lambda m, i, o: seen.__setitem__("din1", o))]
    b = content.shape[0]
    try:  # one style's kernels for the whole batch
        net.stylize(content, [tuple(t.expand(b, *t.shape[1:]) for t in k) for k in kernels])
    finally:
        for h in hooks:
            h.remove()
    firing = (seen["head"] > 0).float().mean(dim=(0, 2, 3))
    return {"alive": (firing >= 0.01).float().mean().item(),
            "coarse": (seen["up2"].abs().mean() / seen["din1"].abs().mean().clamp_min(1e-8)).item()}


def grow_kernel(weight, shape):
    """A conv weight with a smaller odd kernel placed in the centre of `shape`'s, zeros around:
    with reflection padding of half the kernel, the larger conv computes the same picture."""
    (co, ci, kh, kw), (h, w) = shape, weight.shape[2:]
    if weight.shape[:2] != (co, ci) or (kh - h) % 2 or (kw - w) % 2 or kh < h or kw < w:
        raise ValueError(f"cannot grow a {tuple(weight.shape)} kernel to {tuple(shape)}")
    out = weight.new_zeros(shape)
    dh, dw = (kh - h) // 2, (kw - w) // 2
    out[:, :, dh:dh + h, dw:dw + w] = weight
    return out


def grow_head_inputs(weight, shape):
    """A weight or bias network's 1x1 head `[out, hidden, 1, 1]` given the inputs of `shape`
    (more of them: mean_std pooling's spreads after the means), zeros for the new ones: the grown
    network computes the same kernels."""
    if weight.shape[0] != shape[0] or weight.shape[2:] != shape[2:] or weight.shape[1] > shape[1]:
        raise ValueError(f"cannot grow a {tuple(weight.shape)} head to {tuple(shape)}")
    out = weight.new_zeros(shape)
    out[:, :weight.shape[1]] = weight
    return out


def padded_size(n):
    return max(MIN_SIDE, -(-n // STRIDE) * STRIDE)


def pad_to_stride(x):
    """Edge-replicate on the bottom/right up to a multiple of the stride (at least MIN_SIDE)."""
    h, w = x.shape[2:]
    ph, pw = padded_size(h) - h, padded_size(w) - w
    if ph == 0 and pw == 0:
        return x
    return F.pad(x, [0, pw, 0, ph], mode="replicate")


def mix_kernels(kernel_sets, weights):
    """Weighted sum of style kernels (style interpolation; alpha mixes with the content's own)."""
    out = []
    for layer in zip(*kernel_sets):
        weight = sum(w * k[0] for w, k in zip(weights, layer))
        bias = sum(w * k[1] for w, k in zip(weights, layer))
        out.append((weight, bias))
    return out


def checkpoint_weights(ckpt):
    """The weights a training checkpoint stands for: the moving average of its weights when the
    run kept one (train.py --ema), else the weights of its last step."""
    return ckpt["ema"]["weights"] if ckpt.get("ema") else ckpt["model"]
