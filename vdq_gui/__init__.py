"""vdq-gui: watch dequantization happen.

The core (``vdq_gui.data``, ``vdq_gui.models``, ``vdq_gui.training``) is plain
numpy/torch and never imports Qt; ``vdq_gui.app`` is the window over it and
``vdq_gui.cli`` the headless front.
"""

__version__ = "0.1.0"
