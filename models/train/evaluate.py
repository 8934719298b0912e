"""Validation numbers for a DIN checkpoint on the held-out split (never seen in training).

For every (style, photo) pair at --size: content loss (relu3_3), style loss (mean/std at
relu1_2..relu4_3), both as in training, and SSIM to the content photo. The same numbers are
computed for two references: the content photo itself, and Reinhard et al. (2001) colour transfer
(mean/std matching in l-alpha-beta space).

    python evaluate.py --ckpt runs/din.ckpt
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from skimage.metrics import structural_similarity

import data
import losses
import vgg
from model import Config, DINNet, mix_kernels
from train import DEFAULT_DATA, HERE, splits

# RGB -> LMS -> log10 -> l-alpha-beta (Reinhard, Ashikhmin, Gooch, Shirley 2001).
RGB2LMS = np.array([[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]])
LMS2LAB = np.diag([1 / np.sqrt(3), 1 / np.sqrt(6), 1 / np.sqrt(2)]) @ np.array(
    [[1, 1, 1], [1, 1, -2], [1, -1, 0]])


def reinhard(content, style):
    """Colour transfer of Reinhard et al. 2001 on HxWx3 float RGB images in [0, 1]."""
    def to_lab(rgb):
        lms = np.clip(rgb.reshape(-1, 3) @ RGB2LMS.T, 1e-4, None)
        return np.log10(lms) @ LMS2LAB.T

    c, s = to_lab(content), to_lab(style)
    out = (c - c.mean(0)) / (c.std(0) + 1e-8) * s.std(0) + s.mean(0)
    lms = 10 ** (out @ np.linalg.inv(LMS2LAB).T)
    return np.clip(lms @ np.linalg.inv(RGB2LMS).T, 0, 1).reshape(content.shape)


def ssim(a, b):
    """SSIM (Wang et al. 2004: Gaussian window sigma 1.5) on HxWx3 images in [0, 1], channel mean."""
    return structural_similarity(a, b, channel_axis=2, data_range=1.0, gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False)


def load_net(path):
    ckpt = torch.load(path, weights_only=False, map_location="cpu")
    net = DINNet(Config.from_dict(ckpt["config"]))
    net.load_state_dict(ckpt["model"])
    return net.eval(), ckpt


def to_hwc(t):
    return t[0].permute(1, 2, 0).clamp(0, 1).double().numpy()


def evaluate(net, loss_net, contents, styles, alphas=(1.0,), grid=None):
    """Mean metrics over all pairs; `contents`/`styles` are lists of [1, 3, S, S] tensors."""
    c_feats = [loss_net(c, upto=losses.CONTENT_LAYER + 1)[-1] for c in contents]
    s_stats = [losses.style_stats_of(loss_net, s) for s in styles]
    rows = {}

    def score(name, out, ci, si):
        feats = loss_net(out)
        r = rows.setdefault(name, {"content": [], "style": [], "ssim": []})
        r["content"].append(losses.content_loss(feats[losses.CONTENT_LAYER], c_feats[ci]).item())
        r["style"].append(losses.style_loss(feats, s_stats[si]).item())
        r["ssim"].append(ssim(to_hwc(out), to_hwc(contents[ci])))

    kernels = [net.encode_style(s) for s in styles]
    own = [net.encode_style(c) for c in contents] if any(a < 1 for a in alphas) else None
    for si, style in enumerate(styles):
        for ci, content in enumerate(contents):
            score("content image", content, ci, si)
            rh = torch.from_numpy(reinhard(to_hwc(content), to_hwc(style))).permute(2, 0, 1)[None].float()
            score("Reinhard colour transfer", rh, ci, si)
            for a in alphas:
                k = kernels[si] if a == 1 else mix_kernels([kernels[si], own[ci]], [a, 1 - a])
                out = net.stylize(content, k).clamp(0, 1)
                score("DIN" if a == 1 else f"DIN alpha={a}", out, ci, si)
                if grid is not None and a == 1:
                    grid.setdefault(si, {})[ci] = out
    return {name: {k: float(np.mean(v)) for k, v in r.items()} for name, r in rows.items()}


def save_grid(path, contents, styles, grid, n_content=6):
    from PIL import Image
    tiles = [[torch.ones_like(contents[0])] + contents[:n_content]]
    for si, style in enumerate(styles):
        tiles.append([style] + [grid[si][ci] for ci in range(min(n_content, len(contents)))])
    rows = [torch.cat(r, 3) for r in tiles]
    img = (torch.cat(rows, 2)[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255).round().astype(np.uint8)
    Image.fromarray(img).save(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--vgg", type=Path, default=HERE / "cache" / "vgg16_relu4_3.pt")
    ap.add_argument("--size", type=int, default=256, help="content and style side (default: %(default)s)")
    ap.add_argument("--styles", type=int, default=20, help="held-out styles to use (default: %(default)s)")
    ap.add_argument("--photos", type=int, default=40, help="held-out photos to use (default: %(default)s)")
    ap.add_argument("--alphas", default="1", help="comma-separated alphas (default: %(default)s)")
    ap.add_argument("--grid", type=Path, help="write a picture grid of the first styles/photos (private: it shows validation data)")
    ap.add_argument("--json", type=Path, help="write the numbers here")
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    net, ckpt = load_net(args.ckpt)
    loss_net = vgg.load(args.vgg)
    _, content_val, _, style_val = splits(args.data)
    sq = lambda p: data.to_uint8_tensor(data.center_square(data.load_rgb(p), args.size))[None].float() / 255
    contents = [sq(p) for p in content_val[: args.photos]]
    styles = [sq(p) for p in style_val[: args.styles]]
    grid = {} if args.grid else None
    alphas = tuple(float(a) for a in args.alphas.split(","))
    result = evaluate(net, loss_net, contents, styles, alphas, grid)
    result = {"checkpoint": str(args.ckpt), "iteration": ckpt.get("iteration"), "pairs": len(contents) * len(styles),
              "size": args.size, "metrics": result}
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    if args.grid:
        save_grid(args.grid, contents, styles[:8], grid)


if __name__ == "__main__":
    main()
