"""Ultrasound-suited augmentation on uint8 image batches, done on tensors (on the training device).

Kept deliberately mild: small affine (probe position/zoom), gain/contrast/gamma (TGC and
machine presets) and horizontal flips (probe orientation is arbitrary left-right). No vertical
flips — depth runs top-down in every ultrasound image — and no blur or additive noise that
would wash out speckle, whose texture carries information.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def normalize(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 [B,3,H,W] → float, x/255 then ImageNet mean/std (what the manifest declares)."""
    x = images_uint8.float() / 255.0
    mean = torch.tensor(IMAGENET_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def random_affine_grid(
    batch: int,
    size: tuple[int, int],
    generator: torch.Generator,
    device: torch.device,
    max_rotate_deg: float = 8.0,
    scale_range: tuple[float, float] = (0.9, 1.1),
    max_translate: float = 0.06,
    hflip_p: float = 0.5,
) -> torch.Tensor:
    b = batch
    rnd = lambda: torch.rand(b, generator=generator)  # noqa: E731
    angle = (rnd() * 2 - 1) * math.radians(max_rotate_deg)
    scale = scale_range[0] + rnd() * (scale_range[1] - scale_range[0])
    tx, ty = (rnd() * 2 - 1) * max_translate * 2, (rnd() * 2 - 1) * max_translate * 2
    flip = torch.where(rnd() < hflip_p, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack(
        [torch.stack([cos * flip, -sin, tx], 1), torch.stack([sin * flip, cos, ty], 1)], 1
    )
    return F.affine_grid(theta.to(device), [b, 3, *size], align_corners=False)


def augment(images_uint8: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """uint8 [B,3,H,W] → augmented, normalised float batch."""
    b, _, h, w = images_uint8.shape
    dev = images_uint8.device
    x = images_uint8.float() / 255.0
    grid = random_affine_grid(b, (h, w), generator, dev)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    rnd = lambda: torch.rand(b, 1, 1, 1, generator=generator).to(dev)  # noqa: E731
    gain = 0.8 + 0.4 * rnd()
    gamma = torch.exp((rnd() * 2 - 1) * 0.25)
    contrast = 0.85 + 0.3 * rnd()
    x = (x * gain).clamp(0, 1) ** gamma
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    x = ((x - m) * contrast + m).clamp(0, 1)
    # Round to 8 bits like a real image, so training never sees values the app cannot produce.
    x = torch.round(x * 255.0)
    mean = torch.tensor(IMAGENET_MEAN, device=dev).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=dev).view(1, 3, 1, 1)
    return (x / 255.0 - mean) / std
