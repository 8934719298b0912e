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

VGG features come in Caffe units (inputs 0..255); they are divided by 255 inside the losses so
that the numbers read like those of a network fed 0..1 images.
"""

from dataclasses import dataclass

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
