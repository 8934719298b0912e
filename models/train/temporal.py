"""Temporal regulariser on single images (ReReVST, Wang et al. 2020, see ../shared/papers/README.md).

A video's next frame is, mostly, the current one moved by a smooth flow plus sensor noise. So
stylizing must commute with that motion: stylize(warp(x) + noise) ~ warp(stylize(x)). Training on
still photos with random smooth flows teaches it without optical flow at run time. Pure functions.
"""

import torch
import torch.nn.functional as F


def random_flow(n, h, w, max_shift, gen, grid=4):
    """Smooth random flows [n, 2, h, w] in pixels: a global shift, a small rotation/zoom about the
    centre, and a low-frequency field (a `grid` x `grid` random lattice upsampled bicubically),
    together at most about `max_shift` pixels."""
    r = lambda *s: torch.rand(*s, generator=gen) * 2 - 1  # noqa: E731  uniform in [-1, 1]
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32) - (h - 1) / 2,
                            torch.arange(w, dtype=torch.float32) - (w - 1) / 2, indexing="ij")
    shift = r(n, 2, 1, 1) * (max_shift * 0.5)
    angle, zoom = r(n, 1, 1) * (max_shift * 0.25 / max(h, w)), r(n, 1, 1) * (max_shift * 0.25 / max(h, w))
    affine = torch.stack([zoom * xs - angle * ys, angle * xs + zoom * ys], dim=1)
    field = F.interpolate(r(n, 2, grid, grid) * (max_shift * 0.25), size=(h, w), mode="bicubic",
                          align_corners=True)
    return shift + affine + field


def warp(x, flow):
    """Samples x at p + flow(p) (bilinear, border values outside); also the mask of pixels whose
    source lies inside the image."""
    n, _, h, w = x.shape
    ys, xs = torch.meshgrid(torch.arange(h, device=x.device, dtype=x.dtype),
                            torch.arange(w, device=x.device, dtype=x.dtype), indexing="ij")
    sx, sy = xs + flow[:, 0], ys + flow[:, 1]
    grid = torch.stack([2 * sx / max(w - 1, 1) - 1, 2 * sy / max(h - 1, 1) - 1], dim=-1)
    out = F.grid_sample(x, grid.to(x.dtype), mode="bilinear", padding_mode="border", align_corners=True)
    inside = ((sx >= 0) & (sx <= w - 1) & (sy >= 0) & (sy <= h - 1)).unsqueeze(1).to(x.dtype)
    return out, inside


def temporal_loss(stylize, content, out, max_shift, noise_std, gen):
    """Mean |stylize(warp(content) + noise) - warp(out)| over pixels that stay in view, where
    `out = stylize(content)` (its warp is the target and gets no gradient)."""
    n, _, h, w = content.shape
    flow = random_flow(n, h, w, max_shift, gen).to(content.device)
    moved, inside = warp(content, flow)
    noise = torch.randn(moved.shape, generator=gen).to(content.device) * noise_std
    target, _ = warp(out.detach().float(), flow)
    diff = (stylize((moved + noise).clamp(0, 1)).float() - target).abs() * inside
    return diff.sum() / (inside.sum() * 3).clamp(min=1)
