"""Tests of the structure and contrast losses in losses.py (no data, no loss network needed).

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


if __name__ == "__main__":
    for name, test in list(globals().items()):
        if name.startswith("test_"):
            test()
    print("ok")
