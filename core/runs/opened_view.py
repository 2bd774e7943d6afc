"""A checkpoint's view exactly as the window shows it when the checkpoint is opened, without a run to train it.

Why a function of its own: a sweep's gallery shows many checkpoints side by side, and each panel must show what
File › Open would show of that file (the same data-set fallback, the same finiteness check, the same plane: the
recorded history's aligned one where the file has one), or a run clicked open from the gallery would look different
from its small multiple. It builds the run the window's open does (core.runs.start.opened_run), takes one snapshot,
and lets core.timelapse.views choose the plane, then drops the trainer: only the view (a detached CPU decoder, the
codes, the display images) is kept. Call it off the GUI thread: it reads a file and a data set and imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.latent.view import SnapshotView
from core.model.finite import require_finite
from core.runs.start import Notify, Stopped, opened_run
from core.settings import ModelConfig
from core.timelapse.views import view_for


@dataclass(frozen=True)
class OpenedView:
    """One opened checkpoint's view, with what a caption says of the model."""

    view: SnapshotView
    model_config: ModelConfig
    trained_on: str  # the data set the model was trained on (the view may show a stand-in, see opened_run)


def opened_view(path: Path, notify: Notify, stopped: Stopped | None = None) -> OpenedView:
    """The view of the checkpoint at `path` as File › Open shows it; CheckpointError, DatasetError or
    NotFiniteError (each with a message for the user) when it cannot be shown."""
    prepared = opened_run(Path(path), notify, stopped)
    trainer = prepared.trainer
    snapshot = trainer.snapshot()
    require_finite(snapshot.codes, "the codes this model gives its display images")
    view = view_for(snapshot, prepared.history)
    return OpenedView(view, trainer.model_config, prepared.trained_on)
