"""Everything a plot needs for one training state, as plain numpy arrays.

``snapshot(trainer)`` is what the window draws and what the tests compare the window
against.  It is cheap (a few ms for K = 256) because every per-bin quantity is computed
for all bins at once on fixed nodes:

- For 1-D data, expectations over r(u|x) are taken by *quadrature*, not sampling
  (tanh-sinh on the base variable's CDF coordinate, ``objective.bin_bounds_1d``): the
  per-bin gap KL(r(u|x) || q(u|x)) = log P(x) - E_r[log q(x+u) - log r(u|x)] is
  deterministic and accurate to below 1e-5 bits.  The heatmap of r reads the flow at the
  midpoint quantiles of its base instead (evenly spread over r's mass, which the
  quadrature's nodes, crowded at the ends, are not), interpolated onto the u-grid.
- For images, r(u|x) is a joint density over all pixels; the heatmap shows the
  distribution of u over all pixels of each value, a normalised histogram of samples.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from vdq_gui.training.evaluation import split_figures_1d
from vdq_gui.training.ladder import iw_gaps
from vdq_gui.training.objective import bin_bounds_1d
from vdq_gui.training.snapshot import Snapshot

LN2 = math.log(2.0)
NOISE_GRID = 64  # u-cells in the 1-D heatmap, up to 128 bins (fewer beyond: see noise_cells)
IMAGE_COUNT = 16  # images per grid
# The image noise heatmap is a histogram of sampled u per pixel value: enough pixels that
# rare values are not all speckle, few enough that a snapshot stays cheap for 28x28.
HISTOGRAM_PIXELS = 32768
HISTOGRAM_CELLS = 32
SPLIT_RULE_NODES = 64  # snapshot quadrature nodes for dequantizers with a split rule (logit-normal)


def _density_on_grid(u_nodes: np.ndarray, log_r: np.ndarray, u_grid: np.ndarray) -> np.ndarray:
    """r on a regular u-grid from monotone nodes (one row per bin) by interpolation."""
    density = np.exp(log_r)
    return np.stack([np.interp(u_grid, u_nodes[k], density[k]) for k in range(u_nodes.shape[0])])


def point_mass_density(levels: int, cells: int) -> np.ndarray:
    """``none``: all of r's mass at u = 0, drawn as a full first cell of the u-grid."""
    density = np.zeros((levels, cells))
    density[:, 0] = cells
    return density


def _noise_density_1d(dequantizer, levels: int, u_grid: np.ndarray) -> np.ndarray:
    if dequantizer.name == "none":
        return point_mass_density(levels, u_grid.size)
    if dequantizer.name == "uniform":
        return np.ones((levels, u_grid.size))
    # As many quantiles as u-cells: r between them is interpolated linearly.
    quantiles = (torch.arange(u_grid.size, dtype=torch.float32) + 0.5) / u_grid.size
    eps = dequantizer.base.icdf(quantiles.double()).float()
    u_nodes, log_r = dequantizer.transform(eps.unsqueeze(0), dequantizer.bin_params().unsqueeze(1))
    return _density_on_grid(u_nodes.numpy(), log_r.numpy(), u_grid)


def snapshot_nodes(levels: int, dequantizer=None) -> int:
    """Quadrature nodes per bin for a snapshot: about 8k evaluations of q and r in all, so
    that a snapshot stays within ~10 ms on one core for any K <= 256 (the heatmap reads r
    at 32-64 more points per bin).  The tanh-sinh rule is within 1e-5 bits per bin from
    32 nodes on for the flow; the logit-normal's split rule needs 64 (its widest r is the
    hardest case; its r is cheap).  See tests/training/test_quadrature.py; ``evaluate``
    uses 128."""
    nodes = int(np.clip(8192 // levels, 32, 128))
    return max(nodes, SPLIT_RULE_NODES) if hasattr(dequantizer, "quadrature_split") else nodes


def noise_cells(levels: int) -> int:
    """u-cells of the 1-D heatmap and posterior: 64, or 32 for K > 128, where a heatmap
    column is a pixel or two wide anyway and the q(u|x) grid would double a snapshot's cost."""
    return NOISE_GRID if levels <= 128 else NOISE_GRID // 2


# The bound ladder: the expected IW-M bound of every bin for these M, computed from the
# bound's own quadrature nodes (vdq_gui.training.ladder: no sampling, so the rungs are as
# exact as the gap and move only when q or r do).  A Monte-Carlo ladder was tried first:
# with 256 draws a bin its IW-M estimates fell below the exact value by up to 0.07 bits,
# far more than the gaps on show (2026-12-02, builtin:bimodal after 500 steps).
LADDER_SAMPLES = (1, 4, 16, 64)


@torch.no_grad()
def iw_ladder_1d(density, dequantizer, levels: int, terms: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(M values, -IW-M in bits per bin, shape (len(M), K)): the exact -log2 P(x) plus the
    expected IW-M gap.  Row 0 (M = 1) is the negative ELBO; rows fall towards the exact
    value as M grows, and never below it.  ``terms``: ``bin_bounds_1d``'s output, if known."""
    terms = terms if terms is not None else bin_bounds_1d(density, dequantizer, levels)
    log_rho = terms["log_q"] - terms["log_r"] - terms["log_mass"].unsqueeze(1)
    gaps = iw_gaps(log_rho, terms["weights"], LADDER_SAMPLES)
    exact = -terms["log_mass"].double().unsqueeze(0)
    return np.array(LADDER_SAMPLES), ((exact + gaps) / LN2).numpy()


def _split_metrics(terms: dict, points: torch.Tensor, counts: np.ndarray, prefix: str) -> dict[str, float]:
    figures = split_figures_1d(terms["bound"], terms["log_mass"], points, counts)
    return {f"{prefix}{key}": value for key, value in figures.items()}


def _y_grid(levels: int) -> np.ndarray:
    """Positions over [0, K] that include every integer: with ``none`` the spikes sit there."""
    per_level = int(np.clip(4096 // levels, 4, 32))
    return np.linspace(0.0, levels, levels * per_level + 1)


@torch.no_grad()
def inspect_1d(trainer, cells: int | None = None, ladder: bool = True) -> dict:
    density, dequantizer, levels = trainer.density, trainer.dequantizer, trainer.data.levels
    cells = cells or noise_cells(levels)
    terms = bin_bounds_1d(density, dequantizer, levels, snapshot_nodes(levels, dequantizer))
    u_grid = (np.arange(cells) + 0.5) / cells
    y_grid = _y_grid(levels)
    x = torch.arange(levels, dtype=torch.float32).unsqueeze(1)
    log_post = density.log_prob(x + torch.from_numpy(u_grid).float()) - terms["log_mass"].unsqueeze(1)
    gap = terms["gap"].numpy() / LN2 if dequantizer.is_bound else np.full(levels, np.nan)
    bound = -terms["bound"].numpy().astype(np.float64) / LN2 if dequantizer.is_bound else np.full(levels, np.nan)
    if dequantizer.is_bound and ladder:
        ladder_m, ladder = iw_ladder_1d(density, dequantizer, levels, terms)
    else:  # no bound (`none`), or not asked for (its tab is hidden: ~40 % of a snapshot)
        ladder_m, ladder = np.zeros(0, dtype=int), np.zeros((0, levels))
    # Live figures of this state on the validation split and on all the data (item 4 of
    # issue 11), and log q at the integer points (what `none` maximises).
    points = density.log_prob(torch.arange(levels, dtype=torch.float32))
    live = {**_split_metrics(terms, points, trainer.val_counts, "live_val_"),
            **_split_metrics(terms, points, trainer.train_counts + trainer.val_counts, "all_")}
    all_counts = trainer.train_counts + trainer.val_counts
    live.update({f"all_iw{m}_bpd": float((all_counts * row).sum() / all_counts.sum())
                 for m, row in zip(ladder_m, ladder)})
    if not dequantizer.is_bound:  # no bound, no gap: keep only exact and the point density
        live = {k: v for k, v in live.items() if "bound" not in k and "gap" not in k}
    return {
        "live_metrics": live,
        "bound_per_bin": bound,
        "iw_ladder_samples": ladder_m,
        "iw_ladder_per_bin": ladder,
        "u_grid": u_grid,
        "noise_density": _noise_density_1d(dequantizer, levels, u_grid),
        "gap_per_bin": gap,
        "y_grid": y_grid,
        "q_density": np.exp(density.log_prob(torch.from_numpy(y_grid).float()).numpy()).astype(np.float64),
        "model_pmf": np.exp(terms["log_mass"].numpy()).astype(np.float64),
        "posterior_density": np.exp(log_post.numpy()).astype(np.float64),
    }


# -- images ------------------------------------------------------------------------------
def _to_display(images: torch.Tensor) -> np.ndarray:
    """(n, C, H, W) in [0, 1] -> (n, H, W) for gray or (n, H, W, C) for colour."""
    array = images.clamp(0.0, 1.0).numpy().astype(np.float32)
    return array[:, 0] if array.shape[1] == 1 else np.transpose(array, (0, 2, 3, 1))


def noise_histogram(x: np.ndarray, u: np.ndarray, levels: int, cells: int) -> np.ndarray:
    """Density of u over all pixels with each value x: (K, cells), rows integrate to 1 (or 0 if absent)."""
    counts, _, _ = np.histogram2d(x.ravel(), u.ravel(), bins=(levels, cells), range=((0, levels), (0, 1)))
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts * cells, totals, out=np.zeros_like(counts), where=totals > 0)


def histogram_images(trainer, fraction: float = 1.0) -> torch.Tensor:
    """The images whose pixels make the noise histogram (about HISTOGRAM_PIXELS pixels, or
    that ``fraction`` of them: the window's pictures while training runs on a slow machine)."""
    count = min(int(np.clip(HISTOGRAM_PIXELS // trainer.data.dims, 16, 1024)), len(trainer.x_train))
    return trainer.x_train[:max(4, int(count * min(1.0, fraction)))]


@torch.no_grad()
def inspect_images(trainer, cells: int = HISTOGRAM_CELLS, count: int = IMAGE_COUNT, noise_fraction: float = 1.0) -> dict:
    levels, seed = trainer.data.levels, trainer.config.seed
    # Fixed generators: the grids change only because the model does, not the noise.
    generator = torch.Generator().manual_seed(seed + 7)
    shown = trainer.x_train[:count]
    u_shown, _ = trainer.dequantizer(shown, generator)
    samples = trainer.density.sample(count, generator)
    u_grid = (np.arange(cells) + 0.5) / cells
    name = trainer.dequantizer.name
    if name == "none":
        noise = point_mass_density(levels, cells)
    elif name == "uniform":
        noise = np.ones((levels, cells))
    else:
        batch = histogram_images(trainer, noise_fraction)
        u_batch, _ = trainer.dequantizer(batch, generator)
        noise = noise_histogram(batch.numpy(), u_batch.numpy(), levels, cells)
    return {
        "u_grid": u_grid,
        "noise_density": noise,
        "data_images": _to_display(shown.float() / (levels - 1)),
        "sample_images": _to_display(samples / levels),
        "dequantized_images": _to_display((shown.float() + u_shown) / levels),
    }


# -- the snapshot ------------------------------------------------------------------------
def snapshot(trainer, steps_per_s: float = float("nan"), ladder: bool = True, noise_fraction: float = 1.0) -> Snapshot:
    """The complete picture of ``trainer``'s current state (new arrays, safe to hand to the GUI).
    ``ladder=False``: without the bound ladder (empty ``iw_ladder_*``, no ``all_iw*`` metrics);
    ``noise_fraction``: images only, the noise histogram from that share of its pixels."""
    data = trainer.data
    arrays = (inspect_1d(trainer, ladder=ladder) if data.kind == "1d"
              else inspect_images(trainer, noise_fraction=noise_fraction))
    metrics = dict(trainer.last_metrics)
    metrics.update(arrays.pop("live_metrics", {}))
    for column, key in (("val_bound", "val_bound_bpd"), ("iw_bound", "iw_bound_bpd"),
                        ("exact", "exact_bpd"), ("gap", "gap_bpd")):
        value = trainer.log.last(column)
        if key not in metrics and np.isfinite(value):
            metrics[key] = value
    return Snapshot(
        step=trainer.step_count, elapsed_s=trainer.elapsed_s, kind=data.kind,
        dequantizer=trainer.dequantizer.name, is_bound=trainer.is_bound, levels=data.levels,
        origin=data.origin, value_step=data.step, learning_rate=trainer.learning_rate,
        batch_size=trainer.batch_size, metrics=metrics, history=trainer.log.history(),
        data_pmf=trainer.data_pmf, train_counts=trainer.train_counts, val_counts=trainer.val_counts,
        objective=trainer.config.objective, iw_samples=int(trainer.config.iw_samples),
        train_samples=int(trainer.train_samples), alpha=float(trainer.config.alpha), status=trainer.stopped_reason or "", steps_per_s=steps_per_s, **arrays,
    )
