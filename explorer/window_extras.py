"""The window's VAE panel and comparison run: their docks, and the objects that wire them to the session.

Kept out of main_window.py (one call there) and window_layout.py (its layout is unchanged): the KL bars dock below
the preview, the comparison dock sits beside the latent space, hidden until a comparison run is opened or trained.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt

from explorer.compare import Comparison, ComparisonPanel
from explorer.panels.kl_panel import KlPanel
from explorer.vae_views import VaeViews
from explorer.window_layout import Area, dock


@dataclass
class WindowExtras:
    kl: KlPanel
    vae: VaeViews
    comparison: Comparison


def attach_extras(window) -> WindowExtras:
    """Add the KL and comparison docks to `window` (a MainWindow whose panels exist) and wire them.

    The docks join window.docks, so the View menu lists them and the layout is remembered with the others.
    """
    kl = KlPanel()
    window.docks["kl"] = dock(window, "klDock", "KL per latent dimension", kl, Area.RightDockWidgetArea)
    window.splitDockWidget(window.docks["preview"], window.docks["kl"], Qt.Orientation.Vertical)
    panel = ComparisonPanel()
    comparison_dock = dock(window, "comparisonDock", "Comparison run", panel, Area.RightDockWidgetArea)
    window.docks["comparison"] = comparison_dock
    window.splitDockWidget(comparison_dock, window.docks["preview"], Qt.Orientation.Horizontal)
    comparison_dock.hide()
    vae = VaeViews(window.session, window.latent, window.loss, kl, window.controls, window)
    return WindowExtras(kl, vae, Comparison(window, panel, comparison_dock))
