"""Messages a training worker posts to the screen. The worker never touches a widget."""

from __future__ import annotations

from textual.message import Message

from keytui.model.training import BatchDone, EpochDone, TrainingStarted


class TrainingEvent(Message):
    def __init__(self, event: TrainingStarted | BatchDone | EpochDone) -> None:
        super().__init__()
        self.event = event


class BatchProgress(TrainingEvent):
    """Posted after every batch: many per second, so a newer one replaces an older one still in the queue."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, BatchProgress)


class TrainingDone(Message):
    def __init__(self, outcome) -> None:
        super().__init__()
        self.outcome = outcome


class TrainingFailed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
