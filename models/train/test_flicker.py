"""Tests of flicker.py on synthetic clips whose true motion is known.

    python -m pytest test_flicker.py      or      python test_flicker.py
"""

import cv2
import numpy as np

import flicker

H, W, PAD = 192, 256, 60  # frames big enough that DIS follows a 17 px move at gap 10


def texture(seed=0, sigma=2.5):
    """A float32 RGB noise texture, blurred to natural-image scale, larger than a frame by PAD."""
    rng = np.random.default_rng(seed)
    noise = rng.uniform(0, 255, (H + 2 * PAD, W + 2 * PAD, 3)).astype(np.float32)
    blurred = cv2.GaussianBlur(noise, (0, 0), sigma)
    return (blurred - blurred.min()) / (blurred.max() - blurred.min()) * 255


def translated_clip(shift, frames=12, seed=0):
    """uint8 frames of one texture whose content moves by shift=(dx, dy) pixels a frame: frame t at
    p shows the texture at p - t * shift (bicubic, so sub-pixel moves are rendered, not rounded)."""
    tex = texture(seed)
    xs, ys = np.meshgrid(np.arange(W, dtype=np.float32) + PAD, np.arange(H, dtype=np.float32) + PAD)
    return [cv2.remap(tex, xs - t * shift[0], ys - t * shift[1], cv2.INTER_CUBIC)
            .clip(0, 255).round().astype(np.uint8) for t in range(frames)]


def with_brightness_flicker(clip, amount=0.15, seed=1):
    """The clip, each frame's brightness scaled by a random factor in [1 - amount, 1 + amount]."""
    rng = np.random.default_rng(seed)
    return [(f * rng.uniform(1 - amount, 1 + amount)).clip(0, 255).round().astype(np.uint8)
            for f in clip]


def test_warp_direction_with_true_flow():
    # Content moves +3 px in x: frame t+1 at p is frame t at p - 3, i.e. the backward flow is -3.
    clip = translated_clip((3.0, 0.0), frames=2)
    flow_bw = np.zeros((H, W, 2), np.float32)
    flow_bw[..., 0] = -3
    mask = np.ones((H, W), bool)
    mask[:, :3] = False  # those come from outside frame t
    assert flicker.pair_error(clip[0], clip[1], flow_bw, mask) < 1e-6


def test_translation_gives_near_zero_error():
    # Measured (OpenCV 5.0, DIS medium): integer shift 2e-5 (gap 1) .. 1.5e-4 (gap 10); sub-pixel
    # shifts 0.0020 .. 0.0024. The sub-pixel residual is bilinear resampling in warp(), which
    # averages neighbours and so blurs the texture slightly (about 0.6/255), plus 8-bit rounding.
    # Thresholds: 5x / 2x those, still 10x below the flicker of the next test.
    for shift, limit in [((1.0, 0.0), 0.001), ((1.5, 0.75), 0.005), ((0.5, -0.25), 0.005)]:
        clip = translated_clip(shift)
        results, frames = flicker.warping_errors(clip, clip, gaps=(1, 10))
        assert frames == len(clip)
        for gap, r in results.items():
            assert r["pairs"] == len(clip) - gap
            assert r["source"] < limit, (shift, gap, r)
            assert r["stylized"] == r["source"]
            assert r["valid"] > 0.85, (shift, gap, r)  # only the strip moved in from outside drops


def test_brightness_flicker_is_clearly_larger():
    # +-15% brightness per frame: measured 0.051 (gap 10) and 0.074 (gap 1) against 0.002 without.
    clip = translated_clip((1.5, 0.75))
    results, _ = flicker.warping_errors(clip, with_brightness_flicker(clip), gaps=(1, 10))
    for gap, r in results.items():
        assert r["stylized"] > 0.02, (gap, r)
        assert r["ratio"] > 10, (gap, r)


def test_pixels_moving_out_of_view_are_invalid():
    # Content moves +4 px right per frame: the first 4 columns of frame t+1 enter from outside.
    clip = translated_clip((4.0, 0.0), frames=2)
    grey0, grey1 = flicker.to_grey(clip[0]), flicker.to_grey(clip[1])
    flow_fw, flow_bw = flicker.optical_flow(grey0, grey1), flicker.optical_flow(grey1, grey0)
    mask = flicker.valid_mask(flow_fw, flow_bw)
    assert not mask[:, :4].any()
    assert mask[:, 8:].mean() > 0.98


def test_inconsistent_flow_is_invalid():
    # Backward flow says every pixel of frame t+g came from 3 px to its left; the forward flow
    # agrees (+3) except in columns 100..139 of frame t, where it says "stayed" (as for an
    # occluded region). Pixels of t+g whose source lands there fail the check.
    flow_bw = np.zeros((H, W, 2), np.float32)
    flow_bw[..., 0] = -3
    flow_fw = np.zeros((H, W, 2), np.float32)
    flow_fw[..., 0] = 3
    flow_fw[:, 100:140, 0] = 0
    mask = flicker.valid_mask(flow_fw, flow_bw)
    assert not mask[:, 103:143].any()  # source x = p - 3 in 100..139
    assert mask[:, 3:103].all() and mask[:, 143:].all()
    assert not mask[:, :3].any()  # source outside frame t


if __name__ == "__main__":
    tests = [f for name, f in sorted(globals().items()) if name.startswith("test_")]
    failed = 0
    for test in tests:
        try:
            test()
            print(f"ok   {test.__name__}")
        except AssertionError as e:
            failed += 1
            print(f"FAIL {test.__name__}: {e!r}")
    print(f"{len(tests) - failed} passed, {failed} failed")
    raise SystemExit(1 if failed else 0)
