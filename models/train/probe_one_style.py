"""Capacity probe: train the per-frame network on ONE held-out style and judge it.

With one style the style encoder and the weight/bias networks have nothing to generalise, so
what is left is whether the content encoder and decoder can paint at all: the judged style loss
such a network reaches bounds what any arbitrary-style training of it can reach. The judge
(`../shared/judge`, VGG-19) scores the 20 held-out photos at 256 px every --eval-every
iterations; it is a measuring stick here, never part of the loss.

    python probe_one_style.py --init ../din-mobile.safetensors --out /tmp/probe   # fine-tune
    python probe_one_style.py --widths 32,64,128 --out /tmp/wide                  # from scratch
    python probe_one_style.py --micro --out /tmp/micro    # MicroAST-like per-frame network
    python probe_one_style.py --structure-weight 30 --out /tmp/s30  # keep the photo's structure
    python probe_one_style.py --init ../din-mobile.safetensors --frozen content_encoder,decoder \
        --out /tmp/kernels   # only the style path learns: can the shipped frame network paint it?

A copy of another probe's --ckpt forks it: the copy resumes at that iteration under the options it is
given (e.g. another --structure-weight).

Variants the exported model does not have (--micro, --norm) patch the model's classes in this
process only: they are probes, not presets.
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

import data
import losses
import model as M
import vgg
from evaluate import JUDGE, save_png
from train import DEFAULT_DATA, HERE, init_from, key_prefixes, splits


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--style", type=int, default=0, help="index into the held-out styles (or, with "
                    "--training-style, into the training styles)")
    ap.add_argument("--training-style", action="store_true", help="a style the model was trained "
                    "on: with --init and --frozen, whether the style path fits even its own styles")
    ap.add_argument("--iters", type=int, default=1500)
    ap.add_argument("--lr", type=float, default=3e-4, help="Adam learning rate")
    ap.add_argument("--config", default="din-mobile", help="model preset")
    ap.add_argument("--widths", default=None, help="content path channels, e.g. 32,64,128")
    ap.add_argument("--init", default=None, help="start from these weights (else from scratch)")
    ap.add_argument("--fresh", type=key_prefixes, default=[], help="with --init: comma-separated key "
                    "prefixes of layers that start freshly initialised")
    ap.add_argument("--frozen", type=key_prefixes, default=[], help="comma-separated key prefixes "
                    "of layers that keep their weights, e.g. content_encoder,decoder: with --init, "
                    "whether the trained per-frame network can paint this style given the right "
                    "kernels")
    ap.add_argument("--style-weight", type=float, default=10, help="content + w * style")
    ap.add_argument("--structure-weight", type=float, default=0.0, help="weight of the Laplacian "
                    "structure loss on luma (losses.structure_loss), as in train.py; 0: off")
    ap.add_argument("--structure-pool", type=int, default=2, help="box pooling before the structure "
                    "loss's Laplacian")
    ap.add_argument("--loss", default="adain", help="loss layers (losses.LossLayers preset)")
    ap.add_argument("--octaves", type=int, default=1, help="the style loss is the mean over this many "
                    "scales: the image, then shrunk 2x, 4x ...")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128, help="training crop side")
    ap.add_argument("--content-side", type=int, default=0,
                    help="scale every training photo to this short side first (the judge sees 256 px "
                         "photos); 0 keeps native scale")
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--out", type=Path, required=True, help="folder for pictures and judge scores")
    ap.add_argument("--ckpt", type=Path, default=None,
                    help="checkpoint written at every judging and resumed from when it exists "
                         "(keep it outside the repository)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--fp32", action="store_true", help="no bf16 autocast")
    ap.add_argument("--micro", action="store_true",
                    help="MicroAST-like per-frame network: full 3x3 convs instead of depthwise-"
                         "separable ones, 9x9 stem and head")
    ap.add_argument("--norm", action="store_true",
                    help="instance norm after every conv of the content path but the head")
    return ap.parse_args()


def patch_instance_norm():
    """Instance norm after every conv of the content path (Johnson/Ulyanov style)."""
    norm = M.instance_norm
    M.DepthwiseSeparable.forward = lambda self, x: norm(self.pw(F.relu(norm(self.dw(x)))))

    def up(self, x):
        x = F.relu(norm(self.pw(x)))
        return norm(self.dw(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)))
    M.UpBlock.forward = up


def patch_micro():
    """Full convolutions where the shipped network has depthwise-separable ones, 9x9 at the ends."""
    def separable_as_full(self, cin, cout, stride=1):
        nn.Module.__init__(self)
        self.conv = M.ReflectConv(cin, cout, 3, stride=stride)
    M.DepthwiseSeparable.__init__ = separable_as_full
    M.DepthwiseSeparable.forward = lambda self, x: self.conv(x)

    def up_full(self, cin, cout):
        nn.Module.__init__(self)
        self.pw = nn.Conv2d(cin, cout, 1)
        self.dw = M.ReflectConv(cout, cout, 3)
    M.UpBlock.__init__ = up_full
    encoder_init, decoder_init = M.ContentEncoder.__init__, M.Decoder.__init__

    def encoder(self, widths):
        encoder_init(self, widths)
        self.stem = M.ReflectConv(3, widths[0], 9)

    def decoder(self, widths):
        decoder_init(self, widths)
        self.head = M.ReflectConv(widths[0], 3, 9)
    M.ContentEncoder.__init__, M.Decoder.__init__ = encoder, decoder


def square(path, side):
    return data.to_uint8_tensor(data.center_square(data.load_rgb(path), side))[None].float() / 255


def main():
    a = parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    if a.norm:
        patch_instance_norm()
    if a.micro:
        patch_micro()
    cfg = M.Config.preset(a.config)
    if a.widths:
        cfg.widths = tuple(int(x) for x in a.widths.split(","))
    net = init_from(a.init, cfg, a.fresh)[0] if a.init else M.DINNet(cfg)
    per_frame = sum(p.numel() for n, p in net.named_parameters()
                    if n.startswith(("content_encoder", "decoder")))
    for name, p in net.named_parameters():
        p.requires_grad_(not name.startswith(tuple(a.frozen)))
    trained = [p for p in net.parameters() if p.requires_grad]
    print(f"per-frame parameters {per_frame}, trained {sum(p.numel() for p in trained)}", flush=True)
    layers = losses.LossLayers.preset(a.loss)
    loss_net = vgg.load(HERE / "cache" / "vgg16_relu4_3.pt")
    content_train, content_val, style_train, style_val = splits(DEFAULT_DATA)
    style_path = (style_train if a.training_style else style_val)[a.style]
    style = square(style_path, 256)
    photos = [(p.stem, square(p, 256)) for p in content_val[:20]]
    with torch.no_grad():
        style_stats = [losses.style_stats_of(loss_net, losses.downsample(style, 2 ** o), layers.style)
                       for o in range(a.octaves)]
    pool = data.ContentPool(content_train, min_side=max(a.crop, a.content_side))
    if a.content_side:
        pool.images = [data.to_uint8_tensor(data.resize_short(data.load_rgb(p), a.content_side))
                       for p in content_train]
    (a.out / "content").mkdir(parents=True, exist_ok=True)
    (a.out / "style").mkdir(exist_ok=True)
    save_png(style, a.out / "style" / f"{style_path.stem}.png")
    for stem, photo in photos:
        save_png(photo, a.out / "content" / f"{stem}.png")

    def judge(it):
        net.eval()
        folder = a.out / f"it{it}"
        folder.mkdir(exist_ok=True)
        with torch.no_grad():
            kernels = net.encode_style(style)
            for stem, photo in photos:
                painted = net.stylize(photo, kernels).clamp(0, 1)
                save_png(painted, folder / f"{stem}__{style_path.stem}.png")
        scores = Path(f"{folder}.json")
        subprocess.run([sys.executable, str(JUDGE), str(folder), "--content", str(a.out / "content"),
                        "--style", str(a.out / "style"), "--json", str(scores), "--threads", "1"],
                       check=True, stdout=subprocess.DEVNULL)
        s = json.loads(scores.read_text())["summary"]
        print(f"JUDGE it={it} style={s['style_loss']:.3f} ssim={s['ssim']:.3f} "
              f"color={s['color_dist']:.2f}", flush=True)
        net.train()

    opt = torch.optim.Adam(trained, lr=a.lr)
    first = 1
    if a.ckpt and a.ckpt.exists():
        snap = torch.load(a.ckpt, weights_only=False)
        net.load_state_dict(snap["model"])
        opt.load_state_dict(snap["optimizer"])
        gen.set_state(snap["generator"])
        first = snap["iteration"] + 1
        print(f"resumed {a.ckpt} at iteration {snap['iteration']}", flush=True)
    else:
        judge(0)
    started, style_sum, structure_sum, b = time.time(), 0.0, 0.0, a.batch
    for it in range(first, a.iters + 1):
        content = pool.batch(b, a.crop, gen)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=not a.fp32):
            kernels = [(w.expand(b, *w.shape[1:]), bias.expand(b, *bias.shape[1:]))
                       for w, bias in net.encode_style(style)]
            painted = net.stylize(content, kernels)
            feats = loss_net(painted, layers.all())
            octave_feats = losses.octave_features(loss_net, painted, layers.style, a.octaves)
            with torch.no_grad():
                content_feat = loss_net(content, (layers.content,))[0]
        lc = losses.content_loss(feats[-1], content_feat)
        targets = [[(m.expand(b, -1), s.expand(b, -1)) for m, s in stats] for stats in style_stats]
        ls = losses.octave_style_loss([feats] + octave_feats, targets, layers.style_weights)
        lst = losses.structure_loss(painted, content, a.structure_pool)
        opt.zero_grad()
        (lc + a.style_weight * ls + a.structure_weight * lst).backward()
        opt.step()
        style_sum += ls.item()
        structure_sum += lst.item()
        if it % 50 == 0:
            rate = 50 / (time.time() - started)
            print(f"it={it} style={style_sum / 50:.3f} structure={structure_sum / 50:.4f} "
                  f"content={lc.item():.3f} {rate:.2f} it/s", flush=True)
            style_sum, structure_sum, started = 0.0, 0.0, time.time()
        if it % a.eval_every == 0:
            judge(it)
            if a.ckpt:
                tmp = a.ckpt.with_suffix(".tmp")
                torch.save({"model": net.state_dict(), "optimizer": opt.state_dict(),
                            "generator": gen.get_state(), "iteration": it}, tmp)
                tmp.replace(a.ckpt)


if __name__ == "__main__":
    main()
