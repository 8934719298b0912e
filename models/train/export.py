"""Export a training checkpoint for the Rust inference code.

    python export.py --ckpt runs/din.ckpt -o ../din-mobile.safetensors \
        --fixture ../../tests/fixtures/parity.safetensors
    python export.py --ckpt runs/native.pt --upscaled-style-path runs/upscaled.pt -o model.safetensors

With --upscaled-style-path, a second network with the same frame network (content encoder and
decoder, e.g. both trained from one model with `train.py --frozen content_encoder,decoder`)
gives its style path for frames painted smaller and scaled up (`model.Config.upscaled_style_path`).

The model file holds the weights in f16 (half the size; the Rust side computes in f32) and, in
its metadata, the format tag and the architecture `Config` as JSON. The parity fixture holds a
tiny procedural content and style image, the style kernels and the stylized outputs computed in
float64 from the same f16-rounded weights: the Rust test compares against it.
"""

import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from evaluate import load_net
from model import STYLE_PATH, DINNet, mix_kernels

FORMAT = "dinstyle-din/1"


def rounded_state(net):
    """The state dict as shipped: f16 (contiguous), and the f64 copy the reference uses."""
    half = {k: v.detach().to(torch.float16).contiguous() for k, v in net.state_dict().items()}
    return half, {k: v.double() for k, v in half.items()}


def procedural_image(h, w, seed):
    """A smooth deterministic test image (gradients, rings, a block): ours to commit."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    f = rng.uniform(2, 9, size=(3, 2))
    img = np.stack([0.5 + 0.5 * np.sin(f[c, 0] * x * 6.28 + f[c, 1] * y * 3.14 + c) for c in range(3)])
    img[:, h // 3: h // 2, w // 4: w // 2] = rng.uniform(0, 1, size=(3, 1, 1))
    return torch.from_numpy(img)[None]


def in_style_path(key):
    return key.split(".")[0] in STYLE_PATH


def join_upscaled_style_path(net, upscaled):
    """`net` with `upscaled`'s style path as its upscaled one; their frame networks must be the
    same weights as shipped (f16)."""
    frame = lambda n: {k: v.to(torch.float16) for k, v in n.state_dict().items() if not in_style_path(k)}
    mine, theirs = frame(net), frame(upscaled)
    differ = [k for k in mine if k not in theirs or not torch.equal(mine[k], theirs[k])]
    if differ or net.cfg != upscaled.cfg:
        raise SystemExit(f"the two networks differ outside the style path ({', '.join(differ[:4]) or 'config'}): "
                         "train the upscaled path with the same frame network (--frozen content_encoder,decoder)")
    joined = DINNet(replace(net.cfg, upscaled_style_path=True))
    state = net.state_dict() | {f"upscaled.{k}": v for k, v in upscaled.state_dict().items() if in_style_path(k)}
    joined.load_state_dict(state)
    return joined.eval()


def export_model(net, iterations, out, name):
    half, _ = rounded_state(net)
    meta = {"format": FORMAT, "name": name, "config": json.dumps(net.cfg.to_dict()),
            "iterations": str(iterations)}
    save_file(half, str(out), metadata=meta)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, iteration {meta['iterations']})")


def export_fixture(net, out):
    _, ref_state = rounded_state(net)
    ref = DINNet(net.cfg).double()
    ref.load_state_dict(ref_state)
    ref.eval()
    content, style = procedural_image(10, 13, 1), procedural_image(20, 24, 2)
    with torch.no_grad():
        kernels = ref.encode_style(style)
        output = ref.stylize(content, kernels)
        own = ref.encode_style(content)
        half_alpha = ref.stylize(content, mix_kernels([kernels, own], [0.5, 0.5]))
    tensors = {"content": content, "style": style, "output": output, "output_alpha_0.5": half_alpha}
    add_kernels(tensors, kernels, net.cfg, "")
    if net.cfg.upscaled_style_path:
        with torch.no_grad():
            upscaled = ref.encode_style(style, upscaled=True)
            tensors["output_upscaled"] = ref.stylize(content, upscaled)
        add_kernels(tensors, upscaled, net.cfg, "upscaled.")
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.float().contiguous() for k, v in tensors.items()}, str(out),
              metadata={"reference": "PyTorch float64, models/train/export.py"})
    print(f"wrote {out} ({out.stat().st_size / 1e3:.1f} kB)")


def add_kernels(tensors, kernels, cfg, prefix):
    """The kernels under the names of a kernel file (src/styles/file.rs)."""
    for i, (w, b) in enumerate(kernels[:3], start=1):
        tensors[f"{prefix}din{i}.weight"] = w[0]
        tensors[f"{prefix}din{i}.bias"] = b[0]
    if cfg.modulated_decoder:
        tensors[f"{prefix}modulation.scale"], tensors[f"{prefix}modulation.shift"] = (t[0] for t in kernels[3])


def load_plain(path):
    """A checkpoint, snapshot or model file -> (net with plain heads, iteration)."""
    net, it = load_net(path)
    return net.without_whitening().eval(), it  # whitening is a training-time reparametrisation


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, required=True,
                    help="training checkpoint or snapshot (train.py), or a model file (export.py)")
    ap.add_argument("--upscaled-style-path", type=Path, metavar="CKPT",
                    help="take the style path for frames painted smaller and scaled up from this network")
    ap.add_argument("-o", "--out", type=Path, required=True, help="model file to write (.safetensors)")
    ap.add_argument("--name", default="din-mobile", help="model name in the metadata (default: %(default)s)")
    ap.add_argument("--fixture", type=Path, help="also write the Rust parity fixture here")
    args = ap.parse_args()
    net, it = load_plain(args.ckpt)
    if args.upscaled_style_path:
        net = join_upscaled_style_path(net, load_plain(args.upscaled_style_path)[0])
    export_model(net, it or 0, args.out, args.name)
    if args.fixture:
        export_fixture(net, args.fixture)


if __name__ == "__main__":
    main()
