"""The floor of the training loss for one style: optimise the pixels of a batch of training crops
directly against the AdaIN loss (VGG-16, the training's layers and weights). A network trained
with the same loss cannot do better on the same crops; `probe_one_style.py` shows how far above
this floor a network sits.

    python pixel_floor.py                  # held-out style 0, 8 crops of 128 px, 300 Adam steps
"""
import argparse

import torch

import data
import losses
import vgg
from train import DEFAULT_DATA, HERE, splits


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--style", type=int, default=0, help="index into the held-out styles")
    ap.add_argument("--crops", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=0.01, help="Adam, on pixels in [0, 1]")
    ap.add_argument("--style-weight", type=float, default=10)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    layers = losses.LossLayers.preset("adain")
    net = vgg.load(HERE / "cache" / "vgg16_relu4_3.pt")
    content_train, _, _, style_val = splits(DEFAULT_DATA)
    style = data.to_uint8_tensor(data.center_square(data.load_rgb(style_val[a.style]), 256))
    with torch.no_grad():
        stats = losses.style_stats_of(net, style[None].float() / 255, layers.style)
    targets = [(m.expand(a.crops, -1), s.expand(a.crops, -1)) for m, s in stats]
    content = data.ContentPool(content_train[:200], min_side=a.crop).batch(a.crops, a.crop, gen)
    with torch.no_grad():
        content_feat = net(content, (layers.content,))[0]
    x = content.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=a.lr)
    for step in range(a.steps + 1):
        feats = net(x, layers.all())
        lc = losses.content_loss(feats[-1], content_feat)
        ls = losses.style_loss(feats, targets, layers.style_weights)
        opt.zero_grad()
        (lc + a.style_weight * ls).backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(0, 1)
        if step % 50 == 0:
            print(f"step {step} style={ls.item():.3f} content={lc.item():.3f}", flush=True)


if __name__ == "__main__":
    main()
