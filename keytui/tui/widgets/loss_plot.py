"""Train and validation loss curves, drawn with plotext inside Textual."""

from __future__ import annotations

from textual_plotext import PlotextPlot

TRAIN_COLOUR = "cyan"
VAL_COLOUR = "orange"


class LossPlot(PlotextPlot):
    DEFAULT_CSS = """
    LossPlot { height: 1fr; min-height: 8; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.train: list[float] = []
        self.val: list[float] = []

    def on_mount(self) -> None:
        self._draw()

    def add_epoch(self, train_loss: float, val_loss: float) -> None:
        self.train.append(train_loss)
        self.val.append(val_loss)
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        # The legend is in the title: plotext draws a legend box inside the plot, over the curves.
        plt.title(f"loss per epoch:  {TRAIN_COLOUR} train,  {VAL_COLOUR} validation")
        plt.xlabel("epoch")
        if self.train:
            epochs = list(range(1, len(self.train) + 1))
            plt.plot(epochs, self.train, color=TRAIN_COLOUR, marker="braille")
            plt.plot(epochs, self.val, color=VAL_COLOUR, marker="braille")
        self.refresh()
