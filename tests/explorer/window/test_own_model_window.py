"""The window on a user's own module: a checkpoint of one opens with its points, grids and hover, as the lecture's
network's do (File › Open, and `open --model-code`, which writes such a checkpoint and opens it)."""

from __future__ import annotations

import numpy as np
import torch
from gui_testkit import DecodeCounter, hover_at, wait_for_snapshot
from own_model_kit import MLP, write_module

from core.data.datasets import load_builtin_digits
from core.files.checkpoint import Checkpoint, save_checkpoint
from core.model.own_code import source_of
from core.model.own_module import probe
from core.settings import TrainConfig
from core.training.engine import Trainer


def test_a_checkpoint_of_a_users_module_opens_with_points_grids_and_hover(qtbot, window, tmp_path):
    data = load_builtin_digits()
    config = probe(source_of(write_module(tmp_path, "mlp", MLP), "MLP"), data.train.images, beta=1.0)
    trainer = Trainer(data, TrainConfig(epochs=1, device="cpu", num_threads=1, display_size=200), config)
    for _ in trainer.run(snapshots=False):
        pass
    path = save_checkpoint(tmp_path / "own.safetensors", Checkpoint.from_trainer(trainer))
    assert window.open_checkpoint(path)
    wait_for_snapshot(qtbot, window)
    qtbot.waitUntil(lambda: not window.running, timeout=30_000)
    assert window.latent.points.count > 0
    assert window.grids.rows is not None and window.grids.rows[0].shape[1:] == (1, 28, 28)
    decoded = DecodeCounter(window)
    x, y = window.session.view.xy[0]
    hover_at(qtbot, window, float(x), float(y))
    qtbot.waitUntil(lambda: decoded.last is not None, timeout=10_000)
    net = trainer.model.net.eval()  # the hover's image is the module's own decode of the hovered code
    with torch.no_grad():
        own = net.decode(torch.from_numpy(np.asarray(decoded.last.code, np.float32))[None])[0].numpy()
    np.testing.assert_allclose(decoded.last.image, own, atol=1e-5)
