"""Affine coupling layers for images (RealNVP, Dinh et al. 2017), shared by q and r.

A coupling keeps half of the dimensions (chosen by a fixed mask) and transforms the
other half elementwise, z' = z * exp(s) + t, with (s, t) predicted from the kept half
(and, for the noise flow, from features of the discrete image).  The Jacobian is
triangular, so log|det| = sum of s over the transformed half, and the inverse is exact.
"""

from __future__ import annotations

import torch
from torch import nn

from vdq_gui.models.bijections import Bijection


def checkerboard_mask(channels: int, height: int, width: int, parity: int) -> torch.Tensor:
    """1 on the kept squares of a checkerboard (same pattern in every channel)."""
    rows = torch.arange(height).unsqueeze(1)
    cols = torch.arange(width).unsqueeze(0)
    board = ((rows + cols + parity) % 2).to(torch.float32)
    return board.expand(channels, height, width).clone()


def channel_mask(channels: int, height: int, width: int, parity: int) -> torch.Tensor:
    """1 on the kept half of the channels (first half or second half)."""
    keep = torch.zeros(channels, 1, 1)
    half = channels // 2
    if parity == 0:
        keep[:half] = 1.0
    else:
        keep[half:] = 1.0
    return keep.expand(channels, height, width).clone()


class Squeeze2x2(Bijection):
    """(B, C, H, W) -> (B, 4C, H/2, W/2) as a step of a flow: a permutation, log-det 0."""

    event_dim = 3

    def forward(self, x, cond=None):
        return squeeze2x2(x), x.new_zeros(x.shape[0])

    def inverse(self, y, cond=None):
        return unsqueeze2x2(y), y.new_zeros(y.shape[0])


def squeeze2x2(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, 4C, H/2, W/2): trade space for channels (a permutation, log-det 0)."""
    b, c, h, w = x.shape
    x = x.reshape(b, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
    return x.reshape(b, c * 4, h // 2, w // 2)


def unsqueeze2x2(x: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`squeeze2x2`."""
    b, c, h, w = x.shape
    x = x.reshape(b, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(b, c // 4, h * 2, w * 2)


class CouplingNet(nn.Module):
    """A small convolutional net predicting (s, t); the last layer starts at zero so
    every coupling starts as the identity (stable start, as in Glow)."""

    def __init__(self, in_channels: int, out_channels: int, hidden: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 3, padding=1), nn.SiLU(),
            nn.Conv2d(hidden, hidden, 1), nn.SiLU(),
        )
        self.head = nn.Conv2d(hidden, 2 * out_channels, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raw_s, t = self.head(self.body(x)).chunk(2, dim=1)
        return raw_s, t


class AffineCoupling(Bijection):
    """z' = mask * z + (1 - mask) * (z * exp(s) + t), (s, t) = net(mask * z [, context]).

    ``s`` is bounded by ``scale * tanh`` so that one bad step cannot blow up exp(s).
    ``cond`` is the context feature map (noise flow) or None (q).
    """

    event_dim = 3

    def __init__(self, mask: torch.Tensor, hidden: int, context_channels: int = 0):
        super().__init__()
        channels = mask.shape[0]
        self.register_buffer("mask", mask)
        # The mask itself is an input so the net knows which squares it may read.
        self.net = CouplingNet(channels + 1 + context_channels, channels, hidden)
        self.scale = nn.Parameter(torch.ones(channels, 1, 1))

    def _s_t(self, kept: torch.Tensor, context: torch.Tensor | None):
        inputs = [kept, self.mask[:1].expand(kept.shape[0], 1, *kept.shape[2:])]
        if context is not None:
            inputs.append(context)
        raw_s, t = self.net(torch.cat(inputs, dim=1))
        free = 1.0 - self.mask
        return self.scale * torch.tanh(raw_s) * free, t * free

    def forward(self, z: torch.Tensor, context: torch.Tensor | None = None):
        """Returns (z', log|det dz'/dz|) with the log-det per example, shape (B,)."""
        s, t = self._s_t(z * self.mask, context)
        return z * torch.exp(s) + t, s.flatten(1).sum(dim=1)

    def inverse(self, z: torch.Tensor, context: torch.Tensor | None = None):
        """Returns (z, log|det dz'/dz|) of the forward map at the recovered z."""
        s, t = self._s_t(z * self.mask, context)
        return (z - t) * torch.exp(-s), s.flatten(1).sum(dim=1)
