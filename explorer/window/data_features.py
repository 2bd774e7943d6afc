"""The window's data features, installed with one call from main_window.py (which must stay small): choosing the
data (explorer.data.choice: image folders, the data folder, File › Data sets…) and handing the codes to other tools
(explorer.latent.code_exports: File › Export › Embedding Projector / CSV)."""

from __future__ import annotations

from dataclasses import dataclass

from explorer.data.choice import DataChoice
from explorer.latent.code_exports import CodeExporter, add_code_exports


@dataclass
class DataFeatures:
    choice: DataChoice
    exports: CodeExporter


def install_data_features(window) -> DataFeatures:
    """For a MainWindow whose menus exist and whose settings are restored."""
    return DataFeatures(DataChoice(window), add_code_exports(window))
