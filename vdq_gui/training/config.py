"""The hyperparameters of one run, importable without torch.

The window builds its runs' settings before torch has loaded (torch loads after the first
paint, in the training process and the relay thread), so this module imports nothing
heavy.  The dequantizer's name is checked against the registry
(``vdq_gui.models.dequantizers.DEQUANTIZERS``) when a ``Trainer`` is built, because that
registry lives next to the torch modules.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainConfig:
    """Hyperparameters.  ``None`` means the default for the kind of data (1-D / images)."""

    dequantizer: str = "variational"
    seed: int = 0
    learning_rate: float | None = None
    batch_size: int | None = None
    grad_clip: float = 10.0
    val_fraction: float = 0.1
    iw_samples: int = 16
    eval_every: int | None = None  # None: the default for the kind of data (trainer.DEFAULTS)
    eval_examples: int | None = None
    log_every: int = 5
    # 1-D model sizes
    components: int = 16
    noise_layers: int = 2
    noise_components: int = 4
    # image model sizes (r is kept smaller than q, as in Flow++: its job is easier)
    hidden: int = 32
    noise_hidden: int | None = None  # default: hidden // 2
    noise_couplings: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.dequantizer, str) or not self.dequantizer:
            raise ValueError(f"dequantizer must be a name, not {self.dequantizer!r}")
        for name in ("eval_every", "log_every", "iw_samples", "eval_examples", "components", "hidden"):
            if getattr(self, name) is not None and int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError("val_fraction must lie strictly between 0 and 1")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise ValueError("learning_rate must be positive")
        if self.batch_size is not None and int(self.batch_size) < 1:
            raise ValueError("batch_size must be at least 1")
