"""Finding what the model gets wrong in the real window: the worst N and the errors above a threshold chosen with the
dock's buttons, a class chosen by clicking its bar, points coloured by error; and the selection's files (CSV rows
equal to the selection, a Projector folder of just those images, a CSV of indices read back)."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from gui_testkit import export_and_wait, start_small_run, wait_for_snapshot, wait_until_idle
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from core.latent.errors import worst
from core.latent.selection_set import of_class
from explorer.utils.palette import error_argb


@pytest.fixture
def trained(qtbot, window, tiny_mnist):
    start_small_run(window, epochs=1)
    wait_until_idle(qtbot, window, timeout=120_000)
    wait_for_snapshot(qtbot, window)
    assert window.session.view.snapshot.errors is not None
    return window


def click(widget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_the_worst_n_and_errors_above_t_are_chosen_with_the_docks_buttons(qtbot, trained):
    window = trained
    errors = window.session.view.snapshot.errors
    panel = window.select.panel
    panel.worst_count.setValue(10)
    click(panel.worst_button)
    np.testing.assert_array_equal(window.selection.indices, np.sort(worst(errors, 10)))
    # the tiles: worst first, each captioned with its error
    model = panel.model
    shown = [int(model.data(model.index(row, 0), Qt.ItemDataRole.UserRole + 1)) for row in range(model.rowCount())]
    assert shown == worst(errors, 10).tolist()
    assert model.data(model.index(0, 0)) == f"{errors[shown[0]]:.4f}"
    # the first tile's picture, once decoded off the GUI thread: the image above its reconstruction
    qtbot.waitExposed(panel.tiles)
    qtbot.waitUntil(lambda: model.drawn > 0 and not model.pending, timeout=30_000)
    tile = model.picture(0).toImage()
    view = window.session.view
    scale = tile.width() // view.snapshot.display_images.shape[-1]
    size = view.snapshot.display_images.shape[-1]
    top = [[tile.pixelColor(x * scale, y * scale).red() for x in range(size)] for y in range(size)]
    np.testing.assert_array_equal(top, view.snapshot.display_images[shown[0], 0])
    below = [[tile.pixelColor(x * scale, (size + y) * scale).red() for x in range(size)] for y in range(size)]
    np.testing.assert_allclose(np.array(below) / 255, view.reconstruct(shown[0])[0], atol=1 / 255 + 1e-6)
    threshold = float(np.median(errors))
    panel.threshold.setValue(threshold)
    threshold = panel.threshold.value()  # as the spin box rounds it
    click(panel.threshold_button)
    np.testing.assert_array_equal(window.selection.indices, np.flatnonzero(errors > threshold))
    click(panel.clear_button)
    assert len(window.selection.indices) == 0 and model.rowCount() == 0


def test_clicking_a_classs_error_bar_selects_that_class(qtbot, trained):
    window = trained
    window.select.show_dock()
    bars = window.select.panel.bars
    qtbot.waitExposed(bars)
    snapshot = window.session.view.snapshot
    label = int(snapshot.labels[3])
    means = bars.means
    assert means[label] > 0
    box = bars.getPlotItem().getViewBox()
    where = bars.mapFromScene(box.mapViewToScene(QPointF(label, means[label] / 2)))
    QTest.mouseClick(bars.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)
    np.testing.assert_array_equal(window.selection.indices, of_class(snapshot.labels, label))


def test_colour_by_error_paints_each_point_by_its_error_and_back(qtbot, trained):
    window = trained
    cloud = window.latent.points
    by_class = cloud._argb.copy()
    window.menus.action("colour-by-error").trigger()
    errors = window.session.view.snapshot.errors
    np.testing.assert_array_equal(cloud._argb, error_argb(errors)[cloud._drawn])
    window.menus.action("colour-by-class").trigger()
    np.testing.assert_array_equal(cloud._argb, by_class)


def test_exported_csv_rows_equal_the_selection_and_a_csv_of_indices_selects_again(qtbot, trained, tmp_path):
    window = trained
    snapshot = window.session.view.snapshot
    window.select.panel.worst_count.setValue(12)
    click(window.select.panel.worst_button)
    selected = window.selection.indices.copy()
    path = tmp_path / "selection.csv"
    export_and_wait(qtbot, window, window.select.export_csv, path)
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["index"]) for row in rows] == worst(snapshot.errors, 12).tolist()  # the dock's order
    assert sorted(int(row["index"]) for row in rows) == selected.tolist()
    for row in rows:
        i = int(row["index"])
        assert int(row["data_index"]) == int(snapshot.data_indices[i])
        assert int(row["label"]) == int(snapshot.labels[i]) and row["class"] == snapshot.classes[snapshot.labels[i]]
        assert float(row["error"]) == pytest.approx(float(snapshot.errors[i]), rel=1e-6)
        np.testing.assert_allclose([float(row[f"z{d}"]) for d in range(2)], snapshot.codes[i], rtol=1e-6)

    click(window.select.panel.clear_button)
    listed = tmp_path / "mine.csv"
    listed.write_text("index\n7\n3\n11\n")
    export_and_wait(qtbot, window, window.select.import_csv, listed)
    np.testing.assert_array_equal(window.selection.indices, [3, 7, 11])
    export_and_wait(qtbot, window, window.select.import_csv, path)  # the export reads back as the same selection
    np.testing.assert_array_equal(window.selection.indices, selected)


def test_the_projector_export_holds_just_the_selected_images(qtbot, trained, tmp_path):
    window = trained
    snapshot = window.session.view.snapshot
    window.select.select_class(int(snapshot.labels[0]))
    selected = window.selection.indices.copy()
    window.select.panel.sort.setCurrentIndex(window.select.panel.sort.findText("class"))
    folder = tmp_path / "projector"
    folder.mkdir()
    export_and_wait(qtbot, window, window.select.export_projector, folder)
    tensors = np.loadtxt(folder / "tensors.tsv", delimiter="\t", ndmin=2)
    np.testing.assert_allclose(tensors, snapshot.codes[selected], rtol=1e-6)  # one class: label order is index order
    metadata = (folder / "metadata.tsv").read_text().splitlines()
    assert len(metadata) == 1 + len(selected)
    assert all(line.split("\t")[1] == str(int(snapshot.labels[0])) for line in metadata[1:])


def test_the_gallery_shows_the_selection_worst_first_each_image_above_its_reconstruction(qtbot, trained, tmp_path):
    from PIL import Image

    window = trained
    view = window.session.view
    window.select.panel.worst_count.setValue(7)
    click(window.select.panel.worst_button)
    path = tmp_path / "gallery.png"
    export_and_wait(qtbot, window, window.select.export_gallery, path)
    picture = np.asarray(Image.open(path))
    size = view.snapshot.display_images.shape[-1]
    columns = picture.shape[1] // size
    order = worst(view.snapshot.errors, 7)
    for k, image in enumerate(order):
        row, column = divmod(k, columns)
        top, left = 2 * row * size, column * size
        np.testing.assert_array_equal(
            picture[top : top + size, left : left + size], view.snapshot.display_images[image, 0]
        )
        rebuilt = picture[top + size : top + 2 * size, left : left + size].astype(np.float64) / 255
        np.testing.assert_allclose(rebuilt, view.reconstruct(int(image))[0], atol=1 / 255 + 1e-6)


def test_the_tiles_stay_where_they_were_scrolled_when_another_snapshot_is_shown(qtbot, trained):
    window = trained
    panel = window.select.panel
    panel.worst_count.setValue(len(window.session.view.snapshot.labels))  # every image: a long list
    click(panel.worst_button)
    bar = panel.tiles.verticalScrollBar()
    qtbot.waitExposed(panel.tiles)
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=10_000)
    bar.setValue(bar.maximum() // 2)
    kept = bar.value()
    assert kept > 0
    step = window.session.view.snapshot.step
    slider = window.timelapse.scrubber.slider
    slider.setFocus()
    QTest.keyClick(slider, Qt.Key.Key_Home)  # a recorded frame: another snapshot, the same images selected
    assert window.session.view.snapshot.step != step
    qtbot.waitUntil(lambda: bar.value() == kept, timeout=10_000)
    assert panel.model.view is window.session.view
