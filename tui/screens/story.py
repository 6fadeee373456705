"""A plan's story from the audit trail, as ``signoff audit show`` tells it."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui.service import Service, describe_error


class StoryScreen(Screen[None]):
    BINDINGS = [  # noqa: RUF012
        Binding("escape", "app.pop_screen", "back"),
        Binding("f5", "reload", "reload"),
    ]

    def __init__(self, service: Service, plan_id: str) -> None:
        super().__init__()
        self.service = service
        self.plan_id = plan_id
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(f"The story of plan {self.plan_id}", classes="screen-title")
        with VerticalScroll(id="story-scroll"):
            yield Static("Reading the audit trail…", id="story-text")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    @work(exclusive=True, group="story")
    async def action_reload(self) -> None:
        target = self.query_one("#story-text", Static)
        try:
            story = await asyncio.to_thread(self.service.story, self.plan_id)
        except Exception as error:
            target.update(Text(f"Cannot read the story: {describe_error(error)}", style="red"))
            return
        target.update(story)
        self.loaded = True
        self.query_one("#story-scroll", VerticalScroll).focus()
