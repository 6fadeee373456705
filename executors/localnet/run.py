"""``signoff localnet``: the local exchange as its own long-running process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass, field

from executors.catalog import load_demo_account, load_market_catalog
from executors.localnet.server import LocalExchange, load_or_create_credentials
from executors.paper.engine import PaperEngine, PaperSettings, engine_from
from executors.paper.feeds import SimulatedFeed
from foundation.clock import SystemClock
from foundation.paths import home

STATE_FILE = "state.json"
URL_FILE = "url"
CREDENTIALS_FILE = "credentials.json"


@dataclass(frozen=True)
class LocalnetOptions:
    port: int = 0
    seed: int = 7
    tick_seconds: float = 1.0  # wall-clock period of the simulated price feed
    fresh: bool = False
    test_hooks: bool = False
    paper: PaperSettings = field(default_factory=PaperSettings)  # fees and slippage


def localnet_dir(base: str | None = None) -> str:
    path = os.path.join(base or home(create=True), "localnet")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def write_url_file(path: str, url: str) -> None:
    """Publish the URL all at once: a reader sees no file or the whole line, never a part."""
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(url + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def read_url_file(path: str) -> str | None:
    """The local exchange's URL once it is completely written, else ``None``.

    A complete file is one line ending in a newline; anything else (no file, an
    empty or partial one written by an older signoff) reads as "not yet".
    """
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    if not text.endswith("\n") or not text.strip():
        return None
    return text.strip()


async def serve_localnet(options: LocalnetOptions, base: str | None = None) -> None:
    directory = localnet_dir(base)
    clock = SystemClock()
    catalog = load_market_catalog()
    state_path = os.path.join(directory, STATE_FILE)
    engine: PaperEngine
    if os.path.exists(state_path) and not options.fresh:
        with open(state_path, encoding="utf-8") as handle:
            engine = PaperEngine.loads(catalog, handle.read(), options.paper)
    else:
        engine = engine_from(catalog, load_demo_account(clock.now()), options.paper)
    exchange = LocalExchange(
        engine=engine,
        credentials=load_or_create_credentials(os.path.join(directory, CREDENTIALS_FILE)),
        clock=clock,
        feed=SimulatedFeed(catalog, seed=options.seed, start=clock.now(), prices=engine.prices())
        if options.tick_seconds > 0
        else None,
        tick_seconds=options.tick_seconds,
        test_hooks=options.test_hooks,
        state_path=state_path,
        # a stand-alone exchange may lose its last quarter second if killed, as
        # a real one may lose its last trades; signoff reconciles either way
        save_delay=0.25,
    )
    url = await exchange.start(options.port)
    url_path = os.path.join(directory, URL_FILE)
    write_url_file(url_path, url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write(
        f"local exchange on {url} (Binance spot API; keys in "
        f"{os.path.join(directory, CREDENTIALS_FILE)}); Ctrl-C stops it\n"
    )
    sys.stdout.flush()
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(url_path)
        await exchange.stop()


def main(options: LocalnetOptions) -> int:
    asyncio.run(serve_localnet(options))
    return 0
