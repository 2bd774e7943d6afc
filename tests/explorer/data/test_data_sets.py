"""Choosing data in the window: first-launch defaults from resources/defaults.json, the box after a fallback, the
data folder (chosen, remembered, or given with --data-dir), File › Data sets… and its downloads, image folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_testkit import save_and_wait, start_small_run, wait_until_idle
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from core.commands.main import WindowSide
from core.commands.main import main as cli_main
from core.data import location as data_location
from core.settings import DATASETS
from explorer.data.choice import DATA_FOLDER_KEY, MISSING_MARK
from explorer.window.main_window import MainWindow


@pytest.fixture(autouse=True)
def no_chosen_folder():
    """The data folder is the process's: every test starts and ends on the default."""
    data_location.use_data_dir(None)
    yield
    data_location.use_data_dir(None)


def _window(qtbot, tmp_path: Path, settings: Path) -> MainWindow:
    win = MainWindow(QSettings(str(settings), QSettings.Format.IniFormat), autosave_dir=tmp_path / "autosave")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def _open_dialog(qtbot, window):
    qtbot.mouseClick(window.controls.data_sets_button, Qt.MouseButton.LeftButton)
    dialog = window.data_choice.dialog
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.table.rowCount() == len(DATASETS), timeout=60_000)
    return dialog


def row_text(dialog, name: str) -> str:
    """What the dialog's Status column says of data set `name`."""
    table = dialog.table
    rows = [row for row in range(table.rowCount()) if table.item(row, 0).data(Qt.ItemDataRole.UserRole) == name]
    return table.item(rows[0], 1).text() if rows else ""


def _wait_for_checks(qtbot, dialog) -> None:
    """Until every row says what it found: on disk ("Checking…" before) and on the network ("checking the network")."""
    table = dialog.table

    def answered() -> bool:
        texts = [table.item(row, 1).text() for row in range(table.rowCount())]
        return len(texts) == len(DATASETS) and not any("hecking" in text for text in texts)

    qtbot.waitUntil(answered, timeout=60_000)


def test_a_first_launch_offers_what_defaults_json_says(qtbot, window, tmp_path, monkeypatch) -> None:
    assert window.controls.dataset_name == "digits-5k"  # the packaged file: the built-in digits, offline
    import core.first_launch

    text = '{"dataset": "fashion-mnist", "recipe": "fast", "epochs": 3, "latent_dim": 5}'
    monkeypatch.setattr(core.first_launch, "defaults_text", lambda: text)
    other = _window(qtbot, tmp_path, tmp_path / "fresh.ini")
    assert other.controls.dataset_name == "fashion-mnist"
    assert other.controls.lr.value() == pytest.approx(5e-3) and other.controls.batch_size.value() == 32  # fast's
    assert other.controls.epochs.value() == 3 and other.controls.latent_dim.value() == 5  # its own, over fast's 10
    assert other.controls.recipe.currentData() == "custom"  # fast with 3 epochs is no longer fast
    other.close()


def test_after_a_fallback_the_box_shows_the_built_in_digits_and_the_notice_stays(
    qtbot, window, tmp_path, monkeypatch
) -> None:
    from torchvision.datasets import MNIST

    monkeypatch.setenv("CONVAE_DATA_DIR", str(tmp_path / "empty"))  # real missing files
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/"])  # and no network
    window.controls.dataset.setCurrentIndex(window.controls.dataset.findData("mnist"))
    window.controls.epochs.setValue(1)
    window.start_training()
    qtbot.waitUntil(lambda: window.session.info is not None, timeout=60_000)
    assert window.session.info.dataset == "digits-5k"
    assert window.controls.dataset_name == "digits-5k"
    assert window.controls.dataset.currentText() == DATASETS["digits-5k"]
    assert window.notice.isVisible() and "instead of MNIST" in window.notice.text()
    window.stop_training()
    wait_until_idle(qtbot, window)
    assert window.notice.isVisible() and window.controls.dataset_name == "digits-5k"


def test_the_data_sets_dialog_says_what_is_where_and_a_chosen_folder_is_remembered(
    qtbot, window, tiny_mnist, tmp_path, monkeypatch, settings_path
) -> None:
    dialog = _open_dialog(qtbot, window)
    _wait_for_checks(qtbot, dialog)
    assert str(tiny_mnist) in dialog.folder_label.text() and "CONVAE_DATA_DIR" in dialog.folder_label.text()
    assert row_text(dialog, "mnist") == "Installed" and row_text(dialog, "digits-5k") == "Built in"
    assert row_text(dialog, "kmnist").startswith("Not installed") or row_text(dialog, "kmnist").startswith("Missing")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(elsewhere))
    qtbot.mouseClick(dialog.choose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: str(elsewhere) in dialog.folder_label.text(), timeout=10_000)
    _wait_for_checks(qtbot, dialog)
    assert "chosen in the window" in dialog.folder_label.text()
    assert row_text(dialog, "mnist") != "Installed"  # nothing in the new folder
    dialog.table.selectRow(list(DATASETS).index("mnist"))
    assert "elsewhere" in dialog.details.text() and "train-images-idx3-ubyte.gz" in dialog.details.text()
    window.close()

    data_location.use_data_dir(None)  # a new launch
    again = _window(qtbot, tmp_path, settings_path)
    assert QSettings(str(settings_path), QSettings.Format.IniFormat).value(DATA_FOLDER_KEY) == str(elsewhere)
    assert data_location.data_folder() == elsewhere
    again.close()


def test_a_download_without_network_fails_with_a_message_and_the_window_keeps_running(
    qtbot, window, tmp_path, monkeypatch
) -> None:
    from torchvision.datasets import KMNIST

    monkeypatch.setenv("CONVAE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(KMNIST, "mirrors", ["http://127.0.0.1:9/"])  # a real connection attempt, refused
    dialog = _open_dialog(qtbot, window)
    _wait_for_checks(qtbot, dialog)
    assert row_text(dialog, "kmnist").startswith("Missing")
    dialog.table.selectRow(list(DATASETS).index("kmnist"))
    assert dialog.download_button.isEnabled()
    with qtbot.waitSignal(
        window.tasks.ended, timeout=60_000, check_params_cb=lambda name, _: name == "data-set download"
    ):
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
        # the click returned at once, the download still under way in the background: the window never waits for it
        assert dialog.progress.isVisible() and not dialog.download_button.isEnabled()
        assert dialog.message.text().startswith(f"Downloading {DATASETS['kmnist']} into")
    assert "Could not download" in dialog.message.text()
    assert dialog.download_button.isEnabled()  # ready to try again
    text = dialog.message.text()
    assert "127.0.0.1" in text and str(tmp_path / "data" / "KMNIST" / "raw") in text and "Without a network" in text
    assert not dialog.progress.isVisible()
    assert "Could not download" in window.statusBar().currentMessage()


def test_an_image_folder_enters_the_box_by_its_name_and_is_remembered(
    qtbot, window, tmp_path, monkeypatch, settings_path
) -> None:
    pets = tmp_path / "my pets"
    pets.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(pets))
    dialog = _open_dialog(qtbot, window)
    qtbot.mouseClick(dialog.image_folder_button, Qt.MouseButton.LeftButton)
    assert window.controls.dataset_name == f"folder:{pets}"
    assert window.controls.dataset.currentText() == "Folder: my pets"
    assert "my pets" in dialog.message.text()
    window.close()
    again = _window(qtbot, tmp_path, settings_path)
    assert again.controls.dataset_name == f"folder:{pets}" and again.controls.dataset.currentText() == "Folder: my pets"
    again.close()


def test_data_dir_on_the_command_line_is_the_windows_data_folder(
    qtbot, qapp, tmp_path, tiny_mnist, monkeypatch
) -> None:
    """`convae-explorer --data-dir X` (and `open --data-dir X`) opens the window reading data sets from X, even
    when the settings remember another folder."""
    monkeypatch.delenv("CONVAE_DATA_DIR")
    settings = tmp_path / "s.ini"
    QSettings(str(settings), QSettings.Format.IniFormat).setValue(DATA_FOLDER_KEY, str(tmp_path / "remembered"))
    seen = []

    def open_window(checkpoint):
        win = _window(qtbot, tmp_path, settings)
        dialog = _open_dialog(qtbot, win)
        _wait_for_checks(qtbot, dialog)
        seen.append((data_location.data_folder(), dialog.folder_label.text(), row_text(dialog, "mnist")))
        win.close()
        return 0

    for argv in (["--data-dir", str(tiny_mnist)], ["open", "--data-dir", str(tiny_mnist)]):
        data_location.use_data_dir(None)
        assert cli_main(argv, WindowSide(open_window=open_window)) == 0
    for folder, label, mnist in seen:
        assert folder == tiny_mnist and "given with --data-dir" in label and mnist == "Installed"
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    assert cli_main(["--data-dir", str(a_file)], WindowSide(open_window=open_window)) == 2


def test_an_opened_model_whose_data_is_missing_shows_the_data_it_is_shown_on(
    qtbot, window, tiny_mnist, tmp_path, monkeypatch
) -> None:
    from torchvision.datasets import MNIST

    start_small_run(window, epochs=1)
    wait_until_idle(qtbot, window)
    saved = tmp_path / "mnist.safetensors"
    save_and_wait(qtbot, window, saved)
    monkeypatch.setenv("CONVAE_DATA_DIR", str(tmp_path / "empty"))  # the MNIST files are gone
    monkeypatch.setattr(MNIST, "mirrors", ["http://127.0.0.1:9/"])
    window.controls.dataset.setCurrentIndex(window.controls.dataset.findData("kmnist"))
    assert window.open_checkpoint(saved)
    qtbot.waitUntil(
        lambda: window.session.info is not None and window.session.info.dataset == "digits-5k", timeout=60_000
    )
    wait_until_idle(qtbot, window)
    assert window.session.info.trained_on == "mnist"
    assert window.controls.dataset_name == "digits-5k"  # shown (and a new Train would run) on the built-in digits
    assert window.notice.isVisible() and "instead of MNIST" in window.notice.text()
    assert not window.controls.continue_button.isEnabled()  # it cannot train further on other data


def test_a_download_fills_the_progress_bar_and_installs_the_set(qtbot, window, tmp_path, monkeypatch) -> None:
    """With a network (a real HTTP server on this machine standing in for the mirror): Download, a progress bar
    that moves, then the set is installed and the status says so."""
    import numpy as np
    import torchvision
    from core_testkit import gzip_archives, served, write_idx_set

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (300, 28, 28), dtype=np.uint8), rng.integers(0, 10, 300, dtype=np.uint8)
    raw = write_idx_set(tmp_path / "source", "MNIST", (images[:200], labels[:200]), (images[200:], labels[200:]))
    checksums = gzip_archives(raw, tmp_path / "mirror")
    monkeypatch.setattr(torchvision.datasets.MNIST, "resources", checksums)  # the test's archives stand in
    monkeypatch.setenv("CONVAE_DATA_DIR", str(tmp_path / "data"))
    dialog = _open_dialog(qtbot, window)
    _wait_for_checks(qtbot, dialog)
    values: list[int] = []
    dialog.downloadProgress.connect(lambda *_: values.append(dialog.progress.value()))
    with served(tmp_path / "mirror") as url:
        monkeypatch.setattr(torchvision.datasets.MNIST, "mirrors", [url])
        dialog.table.selectRow(list(DATASETS).index("mnist"))
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.message.text() == f"Downloaded {DATASETS['mnist']}.", timeout=60_000)
    assert values and max(values) == 1000  # the bar filled (file by file)
    _wait_for_checks(qtbot, dialog)
    assert row_text(dialog, "mnist") == "Installed"
    assert (tmp_path / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()


def test_the_box_marks_the_data_sets_not_downloaded(qtbot, tiny_mnist, window) -> None:
    """With MNIST's files in the data folder (before the window opens) and nothing else: every other downloadable
    set is marked, with a tip."""
    box = window.controls.dataset
    texts = lambda: {box.itemData(i): box.itemText(i) for i in range(box.count())}  # noqa: E731
    qtbot.waitUntil(lambda: texts()["fashion-mnist"].endswith(MISSING_MARK), timeout=30_000)
    assert texts()["mnist"] == DATASETS["mnist"] and texts()["digits-5k"] == DATASETS["digits-5k"]
    assert texts()["kmnist"] == DATASETS["kmnist"] + MISSING_MARK
    index = box.findData("kmnist")
    assert "downloads it" in box.itemData(index, Qt.ItemDataRole.ToolTipRole)
