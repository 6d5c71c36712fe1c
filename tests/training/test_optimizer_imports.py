"""Building a trainer does not import torch's compiler (1.4 s measured), and training and
saving the optimizer state work as before."""

import subprocess
import sys

CHECK = """
import sys
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec, build_trainer
trainer = build_trainer(RunSpec.of(load_data("builtin:bimodal"), dequantizer="variational"))
print("compiler after build:", "torch._dynamo" in sys.modules)
state = trainer.optimizer.state_dict()
trainer.optimizer.load_state_dict(state)
trainer.optimizer.zero_grad()
trainer.run(3)
print("steps:", trainer.step_count)
"""


def test_building_a_trainer_does_not_import_the_compiler():
    # A fresh interpreter: this one may have imported the compiler already.
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "compiler after build: False" in result.stdout
    assert "steps: 3" in result.stdout


def test_the_compiler_import_in_the_background_ends():
    code = ("import sys, time; from vdq_gui.training.optimizer_imports import import_compiler_soon;"
            "import_compiler_soon(); t = time.time()\n"
            "while 'torch._dynamo' not in sys.modules or sys.modules['torch._dynamo'].__dict__.get('disable') is None:\n"
            "    assert time.time() - t < 60; time.sleep(0.05)\n"
            "print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "ok" in result.stdout, result.stderr
