"""Kernel gain: push a trained style path's kernels away from their mean over training styles.

The style path underfits (model card: "y9's kernels hold it back"): the kernels it predicts for a
painting fall short of the kernels fitted to that painting, and a regression that underfits
shrinks its predictions towards their mean. This undoes part of that shrinkage with one number:
every head of the DIN weight and bias networks and of the modulation network (1x1 convolutions
after the pooling, so linear in what they read) is rewritten so that it predicts

    mean + gain * (prediction - mean)

where `mean` is the head's mean prediction over --styles training styles (the modulation scale
before its tanh). With --average-with, the main style path is first averaged, weight by weight,
with the style paths of other runs from the same start (a "model soup"; the frame network is
the first model's). The rewrite is exact and changes no code and no cost: only the heads' weights
and biases change. The photo's own kernels (`alpha` 0) move too, so check `own_style.py`.

    python calibrate.py --ckpt runs/joined.safetensors --average-with runs/native2-50500.pt --gain 1.15 \
        --upscaled-gain 1.15 -o runs/gained.pt

--upscaled-gain does the same to the upscaled style path (`Config.upscaled_style_path`), with
its own means; it is not averaged with anything.
"""

import argparse
from pathlib import Path

import torch

import data
from evaluate import load_net
from model import STYLE_PATH
from train import DEFAULT_DATA, splits


def heads(net, upscaled=False):
    """The linear heads of a style path's DIN weight/bias networks and modulation network."""
    return [pn[2] for pn, _ in net.param_nets(upscaled)]


@torch.no_grad()
def mean_outputs(net, styles, upscaled=False, batch=16):
    """Each head's mean output over the styles ([cout])."""
    found = [[] for _ in heads(net, upscaled)]
    hooks = [h.register_forward_hook(lambda m, i, o, k=k: found[k].append(o.flatten(1).double()))
             for k, h in enumerate(heads(net, upscaled))]
    try:
        for i in range(0, len(styles), batch):
            net.encode_style(styles[i:i + batch].float() / 255, upscaled=upscaled)
    finally:
        for h in hooks:
            h.remove()
    return [torch.cat(f).mean(0) for f in found]


@torch.no_grad()
def apply_gain(net, styles, gain, upscaled=False):
    """Rewrite a style path's heads in place: mean + gain * (output - mean)."""
    for head, mean in zip(heads(net, upscaled), mean_outputs(net, styles, upscaled)):
        head.weight.mul_(gain)
        head.bias.copy_((gain * head.bias.double() + (1 - gain) * mean).to(head.bias.dtype))


@torch.no_grad()
def average_style_paths(net, others):
    """Average the main style path's weights with the same keys of `others` (in place)."""
    state = net.state_dict()
    for key in [k for k in state if k.split(".")[0] in STYLE_PATH and state[k].is_floating_point()]:
        state[key].copy_(sum([state[key].double()] + [o.state_dict()[key].double() for o in others])
                         / (1 + len(others)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, required=True, help="training checkpoint or exported model")
    ap.add_argument("-o", "--out", type=Path, required=True, help="checkpoint to write (for export.py)")
    ap.add_argument("--gain", type=float, required=True, help="1: unchanged; above 1: kernels further "
                    "from their mean")
    ap.add_argument("--upscaled-gain", type=float, default=1.0, help="the same for the upscaled style path "
                    "(Config.upscaled_style_path: frames painted at the processing size and scaled up), "
                    "with its own means (default: %(default)s, unchanged)")
    ap.add_argument("--average-with", type=Path, nargs="*", default=[], metavar="CKPT",
                    help="first average the main style path with these runs' (same start, same config)")
    ap.add_argument("--styles", type=int, default=96, help="training styles, evenly spaced in the "
                    "training split, the mean is taken over (default: %(default)s)")
    ap.add_argument("--style-size", type=int, default=256, help="their side (default: %(default)s)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = ap.parse_args()

    net, it = load_net(args.ckpt)
    net = net.without_whitening()
    average_style_paths(net, [load_net(p)[0].without_whitening() for p in args.average_with])
    style_train = splits(args.data)[2]
    picks = torch.linspace(0, len(style_train) - 1, args.styles).round().long().tolist()
    styles = data.load_squares([style_train[i] for i in picks], args.style_size)
    apply_gain(net, styles, args.gain)
    if args.upscaled_gain != 1:
        if not net.cfg.upscaled_style_path:
            ap.error("--upscaled-gain: the model has no upscaled style path")
        apply_gain(net, styles, args.upscaled_gain, upscaled=True)
    torch.save({"model": net.state_dict(), "iteration": it, "config": net.cfg.to_dict(),
                "kernel_gain": {"gain": args.gain, "upscaled_gain": args.upscaled_gain, "styles": args.styles,
                                "averaged_with": [str(p) for p in args.average_with]}}, args.out)
    print(f"wrote {args.out}: gain {args.gain} on the main style path, {args.upscaled_gain} on the upscaled one, "
          f"means over {args.styles} styles")


if __name__ == "__main__":
    main()
