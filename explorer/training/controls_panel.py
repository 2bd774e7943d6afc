"""Training settings and the Train / Pause / Stop buttons, generated from core.settings.SETTINGS.

Each spin box takes its range, default and tooltip from the same table the CLI and TrainConfig use, so nothing
invalid can be typed and the window never disagrees with the command line.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.first_launch import first_launch_defaults
from core.settings import (
    BUILTIN_DATASET,
    DATASETS,
    DEFAULT_MODEL,
    DEFAULT_RECIPE,
    MODEL_KINDS,
    MODEL_SETTINGS,
    RECIPES,
    SETTINGS,
    ModelConfig,
    ModelSource,
    Setting,
    TrainConfig,
    recipe_of,
)

#: The Model box's entry for a PyTorch module of the user's own (File › Open your own model… opens one trained
#: elsewhere; this trains one here).
OWN_MODEL = "own"
OWN_MODEL_LABEL = "Your own model…"


def spin_box(setting: Setting) -> QSpinBox | QDoubleSpinBox:
    """A spin box bounded exactly as `setting` is (an open lower end starts at its smallest shown value)."""
    if setting.kind is int:
        box: QSpinBox | QDoubleSpinBox = QSpinBox()
        box.setRange(int(setting.low), int(setting.high))
        box.setValue(int(setting.default))
        box.setGroupSeparatorShown(True)
    else:
        box = QDoubleSpinBox()
        box.setDecimals(6)
        box.setRange(setting.gui_low if setting.gui_low is not None else setting.low, setting.high)
        box.setSingleStep(0.0001)
        box.setValue(setting.default)
    box.setToolTip(setting.help[:1].upper() + setting.help[1:])
    return box


class ControlsPanel(QWidget):
    trainRequested = Signal()
    continueRequested = Signal()
    pauseToggled = Signal()
    stopRequested = Signal()
    dataSetsRequested = Signal()
    ownModelRequested = Signal()  # "Your own model…" chosen in the Model box: the window asks which module

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        first = first_launch_defaults()  # resources/defaults.json: what a first launch (no saved settings) offers
        self.dataset = QComboBox()
        for name, label in DATASETS.items():
            self.dataset.addItem(label, name)
        self.dataset.setCurrentIndex(self.dataset.findData(first.dataset))
        self.dataset.setToolTip("The images to train on; the built-in digits need no download")
        self.data_sets_button = QToolButton()
        self.data_sets_button.setText("…")
        self.data_sets_button.setToolTip("Data sets: what is installed, downloads, the data folder, image folders")
        self.data_sets_button.clicked.connect(self.dataSetsRequested)
        self.model = QComboBox()
        for name, label in MODEL_KINDS.items():
            self.model.addItem(label, name)
        self.model.addItem(OWN_MODEL_LABEL, OWN_MODEL)
        self.own_source: ModelSource | None = None  # the user's module chosen for a new run (OWN_MODEL)
        self._last_kind = first.model  # where the box returns when choosing a module of one's own is cancelled
        self.model.setCurrentIndex(self.model.findData(first.model))
        self.model.setToolTip(
            "The network: L16's autoencoder, L17's variational autoencoder (codes as Gaussians), or your own PyTorch "
            "module with encode and decode"
        )
        self.model.activated.connect(self._on_model_chosen)
        self.spins = {name: spin_box(setting) for name, setting in SETTINGS.items() if setting.in_window}
        self.model.currentIndexChanged.connect(self._on_model_changed)
        self.latent_dim, self.epochs, self.batch_size = (self.spins[n] for n in ("latent_dim", "epochs", "batch_size"))
        self.lr, self.seed = self.spins["lr"], self.spins["seed"]
        self.recipe = QComboBox()
        for recipe in RECIPES.values():
            self.recipe.addItem(recipe.label, recipe.name)
        self.recipe.addItem("Custom", "custom")
        self.recipe.setToolTip("Fills batch size and learning rate: the lecture's, or a faster recipe that is not")
        self.recipe.activated.connect(self._apply_recipe)
        self._apply_recipe(self.recipe.findData(first.recipe))
        for name, value in first.settings:  # defaults.json's own values win over its recipe's
            self.spins[name].setValue(value)
        for name in {n for r in RECIPES.values() for n in r.values}:
            self.spins[name].valueChanged.connect(self._show_recipe)
        self._show_recipe()
        self.device = QComboBox()
        self.device.setToolTip("Where to train: auto picks a GPU when there is one")
        for name in ("auto", "cpu"):  # GPUs are added by add_devices() once torch has loaded
            self.device.addItem(name, name)
        self._first_device = first.device  # chosen once torch has said which devices there are

        form = QFormLayout()
        data_row = QHBoxLayout()
        data_row.addWidget(self.dataset, 1)
        data_row.addWidget(self.data_sets_button)
        form.addRow("Data set", data_row)
        form.addRow("Model", self.model)
        form.addRow("Recipe", self.recipe)
        for name, box in self.spins.items():
            label = SETTINGS[name].label
            form.addRow(label[:1].upper() + label[1:], box)  # not capitalize(): it would lower the "KL" of β's label
        form.addRow("Device", self.device)

        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("primaryButton")
        self.train_button.setToolTip("Train a new model with these settings (Ctrl+R)")
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Keep training the current model up to the number of epochs above")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Pause or resume training between two steps (Space)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current step and keep the model (Ctrl+.)")
        self.train_button.clicked.connect(self.trainRequested)
        self.continue_button.clicked.connect(self.continueRequested)
        self.pause_button.clicked.connect(self.pauseToggled)
        self.stop_button.clicked.connect(self.stopRequested)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addLayout(form)
        for pair in ((self.train_button, self.continue_button), (self.pause_button, self.stop_button)):
            row = QHBoxLayout()
            for button in pair:
                row.addWidget(button)
            layout.addLayout(row)
        layout.addStretch(1)  # a tall dock leaves its room below the buttons, not between form and buttons
        self._can_continue = False
        self.set_running(False, paused=False)
        self._on_model_changed()

    def add_devices(self, names: list[str], settings: QSettings | None = None) -> None:
        """Offer the devices found once torch has loaded, and re-select the remembered one (else defaults.json's)."""
        for name in names:
            if self.device.findData(name) < 0:
                self.device.addItem(name, name)
        remembered = self.device.findData(settings.value("train/device")) if settings is not None else -1
        index = remembered if remembered >= 0 else self.device.findData(self._first_device)
        if index >= 0:
            self.device.setCurrentIndex(index)

    def set_running(self, running: bool, paused: bool, training: bool | None = None) -> None:
        """`running`: a worker is busy, so the form is locked; `training` (default: running): it trains, so Pause and
        Stop mean something (opening a file does not train)."""
        training = running if training is None else training
        for widget in (self.dataset, self.model, self.recipe, *self.spins.values(), self.device):
            widget.setEnabled(not running)
        self._on_model_changed()  # β and the latent size as the model allows
        self.train_button.setEnabled(not running)
        self.continue_button.setEnabled(not running and self._can_continue)
        self.pause_button.setEnabled(training)
        self.stop_button.setEnabled(training)
        self.pause_button.setText("Resume" if paused else "Pause")

    def _apply_recipe(self, index: int) -> None:
        """The user picked a recipe: fill its settings (Custom leaves the boxes as they are)."""
        recipe = RECIPES.get(self.recipe.itemData(index))
        if recipe is not None:
            for name, value in recipe.values.items():
                self.spins[name].setValue(value)

    def _show_recipe(self) -> None:
        """Name the recipe the boxes hold, or Custom once they hold neither."""
        recipe = recipe_of({name: box.value() for name, box in self.spins.items()})
        self.recipe.setCurrentIndex(self.recipe.findData("custom" if recipe is None else recipe.name))

    def choose_lecture_setup(self) -> None:
        """The lecture's network as a first launch offers it: L16's autoencoder on the built-in digits, latent size
        2, the lecture's recipe (the empty window's "start here" trains exactly this, whatever defaults.json says)."""
        self.dataset.setCurrentIndex(self.dataset.findData(BUILTIN_DATASET))
        self.model.setCurrentIndex(self.model.findData(DEFAULT_MODEL))
        self._apply_recipe(self.recipe.findData(DEFAULT_RECIPE))
        self.latent_dim.setValue(2)
        self._show_recipe()

    def set_can_continue(self, possible: bool) -> None:
        self._can_continue = possible
        self.continue_button.setEnabled(possible and self.train_button.isEnabled())

    def show_run_settings(self, dataset: str, latent_dim: int, config: TrainConfig) -> None:
        """Reflect an opened model's settings, so Continue and Train start from what the user sees."""
        index = self.dataset.findData(dataset)
        if index >= 0:
            self.dataset.setCurrentIndex(index)
        self.latent_dim.setValue(latent_dim)
        for name in ("epochs", "batch_size", "lr", "seed"):
            with contextlib.suppress(OverflowError, TypeError):  # an old checkpoint's seed may exceed the box
                self.spins[name].setValue(getattr(config, name))

    def train_config(self) -> TrainConfig:
        values = {name: box.value() for name, box in self.spins.items() if name not in MODEL_SETTINGS}
        recipe = RECIPES.get(self.recipe.currentData())  # its schedule goes with its settings; Custom: constant
        schedule = recipe.lr_schedule if recipe is not None else "constant"
        return TrainConfig(**values, device=self.device.currentData(), lr_schedule=schedule)

    @property
    def model_kind(self) -> str:
        return self.model.currentData()

    def model_choice(self) -> dict[str, object]:
        """The model kind and β for a new run (ModelConfig's fields; the data set decides its image size), or the
        user's module (core.runs.start.new_run's `source`: its latent size and kind come from the module)."""
        if self.model_kind == OWN_MODEL:
            return {"source": self.own_source, "beta": self.spins["beta"].value()}
        return {"kind": self.model_kind, "beta": self.spins["beta"].value()}

    def _on_model_chosen(self, index: int) -> None:
        """A user's pick in the Model box: "Your own model…" asks the window for a module (every time, so another
        can be chosen); the others are remembered as where a cancelled choice returns."""
        if self.model.itemData(index) == OWN_MODEL:
            self.ownModelRequested.emit()
        else:
            self._last_kind = self.model.itemData(index)

    def set_own_model(self, source: ModelSource | None) -> None:
        """The module the user chose (and agreed to run) for the next Train; None: the choice was cancelled, and the
        box goes back to the model it showed, unless a module was chosen before."""
        if source is not None:
            self.own_source = source
        own = self.model.findData(OWN_MODEL)
        if self.own_source is None:
            self.model.setCurrentIndex(self.model.findData(self._last_kind))
            return
        self.model.setItemText(own, f"Your own: {self.own_source.class_name} ({Path(self.own_source.path).name})")
        self.model.setCurrentIndex(own)

    def show_model_settings(self, model_config: ModelConfig) -> None:
        """Reflect an opened model's kind and β, so Train starts from what the user sees."""
        if model_config.source is not None:
            self.set_own_model(model_config.source)
        else:
            self.model.setCurrentIndex(self.model.findData(model_config.kind))
            self._last_kind = model_config.kind
        self.spins["beta"].setValue(model_config.beta)

    def _on_model_changed(self) -> None:
        """β weighs a VAE's KL term: offered for that model and for a module of one's own (whose encode may give
        (mu, logvar)); a module's latent size is its own."""
        self.spins["beta"].setEnabled(self.model.isEnabled() and self.model_kind in ("variational", OWN_MODEL))
        self.latent_dim.setEnabled(self.model.isEnabled() and self.model_kind != OWN_MODEL)

    @property
    def dataset_name(self) -> str:
        return self.dataset.currentData()

    def save(self, settings: QSettings) -> None:
        settings.setValue("train/dataset", self.dataset_name)
        settings.setValue("train/model", self._last_kind if self.model_kind == OWN_MODEL else self.model_kind)
        settings.setValue("train/device", self.device.currentData())
        for name, box in self.spins.items():
            settings.setValue(f"train/{name}", box.value())

    def restore(self, settings: QSettings) -> None:
        """Remembered values, each checked: one that does not parse or lies outside its range is ignored."""
        for combo, key in ((self.dataset, "train/dataset"), (self.model, "train/model"), (self.device, "train/device")):
            index = combo.findData(settings.value(key))
            if index >= 0 and combo.itemData(index) != OWN_MODEL:  # a module of one's own is chosen anew each time
                combo.setCurrentIndex(index)
        if self.model_kind != OWN_MODEL:
            self._last_kind = self.model_kind
        for name, box in self.spins.items():
            value = settings.value(f"train/{name}")
            if value is None:
                continue
            with contextlib.suppress(TypeError, ValueError, OverflowError):
                number = SETTINGS[name].kind(value)
                SETTINGS[name].check(number)
                box.setValue(number)
