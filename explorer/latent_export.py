"""The latent plot as a PNG or SVG that carries its context: a title (data set, step, epoch, latent size) and the
class legend in a margin beside the axes, so nothing covers the points and no tick is clipped."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter

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
        if path.suffix.lower() == ".svg":
            SVGExporter(item).export(str(path))
            if not path.is_file():
                raise OSError("the SVG file was not written")
        else:
            exporter = ImageExporter(item)
            exporter.parameters()["width"] = max(1400, int(panel.plot.width()) + LEGEND_MARGIN)
            image = exporter.export(toBytes=True)
            if image is None or not image.save(str(path)):
                raise OSError("the image could not be written")
    finally:
        item.setTitle(None)
        item.layout.setContentsMargins(*margins)
        legend.setParentItem(None)
        if legend.scene() is not None:
            legend.scene().removeItem(legend)
