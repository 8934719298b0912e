"""Flicker (temporal stability) of a stylized clip: warping error after Lai et al. 2018 (ECCV,
"Learning Blind Video Temporal Consistency"), with absolute instead of squared differences.

Optical flow is measured once, on the SOURCE frames (OpenCV DIS, medium preset, greyscale), and
used to warp frame t onto frame t+g for both the source and the stylized frames. Pixels that the
flow cannot explain (occluded, or coming from outside the image) are left out by the
forward-backward check of Sundaram et al. 2010 / Ruder et al. 2016. The warping error is the mean
absolute difference, RGB in [0, 1], between frame t+g and warped frame t over the valid pixels,
averaged over all pairs. The source's own error is the floor (flow and sensor noise, lighting,
codec); a stable stylization has stylized/source near 1 and a flickering one far above.

    python flicker.py SOURCE STYLIZED [--frames N] [--gaps 1,10] [--json out.json]

SOURCE and STYLIZED are each a folder of PNG frames (sorted by name) or a video file.
"""

import argparse
import json
import sys
from collections import deque
from itertools import islice, zip_longest
from pathlib import Path

import cv2
import numpy as np

# Ruder et al. 2016: the inconsistency allowed grows with the flow's length (0.01) plus a
# fixed half-pixel^2 slack (0.5) for small flow noise.
CONSISTENCY_SCALE = 0.01
CONSISTENCY_SLACK = 0.5


def optical_flow(grey_from, grey_to, dis=None):
    """Dense flow [H, W, 2] (x, y) in pixels with grey_from(p) ~ grey_to(p + flow(p)), by DIS."""
    dis = dis or cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(grey_from, grey_to, None)


def sample_grid(flow):
    """Absolute sampling positions (map_x, map_y) p + flow(p), float32 for cv2.remap."""
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return xs + flow[..., 0], ys + flow[..., 1]


def warp(image, flow):
    """Samples image at p + flow(p), bilinear (cv2.remap); outside is filled with the border."""
    map_x, map_y = sample_grid(flow)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def valid_mask(flow_fw, flow_bw):
    """Pixels of frame t+g whose content is seen in frame t, as a bool [H, W].

    flow_fw: t -> t+g, flow_bw: t+g -> t (both from optical_flow). Pixel p of frame t+g comes from
    q = p + w_b(p) in frame t; going forward from there must bring it back to p, i.e.
    w_b(p) + w_f(q) ~ 0 (Ruder et al. 2016). Pixels whose q falls outside frame t are
    invalid too. (Ruder et al.'s second criterion, motion boundaries, is left out.)"""
    h, w = flow_bw.shape[:2]
    map_x, map_y = sample_grid(flow_bw)
    fw_at_source = cv2.remap(flow_fw, map_x, map_y, cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE)
    round_trip = ((flow_bw + fw_at_source) ** 2).sum(-1)
    allowed = CONSISTENCY_SCALE * ((flow_bw ** 2).sum(-1) + (fw_at_source ** 2).sum(-1)) \
        + CONSISTENCY_SLACK
    inside = (map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)
    return (round_trip <= allowed) & inside


def pair_error(frame_t, frame_tg, flow_bw, mask):
    """Mean absolute difference, RGB/255 in [0, 1], between frame t+g and frame t warped onto it,
    over the pixels in mask; None when no pixel is valid."""
    if not mask.any():
        return None
    warped = warp(frame_t, flow_bw).astype(np.float32)
    diff = np.abs(frame_tg.astype(np.float32) - warped).mean(-1)
    return float(diff[mask].mean()) / 255.0


def to_grey(rgb):
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def warping_errors(source_frames, stylized_frames, gaps=(1, 10), dis=None):
    """Warping errors of both sequences (iterables of HxWx3 uint8 RGB, same length and size) at
    each frame gap, with the flow of the source. Streams: keeps only max(gaps)+1 frames.

    Returns {gap: {"source", "stylized", "ratio", "pairs", "valid"}} and the frame count; "valid"
    is the mean fraction of pixels kept by the occlusion check."""
    dis = dis or cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    recent = deque(maxlen=max(gaps) + 1)  # (grey source, source, stylized) of the last frames
    sums = {g: {"source": [], "stylized": [], "valid": []} for g in gaps}
    frames = 0
    for source, stylized in zip_longest(source_frames, stylized_frames):
        if source is None or stylized is None:
            raise ValueError(f"the {'source' if source is None else 'stylized'} clip ends after "
                             f"{frames} frames, the other goes on")
        if source.shape != stylized.shape:
            raise ValueError(f"frame {frames}: source is {source.shape}, stylized {stylized.shape}")
        recent.append((to_grey(source), source, stylized))
        frames += 1
        grey_tg = recent[-1][0]
        for g in gaps:
            if len(recent) <= g:
                continue
            grey_t, source_t, stylized_t = recent[-1 - g]
            flow_fw = optical_flow(grey_t, grey_tg, dis)
            flow_bw = optical_flow(grey_tg, grey_t, dis)
            mask = valid_mask(flow_fw, flow_bw)
            src = pair_error(source_t, source, flow_bw, mask)
            if src is None:  # nothing in common between the two frames: no information
                continue
            sums[g]["source"].append(src)
            sums[g]["stylized"].append(pair_error(stylized_t, stylized, flow_bw, mask))
            sums[g]["valid"].append(float(mask.mean()))
    results = {}
    for g, s in sums.items():
        pairs = len(s["source"])
        mean = {k: float(np.mean(v)) if pairs else float("nan") for k, v in s.items()}
        ratio = mean["stylized"] / mean["source"] if mean["source"] > 0 else float("nan")
        results[g] = {"source": mean["source"], "stylized": mean["stylized"], "ratio": ratio,
                      "pairs": pairs, "valid": mean["valid"]}
    return results, frames


# ---- I/O ----

def read_frames(path):
    """HxWx3 uint8 RGB frames of a folder of PNGs (sorted by name) or of a video file (OpenCV)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.png"))
        if not files:
            raise FileNotFoundError(f"no PNG frames in {path}")
        for f in files:
            bgr = cv2.imread(str(f), cv2.IMREAD_COLOR)
            if bgr is None:
                raise OSError(f"cannot read {f}")
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    else:
        video = cv2.VideoCapture(str(path))
        if not video.isOpened():
            raise OSError(f"cannot open video {path}")
        try:
            while True:
                ok, bgr = video.read()
                if not ok:
                    break
                yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        finally:
            video.release()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="source clip: folder of PNG frames or video file")
    p.add_argument("stylized", help="stylized clip, same frames: PNG folder or video file")
    p.add_argument("--frames", type=int, default=None,
                   help="use only the first N frames (default: all)")
    p.add_argument("--gaps", default="1,10",
                   help="frame gaps g, comma-separated: pairs (t, t+g); 1 catches flicker, "
                        "10 slow drift (default: 1,10)")
    p.add_argument("--json", default=None,
                   help="also write the numbers, frame count and arguments to this JSON file")
    args = p.parse_args(argv)
    gaps = sorted({int(g) for g in args.gaps.split(",")})
    if not gaps or min(gaps) < 1:
        p.error("--gaps: positive integers")

    source, stylized = read_frames(args.source), read_frames(args.stylized)
    if args.frames is not None:
        source, stylized = islice(source, args.frames), islice(stylized, args.frames)
    try:
        results, frames = warping_errors(source, stylized, gaps)
    except ValueError as e:  # differing frame count or size: the frames do not correspond
        sys.exit(f"flicker.py: {e}")

    print(f"{frames} frames; warping error, mean |frame t+g - warp(frame t)| in RGB/255, "
          "valid pixels")
    print(f"{'gap':>4} {'pairs':>6} {'valid':>6} {'source':>8} {'stylized':>9} {'ratio':>6}")
    for g, r in results.items():
        print(f"{g:>4} {r['pairs']:>6} {r['valid']:>6.3f} {r['source']:>8.4f} "
              f"{r['stylized']:>9.4f} {r['ratio']:>6.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"frames": frames, "args": vars(args),
                       "gaps": {str(g): r for g, r in results.items()}}, f, indent=2)


if __name__ == "__main__":
    main()
