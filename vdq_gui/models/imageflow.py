"""q for images: a small RealNVP-style normalizing flow on y = x + u in [0, K]^D.

From data to the Gaussian base, a list of bijections (``vdq_gui.models.bijections``),
every step with its log-determinant:

    y in [0, K]^D                       level units, as the 1-D model
    p = alpha + (1 - 2 alpha) y / K     Affine, "scale" term: D log((1 - 2 alpha)/K)
    z = logit(p)                        Logit, "logit" term: -sum log(p (1 - p))
    3 checkerboard couplings at full resolution,          AffineCoupling
    squeeze 2x2, 3 channel-mask couplings, unsqueeze      Squeeze2x2, ..., Inverse(Squeeze2x2)
                                        (when H and W are even)
    z ~ N(0, I)                         "flow" term: log N(z) + coupling log-dets

``alpha`` keeps the logit away from +-inf at the edges of [0, K].  As in RealNVP, q is a
density on the slightly wider interval that p in (0, 1) maps back to,
(-alpha K, (1 - alpha) K) / (1 - 2 alpha) per pixel; the little mass it puts outside
[0, K] is wasted, so the bound on the discrete likelihood stays a true lower bound.  The flow is sized to
train on a 2-core CPU in minutes on 8x8 digits and on 28x28 images.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from vdq_gui.models.bijections import Affine, Compose, Inverse, Logit
from vdq_gui.models.coupling import AffineCoupling, Squeeze2x2, channel_mask, checkerboard_mask

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


class ImageFlow(nn.Module):
    def __init__(self, levels: int, image_shape: tuple[int, int, int], hidden: int = 32,
                 checkerboard: int = 3, channelwise: int = 3, alpha: float = 0.05):
        super().__init__()
        self.levels = int(levels)
        self.image_shape = tuple(int(s) for s in image_shape)
        self.alpha = float(alpha)
        c, h, w = self.image_shape
        steps = [Affine(shift=self.alpha, log_scale=math.log((1.0 - 2.0 * self.alpha) / self.levels)), Logit()]
        steps += [AffineCoupling(checkerboard_mask(c, h, w, i % 2), hidden) for i in range(checkerboard)]
        # Squeezing needs even sides; odd-sized images keep to checkerboard couplings.
        if h % 2 == 0 and w % 2 == 0 and channelwise > 0:
            steps.append(Squeeze2x2())
            steps += [AffineCoupling(channel_mask(4 * c, h // 2, w // 2, i % 2), hidden) for i in range(channelwise)]
            steps.append(Inverse(Squeeze2x2()))
        # y -> z, so that log q(y) = log N(z) + the log-determinant of the whole list.
        self.flow = Compose(steps, event_dim=3)

    @property
    def dims(self) -> int:
        return int(math.prod(self.image_shape))

    # -- data -> base -----------------------------------------------------------------
    def to_base(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """y in [0, K]^D -> (z, log|det dz/dy|) per example."""
        return self.flow(y)

    def log_prob_terms(self, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """log q(y) split into its named terms, each of shape (B,); their sum is log q(y)."""
        z, (scale, logit, *couplings) = self.flow.forward_steps(y)
        base = (-0.5 * z**2 - LOG_SQRT_2PI).flatten(1).sum(dim=1)
        return {"flow": base + sum(couplings), "logit": logit, "scale": scale}

    def log_prob(self, y: torch.Tensor) -> torch.Tensor:
        return sum(self.log_prob_terms(y).values())

    # -- base -> data -----------------------------------------------------------------
    @torch.no_grad()
    def sample(self, count: int, generator: torch.Generator | None = None, temperature: float = 1.0) -> torch.Tensor:
        """Continuous samples y in [0, K]^D, shape (count, C, H, W)."""
        device = next(self.parameters()).device
        z = temperature * torch.randn((count, *self.image_shape), generator=generator, device=device)
        return self.from_base(z)

    def from_base(self, z: torch.Tensor) -> torch.Tensor:
        """Map base noise to y in [0, K]^D (the inverse of the whole flow), clamped to
        [0, K]: q's little mass outside it (see above) is not shown."""
        return self.flow.inverse(z)[0].clamp(0.0, self.levels)
