"""Tests of the structure, contrast and upscaled-style helpers in losses.py (no data, no loss network needed).

    python -m pytest test_losses.py      or      python test_losses.py
"""

import torch

import losses


def photo(seed=0, side=32):
    return torch.rand(2, 3, side, side, generator=torch.Generator().manual_seed(seed))


def test_a_picture_keeps_its_own_structure():
    x = photo()
    assert losses.structure_loss(x, x, 1).item() == 0.0


def test_colours_that_keep_the_luma_cost_nothing():
    x = photo()
    # a patterned shift along a direction orthogonal to the luma weights: new colours and
    # colour edges, the same luma
    direction = torch.tensor([losses.LUMA[1], -losses.LUMA[0], 0.0]).view(1, 3, 1, 1)
    recoloured = x + 0.2 * direction * photo(seed=1)[:, :1]
    assert losses.structure_loss(recoloured, x, 1).item() < 1e-10
    assert (recoloured - x).abs().max().item() > 0.05
    # a uniform brightening changes no edge either
    assert losses.structure_loss(x + 0.1, x, 2).item() < 1e-10


def test_lost_edges_cost_and_pooling_sets_the_scale():
    x = photo()
    flat = x.mean((2, 3), keepdim=True).expand_as(x)
    # a flat picture loses all of the photo's structure: the loss is its Laplacian energy
    assert abs(losses.structure_loss(flat, x, 1).item() - losses.laplacian(x, 1).pow(2).mean().item()) < 1e-6
    # pixel noise is mostly averaged away by 4x4 pooling, so pooled structure is smaller
    assert losses.structure_loss(flat, x, 4).item() < 0.2 * losses.structure_loss(flat, x, 1).item()
    assert losses.laplacian(x, 4).shape == (2, 1, 32 // 4 - 2, 32 // 4 - 2)


def test_the_loss_reaches_the_painting():
    x = photo()
    painted = torch.zeros_like(x, requires_grad=True)
    losses.structure_loss(painted, x, 2).backward()
    assert painted.grad.abs().sum().item() > 0


def test_contrast_prefers_the_painting_style():
    styles = torch.randn(4, 16, generator=torch.Generator().manual_seed(2))
    style_of = torch.arange(4).repeat_interleave(2)
    near = styles[style_of] + 0.1 * torch.randn(8, 16, generator=torch.Generator().manual_seed(3))
    swapped = styles[(style_of + 1) % 4]
    right = losses.style_contrast_loss(near, styles, style_of, 0.3).item()
    wrong = losses.style_contrast_loss(swapped, styles, style_of, 0.3).item()
    assert right < 0.5 < 1.39 < wrong  # log(4): the loss of a signal that says nothing
    # its scale does not matter (cosine), and it reaches the painting's signal
    painted = (3 * near).requires_grad_()
    assert abs(losses.style_contrast_loss(painted, styles, style_of, 0.3).item() - right) < 1e-5
    losses.style_contrast_loss(painted, styles, style_of, 0.3).backward()
    assert painted.grad.abs().sum().item() > 0


def test_upscaling_doubles_the_side_keeps_flat_colour_and_stays_in_range():
    flat = torch.full((2, 3, 16, 16), 0.3)
    up = losses.upscale(flat, 2)
    assert up.shape == (2, 3, 32, 32)
    assert (up - 0.3).abs().max().item() < 1e-6
    # bicubic overshoots at hard edges; dinstyle clamps its frames, so does the loss's copy
    edge = torch.zeros(1, 3, 16, 16)
    edge[..., 8:] = 1.0
    assert losses.upscale(edge, 2).min().item() == 0.0 and losses.upscale(edge, 2).max().item() == 1.0
    # the gradient reaches the painting through it
    painted = photo(side=16).requires_grad_()
    losses.upscale(painted, 2).pow(2).sum().backward()
    assert painted.grad.abs().sum().item() > 0


def test_the_window_is_a_part_of_the_batch():
    x = photo(side=32)
    gen = torch.Generator().manual_seed(4)
    places = set()
    for _ in range(20):
        w = losses.random_window(x, 8, gen)
        assert w.shape == (2, 3, 8, 8)
        hits = [(y, z) for y in range(25) for z in range(25) if torch.equal(x[..., y:y + 8, z:z + 8], w)]
        assert hits
        places.add(hits[0])
    assert len(places) > 5  # drawn, not fixed
    assert losses.random_window(x, 32, gen) is x and losses.random_window(x, 64, gen) is x


if __name__ == "__main__":
    for name, test in list(globals().items()):
        if name.startswith("test_"):
            test()
    print("ok")
