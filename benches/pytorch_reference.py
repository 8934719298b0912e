"""The same DIN network in PyTorch, timed the way `dinstyle bench` times the Rust engine.

    python benches/pytorch_reference.py                      # 360p on the CPU, all cores
    python benches/pytorch_reference.py --sizes 360p,1080p --device cuda --half

Loads the shipped weights (models/din-mobile.safetensors) into models/train/model.py, encodes
a generated style once, then per frame: 8-bit RGBx frame -> float tensor -> stylize -> clamped
8-bit frame, as the element does. Warm-up frames are excluded; medians are reported. Prints the
same CSV columns as `dinstyle bench --csv` so that benches/compare-pytorch.sh can put them side
by side.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "models" / "train"))
from train import load_exported  # noqa: E402

NAMED = {"360p": (640, 360), "720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}


def parse_size(s):
    s = s.lower()
    return NAMED[s] if s in NAMED else tuple(int(v) for v in s.split("x"))


def test_frame(w, h, device):
    """Gradients and an 8-pixel checker, as `dinstyle bench` (RGBx, uint8, HWC)."""
    y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    frame = torch.full((h, w, 4), 255, dtype=torch.uint8)
    frame[..., 0] = (x * 255 // max(w, 2)).to(torch.uint8)
    frame[..., 1] = (y * 255 // max(h, 2)).to(torch.uint8)
    frame[..., 2] = torch.where((x // 8 + y // 8) % 2 == 0, 40, 220).to(torch.uint8)
    return frame.to(device)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_frames(run, device, frames, warmup, seconds):
    for _ in range(warmup):
        run()
    sync(device)
    times, budget = [], time.perf_counter()
    while len(times) < frames and (len(times) < 5 or time.perf_counter() - budget < seconds):
        start = time.perf_counter()
        run()
        sync(device)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "din-mobile.safetensors",
                    help="model file (default: %(default)s)")
    ap.add_argument("--sizes", default="360p", help="comma-separated 360p, 720p, 1080p, 4k or WxH (default: %(default)s)")
    ap.add_argument("--frames", type=int, default=50, help="frames timed per size (default: %(default)s)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed frames per size (default: %(default)s)")
    ap.add_argument("--seconds", type=float, default=20.0, help="time budget per size (default: %(default)s)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (default: %(default)s)")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads, 0 = PyTorch's default (default: %(default)s)")
    ap.add_argument("--half", action="store_true", help="run the network in float16 (GPU)")
    ap.add_argument("--channels-last", action="store_true", help="NHWC memory format (often faster with oneDNN)")
    ap.add_argument("--compile", action="store_true", help="torch.compile the frame path first")
    args = ap.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    net, _ = load_exported(args.model)
    net = net.eval().to(device)
    dtype = torch.float16 if args.half else torch.float32
    net = net.to(dtype)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format

    with torch.inference_mode():
        style = test_frame(512, 384, device)[..., :3].permute(2, 0, 1)[None].to(dtype) / 255
        style = torch.nn.functional.interpolate(style.float(), size=(256, 341), mode="bicubic").to(dtype)
        kernels = None

        def encode():
            nonlocal kernels
            kernels = net.encode_style(style)

        enc = time_frames(encode, device, args.frames, args.warmup, args.seconds)

        def paint(frame):
            x = frame[..., :3].permute(2, 0, 1)[None].to(dtype).div(255).contiguous(memory_format=fmt)
            y = net.stylize(x, kernels)
            return y[0].clamp(0, 1).mul(255).round().to(torch.uint8).permute(1, 2, 0)

        paint_fn = torch.compile(paint) if args.compile else paint
        where = f"pytorch {torch.__version__} {device.type} ({torch.get_num_threads()} threads"
        where += "; float16" if args.half else ""
        where += "; channels-last" if args.channels_last else ""
        where += "; compiled)" if args.compile else ")"
        print("path,width,height,frames,median_ms,p10_ms,p90_ms,fps")
        print(f"style-encoding {where},256,256,1,{statistics.median(enc):.3f},,,")
        for size in args.sizes.split(","):
            w, h = parse_size(size)
            frame = test_frame(w, h, device)
            times = time_frames(lambda: paint_fn(frame), device, args.frames, args.warmup, args.seconds)
            q = statistics.quantiles(times, n=10) if len(times) > 1 else [times[0]] * 9
            med = statistics.median(times)
            print(f"{where},{w},{h},{len(times)},{med:.3f},{q[0]:.3f},{q[8]:.3f},{1e3 / med:.2f}")


if __name__ == "__main__":
    main()
