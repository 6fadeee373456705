"""The request box: an Input with history (up/down) and examples in its placeholder."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input

EXAMPLES = (
    "buy 0.01 BTC",
    "kaufe 10 SOL bei 150",
    "卖出一半的ETH如果跌破2000",
    "sell half my ETH if it drops below 2,000",
)
PLACEHOLDER = "Type a request, e.g. " + " · ".join(f'"{e}"' for e in EXAMPLES[:3])


class RequestBox(Input):
    """Enter proposes; up and down walk through earlier requests (kept across runs)."""

    BINDINGS = [  # noqa: RUF012 - textual's own class attribute
        Binding("up", "older", "older request", show=False),
        Binding("down", "newer", "newer request", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(placeholder=PLACEHOLDER, **kwargs)  # type: ignore[arg-type]
        self.history: list[str] = []
        self._cursor: int | None = None
        self._draft = ""

    def remember(self, text: str) -> None:
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
        self._cursor = None

    def action_older(self) -> None:
        if not self.history:
            return
        if self._cursor is None:
            self._draft = self.value
            self._cursor = len(self.history)
        self._cursor = max(0, self._cursor - 1)
        self.value = self.history[self._cursor]
        self.cursor_position = len(self.value)

    def action_newer(self) -> None:
        if self._cursor is None:
            return
        self._cursor += 1
        if self._cursor >= len(self.history):
            self._cursor = None
            self.value = self._draft
        else:
            self.value = self.history[self._cursor]
        self.cursor_position = len(self.value)
