"""Draw + paint cost of one moment for one, two and three runs (hand-made 1-D snapshots,
window 1280x720, offscreen), alternating, 3 repeats: ``PYTHONPATH=. python -m benchmarks.draw_cost``."""
import time, os
os.environ["QT_QPA_PLATFORM"]="offscreen"
from PySide6 import QtWidgets
from vdq_gui.app import style
style.configure_pyqtgraph()
app = QtWidgets.QApplication([])
from tests.app.conftest import snapshot_1d
from vdq_gui.app.timeline import Moment
from vdq_gui.app.window import MainWindow
from vdq_gui.app.worker import TrainingWorker
from vdq_gui.data.loaders import load_data
from vdq_gui.training.loop import RunSpec
import numpy as np
data = load_data("builtin:bimodal")
res = {}
wins = {n: MainWindow(RunSpec.of(data), compare=(None if n == 1 else ["uniform","variational","none"][:n]), worker_factory=TrainingWorker) for n in (1, 2, 3)}
for w in wins.values(): w.show()
app.processEvents()
for rep in range(3):
    for n, w in wins.items():
        costs = []
        for i in range(30):
            snaps = tuple(snapshot_1d(step=100 + i, levels=32, dequantizer=d, seed=i) for d in ["uniform","variational","none"][:n])
            t = time.perf_counter(); w.plots.draw(Moment(snaps)); w.repaint(); costs.append(time.perf_counter() - t)
        res.setdefault(n, []).append(1000*np.median(costs))
for n, v in res.items(): print(n, "runs: draw+paint median ms per frame", [round(x,1) for x in v])
for w in wins.values(): w.close()
