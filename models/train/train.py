"""Train DIN (Jing et al., AAAI 2020) on ../shared/data with a frozen VGG-16 loss network.

    python train.py --iters 3000 --crop 64 --style-size 128             # from scratch
    python train.py --iters 30000 --crop 128 --resume                    # continues the checkpoint

run.sh chains the phases of the shipped recipe and passes its options. Losses: content and
BN-statistic style losses at the layers of a `losses.LossLayers` preset (--loss), an identity
loss (a content image used as its own style comes back unchanged) that gives the content-style
trade-off `alpha` its meaning, with --temporal-weight the temporal regulariser of
temporal.py (stable video without flow), and with --upscaled-style-weight a style term on the
painting scaled up 2x, as dinstyle shows frames painted at its processing size on larger ones.
Adam; the defaults are the first models' recipe, see --help. The checkpoint holds model,
optimiser, iteration and RNG: --resume continues.
"""

import argparse
import dataclasses
import hashlib
import json
import math
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F

import data
import losses
import temporal
import vgg
from model import Config, DINNet, checkpoint_weights, grow_head_inputs, grow_kernel, liveness

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[2] / "shared" / "data"
CONTENT_FOLDERS = ["content"]
STYLE_FOLDERS = ["style/wikiart", "style/pacs_art", "style/hires"]
VAL_CONTENT, VAL_STYLE = 40, 20


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--vgg", type=Path, default=HERE / "cache" / "vgg16_relu4_3.pt", help="loss network (vgg.py)")
    ap.add_argument("--cache", type=Path, default=HERE / "cache", help="style images and their VGG statistics")
    ap.add_argument("--config", default="din-mobile", help="model preset (model.Config.preset)")
    ap.add_argument("--ckpt", type=Path, default=HERE / "runs" / "din.ckpt", help="checkpoint to write")
    ap.add_argument("--resume", action="store_true", help="continue from --ckpt")
    ap.add_argument("--init", type=Path, help="start from an exported model (export.py), e.g. the shipped one, "
                    "at its iteration, with a fresh optimiser")
    ap.add_argument("--fresh", type=key_prefixes, default=[], help="with --init: comma-separated key "
                    "prefixes of layers that start freshly initialised instead (e.g. dead ones)")
    ap.add_argument("--frozen", type=key_prefixes, default=[], help="comma-separated key prefixes of "
                    "layers that keep their weights (e.g. content_encoder,decoder: only the style path "
                    "learns, whether the kernels it predicts are what holds the model back)")
    ap.add_argument("--style-subset", type=int, default=0, help="train on this many training styles only, "
                    "evenly spread over the list (a probe: can the style path fit a few styles at once?); "
                    "0: all")
    ap.add_argument("--hue-turn", type=float, default=0.0, help="share of the batch's paintings whose hue is "
                    "turned by 60-300 degrees (their statistics computed on the fly): paintings the style path "
                    "has never seen, against its overfitting to the training paintings; 0: off")
    ap.add_argument("--iters", type=int, default=60000, help="train until this iteration")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--styles-per-batch", type=int, help="distinct styles per batch, each painted on "
                    "batch/N photos: fewer style-encoder passes (default: one style per photo)")
    ap.add_argument("--crop", type=int, default=128, help="content crop side")
    ap.add_argument("--style-size", type=int, default=256, help="style image side (centre square)")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--decay-from", type=int, help="iteration where the learning rate starts a cosine decay "
                    "to --lr-floor x lr at --iters (default: constant)")
    ap.add_argument("--lr-floor", type=float, default=0.05, help="last learning rate of the decay, times --lr")
    ap.add_argument("--warmup", type=int, default=500, help="iterations of linear learning-rate warm-up after "
                    "--init (a fresh Adam on trained weights first moves every parameter by a full step)")
    ap.add_argument("--clip-factor", type=float, default=4.0, help="clip the gradient norm to this many times "
                    "its running average (0: no clipping); against rare steps that undo training")
    ap.add_argument("--param-lr-mult", type=float, default=10.0, help="weight/bias networks' lr multiplier")
    ap.add_argument("--content-weight", type=float, default=1.0)
    ap.add_argument("--style-weight", type=float, default=5.0, help="weight of the layer-balanced style loss")
    ap.add_argument("--loss", default="johnson", help="loss layers: johnson, adain or balanced (losses.LossLayers)")
    ap.add_argument("--octaves", type=int, default=1, help="the style loss is the mean over this many "
                    "scales of the painting and the style: as they are, shrunk 2x, 4x ... (larger strokes)")
    ap.add_argument("--upscaled-style-weight", type=float, default=0.0, help="weight of a style term on "
                    "a window of the painting scaled up 2x (bicubic, as dinstyle shows frames painted at its "
                    "processing size on larger ones) against the paintings at 2x --style-size: strokes that "
                    "still match the painting when scaled up; 0: off")
    ap.add_argument("--upscaled-window", type=int, default=64, help="side of the window of the crop that "
                    "term scales up (the whole 128 px crop scaled up costs four loss-network passes)")
    ap.add_argument("--structure-weight", type=float, default=0.0, help="weight of the Laplacian "
                    "structure loss on luma (losses.structure_loss); 0: off")
    ap.add_argument("--structure-pool", type=int, default=2, help="box pooling before the structure "
                    "loss's Laplacian: the scale of the structure it keeps")
    ap.add_argument("--contrast-weight", type=float, default=0.0, help="weight of the style signal "
                    "contrastive term (MicroAST; losses.style_contrast_loss): each painting's signal in the "
                    "model's own style encoder nearer its style's than the batch's other styles'; 0: off")
    ap.add_argument("--contrast-temperature", type=float, default=0.3, help="its softmax temperature")
    ap.add_argument("--identity-weight", type=float, default=10.0, help="weight of the L1 identity loss")
    ap.add_argument("--identity-style-sizes", type=sizes, default=[], help="comma-separated sides at which "
                    "the identity loss's photo is encoded as its own style, one drawn per step (the crop "
                    "painted is a window of it); empty: the crop itself. Styles are encoded at --style-size, "
                    "and a network that only sees photos as styles at the crop's side learns that side means "
                    "'photo': at 256 its own kernels paint the photo instead of giving it back")
    ap.add_argument("--temporal-weight", type=float, default=0.0,
                    help="weight of the temporal regulariser (temporal.py; 0: off)")
    ap.add_argument("--flow-max", type=float, default=6.0, help="largest random flow, pixels of the crop")
    ap.add_argument("--flow-noise", type=float, default=0.02, help="std of the noise added to the moved frame")
    ap.add_argument("--device", default="auto", help="auto (CUDA when available), cpu, cuda, cuda:N")
    ap.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=None, help="bf16 autocast "
                    "(default: on CUDA, and on CPUs with bf16 instructions; a CPU without them, AVX2 only, "
                    "runs bf16 about 6x slower than f32)")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--save-every-min", type=float, default=10.0)
    ap.add_argument("--snapshot-every", type=int, default=0, help="also keep the weights every N iterations "
                    "as CKPT-<iteration>.pt (0: never)")
    ap.add_argument("--ema", type=float, default=0.0, help="keep an exponential moving average of the weights "
                    "with this decay (e.g. 0.999: about the last 1,000 steps); snapshots and export.py take "
                    "it. At a constant learning rate single steps wander along the style/content front; "
                    "the average is the settled model (0: off)")
    ap.add_argument("--bench", type=int, default=0, help="time N steps (after 2 warm-up steps) with these "
                    "options, print it/s and exit without writing anything")
    ap.add_argument("--stop-at", type=int, default=0, help="stop (with a checkpoint) at this iteration, before "
                    "--iters, whose learning-rate schedule still applies: the part of a cycle that a later run "
                    "forked from (run.sh); 0: run to --iters")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop this run (with a checkpoint) after this many minutes; 0: no limit")
    ap.add_argument("--fit-minutes", type=float, default=0, help="set --iters from the speed of the first "
                    "steps so that the run (and its --decay-from cosine) ends after about this many minutes "
                    "(a lease on a GPU machine); the iterations chosen are printed; 0: keep --iters")
    args = ap.parse_args(argv)
    args.styles_per_batch = args.styles_per_batch or args.batch
    if any(side < args.crop for side in args.identity_style_sizes):
        ap.error("--identity-style-sizes must be at least --crop")
    if args.batch % args.styles_per_batch:
        ap.error("--styles-per-batch must divide --batch")
    if args.hue_turn > 0 and args.upscaled_style_weight > 0:
        ap.error("--hue-turn: the upscaled style term's statistics are cached for the paintings as they are")
    args.loss_layers = losses.LossLayers.preset(args.loss)
    return args


def splits(root):
    content_train, content_val = data.split(data.list_images(root, CONTENT_FOLDERS), VAL_CONTENT)
    style_train, style_val = data.split(data.list_images(root, STYLE_FOLDERS), VAL_STYLE)
    return content_train, content_val, style_train, style_val


def cached_styles(paths, side, loss_net, layers, cache_dir, octaves=1, bf16=True):
    """uint8 style squares and their VGG mean/std at `layers` for each octave (the squares shrunk
    1x, 2x, 4x ...), computed once and kept on disk (the images and each set of statistics in
    files of their own). "stats" is [octave][layer] -> [N, 2, C] (mean, std)."""
    key = styles_key(paths, side)
    images_path = Path(cache_dir) / f"styles_{side}_{key}.pt"
    stats_path = stats_file(cache_dir, side, key, layers)
    if images_path.exists():
        images = torch.load(images_path, weights_only=True)["images"]
    else:
        print(f"caching {len(paths)} styles at {side}px -> {images_path}", flush=True)
        images = data.load_squares(paths, side)
        images_path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"images": images}, images_path)
    per_octave = []
    for octave in range(octaves):
        factor = 2 ** octave
        path = stats_path if factor == 1 else stats_path.with_name(f"{stats_path.stem}_x{factor}.pt")
        if not path.exists():
            print(f"computing their VGG statistics at {', '.join(layers)}, shrunk {factor}x -> {path}", flush=True)
            torch.save(style_stats_table(images, loss_net, layers, factor, bf16), path)
        per_octave.append(torch.load(path, weights_only=True))
    return {"images": images, "stats": per_octave}


def styles_key(paths, side):
    return hashlib.sha256(("\n".join(p.name for p in paths) + f"\n{side}").encode()).hexdigest()[:16]


def stats_file(cache_dir, side, key, layers):
    return Path(cache_dir) / f"stats_{side}_{key}_{'-'.join(layers)}.pt"


WHITENING_STYLES = 512  # training styles the whitened heads (Config.param_whiten) are fitted to


def style_subset(styles, upscaled_table, count):
    """`count` styles evenly spread over the cached ones, and their rows of the statistics."""
    keep = torch.linspace(0, len(styles["images"]) - 1, count).round().long()
    styles = {"images": styles["images"][keep], "stats": [[s[keep] for s in octave] for octave in styles["stats"]]}
    return styles, (None if upscaled_table is None else [s[keep] for s in upscaled_table])


def stats_of(table, idx, device):
    """The rows `idx` of a [layer] -> [N, 2, C] statistics table as [(mean, std)] per layer."""
    return [(s[idx, 0].to(device), s[idx, 1].to(device)) for s in table]


def cached_stats(paths, side, loss_net, layers, cache_dir, bf16=True, chunk=64):
    """The styles' VGG mean/std at `layers` at `side` px, as `cached_styles` would give for octave 0,
    without keeping the images (5,000 paintings at 512 px are 4 GB): [layer] -> [N, 2, C]."""
    path = stats_file(cache_dir, side, styles_key(paths, side), layers)
    if not path.exists():
        print(f"computing the VGG statistics of {len(paths)} styles at {side}px -> {path}", flush=True)
        parts = [style_stats_table(data.load_squares(paths[i:i + chunk], side), loss_net, layers, 1, bf16)
                 for i in range(0, len(paths), chunk)]
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save([torch.cat(layer) for layer in zip(*parts)], path)
    return torch.load(path, weights_only=True)


def style_stats_table(images, loss_net, layers, factor, bf16=True):
    stats = [[] for _ in layers]
    device = loss_net.mean.device
    # bf16 (as --bf16): the statistics are means over thousands of pixels, and the loss sees bf16
    # features too
    with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        for i in range(0, len(images), 16):
            batch = losses.downsample(images[i:i + 16].to(device).float() / 255, factor)
            for layer, (m, s) in enumerate(losses.style_stats_of(loss_net, batch, layers)):
                stats[layer].append(torch.stack([m, s], 1).cpu())
    return [torch.cat(s) for s in stats]


def load_exported(path):
    """A model file written by export.py (f16 weights, config in the metadata) -> (net, iteration)."""
    from safetensors import safe_open
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        state = {k: f.get_tensor(k).float() for k in f.keys()}
    net = DINNet(Config.from_dict(json.loads(meta["config"])))
    net.load_state_dict(state)
    return net, int(meta.get("iterations", 0))


def sizes(text):
    """`--identity-style-sizes`' value: comma-separated sides in pixels."""
    return [int(v) for v in text.split(",") if v]


def identity_pair(contents, content, args, gen):
    """The identity loss's (photo encoded as its own style, window of it that is painted): the
    content crops themselves, or with --identity-style-sizes photos at a side drawn from the list
    and a random --crop window of them."""
    if not args.identity_style_sizes:
        return content, content
    side = args.identity_style_sizes[int(torch.randint(len(args.identity_style_sizes), (1,), generator=gen))]
    if side == args.crop:
        return content, content
    photos = contents.batch(args.batch, side, gen).to(content.device)
    y, x = (int(torch.randint(side - args.crop + 1, (1,), generator=gen)) for _ in range(2))
    return photos, photos[:, :, y:y + args.crop, x:x + args.crop]


def key_prefixes(text):
    """`--fresh`'s and `--frozen`'s value: comma-separated checkpoint key prefixes."""
    return [p for p in text.split(",") if p]


def init_from(path, cfg, fresh=()):
    """A `cfg` network starting from another model's weights wherever the shapes agree (e.g.
    din-mobile -> din-modulated: the same tensors plus a modulation network), with a larger
    head grown from the smaller one (`model.grow_kernel`) and mean-pooled weight and bias
    networks grown to mean_std pooling (`model.grow_head_inputs`). `path`: an exported
    model (export.py) or a training snapshot (--snapshot-every). Tensors whose keys start with
    one of `fresh` keep their fresh initialisation (layers to re-learn). From a model with an
    upscaled style path (`Config.upscaled_style_path`) a `cfg` without one takes the main path;
    to train from the upscaled one, export that network on its own."""
    if str(path).endswith(".safetensors"):
        source, it = load_exported(path)
        weights = source.state_dict()
    else:
        snap = torch.load(path, weights_only=False, map_location="cpu")
        weights, it = checkpoint_weights(snap), snap["iteration"]
    net = DINNet(cfg)
    own = net.state_dict()
    taken = {k: v for k, v in weights.items()
             if k in own and own[k].shape == v.shape and not k.startswith(tuple(fresh))}
    head = "decoder.head.conv.weight"  # a larger head starts as the smaller one
    if head in weights and head not in taken and not head.startswith(tuple(fresh)):
        taken[head] = grow_kernel(weights[head], own[head].shape)
    for k in own:  # mean-pooled weight/bias/modulation networks grown to mean_std pooling
        if k.endswith("_net.2.weight") and k in weights and k not in taken and not k.startswith(tuple(fresh)):
            taken[k] = grow_head_inputs(weights[k], own[k].shape)
    if len(taken) < len(own):
        print(f"{len(own) - len(taken)} of {len(own)} tensors not in {path}: fresh", flush=True)
    net.load_state_dict(taken, strict=False)
    return net.hold_bias_only_dins(), it


def freeze(net, prefixes):
    """Stops the gradient of every parameter under one of `prefixes`: Adam skips a parameter
    without a gradient, so a resumed optimiser and the weight average need no change."""
    for name, p in net.named_parameters():
        if name.startswith(tuple(prefixes)):
            p.requires_grad_(False)
    return net


def make_optimizer(net, lr, mult):
    param_ids = {id(p) for p in net.param_net_parameters()}
    rest = [p for p in net.parameters() if id(p) not in param_ids]
    return torch.optim.Adam([{"params": rest, "lr": lr},
                             {"params": net.param_net_parameters(), "lr": lr * mult}])


def set_lr(opt, args, it, warmup_from):
    """Linear warm-up over --warmup iterations from `warmup_from` (where a fresh optimiser met
    trained weights), cosine decay from --lr at --decay-from to --lr-floor x --lr at --iters
    (each group keeps its multiplier)."""
    scale = 1.0
    if warmup_from is not None and args.warmup > 0:
        scale = min(max((it + 1 - warmup_from) / args.warmup, 0.0), 1.0)
    if args.decay_from is not None:
        t = min(max((it - args.decay_from) / max(args.iters - args.decay_from, 1), 0.0), 1.0)
        scale *= args.lr_floor + (1 - args.lr_floor) * 0.5 * (1 + math.cos(math.pi * t))
    for group, mult in zip(opt.param_groups, (1.0, args.param_lr_mult)):
        group["lr"] = args.lr * mult * scale


def last_iteration(args):
    """Where this run stops: --iters, or --stop-at before it (the schedule still runs to --iters)."""
    return min(args.iters, args.stop_at) if args.stop_at else args.iters


def pick_device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def hue_turned(style, style_stats, args, loss_net, gen):
    """Turn the hue of a share (--hue-turn) of the batch's paintings and put their statistics, per
    octave and layer, in place of the cached ones (rows: one per photo, batch/styles rows each)."""
    turned = torch.rand(len(style), generator=gen) < args.hue_turn
    angles = torch.empty(len(style)).uniform_(60, 300, generator=gen)
    if not turned.any():
        return style, style_stats
    photos_each = args.batch // len(style)
    rows = turned.repeat_interleave(photos_each).to(style.device)
    style = style.clone()
    style[turned] = data.rotate_hue(style[turned].cpu(), angles[turned]).to(style.device)
    with torch.no_grad(), torch.autocast(style.device.type, dtype=torch.bfloat16, enabled=args.bf16):
        for octave, stats in enumerate(style_stats):
            fresh = losses.style_stats_of(loss_net, losses.downsample(style[turned], 2 ** octave), args.loss_layers.style)
            for layer, (m, s) in enumerate(fresh):
                mean, std = (t.clone() for t in stats[layer])
                mean[rows], std[rows] = m.repeat_interleave(photos_each, 0), s.repeat_interleave(photos_each, 0)
                stats[layer] = (mean, std)
    return style, style_stats


def train_step(net, loss_net, content, style, style_stats, args, gen, identity_inputs=None, upscaled_stats=None):
    """One optimisation step's losses (the caller back-propagates). `style_stats`: per octave, per
    style layer, the targets' (mean, std). `identity_inputs`: the identity loss's (own style, photo
    window), by default (content, content). `upscaled_stats`: per style layer, the targets' (mean,
    std) at twice the style size, for --upscaled-style-weight."""
    own, window = identity_inputs or (content, content)
    with torch.autocast(content.device.type, dtype=torch.bfloat16, enabled=args.bf16):
        levels = net.style_encoder(style)
        kernels = net.kernels_of(levels)
        share = content.shape[0] // style.shape[0]  # photos painted with each style
        if share > 1:
            kernels = [(w.repeat_interleave(share, 0), b.repeat_interleave(share, 0)) for w, b in kernels]
        out = net.stylize(content, kernels)
        out_feats = loss_net(out, args.loss_layers.all())
        octave_feats = losses.octave_features(loss_net, out, args.loss_layers.style, len(style_stats))
        if upscaled_stats is not None:
            upscaled = losses.upscale(losses.random_window(out, args.upscaled_window, gen), 2)
            upscaled_feats = loss_net(upscaled, args.loss_layers.style)
        with torch.no_grad():
            content_feat = loss_net(content, (args.loss_layers.content,))[0]
        # an image used as its own style comes back unchanged (skipped at weight 0: it costs a
        # style-encoder pass and a frame pass)
        identity = net(window, own) if args.identity_weight > 0 else None
        l_temporal = (temporal.temporal_loss(lambda x: net.stylize(x, kernels), content, out,
                                             args.flow_max, args.flow_noise, gen)
                      if args.temporal_weight > 0 else torch.zeros((), device=content.device))
        if args.contrast_weight > 0:
            style_of = torch.arange(style.shape[0], device=content.device).repeat_interleave(share)
            l_contrast = losses.style_contrast_loss(net.style_signal(net.style_encoder(out)),
                                                    net.style_signal(levels), style_of,
                                                    args.contrast_temperature)
        else:
            l_contrast = torch.zeros((), device=content.device)
    l_content = losses.content_loss(out_feats[args.loss_layers.all().index(args.loss_layers.content)], content_feat)
    l_style = losses.octave_style_loss([out_feats] + octave_feats, style_stats, args.loss_layers.style_weights)
    l_upscaled = (losses.style_loss(upscaled_feats, upscaled_stats, args.loss_layers.style_weights)
                  if upscaled_stats is not None else torch.zeros(()))
    l_identity = F.l1_loss(identity.float(), window) if identity is not None else torch.zeros(())
    l_structure = losses.structure_loss(out, content, args.structure_pool)
    total = (args.content_weight * l_content + args.style_weight * l_style
             + args.identity_weight * l_identity + args.temporal_weight * l_temporal
             + args.structure_weight * l_structure + args.contrast_weight * l_contrast
             + args.upscaled_style_weight * l_upscaled)
    return total, {"content": l_content.item(), "style": l_style.item(), "upscaled_style": l_upscaled.item(),
                   "identity": l_identity.item(),
                   "temporal": l_temporal.item(), "structure": l_structure.item(),
                   "contrast": l_contrast.item()}


class WeightAverage:
    """Exponential moving average of a network's weights. Its decay warms up as (1 + n) / (10 + n)
    so that the first steps of a fresh network do not linger in it."""

    def __init__(self, net, decay, state=None):
        self.decay = decay
        self.steps = state["steps"] if state else 0
        source = state["weights"] if state else net.state_dict()
        self.weights = {k: v.detach().clone() for k, v in source.items()}

    def update(self, net):
        self.steps += 1
        d = min(self.decay, (1 + self.steps) / (10 + self.steps))
        with torch.no_grad():
            for k, v in net.state_dict().items():
                if v.is_floating_point():
                    self.weights[k].lerp_(v, 1 - d)
                else:
                    self.weights[k].copy_(v)

    def state(self):
        return {"weights": self.weights, "steps": self.steps, "decay": self.decay}


def save(path, net, opt, it, gen, args, elapsed, warmup_from=None, grad_norm_avg=None, average=None):
    tmp = Path(str(path) + ".tmp")
    torch.save({"model": net.state_dict(), "optimizer": opt.state_dict(), "iteration": it,
                "ema": average.state() if average else None,
                "warmup_from": warmup_from, "grad_norm_avg": grad_norm_avg,
                "config": net.cfg.to_dict(), "rng": gen.get_state(), "args": vars(args) | {"data": str(args.data), "loss_layers": dataclasses.asdict(args.loss_layers)},
                "elapsed_s": elapsed}, tmp)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    device = pick_device(args.device)
    if args.bf16 is None:
        args.bf16 = device.type == "cuda" or torch.ops.mkldnn._is_mkldnn_bf16_supported()
    print(f"bf16 autocast {'on' if args.bf16 else 'off'}", flush=True)
    torch.backends.cudnn.benchmark = True  # fixed shapes: pick the fastest convolution once
    loss_net = vgg.load(args.vgg).use_channels_last().to(device)
    content_train, _, style_train, _ = splits(args.data)
    print(f"{len(content_train)} content photos, {len(style_train)} styles for training on {device}", flush=True)
    styles = cached_styles(style_train, args.style_size, loss_net, args.loss_layers.style, args.cache,
                           args.octaves, args.bf16)
    upscaled_table = (cached_stats(style_train, 2 * args.style_size, loss_net, args.loss_layers.style, args.cache,
                                   args.bf16) if args.upscaled_style_weight > 0 else None)
    contents = data.ContentPool(content_train, min_side=args.crop)

    it, elapsed = 0, 0.0
    if args.resume:
        ckpt = torch.load(args.ckpt, weights_only=False, map_location="cpu")
        net = DINNet(Config.from_dict(ckpt["config"]))
        net.load_state_dict(ckpt["model"])
        net.to(device)
        opt = make_optimizer(net, args.lr, args.param_lr_mult)
        opt.load_state_dict(ckpt["optimizer"])
        it, elapsed = ckpt["iteration"], ckpt.get("elapsed_s", 0.0)
        gen.set_state(ckpt["rng"])
        warmup_from, grad_norm_avg = ckpt.get("warmup_from"), ckpt.get("grad_norm_avg")
        print(f"resumed at iteration {it} ({elapsed / 3600:.2f} h so far)", flush=True)
    elif args.init:
        net, it = init_from(args.init, Config.preset(args.config), args.fresh)
        net.to(device)
        opt = make_optimizer(net, args.lr, args.param_lr_mult)
        warmup_from, grad_norm_avg = it, None
        print(f"initialised from {args.init} (iteration {it})", flush=True)
    else:
        net = DINNet(Config.preset(args.config)).to(device)
        opt = make_optimizer(net, args.lr, args.param_lr_mult)
        warmup_from, grad_norm_avg = None, None
    if net.cfg.param_whiten and not args.resume:
        sample = styles["images"][torch.linspace(0, len(styles["images"]) - 1, WHITENING_STYLES).round().long()]
        net.fit_whitening((sample.float() / 255).to(device))
        print(f"parameter networks' heads whitened on {WHITENING_STYLES} training styles", flush=True)
    if args.style_subset:
        styles, upscaled_table = style_subset(styles, upscaled_table, args.style_subset)
        print(f"of them {args.style_subset} only", flush=True)
    freeze(net, args.frozen)
    args.ckpt.parent.mkdir(parents=True, exist_ok=True)
    log_path = args.ckpt.with_suffix(".log.jsonl")

    state = ckpt.get("ema") if args.resume else None
    average = WeightAverage(net, args.ema, state) if args.ema else None
    net.train()
    t0 = t_save = run_start = time.time()
    sums, n = {}, 0
    bench_steps = 0
    fit_from = it + 10  # the speed is timed from here (the first steps warm up caches and kernels)
    while it < last_iteration(args):
        idx = torch.randint(len(styles["images"]), (args.styles_per_batch,), generator=gen)
        style = (styles["images"][idx].float() / 255.0).to(device)
        idx = idx.repeat_interleave(args.batch // args.styles_per_batch)
        style_stats = [stats_of(octave, idx, device) for octave in styles["stats"]]
        if args.hue_turn > 0:
            style, style_stats = hue_turned(style, style_stats, args, loss_net, gen)
        upscaled_stats = stats_of(upscaled_table, idx, device) if upscaled_table is not None else None
        content = contents.batch(args.batch, args.crop, gen).to(device)
        identity_inputs = identity_pair(contents, content, args, gen) if args.identity_weight > 0 else None
        total, parts = train_step(net, loss_net, content, style, style_stats, args, gen, identity_inputs,
                                  upscaled_stats)
        opt.zero_grad(set_to_none=True)
        total.backward()
        if args.clip_factor > 0:
            limit = args.clip_factor * grad_norm_avg if grad_norm_avg else float("inf")
            norm = torch.nn.utils.clip_grad_norm_(net.parameters(), limit).item()
            if math.isfinite(norm):
                kept = min(norm, limit)
                grad_norm_avg = kept if grad_norm_avg is None else 0.98 * grad_norm_avg + 0.02 * kept
            parts["grad_norm"] = norm
        set_lr(opt, args, it, warmup_from)
        opt.step()
        if average:
            average.update(net)
        it += 1
        if not math.isfinite(total.item()):
            raise SystemExit(f"loss is {total.item()} at iteration {it}")
        if args.fit_minutes and it == fit_from:
            t_fit = time.time()
        elif args.fit_minutes and it == fit_from + 40:
            left_s = args.fit_minutes * 60 - (time.time() - run_start)
            args.iters = it + max(1, int(0.95 * left_s * 40 / (time.time() - t_fit)))
            print(f"--fit-minutes {args.fit_minutes}: --iters {args.iters}", flush=True)
        if args.bench:
            bench_steps += 1
            if bench_steps == 2:  # warm-up done
                t_bench = time.time()
            elif bench_steps == args.bench + 2:
                print(f"{args.bench / (time.time() - t_bench):.3f} it/s", flush=True)
                return
            continue
        for k, v in parts.items():
            sums[k] = sums.get(k, 0.0) + v
        n += 1
        now = time.time()
        if it % args.log_every == 0:
            rate = n / (now - t0)
            # a dead decoder is invisible in the losses (it once held 13 of 16 channels at zero)
            live = liveness(net, content[:2], net.encode_style(style[:1]))
            row = {"iter": it, "crop": args.crop, **{k: v / n for k, v in sums.items()}, **live, "it_per_s": rate,
                   "elapsed_h": (elapsed + now - t0) / 3600}
            with open(log_path, "a") as f:
                f.write(json.dumps(row) + "\n")
            eta = (args.iters - it) / rate / 3600
            print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                  f"eta_h={eta:.2f}", flush=True)
            elapsed += now - t0
            t0, sums, n = now, {}, 0
        stop = args.max_minutes and (now - run_start) / 60 >= args.max_minutes
        if now - t_save > args.save_every_min * 60 or it >= last_iteration(args) or stop:
            save(args.ckpt, net, opt, it, gen, args, elapsed + now - t0, warmup_from, grad_norm_avg, average)
            t_save = now
        if args.snapshot_every and it % args.snapshot_every == 0:  # for judging against iterations
            weights = average.weights if average else net.state_dict()
            torch.save({"model": weights, "iteration": it, "config": net.cfg.to_dict(), "averaged": bool(average)},
                       args.ckpt.with_name(f"{args.ckpt.stem}-{it}.pt"))
        if stop:
            print(f"stopping at iteration {it}: --max-minutes reached", flush=True)
            break


if __name__ == "__main__":
    main()
