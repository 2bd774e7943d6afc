"""Where a run stands, in words: elapsed time, speed and ETA, computed one way for the CLI and the window."""

from __future__ import annotations

from dataclasses import dataclass

from core.events import BatchEnd


def format_duration(seconds: float) -> str:
    """m:ss, or h:mm:ss past an hour (progress lines and the window's ETA)."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def plural(count: int, noun: str) -> str:
    """'1 epoch', '3 epochs', '1,024 steps'."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


@dataclass(frozen=True)
class RunProgress:
    """A run's position and pace after a batch, for a progress bar and a status line."""

    step: int  # optimizer steps done over the whole run
    total_steps: int  # steps the run will have done when its epochs are done
    epoch: int  # 1-based epoch in progress
    epochs: int
    batch: int
    batches_per_epoch: int
    images_seen: int  # images trained on in this session of the run
    images_per_second: float
    elapsed_s: float  # this session's training time, pauses excluded
    eta_s: float  # seconds left at this session's pace

    @classmethod
    def after(cls, event: BatchEnd, epochs: int, start_step: int) -> RunProgress:
        """Progress after `event`, in a run of `epochs` that this session (re)started at `start_step`.

        The ETA is the steps left times this session's seconds per step: a resumed run's earlier steps took no
        time here, so counting them would promise too much.
        """
        total = event.batches_per_epoch * epochs
        done_here = max(1, event.step - start_step)
        return cls(
            step=event.step,
            total_steps=total,
            epoch=event.epoch + 1,
            epochs=epochs,
            batch=event.batch,
            batches_per_epoch=event.batches_per_epoch,
            images_seen=event.images_seen,
            images_per_second=event.images_seen / max(event.elapsed_s, 1e-9),
            elapsed_s=event.elapsed_s,
            eta_s=max(0, total - event.step) * event.elapsed_s / done_here,
        )

    def line(self) -> str:
        return (
            f"Epoch {self.epoch}/{self.epochs} · batch {self.batch}/{self.batches_per_epoch} · "
            f"{self.images_per_second:,.0f} img/s · elapsed {format_duration(self.elapsed_s)} · "
            f"ETA {format_duration(self.eta_s)}"
        )
