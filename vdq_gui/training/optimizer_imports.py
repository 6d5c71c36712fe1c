"""Keeping torch.optim's lazy import of ``torch._dynamo`` (the compiler) off start-up.

Measured here (torch 2.13 CPU, 2 cores): building ``torch.optim.Adam`` took 1.4 s, nearly
all of it importing ``torch._dynamo``, because several Optimizer methods are wrapped by
``torch._disable_dynamo``, which imports the compiler on the first call in order to mark
the method "do not compile".  vdq-gui never compiles, so the mark has no effect; but the
import lay on the path to the first picture (the model is built before step 0 is drawn)
and, worse, in the window's own process (its replica trainer builds an Adam too), where
1.4 s of import holds the interpreter while the window paints.

``skip_dynamo_disable_wrappers`` gives each such wrapper the undecorated method as its
cached "disabled" version, which is what the wrapper itself would call outside
compilation, so nothing is imported and nothing else changes.  ``Adam.step`` still imports
the compiler on the first step (its ``graph_break`` call); ``import_compiler_soon`` does
that in the background in the training process once the first picture is out, while the
user reads the screen.
"""

from __future__ import annotations

import importlib
import sys
import threading

_done = False


def skip_dynamo_disable_wrappers() -> None:
    """Idempotent and cheap; a torch without these wrappers is left as it is."""
    global _done
    if _done:
        return
    _done = True
    import torch.optim

    for owner in (torch.optim.Optimizer, torch.optim.Adam):
        for method in vars(owner).values():
            undecorated = getattr(method, "__wrapped__", None)
            code = getattr(method, "__code__", None)
            # only torch._compile._disable_dynamo's wrapper, identified by where it lives
            if undecorated is not None and code is not None and code.co_filename.endswith("_compile.py"):
                if getattr(undecorated, "__dynamo_disable", None) is None:
                    undecorated.__dynamo_disable = undecorated


def import_compiler_soon() -> None:
    """Import ``torch._dynamo`` in a daemon thread (the first ``Adam.step`` needs it)."""
    if "torch._dynamo" in sys.modules:
        return
    threading.Thread(target=_import_quietly, name="vdq-import-compiler", daemon=True).start()


def _import_quietly() -> None:
    try:
        importlib.import_module("torch._dynamo")
    except Exception:  # the first step imports it again and reports what is wrong
        pass
