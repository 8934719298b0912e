"""Style kernels fitted to each painting, and the style path's heads refitted to them (a probe).

The model card finds that the style path underfits: kernels fitted to one painting paint it with
far less style loss than the kernels the style path predicts ("y9's kernels hold it back").
`fit` measures that gap over many paintings at once: the frame network and the style path stay
frozen, and for each painting the outputs of the seven heads (DIN 1-3 weight and bias networks,
the modulation network) are optimised directly, starting from what the style path predicts,
with the training's loss (content + style, `balanced`, two octaves, + structure; no identity
term, which concerns the photo's own kernels). A group of --group paintings is fitted at once,
each on its own photo crop. The file it writes holds, per painting, what every head reads (the
pooled hidden units), what it predicts and what was fitted; it grows group by group, so a run
stopped at any point resumes where it stopped.

`refit` then rewrites each head by ridge regression of the fitted outputs on what the head
reads (a closed-form step for the linear heads that sees every fitted painting at once), and
reports on a share of the paintings kept out of the regression how much of the fitted change
each head predicts.

    python fit_kernels.py fit --out $FITS0 --part 0 --parts 2 &   # one process per core
    python fit_kernels.py fit --out $FITS1 --part 1 --parts 2
    python fit_kernels.py refit --fits $FITS0 $FITS1 --ridge 10 -o $OUT.pt   # then evaluate.py
"""

import argparse
import time
from pathlib import Path

import torch

import data
import losses
import vgg
from data import rotate_hue
from evaluate import load_net
from calibrate import heads
from train import DEFAULT_DATA, HERE, splits


def head_reads(net, styles):
    """What each head of the main style path reads ([S, inputs]) and predicts ([S, outputs])."""
    levels = net.style_encoder(styles)
    pooled = [pn.pooled(levels[t]).flatten(1) for pn, t in net.param_nets()]
    predicted = [pn[2](p[:, :, None, None]).flatten(1) for (pn, _), p in zip(net.param_nets(), pooled)]
    return pooled, predicted


def kernels_from_heads(net, outputs):
    """The style kernels (`DINNet.kernels_of`'s) made from the heads' outputs."""
    kernels = [d.kernels_from_heads(w, b) for d, w, b in zip(net.dins(), outputs[0::2], outputs[1::2])]
    if net.cfg.modulated_decoder:
        kernels.append(net.modulation_from_head(outputs[6]))
    return kernels


def fit_group(net, loss_net, layers, styles, contents, gen, args):
    """Fit the heads' outputs to `styles`; returns (pooled, predicted, fitted, loss history)."""
    with torch.no_grad():
        pooled, predicted = head_reads(net, styles)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=not args.fp32):
            targets = [losses.style_stats_of(loss_net, losses.downsample(styles, 2 ** o), layers.style)
                       for o in range(args.octaves)]
    fitted = [p.clone().requires_grad_(True) for p in predicted]
    opt = torch.optim.Adam(fitted, lr=args.lr)
    history = []
    for _ in range(args.iters):
        content = contents.batch(len(styles), args.crop, gen)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=not args.fp32):
            out = net.stylize(content, kernels_from_heads(net, fitted))
            feats = loss_net(out, layers.all())
            octave_feats = losses.octave_features(loss_net, out, layers.style, args.octaves)
            with torch.no_grad():
                content_feat = loss_net(content, (layers.content,))[0]
        l_content = losses.content_loss(feats[layers.all().index(layers.content)], content_feat)
        l_style = losses.octave_style_loss([feats] + octave_feats, targets, layers.style_weights)
        l_structure = losses.structure_loss(out, content, 2)
        total = l_content + args.style_weight * l_style + args.structure_weight * l_structure
        opt.zero_grad()
        total.backward()
        opt.step()
        history.append((l_content.item(), l_style.item(), l_structure.item()))
    return pooled, predicted, [f.detach() for f in fitted], history


def fit(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed + args.part)
    layers = losses.LossLayers.preset("balanced")
    loss_net = vgg.load(args.vgg).use_channels_last()
    net, _ = load_net(args.ckpt)
    net.requires_grad_(False)
    content_train, _, style_train, _ = splits(args.data)
    spread = torch.linspace(0, len(style_train) - 1, args.styles).round().long().tolist()
    mine = [(i + args.offset) % len(style_train) for i in spread][args.part::args.parts]
    photos = torch.linspace(0, len(content_train) - 1, args.photos).round().long().tolist()
    contents = data.ContentPool([content_train[i] for i in photos], min_side=args.crop)
    saved = (torch.load(args.out, weights_only=False) if args.out.exists()
             else {"idx": [], "pooled": [], "pred": [], "fit": [], "loss": [], "hue": args.hue})
    todo = [i for i in mine if i not in set(saved["idx"])]
    print(f"{len(todo)} styles to fit, {len(saved['idx'])} done", flush=True)
    for start in range(0, len(todo), args.group):
        t0 = time.time()
        idx = todo[start:start + args.group]
        styles = data.load_squares([style_train[i] for i in idx], args.style_size).float() / 255
        if args.hue:
            styles = rotate_hue(styles, torch.empty(len(idx)).uniform_(60, 300, generator=gen))
        pooled, predicted, fitted, history = fit_group(net, loss_net, layers, styles, contents, gen, args)
        first, last = (torch.tensor(h).mean(0).tolist() for h in (history[:15], history[-15:]))
        saved["idx"] += idx
        saved["pooled"].append(pooled)
        saved["pred"].append(predicted)
        saved["fit"].append(fitted)
        saved["loss"].append((first, last))
        torch.save(saved, args.out)
        print(f"styles {idx[0]}..{idx[-1]}: content / style / structure over the first 15 iterations "
              f"{' / '.join(f'{x:.3f}' for x in first)}, the last 15 {' / '.join(f'{x:.3f}' for x in last)} "
              f"({time.time() - t0:.0f} s)", flush=True)


def ridge(x, r, lam):
    """(dW, db) minimising |x dW^T + db - r|^2 + lam * tr(G) / n * |dW|^2 (G: x's centred Gram
    matrix, n its size: `lam` is relative to the inputs' mean energy); db unpenalised."""
    xm, rm = x.mean(0), r.mean(0)
    xc, rc = x - xm, r - rm
    gram = xc.T @ xc
    scale = gram.trace() / gram.shape[0]
    dw = torch.linalg.solve(gram + lam * scale * torch.eye(gram.shape[0], dtype=gram.dtype), xc.T @ rc).T
    return dw, rm - dw @ xm


def refit(args):
    parts = [torch.load(f, weights_only=False) for f in args.fits]
    net, it = load_net(args.ckpt)
    linear_heads = heads(net)
    count = sum(len(p["idx"]) for p in parts)
    order = torch.randperm(count, generator=torch.Generator().manual_seed(0))
    check, train = order[:int(count * args.check)], order[int(count * args.check):]
    print(f"{count} fitted styles: {len(train)} to regress on, {len(check)} to check; share of the fitted "
          f"change predicted on those (1: all, 0: none, below 0: worse than no change)")
    changes = []
    for k in range(len(linear_heads)):
        x, pred, fitted = (torch.cat([g[k] for p in parts for g in p[key]]).double() for key in ("pooled", "pred", "fit"))
        r = fitted - pred
        base = (r[check] ** 2).sum()
        shares = [f"mean shift {1 - ((r[check] - r[train].mean(0)) ** 2).sum() / base:+.3f}"]
        for lam in args.ridge:
            dw, db = ridge(x[train], r[train], lam)
            shares.append(f"ridge {lam:g} {1 - ((r[check] - x[check] @ dw.T - db) ** 2).sum() / base:+.3f}")
        print(f"head {k} ({x.shape[1]} -> {r.shape[1]}; fitted change / spread of the predictions "
              f"{r.norm() / (pred - pred.mean(0)).norm():.2f}): {', '.join(shares)}", flush=True)
        changes.append(ridge(x, r, args.ridge[-1]))
    if args.out:
        with torch.no_grad():
            for head, (dw, db) in zip(linear_heads, changes):
                head.weight.add_((args.step * dw).view_as(head.weight).to(head.weight.dtype))
                head.bias.add_((args.step * db).to(head.bias.dtype))
        torch.save({"model": net.state_dict(), "iteration": it, "config": net.cfg.to_dict(),
                    "refit": {"fits": [str(f) for f in args.fits], "ridge": args.ridge[-1], "step": args.step}},
                   args.out)
        print(f"wrote {args.out}: every head refitted at ridge {args.ridge[-1]:g}, step {args.step:g}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    default = dict(formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    f = sub.add_parser("fit", help="fit the kernels of training paintings", **default)
    f.add_argument("--out", type=Path, required=True, help="the fits file (grows; resumed when it exists)")
    f.add_argument("--ckpt", type=Path, default=HERE.parent / "din-mobile.safetensors", help="the model (frozen)")
    f.add_argument("--styles", type=int, default=1024, help="training paintings, evenly spread, to fit")
    f.add_argument("--offset", type=int, default=0, help="shift the spread by this many paintings")
    f.add_argument("--part", type=int, default=0, help="this process's share: every --parts-th painting from --part")
    f.add_argument("--parts", type=int, default=1)
    f.add_argument("--hue", action="store_true", help="turn each painting's hue by 60-300 degrees first: "
                   "paintings the style path has never seen")
    f.add_argument("--group", type=int, default=8, help="paintings fitted at once, one photo crop each")
    f.add_argument("--iters", type=int, default=150, help="Adam steps per group")
    f.add_argument("--lr", type=float, default=0.004, help="Adam learning rate on the heads' outputs")
    f.add_argument("--style-weight", type=float, default=20, help="as the main style path's training (z9)")
    f.add_argument("--structure-weight", type=float, default=100, help="as the main style path's training (z9)")
    f.add_argument("--octaves", type=int, default=2)
    f.add_argument("--crop", type=int, default=128, help="photo crop side")
    f.add_argument("--style-size", type=int, default=256)
    f.add_argument("--photos", type=int, default=800, help="training photos, evenly spread, crops are drawn from")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--fp32", action="store_true", help="no bf16 autocast")
    f.add_argument("--threads", type=int, default=1)
    f.add_argument("--data", type=Path, default=DEFAULT_DATA)
    f.add_argument("--vgg", type=Path, default=HERE / "cache" / "vgg16_relu4_3.pt")
    r = sub.add_parser("refit", help="ridge-regress the heads onto the fitted kernels", **default)
    r.add_argument("--fits", type=Path, nargs="+", required=True)
    r.add_argument("--ckpt", type=Path, default=HERE.parent / "din-mobile.safetensors")
    r.add_argument("--ridge", type=float, nargs="+", default=[0.1, 1, 10], help="penalties to report; "
                   "the last one is written")
    r.add_argument("--check", type=float, default=0.2, help="share of the fitted styles kept out to check")
    r.add_argument("--step", type=float, default=1.0, help="scale of the written change (1: the ridge solution)")
    r.add_argument("-o", "--out", type=Path, help="checkpoint to write (for evaluate.py, export.py)")
    args = ap.parse_args()
    if args.command == "fit":
        fit(args)
    else:
        refit(args)


if __name__ == "__main__":
    main()
