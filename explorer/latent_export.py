"""The latent plot as a PNG or SVG that carries its context: a title (data set, step, epoch, latent size) and the
class legend in a margin beside the axes, so nothing covers the points and no tick is clipped."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter
from PySide6.QtCore import QBuffer, QIODevice, QRectF
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator

from core.files import FileWriteError, write_atomically
from explorer.palette import class_color
from explorer.panels.latent_panel import LatentPanel

LEGEND_MARGIN = 150  # px to the right of the axes for the legend


def export_latent_plot(panel: LatentPanel, path: Path, title: str) -> None:
    """Write the plot to `path` (.svg as SVG, anything else as PNG); OSError when it cannot be written."""
    item = panel.plot.getPlotItem()
    margins = item.layout.getContentsMargins()
    legend = pg.LegendItem(labelTextSize="9pt", verSpacing=-6)
    legend.setParentItem(item)
    for index, name in enumerate(panel.legend.classes):
        legend.addItem(pg.ScatterPlotItem(symbol="o", size=9, pen=None, brush=pg.mkBrush(class_color(index))), name)
    legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-6, 36))
    item.setTitle(title, size="11pt")
    item.layout.setContentsMargins(margins[0] + 8, margins[1] + 4, margins[2] + LEGEND_MARGIN, margins[3] + 8)
    try:
        payload = _svg_bytes(item, title) if path.suffix.lower() == ".svg" else _png_bytes(panel, item)
        write_atomically(path, payload)
    except FileWriteError as error:
        raise OSError(str(error)) from error
    finally:
        item.setTitle(None)
        item.layout.setContentsMargins(*margins)
        legend.setParentItem(None)
        if legend.scene() is not None:
            legend.scene().removeItem(legend)


def _png_bytes(panel: LatentPanel, item: pg.PlotItem) -> bytes:
    exporter = ImageExporter(item)
    exporter.parameters()["width"] = max(1400, int(panel.plot.width()) + LEGEND_MARGIN)
    image = exporter.export(toBytes=True)
    if image is None:
        raise OSError("the image could not be drawn")
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
