"""The time-lapse bar under the latent space: a slider over the recorded frames, play/pause, speed, and Live."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider, QWidget

#: Playback speeds offered, in recorded frames a second (points glide between frames at the screen's pace).
SPEEDS = (("¼×", 1.5), ("½×", 3.0), ("1×", 6.0), ("2×", 12.0), ("4×", 24.0))

MIN_SLIDER_WIDTH = 50


class ScrubberPanel(QWidget):
    """Shows where in the run's recording the panels are; emits what the user asks for (the player acts)."""

    frameChosen = Signal(int)  # the user moved the slider to this frame
    playToggled = Signal(bool)
    liveRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.play_button = QPushButton("▶ Play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Replay how the latent space formed, frame by frame (points glide between them)")
        self.play_button.toggled.connect(self._on_play)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setPageStep(1)
        self.slider.setToolTip("Recorded snapshots of this run: drag to go back in training")
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.slider.valueChanged.connect(self._on_value)
        self.speed = QComboBox()
        for name, fps in SPEEDS:
            self.speed.addItem(name, fps)
        self.speed.setCurrentIndex(2)
        self.speed.setToolTip("Playback speed")
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Back to the newest state (the slider then follows training again)")
        self.live_button.clicked.connect(self.liveRequested)
        self.label = QLabel("No recording yet")
        self.label.setObjectName("panelCaption")
        # the slider keeps room to be dragged: with the label at 200 pixels, a comparison open in a 1024-pixel
        # window squeezed it to a 14-pixel stub that looked like a checkbox
        self.label.setMinimumWidth(150)
        self.slider.setMinimumWidth(MIN_SLIDER_WIDTH)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 2)
        layout.addWidget(self.play_button)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.speed)
        layout.addWidget(self.live_button)
        layout.addWidget(self.label)
        self.setEnabled(False)

    @property
    def frames_per_second(self) -> float:
        return float(self.speed.currentData())

    def set_range(self, count: int, index: int) -> None:
        """`count` frames recorded, the panels showing frame `index`: moves the slider without emitting."""
        self.setEnabled(count > 0)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.setValue(index)
        self.slider.blockSignals(False)

    def set_playing(self, playing: bool) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(playing)
        self.play_button.setText("❚❚ Pause" if playing else "▶ Play")
        self.play_button.blockSignals(False)

    def set_live(self, live: bool) -> None:
        self.live_button.setEnabled(not live)

    @Slot(int)
    def _on_value(self, value: int) -> None:
        self.frameChosen.emit(value)

    @Slot(bool)
    def _on_play(self, on: bool) -> None:
        self.play_button.setText("❚❚ Pause" if on else "▶ Play")
        self.playToggled.emit(on)
