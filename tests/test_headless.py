"""core runs on a headless GPU server: it must never import Qt (PySide6, shiboken6) or pyqtgraph."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from core_testkit import REPO_ROOT

BLOCKED = ("PySide6", "pyqtgraph", "shiboken6")


def test_import_contract_holds() -> None:
    """import-linter's 'core runs headless' contract (pyproject.toml), checked on the current sources."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )  # --no-cache: a stale cache once reported a broken contract for code that had changed
    assert done.returncode == 0, done.stdout + done.stderr
    for contract in ("core runs headless", "explorer shows and steers", "core's layers", "explorer's layers",
                     "no import cycles", "Ray is the sweep's alone"):  # fmt: skip
        assert f"{contract}" in done.stdout
    assert "BROKEN" not in done.stdout and "0 broken" in done.stdout


HEADLESS = textwrap.dedent(
    """
    import importlib, importlib.abc, pkgutil, sys

    BLOCKED = {blocked!r}

    class NoQt(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{{name}} is not installed on this server")
            return None

    sys.meta_path.insert(0, NoQt())
    for name in BLOCKED:  # the blocker works, so an import of Qt below would fail loudly
        try:
            importlib.import_module(name)
        except ImportError:
            pass
        else:
            raise SystemExit(f"{{name}} imported despite the blocker")

    import core
    modules = [info.name for info in pkgutil.walk_packages(core.__path__, "core.")]
    for name in modules:
        importlib.import_module(name)

    import torch
    from core.files.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    from core.data.datasets import ImageDataset, ImageSplit, load_dataset
    from core.training.engine import TrainConfig, Trainer
    from core.events import Snapshot, TrainingEnded
    from core.latent.plane import fit_plane

    digits = load_dataset("digits-5k")
    pick = torch.linspace(0, len(digits.train) - 1, 64).long()
    tiny = ImageDataset(digits.name, ImageSplit(digits.train.images[pick], digits.train.labels[pick]), None,
                        digits.classes)
    trainer = Trainer(tiny, TrainConfig(epochs=1, display_size=64, sample_count=4, device="cpu", num_threads=1))
    events = list(trainer.run())
    assert isinstance(events[-1], TrainingEnded) and events[-1].reason == "finished", events[-1]
    snapshot = [e for e in events if isinstance(e, Snapshot)][-1]
    fit_plane(snapshot.codes).to_plane(snapshot.codes)
    load_checkpoint(save_checkpoint(sys.argv[1], Checkpoint.from_trainer(trainer)))

    # the real entry point (the composition root above core and the window): train and bench --no-gui
    from explorer.__main__ import main
    out = sys.argv[1] + ".cli.safetensors"
    code = main(["train", "--dataset", "digits-5k", "--epochs", "1", "--batch-size", "512", "--threads", "1",
                 "--device", "cpu", "--out", out])
    assert code == 0, code
    load_checkpoint(out)
    import core.bench
    assert main(["bench", "--no-gui", "--device", "cuda:7"]) == 1  # stops at the device check, after core.bench loaded

    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not leaked, leaked
    print("modules:", " ".join(modules))
    print("headless OK")
    """
).format(blocked=BLOCKED)


@pytest.mark.slow
def test_core_imports_and_trains_without_qt(tmp_path: Path, subprocess_env: dict) -> None:
    """With Qt made unimportable, every core module imports and a 1-epoch run trains, snapshots and saves."""
    done = subprocess.run(
        [sys.executable, "-c", HEADLESS, str(tmp_path / "headless.safetensors")],
        cwd=tmp_path, env=subprocess_env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "headless OK" in done.stdout
    modules = done.stdout.split("modules:", 1)[1].split("\n", 1)[0].split()
    for expected in ("core.model.autoencoder", "core.data.datasets", "core.training.engine", "core.events",
                     "core.files.checkpoint", "core.latent.plane", "core.commands.main"):  # fmt: skip
        assert expected in modules
