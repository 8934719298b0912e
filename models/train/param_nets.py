"""How much the style reaches the dynamic kernels: for every weight, bias and modulation network,
the fraction of hidden units that fire (ReLU part > 1e-3 for a style), the spread of its
output across styles, and how its head's pooled inputs differ between styles (the share of
their energy common to all styles; the share of what differs that lies in the 1 and 10
directions of most variance), on every 150th training style (20 by default).

    python param_nets.py --model ../din-mobile.safetensors
    python param_nets.py --model runs/din-1000.pt          # a training snapshot
"""

import argparse
import glob

import numpy as np
import torch
from PIL import Image

import train
from model import Config, DINNet


def load(path):
    if str(path).endswith(".safetensors"):
        return train.load_exported(path)[0]
    snap = torch.load(path, weights_only=False, map_location="cpu")
    net = DINNet(Config.from_dict(snap["config"]))
    net.load_state_dict(snap["model"])
    return net


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="exported model (.safetensors) or snapshot (.pt)")
    ap.add_argument("--data", default=str(train.DEFAULT_DATA), help="the shared data folder")
    ap.add_argument("--styles", type=int, default=20, help="styles to look at (default: %(default)s)")
    args = ap.parse_args()
    net = load(args.model).eval()
    paths = sorted(glob.glob(f"{args.data}/style/wikiart/**/*.jpg", recursive=True))[: 150 * args.styles : 150]
    styles = torch.stack([torch.from_numpy(np.asarray(Image.open(p).convert("RGB").resize((256, 256)),
                                                      dtype=np.float32) / 255).permute(2, 0, 1) for p in paths])
    with torch.no_grad():
        levels = net.style_encoder(styles)
        names = [f"din{i} {part}" for i in (1, 2, 3) for part in ("weight", "bias")] + ["modulation"]
        nets = [(name, pn, levels[t]) for name, (pn, t) in zip(names, net.param_nets())]
        print(f"{len(paths)} styles; network: units that fire, output std across styles, output mean (abs); "
              "head inputs: common share, variance in the top 1 / 10 directions")
        for name, pn, features in nets:
            pre = pn[0](features)
            fire = (torch.relu(pre).mean((2, 3)) > 1e-3).float().mean().item()
            out = pn(features).flatten(1)
            pooled = pn.pooled(features).flatten(1)
            center = pooled.mean(0)
            common = center.square().sum() / pooled.square().mean(0).sum()
            variance = torch.linalg.svdvals(pooled - center).square()
            top = variance.cumsum(0) / variance.sum()
            print(f"{name:12s} {fire:6.0%}  {out.std(0).mean():.4f}  {out.mean(0).abs().mean():.4f}  "
                  f"{common:.2f}  {top[0]:.2f} / {top[min(9, len(top) - 1)]:.2f}")


if __name__ == "__main__":
    main()
