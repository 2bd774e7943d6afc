"""The window with a variational autoencoder, and two runs side by side with one cursor (real mouse events)."""

from __future__ import annotations

import numpy as np
import pytest
from gui_testkit import DecodeCounter, move_mouse_to, save_and_wait, start_small_run, wait_for_snapshot
from PySide6.QtCore import Qt

from core.settings import MODEL_KINDS
from explorer.bench import pointer


def choose_vae(window, beta: float = 2.0) -> None:
    controls = window.controls
    controls.model.setCurrentIndex(controls.model.findData("variational"))
    controls.spins["beta"].setValue(beta)


class Hovers:
    """The plane positions a latent panel reports for the mouse moves it receives (its `hovered` signal)."""

    def __init__(self, panel) -> None:
        self.seen: list[tuple[float, float]] = []
        panel.hovered.connect(lambda x, y: self.seen.append((x, y)))


def test_the_model_kind_and_beta_are_in_the_form(qtbot, window) -> None:
    controls = window.controls
    # the lecture's two networks, then a module of the user's own (trained here: core.runs.start.new_run's source)
    assert [controls.model.itemData(i) for i in range(controls.model.count())] == [*MODEL_KINDS, "own"]
    assert controls.model_kind == "autoencoder" and not controls.spins["beta"].isEnabled()
    choose_vae(window, 4.0)
    assert controls.spins["beta"].isEnabled() and controls.model_choice() == {"kind": "variational", "beta": 4.0}
    assert "beta" not in controls.train_config().to_dict()


def test_a_vae_run_shows_its_loss_terms_kl_bars_and_sigma_ellipses(qtbot, window, tiny_mnist) -> None:
    choose_vae(window, 2.0)
    start_small_run(window, epochs=2)
    qtbot.waitUntil(lambda: not window.running, timeout=120_000)
    wait_for_snapshot(qtbot, window)
    view = window.session.view
    assert window.session.info.model_config.kind == "variational" and view.snapshot.beta == 2.0
    window.loss.flush()
    assert window.loss.parts_box.isVisible() and window.loss.parts_box.isChecked()
    steps = len(window.session.losses)
    assert len(window.vae.parts) == steps and len(window.loss.recon_curve.getData()[0]) == steps
    recon, kl = window.vae.parts[-1]
    assert window.session.losses[-1] == pytest.approx(recon + 2.0 * kl, rel=1e-5)
    window.loss.parts_box.setChecked(False)  # the toggle hides the two terms
    assert window.loss.recon_curve.getData()[0] is None or len(window.loss.recon_curve.getData()[0]) == 0
    kl_panel = window.vae.kl
    np.testing.assert_array_equal(kl_panel.kl, view.snapshot.kl_per_dim)
    assert "of 2 dimensions active" in kl_panel.caption.text()
    # hovering over a point rings its σ ellipse, centred on the point, its axes the code's σs (latent 2)
    index = int(np.argmax(np.linalg.norm(view.xy - view.xy.mean(axis=0), axis=1)))  # an outlying, lone point
    window.latent.reset_view()
    qtbot.wait(10)
    move_mouse_to(window, float(view.xy[index, 0]), float(view.xy[index, 1]))
    ellipse = window.run.ellipse
    qtbot.waitUntil(lambda: ellipse.item.isVisible(), timeout=5_000)
    shown = ellipse.index
    major, minor, _ = view.sigma_ellipse(shown)
    assert ellipse.item.rect().width() == pytest.approx(2 * major) and ellipse.item.rect().height() == pytest.approx(
        2 * minor
    )
    assert (ellipse.item.pos().x(), ellipse.item.pos().y()) == pytest.approx(tuple(view.xy[shown]), abs=1e-6)
    sigmas = np.exp(view.snapshot.log_variances[shown].astype(np.float64) / 2)
    assert sorted([major, minor]) == pytest.approx(sorted(sigmas), rel=1e-5)


def test_an_autoencoder_run_shows_no_vae_parts(qtbot, window, tiny_mnist) -> None:
    start_small_run(window, epochs=1)
    qtbot.waitUntil(lambda: not window.running, timeout=60_000)
    wait_for_snapshot(qtbot, window)
    assert not window.loss.parts_box.isVisible() and window.vae.kl.kl is None
    view = window.session.view
    decodes = DecodeCounter(window)
    move_mouse_to(window, float(view.xy[0, 0]), float(view.xy[0, 1]))
    qtbot.waitUntil(lambda: decodes.count == 1, timeout=5_000)  # the hover over the point was handled...
    assert window.run.ellipse.index is None and not window.run.ellipse.item.isVisible()  # ...and rings nothing


def expected_image(view, x: float, y: float) -> np.ndarray:
    return view.decode_at(x, y)[0]


def test_one_cursor_decodes_the_same_point_in_both_runs(qtbot, window, tiny_mnist) -> None:
    """An autoencoder here, a VAE trained as the comparison run: a hover in either panel decodes that same plane
    position with each run's own decoder, and both previews show it."""
    comparison, feature = window.comparison_run, window.comparison
    start_small_run(window, epochs=2)  # the first run: an autoencoder
    wait_for_snapshot(qtbot, window)
    choose_vae(window, 1.0)
    window.controls.epochs.setValue(1)
    qtbot.waitUntil(lambda: not window.running, timeout=120_000)
    window.menus.action("train-comparison").trigger()  # the second: a VAE, trained while the first is explored
    assert feature.dock.isVisible()
    main_hovers, compare_hovers = Hovers(window.latent), Hovers(comparison.latent)
    qtbot.waitUntil(lambda: comparison.session.running, timeout=10_000)
    (x0, x1), (y0, y1) = window.latent.view_box.viewRange()
    move_mouse_to(window, x0 + 0.4 * (x1 - x0), y0 + 0.6 * (y1 - y0))  # exploring the first while the second trains
    qtbot.waitUntil(lambda: len(main_hovers.seen) == 1, timeout=5_000)
    qtbot.waitUntil(lambda: window.preview.last_image is not None, timeout=5_000)
    np.testing.assert_allclose(window.preview.last_image, expected_image(window.session.view, *main_hovers.seen[0]))
    qtbot.waitUntil(lambda: not comparison.session.running, timeout=120_000)
    qtbot.waitUntil(lambda: comparison.session.view is not None, timeout=10_000)
    assert comparison.session.info.model_config.variational and not window.session.info.model_config.variational
    assert feature.panel.title.text().startswith("Comparison: variational autoencoder (β 1), latent 2")
    main_view, other_view = window.session.view, comparison.session.view
    np.testing.assert_array_equal(feature.panel.kl.kl, other_view.snapshot.kl_per_dim)  # its own KL bars
    assert window.vae.kl.kl is None  # and the first run's dock still shows the first run (an autoencoder)
    assert comparison.latent.points.count == len(other_view.xy) and window.latent.points.count == len(main_view.xy)

    # hover in the first run's panel: both previews decode that position
    move_mouse_to(window, x0 + 0.3 * (x1 - x0), y0 + 0.7 * (y1 - y0))
    qtbot.waitUntil(lambda: len(main_hovers.seen) == 2, timeout=5_000)
    x, y = main_hovers.seen[-1]
    qtbot.waitUntil(lambda: comparison.preview.last_image is not None, timeout=5_000)
    np.testing.assert_allclose(window.preview.last_image, expected_image(main_view, x, y))
    np.testing.assert_allclose(comparison.preview.last_image, expected_image(other_view, x, y))
    assert not np.allclose(window.preview.last_image, comparison.preview.last_image)  # two networks, two pictures
    assert comparison.latent.v_line.isVisible() and comparison.latent.v_line.value() == pytest.approx(x)
    assert "z = (" in comparison.preview.coordinates.text()

    # and the other way round: a hover in the comparison panel
    feature.dock.raise_()
    (u0, u1), (v0, v1) = comparison.latent.view_box.viewRange()
    pointer.move_mouse_to(comparison.latent, u0 + 0.6 * (u1 - u0), v0 + 0.45 * (v1 - v0))
    qtbot.waitUntil(lambda: len(compare_hovers.seen) == 1, timeout=5_000)
    u, v = compare_hovers.seen[-1]
    assert len(main_hovers.seen) == 2  # the first panel received no mouse move: the link decoded for it
    np.testing.assert_allclose(comparison.preview.last_image, expected_image(other_view, u, v))
    np.testing.assert_allclose(window.preview.last_image, expected_image(main_view, u, v))
    assert window.latent.h_line.value() == pytest.approx(v)


def test_a_collapsed_vae_gets_the_warning_in_the_kl_panel_and_the_banner(qtbot, window, tiny_mnist) -> None:
    choose_vae(window, 20.0)  # a KL weight this large pulls every code onto N(0, I): the posterior collapses
    window.controls.spins["lr"].setValue(1e-3)
    window.controls.batch_size.setValue(64)
    start_small_run(window, epochs=15)
    qtbot.waitUntil(lambda: not window.running, timeout=180_000)
    view = window.session.view
    assert view.posterior_collapse is not None, view.snapshot.kl_per_dim
    kl_panel = window.vae.kl
    assert kl_panel.warning.isVisible() and kl_panel.warning.text() == view.posterior_collapse
    assert "smaller β (now 20" in kl_panel.warning.text()
    assert "0 of 2 dimensions active" in kl_panel.caption.text()
    assert window.notice.isVisible() and window.notice.text().startswith("Posterior collapse")


def banner_at_every_view(window) -> list[tuple[int, bool, str]]:
    """(step, banner shown, banner text) after the window has taken in each view (this slot runs after its own)."""
    seen: list[tuple[int, bool, str]] = []
    window.session.viewChanged.connect(
        lambda view: seen.append((view.snapshot.step, window.notice.isVisible(), window.notice.text()))
    )
    return seen


def test_a_healthy_vae_never_raises_the_collapse_banner(qtbot, window, tiny_mnist) -> None:
    """L17's β = 1: no banner at step 0 (an untrained encoder's KL is ~0), nor at any later snapshot."""
    choose_vae(window, 1.0)
    window.controls.spins["lr"].setValue(1e-3)
    window.controls.batch_size.setValue(64)
    seen = banner_at_every_view(window)
    start_small_run(window, epochs=15)
    qtbot.waitUntil(lambda: not window.running, timeout=180_000)
    assert len(seen) >= 3 and seen[0][0] == 0, seen
    assert not any(shown for _, shown, _ in seen), [s for s in seen if s[1]]
    assert window.session.view.posterior_collapse is None
    assert not window.notice.isVisible()


def test_the_collapse_banner_follows_the_verdict_of_the_view_shown(qtbot, window, tiny_mnist) -> None:
    """β = 20 collapses: the banner says so; scrubbed back to step 0 (not yet judged) it clears; live again, it is
    back. Keyboard on the time-lapse slider, a click on Live."""
    choose_vae(window, 20.0)
    window.controls.spins["lr"].setValue(1e-3)
    window.controls.batch_size.setValue(64)
    start_small_run(window, epochs=15)
    qtbot.waitUntil(lambda: not window.running, timeout=180_000)
    assert window.notice.isVisible() and window.notice.text().startswith("Posterior collapse")
    slider = window.timelapse.scrubber.slider
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: window.session.view.snapshot.step == 0)
    assert window.session.view.posterior_collapse is None
    assert not window.notice.isVisible(), window.notice.text()
    live = window.timelapse.scrubber.live_button
    qtbot.mouseClick(live, Qt.MouseButton.LeftButton, pos=live.rect().center())
    qtbot.waitUntil(lambda: window.session.view.snapshot.step > 0)
    assert window.notice.isVisible() and window.notice.text().startswith("Posterior collapse")


def test_a_reopened_vae_draws_its_two_terms_and_loading_cannot_be_paused(qtbot, window, tiny_mnist, tmp_path) -> None:
    """The checkpoint keeps reconstruction and KL per step: reopened, both curves are drawn over every step. While
    the file loads, nothing trains: Pause and Stop (buttons and menu entries) stay disabled."""
    choose_vae(window, 2.0)
    start_small_run(window, epochs=2)
    qtbot.waitUntil(lambda: not window.running, timeout=120_000)
    steps = len(window.session.losses)
    path = tmp_path / "vae.safetensors"
    save_and_wait(qtbot, window, path)
    while_loading: list[tuple[bool, ...]] = []
    controls, action = window.controls, window.menus.action
    window.session.busyChanged.connect(
        lambda busy: busy
        and while_loading.append(
            (controls.pause_button.isEnabled(), controls.stop_button.isEnabled(), action("pause").isEnabled(),
             action("stop").isEnabled())
        )
    )  # fmt: skip
    window.open_checkpoint(path)
    qtbot.waitUntil(lambda: not window.running and window.session.info is not None, timeout=60_000)
    assert while_loading == [(False, False, False, False)]
    loss = window.loss
    assert loss.parts_box.isVisible() and loss.parts_box.isChecked() and loss.parts_box.isEnabled()
    qtbot.waitUntil(lambda: loss.recon_curve.getData()[0] is not None and len(loss.recon_curve.getData()[0]) == steps)
    for curve in (loss.recon_curve, loss.kl_curve):
        x, y = curve.getData()
        assert len(x) == steps and np.isfinite(y).all()
