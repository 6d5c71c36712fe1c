"""The vdq-gui window: Qt only, no maths.

Every number drawn here comes from an immutable :class:`vdq_gui.training.snapshot.Snapshot`
that the training worker publishes; the window only lays out, styles and routes user
commands (play, pause, learning rate, ...) back to the worker.
"""
