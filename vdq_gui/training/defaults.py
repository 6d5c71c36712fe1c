"""The Trainer's per-kind defaults, without torch: the window shows the real learning rate
and batch size from its first paint, before the training process has built the model."""

from __future__ import annotations

# Evaluation during training (validation and IW bound for the curves) runs every
# ``eval_every`` steps on ``eval_examples`` validation examples.  Every 200 steps keeps
# it near 1.5 % of training time (a 1-D evaluation costs about three variational steps;
# for images an IW evaluation over many images costs a dozen steps, so it also runs on
# fewer images); that is still one to five points a second on the curves.  The CLI's
# final evaluation always uses the whole validation set.
DEFAULTS = {
    "1d": {"learning_rate": 1e-2, "batch_size": 512, "eval_every": 200, "eval_examples": 1024},
    "images": {"learning_rate": 2e-3, "batch_size": 64, "eval_every": 200, "eval_examples": 64},
}


def default_setting(kind: str, name: str, given=None):
    """``given`` if set, else the default of ``name`` for data of ``kind`` ("1d" / "images")."""
    return given if given is not None else DEFAULTS[kind][name]
