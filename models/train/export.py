"""Export a training checkpoint for the Rust inference code.

    python export.py --ckpt runs/din.ckpt -o ../din-mobile.safetensors \
        --fixture ../../tests/fixtures/parity.safetensors

The model file holds the weights in f16 (half the size; the Rust side computes in f32) and, in
its metadata, the format tag and the architecture `Config` as JSON. The parity fixture holds a
tiny procedural content and style image, the style kernels and the stylized outputs computed in
float64 from the same f16-rounded weights: the Rust test compares against it.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

from model import Config, DINNet, checkpoint_weights, mix_kernels

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


def export_model(net, ckpt, out, name):
    half, _ = rounded_state(net)
    meta = {"format": FORMAT, "name": name, "config": json.dumps(net.cfg.to_dict()),
            "iterations": str(ckpt.get("iteration", 0))}
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
    for i, (w, b) in enumerate(kernels[:3], start=1):
        tensors[f"din{i}.weight"] = w[0]
        tensors[f"din{i}.bias"] = b[0]
    if net.cfg.modulated_decoder:
        tensors["modulation.scale"], tensors["modulation.shift"] = (t[0] for t in kernels[3])
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.float().contiguous() for k, v in tensors.items()}, str(out),
              metadata={"reference": "PyTorch float64, models/train/export.py"})
    print(f"wrote {out} ({out.stat().st_size / 1e3:.1f} kB)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, required=True, help="training checkpoint (train.py)")
    ap.add_argument("-o", "--out", type=Path, required=True, help="model file to write (.safetensors)")
    ap.add_argument("--name", default="din-mobile", help="model name in the metadata (default: %(default)s)")
    ap.add_argument("--fixture", type=Path, help="also write the Rust parity fixture here")
    args = ap.parse_args()
    ckpt = torch.load(args.ckpt, weights_only=False, map_location="cpu")
    net = DINNet(Config.from_dict(ckpt["config"]))
    net.load_state_dict(checkpoint_weights(ckpt))
    net = net.without_whitening()  # a training-time reparametrisation: the engines run plain heads
    export_model(net, ckpt, args.out, args.name)
    if args.fixture:
        export_fixture(net, args.fixture)


if __name__ == "__main__":
    main()
