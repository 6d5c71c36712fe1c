"""The names of the dequantizers, without importing torch: the window's command line and
its controls list them before torch is loaded (fast first paint).  ``dequantizers``
builds them (``make_dequantizer``) and re-exports this tuple as its registry."""

DEQUANTIZERS = ("none", "uniform", "logit-normal", "variational")
DEFAULT_DEQUANTIZER = "variational"
