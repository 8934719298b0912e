"""Per-frame cost of the content path (content encoder + DIN application + decoder).

    python flops.py                    # the din-mobile preset at 512x512 and 640x360
    python flops.py --config din-mobile-channel --size 1920x1080

Counts multiply-adds x 2 of every convolution and of the dynamic 1x1 convolution (the
convention of the DIN paper's Table 1, whose MobileNet network costs 3.62 + 3.72 GFLOPs at
512x512), at the padded size the network runs at. Element-wise work (instance-norm statistics,
ReLU, bias, bilinear up-sampling, additions) is listed separately. Style encoding runs once per
style and is not a per-frame cost; it is reported on its own at 256x256.
"""

import argparse

import torch
import torch.nn as nn

from model import DIN, Config, DINNet, padded_size


def count(net, h, w, style_side=256):
    convs = {"content_encoder": 0, "decoder": 0, "din": 0, "style": 0}
    elementwise = 0

    def conv_hook(part):
        def hook(mod, inp, out):
            k = mod.kernel_size[0] * mod.kernel_size[1] * mod.in_channels // mod.groups
            convs[part] += 2 * k * out.numel()
        return hook

    def din_hook(mod, inp, out):
        nonlocal elementwise
        fc, weight, _ = inp
        convs["din"] += 2 * weight.shape[-1] * fc.numel()
        elementwise += 5 * fc.numel()  # mean, variance, normalise (2), bias

    hooks = []
    for part in ("content_encoder", "decoder"):
        for m in getattr(net, part).modules():
            if isinstance(m, nn.Conv2d):
                hooks.append(m.register_forward_hook(conv_hook(part)))
    for m in net.style_encoder.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook("style")))
    for d in net.dins():
        hooks.append(d.register_forward_hook(din_hook))
    with torch.no_grad():
        kernels = net.encode_style(torch.zeros(1, 3, style_side, style_side))
        style_cost = convs["style"]
        net.stylize(torch.zeros(1, 3, h, w), kernels)
    for hk in hooks:
        hk.remove()
    return convs, elementwise, style_cost


def report(cfg_name, sizes):
    net = DINNet(Config.preset(cfg_name)).eval()
    params = lambda m: sum(p.numel() for p in m.parameters())
    per_frame = params(net.content_encoder) + params(net.decoder)
    print(f"{cfg_name}: {params(net) / 1e6:.2f} M parameters ({per_frame / 1e3:.1f} k in the per-frame path)")
    for h, w in sizes:
        convs, ew, style = count(net, h, w)
        total = convs["content_encoder"] + convs["din"] + convs["decoder"]
        print(f"  {w}x{h} (runs at {padded_size(w)}x{padded_size(h)}): "
              f"encoder {convs['content_encoder'] / 1e9:.3f} + DIN {convs['din'] / 1e9:.3f} + "
              f"decoder {convs['decoder'] / 1e9:.3f} = {total / 1e9:.3f} GFLOPs per frame "
              f"(+ {ew / 1e9:.3f} G element-wise in DIN)")
    print(f"  style encoding at 256x256 (once per style): {style / 1e9:.2f} GFLOPs (convolutions)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="din-mobile", help="model preset (default: %(default)s)")
    ap.add_argument("--size", action="append", help="WxH, repeatable (default: 512x512 and 640x360)")
    args = ap.parse_args()
    sizes = [tuple(int(v) for v in s.split("x"))[::-1] for s in (args.size or ["512x512", "640x360"])]
    report(args.config, sizes)


if __name__ == "__main__":
    main()
