"""Perceptual losses on a frozen VGG-16: a content loss on one layer's features (Johnson et al.
2016) and the BN-statistic style loss (mean and standard deviation of each channel at several
layers; Li et al. 2017, the loss of DIN and AdaIN).

Two choices of layers, as `LossLayers` presets:

* "johnson": content relu3_3, style relu1_2 / relu2_2 / relu3_3 / relu4_3 (Johnson et al.,
  the DIN paper), each style layer weighted (2.5, 1.0, 0.6, 12.5): the inverse of its mean loss
  between random training photos and paintings, so every layer starts near 1. The first models.
* "adain": content relu4_1, style relu1_1 / relu2_1 / relu3_1 / relu4_1 at equal weights (AdaIN,
  MicroAST). The first ReLU of each block carries more of the fine texture and colour than the
  block's last one, and a deeper content layer leaves the strokes free.
* "balanced": the "adain" layers, each weighted by the inverse of its mean loss between training
  photos (128 px crops) and training paintings (256 px), as "johnson" does. At equal weights
  relu1_1 carries 1 % of that loss and relu3_1 53 %, so a network short of capacity gave up the
  colour and fine texture of relu1_1 / relu2_1 first (`python losses.py` measures them again).

VGG features come in Caffe units (inputs 0..255); they are divided by 255 inside the losses so
that the numbers read like those of a network fed 0..1 images.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

FEATURE_SCALE = 1.0 / 255.0
STD_EPS = 1e-5


@dataclass(frozen=True)
class LossLayers:
    content: str
    style: tuple
    style_weights: tuple

    @staticmethod
    def preset(name):
        presets = {
            "johnson": LossLayers("relu3_3", ("relu1_2", "relu2_2", "relu3_3", "relu4_3"), (2.5, 1.0, 0.6, 12.5)),
            "adain": LossLayers("relu4_1", ("relu1_1", "relu2_1", "relu3_1", "relu4_1"), (1.0, 1.0, 1.0, 1.0)),
            "balanced": LossLayers("relu4_1", ("relu1_1", "relu2_1", "relu3_1", "relu4_1"), (44.0, 2.2, 0.56, 0.91)),
        }
        if name not in presets:
            raise ValueError(f"unknown loss {name!r}; known: {', '.join(presets)}")
        return presets[name]

    def all(self):
        """Every layer the losses read, style layers first (the content layer last if new)."""
        return self.style + (() if self.content in self.style else (self.content,))


def mean_std(feat):
    """Per-channel mean and standard deviation over space (Caffe units, f32): [B, C] each."""
    f = feat.float().flatten(2)
    mean = f.mean(2)
    std = (f.var(2, unbiased=False) + STD_EPS).sqrt()
    return mean, std


def content_loss(out_feat, content_feat):
    return F.mse_loss(out_feat.float() * FEATURE_SCALE, content_feat.float() * FEATURE_SCALE)


def style_loss(out_feats, style_stats, layer_weights):
    """Weighted sum over layers of MSE(mean) + MSE(std); `style_stats` is [(mean, std)] per layer."""
    total = 0.0
    k = FEATURE_SCALE
    for feat, (ms, ss), w in zip(out_feats, style_stats, layer_weights):
        mo, so = mean_std(feat)
        total = total + w * (F.mse_loss(mo * k, ms * k) + F.mse_loss(so * k, ss * k))
    return total


def style_stats_of(vgg, images, layers):
    return [mean_std(f) for f in vgg(images, layers)]


def downsample(images, factor):
    """Images shrunk `factor` times by box averaging (bf16-safe): at 2 the style statistics see
    strokes twice as large relative to VGG's receptive fields."""
    return images if factor == 1 else F.avg_pool2d(images, factor)


def upscale(images, factor):
    """Images scaled up `factor` times, bicubic and clamped to [0, 1]: how dinstyle shows a picture
    painted at its processing size on a larger frame (its Catmull-Rom filter is a close twin)."""
    return F.interpolate(images, scale_factor=factor, mode="bicubic", align_corners=False).clamp(0, 1)


def random_window(images, side, gen):
    """One `side` x `side` window of the batch, at a place drawn from `gen` (all of it if smaller)."""
    h, w = images.shape[-2:]
    if side >= min(h, w):
        return images
    y = int(torch.randint(h - side + 1, (1,), generator=gen))
    x = int(torch.randint(w - side + 1, (1,), generator=gen))
    return images[..., y:y + side, x:x + side]


def octave_features(loss_net, painted, layers, octaves):
    """The painting's features at `layers` shrunk 2x, 4x ...: octaves 1 to `octaves` - 1."""
    return [loss_net(downsample(painted, 2 ** o), layers) for o in range(1, octaves)]


def octave_style_loss(feats_per_octave, stats_per_octave, layer_weights):
    """`style_loss` averaged over octaves (octave 0: the painting as it is)."""
    return sum(style_loss(f, stats, layer_weights)
               for f, stats in zip(feats_per_octave, stats_per_octave)) / len(stats_per_octave)


# Rec. 601 luma: the structure term leaves colour to the style
LUMA = (0.299, 0.587, 0.114)
LAPLACIAN = ((0.0, -1.0, 0.0), (-1.0, 4.0, -1.0), (0.0, -1.0, 0.0))


def laplacian(images, pool):
    """The Laplacian of the images' luma after `pool` x `pool` box averaging: [B, 1, H/pool - 2,
    W/pool - 2] (valid borders: no padding to invent edges)."""
    kernel = images.new_tensor(LAPLACIAN, dtype=torch.float32).view(1, 1, 3, 3)
    return F.conv2d(downsample(luma(images), pool), kernel)


def luma(images):
    """[B, 3, H, W] RGB -> [B, 1, H, W] luma (BT.601), in float32."""
    return (images.float() * images.new_tensor(LUMA, dtype=torch.float32).view(1, 3, 1, 1)).sum(1, keepdim=True)


def structure_loss(painted, photo, pool):
    """Laplacian loss (Li et al. 2017, "Laplacian-Steered Neural Style Transfer"): the painting
    keeps the photo's edges and fine structure, on luma only so that the colours stay the style's.
    relu4_1's content loss barely constrains structure at that scale, which is where faces and
    thin dark shapes were lost."""
    return F.mse_loss(laplacian(painted, pool), laplacian(photo, pool))


def style_contrast_loss(painted_signals, style_signals, style_of, temperature):
    """MicroAST's style signal contrastive term (Wang et al., AAAI 2023), InfoNCE over the batch:
    each painting's style signal (`painted_signals`, [B, C]) should be nearer, in cosine, to the
    signal of the style it was painted with (`style_signals[style_of[i]]`, [S, C]) than to the
    other styles' in the batch. It reads the model's own style encoder, not a loss network: it
    asks that a painting be recognisable as its style by the same features that encode styles,
    and gives the style encoder a reason to tell styles apart."""
    logits = F.normalize(painted_signals.float(), dim=1) @ F.normalize(style_signals.float(), dim=1).T
    return F.cross_entropy(logits / temperature, style_of)


def layer_losses(loss_net, photos, paintings, layers):
    """Each layer's unweighted style loss between photo i and painting i, averaged: [len(layers)]."""
    targets = style_stats_of(loss_net, paintings, layers)
    return torch.stack([style_loss([feat], [target], (1.0,))
                        for feat, target in zip(loss_net(photos, layers), targets)])


def main():
    """Measure the "balanced" preset's layer weights: 1 / mean loss over random training pairs."""
    import argparse
    from pathlib import Path

    import data
    import train
    import vgg

    ap = argparse.ArgumentParser(description=main.__doc__,
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--data", type=Path, default=train.DEFAULT_DATA)
    ap.add_argument("--pairs", type=int, default=64)
    ap.add_argument("--crop", type=int, default=128, help="photo crop side, as in training")
    ap.add_argument("--style-size", type=int, default=256)
    a = ap.parse_args()
    gen = torch.Generator().manual_seed(1)
    content_train, _, style_train, _ = train.splits(a.data)
    loss_net = vgg.load(train.HERE / "cache" / "vgg16_relu4_3.pt")
    layers = LossLayers.preset("adain").style
    pool = data.ContentPool(content_train[::20], min_side=a.crop)
    pick = torch.randperm(len(style_train), generator=gen)[:a.pairs]
    paintings = data.load_squares([style_train[i] for i in pick], a.style_size).float() / 255
    with torch.no_grad():
        mean = sum(layer_losses(loss_net, pool.batch(8, a.crop, gen), paintings[i:i + 8], layers)
                   for i in range(0, a.pairs, 8)) / (a.pairs // 8)
    for layer, m in zip(layers, mean.tolist()):
        print(f"{layer}: mean loss {m:.4f}, weight {1 / m:.3g}")


if __name__ == "__main__":
    main()
