"""Losses of the DIN paper, on a frozen VGG-16: perceptual content loss (Johnson et al. 2016) and
the BN-statistic style loss (mean and standard deviation of each channel; Li et al. 2017).

VGG features come in Caffe units (inputs 0..255); they are divided by 255 inside the losses so
that the numbers read like those of a network fed 0..1 images.
"""

import torch.nn.functional as F

CONTENT_LAYER = 2  # index into vgg.LAYERS: relu3_3
FEATURE_SCALE = 1.0 / 255.0
# Style loss weights of relu1_2 .. relu4_3: the inverse of each layer's mean loss between random
# training photos and paintings (128 px crops; 0.39, 1.09, 1.62, 0.079), so that every layer
# starts near 1. Unweighted, texture energy (relu2_2/relu3_3 std) dwarfs colour (relu1_2) and
# structure (relu4_3), and the network learns one generic texture for every style.
STYLE_LAYER_WEIGHTS = (2.5, 1.0, 0.6, 12.5)
STD_EPS = 1e-5


def mean_std(feat):
    """Per-channel mean and standard deviation over space (Caffe units, f32): [B, C] each."""
    f = feat.float().flatten(2)
    mean = f.mean(2)
    std = (f.var(2, unbiased=False) + STD_EPS).sqrt()
    return mean, std


def content_loss(out_feat, content_feat):
    return F.mse_loss(out_feat.float() * FEATURE_SCALE, content_feat.float() * FEATURE_SCALE)


def style_loss(out_feats, style_stats):
    """Weighted sum over layers of MSE(mean) + MSE(std); `style_stats` is [(mean, std)] per layer."""
    total = 0.0
    k = FEATURE_SCALE
    for feat, (ms, ss), w in zip(out_feats, style_stats, STYLE_LAYER_WEIGHTS):
        mo, so = mean_std(feat)
        total = total + w * (F.mse_loss(mo * k, ms * k) + F.mse_loss(so * k, ss * k))
    return total


def style_stats_of(vgg, images):
    return [mean_std(f) for f in vgg(images)]
