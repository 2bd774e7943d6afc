"""The learned view's figures (core.latent.learned_view, issue 27), against the PCA plane on the same model.

For latent sizes 8 and 16, a lecture autoencoder (Adam 0.0005, batch 32, seed 123) trained 5 epochs on digits-5k,
its 2,000 display codes:
- how far decoding each image's way back (back_z: the view's inverse at the image's position) lands from decoding its
  real code: mean pixel MSE, the learned view's as a ratio of the PCA plane's (goal ≤ 0.35, aim ≤ 0.25);
- trustworthiness at k = 10 of each layout (sklearn.manifold.trustworthiness; goal ≥ 0.95 for the learned view);
- the time from the snapshot's codes to a ready learned view (layout + inverse, fresh and started from the previous
  layout; goal ≤ 5 s), with numba's first compile timed apart;
- a hover in the learned view (position → inverse code → decode, nearest images, meter, distance to the data; one
  torch thread as on the window's thread; p95, goal ≤ 16 ms) and a 20×20 decoded map in both views;
- without --quick, the time to a learned view of 60,000 codes (goal ≤ 60 s) through the window's layout process.
`bench --learned-view` adds the section (training the two models takes minutes); needs umap-learn.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch

from core.bench.common import Progress, median
from core.bench.figures import Figure
from core.data.datasets import ImageDataset
from core.events import Snapshot
from core.latent.atlas import data_range, decode_map
from core.latent.view import SnapshotView, view_of
from core.settings import ModelConfig, TrainConfig
from core.training.engine import Trainer
from core.training.thread_count import thread_count_kept

RATIO_GOAL, RATIO_AIM = 0.35, 0.25
TRUST_GOAL = 0.95
READY_GOAL_S = 5.0
HOVER_GOAL_MS = 16.0
LATENTS = (8, 16)


def lecture_snapshot(dataset: ImageDataset, latent: int, say: Progress) -> Snapshot:
    """The snapshot of a lecture autoencoder trained 5 epochs on `dataset` (minutes on a CPU)."""
    say(f"learned view: training a latent-{latent} lecture model, 5 epochs")
    config = TrainConfig(device="cpu", epochs=5, batch_size=32, lr=5e-4, seed=123, snapshot_interval_s=1e9)
    trainer = Trainer(dataset, config, ModelConfig(latent, dataset.channels, dataset.image_size))
    for _ in trainer.run():
        pass
    return trainer.snapshot()


def measure_learned_view(
    dataset: ImageDataset,
    quick: bool,
    say: Progress,
    snapshot_of: Callable[[int], Snapshot] | None = None,
) -> list[Figure]:
    """The section's figures; `snapshot_of(latent)` supplies the models (default: trained here, lecture_snapshot)."""
    from core.latent.learned_view import fit_learned_plane, umap_layout

    snapshot_of = snapshot_of or (lambda latent: lecture_snapshot(dataset, latent, say))
    figures: list[Figure] = []
    say("learned view: importing umap-learn and compiling numba's kernels (once per process)")
    start = time.perf_counter()
    umap_layout(np.random.default_rng(0).normal(size=(64, 4)).astype(np.float32), epochs=10)
    figures.append(
        Figure(
            "first learned view in a process: import umap-learn and compile",
            time.perf_counter() - start,
            "s",
            detail="the window does this in the background when the view is first chosen",
        )
    )
    for latent in LATENTS:
        snapshot = snapshot_of(latent)
        pca = view_of(snapshot)
        say(f"learned view: latent {latent}, {len(snapshot.codes):,} codes")
        start = time.perf_counter()
        plane = fit_learned_plane(snapshot.codes)
        ready = time.perf_counter() - start
        learned = view_of(snapshot, plane)
        moved = snapshot.codes + np.random.default_rng(1).normal(0, 0.01, snapshot.codes.shape).astype(np.float32)
        start = time.perf_counter()
        fit_learned_plane(moved, plane)
        warm = time.perf_counter() - start
        figures += _quality(pca, learned, latent)
        figures.append(
            Figure(
                f"learned view ready, latent {latent}, {len(snapshot.codes):,} codes (layout + inverse)",
                ready,
                "s",
                goal=f"≤ {READY_GOAL_S:g}",
                met=ready <= READY_GOAL_S,
                detail=f"a fresh seeded layout; started from the previous layout: {warm:.2f} s",
            )
        )
        if latent == LATENTS[0]:
            figures += _speed(pca, learned, 5 if quick else 11)
            if not quick:
                figures.append(_many_codes_ready(snapshot, dataset, say))
    return figures


#: The many-codes figure's size: MNIST's training set.
MANY_CODES = 60_000
MANY_GOAL_S = 60.0
#: The pixel shifts that make each copy of the built-in digits another image (MNIST cannot be downloaded everywhere
#: the bench runs): twelve copies of 5,000 digits, each moved by up to two pixels.
SHIFTS = ((0, 0), (0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (-1, -1), (1, -1), (-1, 1), (0, 2), (2, 0), (0, -2))


def _many_codes_ready(snapshot: Snapshot, dataset: ImageDataset, say: Progress) -> Figure:
    """A learned view of 60,000 codes through the window's own road (core.latent.layout_process: a process of its
    own with one numba and one torch thread), the process already started."""
    from core.latent.layout_process import LayoutProcess

    images = dataset.train.images.float().div(255)
    copies = -(-MANY_CODES // len(images))
    shifted = [torch.roll(images, shifts=SHIFTS[k % len(SHIFTS)], dims=(2, 3)) for k in range(copies)]
    say(f"learned view: encoding {MANY_CODES:,} shifted built-in digits, then laying them out in the layout process")
    with torch.inference_mode():
        codes = torch.cat([snapshot.encoder(batch) for batch in torch.cat(shifted)[:MANY_CODES].split(1024)])
    codes_np = codes.numpy().astype(np.float32)
    process = LayoutProcess()
    try:
        process.fit(codes_np[:256])  # starts the process: umap-learn's import and numba's kernels, timed above
        start = time.perf_counter()
        plane = process.fit(codes_np)
        ready = time.perf_counter() - start
        moved = codes_np + np.random.default_rng(1).normal(0, 0.01, codes_np.shape).astype(np.float32)
        start = time.perf_counter()
        process.fit(moved, plane)
        warm = time.perf_counter() - start
    finally:
        process.close()
    return Figure(
        f"learned view ready, latent 8, {MANY_CODES:,} codes (layout + inverse)",
        ready,
        "s",
        goal=f"≤ {MANY_GOAL_S:g}",
        met=ready <= MANY_GOAL_S,
        detail=f"a fresh seeded layout in the window's layout process (one numba, one torch thread); started from "
        f"the previous layout: {warm:.1f} s; codes of the built-in digits shifted by up to 2 pixels, 12 copies",
    )


def _quality(pca: SnapshotView, learned: SnapshotView, latent: int) -> list[Figure]:
    from sklearn.manifold import trustworthiness

    codes = pca.snapshot.codes
    real = pca.decode(codes)
    errors = {}
    for name, view in (("pca", pca), ("learned", learned)):
        back = view.plane.from_plane(view.xy)
        errors[name] = float(((view.decode(back) - real) ** 2).mean())
    ratio = errors["learned"] / errors["pca"]
    views = (("pca", pca), ("learned", learned))
    trust = {name: float(trustworthiness(codes, view.xy, n_neighbors=10)) for name, view in views}
    return [
        Figure(
            f"decoding back_z vs z, latent {latent}: learned view ÷ PCA plane",
            ratio,
            "×",
            goal=f"≤ {RATIO_GOAL:g} (aim {RATIO_AIM:g})",
            met=ratio <= RATIO_GOAL,
            detail=f"mean pixel MSE over the display images: learned {errors['learned']:.4f}, PCA {errors['pca']:.4f}",
        ),
        Figure(
            f"trustworthiness at k = 10, latent {latent}: learned layout",
            trust["learned"],
            "",
            goal=f"≥ {TRUST_GOAL:g}",
            met=trust["learned"] >= TRUST_GOAL,
            detail=f"the PCA plane: {trust['pca']:.3f}",
        ),
    ]


def _speed(pca: SnapshotView, learned: SnapshotView, repeats: int) -> list[Figure]:
    rng = np.random.default_rng(0)
    area = data_range(learned)
    positions = rng.uniform((area.x0, area.y0), (area.x1, area.y1), size=(200, 2))
    hovers = []
    with thread_count_kept():
        torch.set_num_threads(1)
        learned.decode_at(*positions[0])  # the folded decoder built and its kernels chosen
        for x, y in positions:
            start = time.perf_counter()
            _, code = learned.decode_at(float(x), float(y))
            found = learned.neighbours.nearest(code, 5)
            learned.neighbours.meter_for(found)
            learned.plane.distance_to_data(np.array([[x, y]]))
            hovers.append(time.perf_counter() - start)
        maps = {}
        for name, view in (("PCA", pca), ("learned", learned)):
            area = data_range(view)
            decode_map(view, area, 20)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                decode_map(view, area, 20)
                times.append(time.perf_counter() - start)
            maps[name] = 1000 * median(times)
    p95 = 1000 * float(np.percentile(hovers, 95))
    return [
        Figure(
            "hover in the learned view, latent 8 (p95)",
            p95,
            "ms",
            goal=f"≤ {HOVER_GOAL_MS:g}",
            met=p95 <= HOVER_GOAL_MS,
            n=len(hovers),
            detail="inverse code, decode, 5 nearest images, meter, distance to the data; one torch thread",
        ),
        Figure(
            "decoded map 20×20 in the learned view, latent 8",
            maps["learned"],
            "ms",
            goal=f"≈ PCA's {maps['PCA']:.0f}",
            met=maps["learned"] <= 1.25 * maps["PCA"],
            n=repeats,
            detail="one torch thread, as while a run trains",
        ),
    ]
