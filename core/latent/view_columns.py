"""A view's columns for `export codes`: each display image's position in the view (x, y) and the code the view's
way back gives at that position (back_z0…), beside its own code (z0…), so anyone can measure what a view loses:
decode back_z and z and compare. For the PCA plane back_z is the code's projection onto the plane; for the learned
view it is the learned inverse's code (core.latent.learned_view); for latent sizes 1 and 2 it is the code itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from core.latent.view import SnapshotView


def view_columns(view: SnapshotView) -> tuple[tuple[str, np.ndarray], ...]:
    """(name, N numbers) for x, y and back_z0…back_z{D-1}, in that order."""
    xy = np.asarray(view.xy, np.float32)
    back = np.asarray(view.plane.from_plane(xy), np.float32).reshape(len(xy), -1)
    columns = [("x", xy[:, 0]), ("y", xy[:, 1])]
    columns += [(f"back_z{d}", back[:, d]) for d in range(back.shape[1])]
    return tuple(columns)
