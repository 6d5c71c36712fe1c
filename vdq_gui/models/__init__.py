"""Torch modules: dequantizers r(u|x) and density models q (no Qt)."""
