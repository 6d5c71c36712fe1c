"""The objective, the training loop and the inspection outputs (no Qt)."""
