"""The window's VAE panel and comparison run: their docks, and the objects that wire them to the session.

Kept out of main_window.py (one call there) and window_layout.py (its layout is unchanged): the KL bars are a third
column beside the loss and the reconstructions; the comparison is a tab beside the training form, on the other side
of the first run's latent space, hidden until a comparison run is opened or trained.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt

from explorer.compare.comparison import Comparison, ComparisonPanel
from explorer.own_image.feature import OwnImage
from explorer.vae.kl_panel import KlPanel
from explorer.vae.views import VaeViews
from explorer.window.data_features import OldLayoutDocks
from explorer.window.layout import Area, dock


@dataclass
class WindowExtras:
    kl: KlPanel
    vae: VaeViews
    comparison: Comparison
    own_image: OwnImage  # the "Your image" dock and its star (explorer.own_image.feature)


def attach_extras(window) -> WindowExtras:
    """Add the KL and comparison docks to `window` (a MainWindow whose panels exist) and wire them.

    The docks join window.docks, so the View menu lists them and the layout is remembered with the others.
    """
    kl = KlPanel()
    window.docks["kl"] = dock(window, "klDock", "KL per latent dimension", kl, Area.BottomDockWidgetArea)
    window.splitDockWidget(window.docks["grids"], window.docks["kl"], Qt.Orientation.Horizontal)  # a third column
    window.docks["kl"].hide()  # until a VAE is trained or opened: an autoencoder has no KL to show
    panel = ComparisonPanel()
    comparison_dock = dock(window, "comparisonDock", "Comparison run", panel, Area.LeftDockWidgetArea)
    window.docks["comparison"] = comparison_dock
    # a tab beside the training form: shown, it leaves the first run's latent space and preview where they are, and
    # the window fits a 1366×768 screen (beside them both it would need some 1,500 pixels)
    window.tabifyDockWidget(window.docks["training"], comparison_dock)
    window.docks["training"].raise_()
    comparison_dock.hide()
    vae = VaeViews(window.session, window.latent, window.loss, kl, window.controls, window, window.docks["kl"])
    # before the menus: View lists its dock
    own_image = OwnImage(window.session, window.latent, OldLayoutDocks(window), window.close_hooks, window)
    return WindowExtras(kl, vae, Comparison(window, panel, comparison_dock), own_image)
