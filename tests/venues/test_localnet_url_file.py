"""The local exchange's URL file is published atomically and read only when complete."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from executors.localnet.run import read_url_file, write_url_file


def test_partial_or_empty_file_reads_as_not_yet(tmp_path: Path) -> None:
    path = tmp_path / "url"
    assert read_url_file(str(path)) is None
    path.write_text("")
    assert read_url_file(str(path)) is None
    path.write_text("http://127.0.0.1:4")  # a writer stopped half-way
    assert read_url_file(str(path)) is None
    path.write_text("http://127.0.0.1:41234\n")
    assert read_url_file(str(path)) == "http://127.0.0.1:41234"


def test_writer_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "url"
    write_url_file(str(path), "http://127.0.0.1:5000")
    assert os.listdir(tmp_path) == ["url"]
    assert path.read_text() == "http://127.0.0.1:5000\n"


def test_reader_racing_writers_sees_nothing_or_a_whole_url(tmp_path: Path) -> None:
    path = str(tmp_path / "url")
    urls = [f"http://127.0.0.1:{port}" for port in range(40000, 40200)]
    seen: list[str | None] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            seen.append(read_url_file(path))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for url in urls:
            write_url_file(path, url)
    finally:
        done.set()
        reader.join(timeout=10)
    assert not reader.is_alive()
    assert seen, "the reader never ran"
    assert {s for s in seen if s is not None} <= set(urls)
