"""The latent plot as a PNG or SVG that carries its context: a title (data set, step, epoch, latent size) and the
class legend in a margin beside the axes, so nothing covers the points and no tick is clipped.

The picture is drawn here, on the GUI thread (it renders the plot's own scene); only the bytes go to the disk, which
the caller does off the GUI thread (explorer.utils.tasks), so a slow disk never stalls the window.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QIODevice, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication

from explorer.latent.latent_panel import LatentPanel
from explorer.utils.palette import class_color

LEGEND_MARGIN = 150  # px to the right of the axes for the legend
PNG_SCALE = 2.0  # the PNG is drawn at twice the on-screen size: crisp on slides and high-density screens


def latent_plot_bytes(panel: LatentPanel, title: str, svg: bool) -> bytes:
    """The plot as an SVG drawing (`svg`) or a PNG image, titled and with its legend; OSError when the image cannot be
    encoded. The panel is left as it was."""
    item = panel.plot.getPlotItem()
    margins, geometry = item.layout.getContentsMargins(), item.geometry()
    legend = pg.LegendItem(labelTextSize="11pt", verSpacing=-4)
    legend.setParentItem(item)
    for index, name in enumerate(panel.legend.classes):
        legend.addItem(pg.ScatterPlotItem(symbol="o", size=9, pen=None, brush=pg.mkBrush(class_color(index))), name)
    legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-6, 36))
    item.setTitle(title, size="11pt")
    item.layout.setContentsMargins(margins[0] + 8, margins[1] + 4, margins[2] + LEGEND_MARGIN, margins[3] + 8)
    # lay the title and the margin out now (Qt would at the next turn of the event loop), then let the anchored
    # legend follow the new geometry before anything is drawn
    item.layout.activate()
    QApplication.processEvents()
    try:
        return _svg_bytes(item, title) if svg else _png_bytes(item)
    finally:
        # pyqtgraph's setTitle(None) only hides the title: its text kept the plot item as wide as the title, wider
        # than the view, so the right of the plot stayed under the edge until the window was resized
        item.titleLabel.setText("")
        item.setTitle(None)
        item.layout.setContentsMargins(*margins)
        legend.setParentItem(None)
        if legend.scene() is not None:
            legend.scene().removeItem(legend)
        item.layout.activate()
        item.setGeometry(geometry)  # the view's size, as the plot widget gave it


def _png_bytes(item: pg.PlotItem, scale: float = PNG_SCALE) -> bytes:
    """The plot item drawn at `scale` times its size on screen, the way the SVG is drawn (same scene, same layout)."""
    source = item.sceneBoundingRect()
    image = QImage(int(source.width() * scale), int(source.height() * scale), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        item.scene().render(painter, QRectF(0, 0, image.width(), image.height()), source)
    finally:
        painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("the image could not be encoded")
    return bytes(buffer.data())


def _svg_bytes(item: pg.PlotItem, title: str) -> bytes:
    """The plot item drawn by Qt's SVG generator: axes and text as vectors, the points as the embedded raster.

    (pyqtgraph's SVGExporter fails on the path syntax Qt 6 writes.)"""
    source = item.sceneBoundingRect()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(source.size().toSize())
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(title)
    painter = QPainter(generator)
    try:
        item.scene().render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
    return bytes(buffer.data())
