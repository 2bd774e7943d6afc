"""The sweep gallery on a real sweep folder: tiny real checkpoints trained here, and the manifest written with
core.sweep.manifest's own writer (the file the sweep command writes and the window reads); no Ray.

Driven with real mouse events sent to the tiles' plot viewports: one hover decodes the same plane position in
every run, each with that run's own decoder, checked against the decoder read afresh from the run's checkpoint.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from core_testkit import fast_config
from PySide6.QtWidgets import QComboBox

from core.data.datasets import load_dataset
from core.files.checkpoint import Checkpoint, save_checkpoint
from core.model.autoencoder import ModelConfig
from core.sweep.gallery import load_view
from core.sweep.manifest import SweepManifest, SweepRun, write_manifest
from core.training.engine import Trainer
from explorer.bench import pointer
from explorer.sweep.layout import arrange
from explorer.utils.images import to_sized_pixmap

BETAS = (0.5, 4.0)
SEEDS = (1, 2)


def train_checkpoint(path: Path, beta: float, seed: int) -> Trainer:
    """A real one-epoch VAE on the tiny MNIST files (8 steps), saved where the sweep keeps its runs."""
    data = load_dataset("mnist")
    trainer = Trainer(data, fast_config(seed=seed), ModelConfig(latent_dim=2, kind="variational", beta=beta))
    for _ in trainer.run():
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(path, Checkpoint.from_trainer(trainer))
    return trainer


def run_id_of(beta: float, seed: int) -> str:
    return f"beta={beta:g},seed={seed}"


def checkpoint_of(beta: float, seed: int) -> str:
    """Where the run's checkpoint lies, relative to the sweep's folder."""
    return f"runs/{run_id_of(beta, seed)}/model.safetensors"


def run_of(
    beta: float, seed: int, state: str = "done", error: str | None = None, trainer: Trainer | None = None,
    progress: float = 1.0,
) -> SweepRun:  # fmt: skip
    """The manifest's record of a run; a trained one with its checkpoint and final loss."""
    loss = None if trainer is None else float(trainer.progress.batch_losses[-1])
    checkpoint = None if trainer is None else checkpoint_of(beta, seed)
    return SweepRun(run_id_of(beta, seed), {"beta": beta, "seed": seed}, state, checkpoint, error, loss, None, None,
                    progress)  # fmt: skip


@pytest.fixture
def sweep_dir(tmp_path: Path, tiny_mnist: Path) -> Path:
    """Two β × two seeds: three runs done, one failed with its error (no checkpoint)."""
    directory = tmp_path / "sweep"
    runs = []
    for beta in BETAS:
        for seed in SEEDS:
            if (beta, seed) == (BETAS[1], SEEDS[1]):
                runs.append(run_of(beta, seed, "failed", "RuntimeError: the loss diverged at step 3", progress=0.4))
                continue
            trainer = train_checkpoint(directory / checkpoint_of(beta, seed), beta, seed)
            runs.append(run_of(beta, seed, trainer=trainer))
    manifest = SweepManifest({"beta": list(BETAS), "seed": list(SEEDS)}, {"epochs": 1, "model": "vae"}, tuple(runs))
    write_manifest(directory, manifest)
    return directory


def loaded(gallery) -> int:
    return sum(run.view is not None for run in gallery.runs.values())


def test_one_hover_decodes_the_same_position_in_every_run(qtbot, window, sweep_dir: Path) -> None:
    gallery = window.sweep
    assert window.menus.action("open-sweep").text() == "Open s&weep…"
    gallery.open(sweep_dir)
    qtbot.waitUntil(lambda: loaded(gallery) == 3, timeout=60_000)
    qtbot.waitExposed(gallery.window)
    runs = gallery.runs
    failed = runs["beta=4,seed=2"]
    assert failed.view is None and "the loss diverged at step 3" in failed.tile.message.text()
    assert failed.tile.message.isVisible() and not failed.tile.latent.isVisible()
    # laid out by the swept values: β down the rows, the seed across the columns, each titled with its values
    grid = gallery.window.grid
    for row, beta in enumerate(BETAS):
        for column, seed in enumerate(SEEDS):
            tile = runs[f"beta={beta:g},seed={seed}"].tile
            assert grid.getItemPosition(grid.indexOf(tile))[:2] == (row + 1, column + 1)
            assert tile.title.text() == f"beta {beta:g} · seed {seed}"
    assert runs["beta=0.5,seed=1"].tile.results.text().startswith("loss ")

    # one real mouse move over the second run's panel
    over = runs["beta=0.5,seed=2"]
    (x0, x1), (y0, y1) = over.tile.latent.view_box.viewRange()
    with qtbot.waitSignal(gallery.cursor.moved, timeout=5_000):
        pointer.move_mouse_to(over.tile.latent, x0 + 0.62 * (x1 - x0), y0 + 0.35 * (y1 - y0))
    xy = gallery.cursor.position
    shown = [run for run in runs.values() if run.view is not None]
    pictures = []
    for run in shown:
        record = run.last_decoded
        assert record is not None and record.xy == xy and record.view is run.view
        # that run's decoder at that position, read afresh from its checkpoint
        expected, _code = load_view(sweep_dir / run.run.checkpoint, None, False).decode_at(*xy)
        np.testing.assert_allclose(record.image, expected, atol=1e-6)
        shown_pixels = run.tile.decoded.pixmap().toImage()
        assert shown_pixels == to_sized_pixmap(expected, shown_pixels.width(), shown_pixels.height()).toImage()
        pictures.append(record.image)
        if run is not over:  # the other panels draw the shared cursor
            assert run.tile.latent.v_line.isVisible()
            assert (run.tile.latent.v_line.value(), run.tile.latent.h_line.value()) == pytest.approx(xy)
    assert not np.allclose(pictures[0], pictures[1])  # other weights, other pictures at the same position


def test_a_clicked_image_is_ringed_in_every_run_and_a_run_opens_in_the_window(qtbot, window, sweep_dir: Path) -> None:
    gallery = window.sweep
    gallery.open(sweep_dir)
    qtbot.waitUntil(lambda: loaded(gallery) == 3, timeout=60_000)
    qtbot.waitExposed(gallery.window)
    first = gallery.runs["beta=0.5,seed=1"]
    point = first.view.xy[5]
    pointer.click_at(first.tile.latent, float(point[0]), float(point[1]))
    qtbot.waitUntil(lambda: gallery.selected is not None, timeout=5_000)
    image = gallery.selected
    for run in gallery.runs.values():
        if run.view is None:
            continue
        index = run.index_of(image)
        if index is None:  # another seed chose other display images
            assert run.tile.latent.marked is None
            continue
        assert run.tile.latent.marked == index
        ring = run.tile.latent.marker.pos()
        assert (ring.x(), ring.y()) == pytest.approx(tuple(run.view.xy[index].tolist()))
    # the same seed chose the same display images: β 4's run rings the image where it places it
    assert first.tile.latent.marked is not None and gallery.runs["beta=4,seed=1"].tile.latent.marked is not None

    # ranked by final loss: lowest first in reading order, the failed run (no loss) last
    order = gallery.window.order
    order.setCurrentIndex(order.findData("final_loss"))
    grid = gallery.window.grid
    placed = sorted(gallery.runs.values(), key=lambda run: grid.getItemPosition(grid.indexOf(run.tile))[:2])
    losses = [run.run.final_loss for run in placed]
    assert losses[-1] is None and losses[:-1] == sorted(losses[:-1])

    # Open › as the main run: the window's own open path reads it
    other = gallery.runs["beta=4,seed=1"]
    other.tile.open_main.trigger()
    qtbot.waitUntil(lambda: window.session.view is not None and not window.running, timeout=60_000)
    assert window.session.info.model_config.beta == 4.0
    other.tile.open_comparison.trigger()
    qtbot.waitUntil(lambda: window.comparison_run.session.view is not None, timeout=60_000)
    qtbot.waitUntil(lambda: not window.comparison_run.session.running, timeout=60_000)
    assert window.comparison.dock.isVisible()


def test_panels_fill_in_as_a_running_sweep_writes_checkpoints(qtbot, window, tmp_path: Path, tiny_mnist) -> None:
    """A sweep under way: a queued run with no checkpoint yet, then the manifest says it runs and its file appears."""
    directory = tmp_path / "sweep"
    trainer = train_checkpoint(directory / checkpoint_of(0.5, 1), 0.5, 1)
    waiting = run_of(4.0, 1, "queued", progress=0.0)
    axes = {"beta": list(BETAS)}
    write_manifest(directory, SweepManifest(axes, {}, (run_of(0.5, 1, trainer=trainer), waiting)))
    gallery = window.sweep
    gallery.open(directory)
    qtbot.waitUntil(lambda: loaded(gallery) == 1, timeout=60_000)
    tile = gallery.runs[waiting.run_id].tile
    assert tile.message.text() == "Queued" and tile.progress.isVisibleTo(gallery.window)

    running = run_of(4.0, 1, "running", progress=0.5)
    write_manifest(directory, SweepManifest(axes, {}, (run_of(0.5, 1, trainer=trainer), running)))
    qtbot.waitUntil(lambda: tile.progress.value() == 500, timeout=10_000)
    assert tile.message.text() == "Training: no checkpoint yet"

    later = train_checkpoint(directory / checkpoint_of(4.0, 1), 4.0, 1)
    write_manifest(directory, SweepManifest(axes, {}, (run_of(0.5, 1, trainer=trainer), run_of(4.0, 1, trainer=later))))
    qtbot.waitUntil(lambda: loaded(gallery) == 2, timeout=60_000)
    assert not tile.progress.isVisibleTo(gallery.window) and tile.latent.isVisibleTo(gallery.window)
    assert gallery.window.summary.text().endswith("2 runs over beta (2): 2 done.")


def test_more_than_two_axes_page_the_third_and_rankings_list_every_run() -> None:
    runs = tuple(
        SweepRun(f"r{i}", {"beta": b, "latent-dim": d, "seed": s}, "done", None, None, loss, None, None, 1.0)
        for i, (b, d, s, loss) in enumerate(
            [(1, 2, 0, 0.3), (1, 2, 1, 0.1), (1, 8, 0, 0.2), (4, 2, 0, None), (4, 8, 1, 0.05)]
        )
    )
    manifest = SweepManifest({"beta": [1, 4], "latent-dim": [2, 8], "seed": [0, 1]}, {}, runs)
    page = arrange(manifest, page={"seed": 0})
    assert page.cells == {"r0": (0, 0), "r2": (0, 1), "r3": (1, 0)}
    assert page.row_headers == ("beta 1", "beta 4") and page.column_headers == ("latent-dim 2", "latent-dim 8")
    ranked = arrange(manifest, "final_loss")
    order = sorted(ranked.cells, key=lambda run_id: ranked.cells[run_id])
    assert order == ["r4", "r1", "r2", "r0", "r3"]  # lowest loss first, the run without one last


def test_a_folder_without_a_sweep_is_refused_in_words(qtbot, window, tmp_path: Path) -> None:
    gallery = window.sweep
    with qtbot.waitSignal(gallery.warning, timeout=10_000) as warned:
        gallery.open(tmp_path)
    title, text = warned.args
    assert title == "Cannot open the sweep" and "has no sweep.json" in text
    assert gallery.window.summary.text() == f"Cannot show this sweep: {text}"
    assert not gallery.runs and not gallery.busy


def test_a_third_axis_gets_a_chooser_that_pages_the_grid(qtbot, window, tmp_path: Path, tiny_mnist) -> None:
    """β × seed × lr: the grid shows one lr at a time, chosen above it (the runs share two checkpoints: the gallery
    lays runs out by the manifest's values)."""
    directory = tmp_path / "sweep"
    trained = {beta: train_checkpoint(directory / checkpoint_of(beta, 1), beta, 1) for beta in BETAS}
    runs = []
    for beta in BETAS:
        loss = float(trained[beta].progress.batch_losses[-1])
        for lr in (0.001, 0.01):
            settings = {"beta": beta, "seed": 1, "lr": lr}
            run_id = f"beta={beta:g},lr={lr:g}"
            runs.append(SweepRun(run_id, settings, "done", checkpoint_of(beta, 1), None, loss, None, None, 1.0))
    write_manifest(directory, SweepManifest({"beta": list(BETAS), "seed": [1], "lr": [0.001, 0.01]}, {}, tuple(runs)))
    gallery = window.sweep
    gallery.open(directory)
    qtbot.waitUntil(lambda: loaded(gallery) == 4 and not gallery.busy, timeout=60_000)
    choosers = [box for box in gallery.window.findChildren(QComboBox) if box is not gallery.window.order]
    assert [chooser.itemText(i) for chooser in choosers for i in range(chooser.count())] == ["lr 0.001", "lr 0.01"]

    def visible() -> set[str]:
        return {run_id for run_id, run in gallery.runs.items() if run.tile.isVisibleTo(gallery.window)}

    assert visible() == {"beta=0.5,lr=0.001", "beta=4,lr=0.001"}
    choosers[0].setCurrentIndex(1)
    assert visible() == {"beta=0.5,lr=0.01", "beta=4,lr=0.01"}
