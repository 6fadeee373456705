"""Help texts: the exit-code table under every command, and a formatter that keeps it.

Imported only when argparse is (never on the timed ``parse --jsonl`` path).
"""

from __future__ import annotations

import argparse
import textwrap

from foundation.errors import exit_codes_help

__all__ = ["Formatter", "exit_codes_help"]


class Formatter(argparse.HelpFormatter):
    """Fills plain paragraphs to the terminal's width; keeps laid-out ones as written
    (a paragraph with line breaks or indented lines: examples, the exit-code table)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out = []
        for paragraph in text.split("\n\n"):
            if "\n" in paragraph.strip("\n") or paragraph.startswith(" "):
                out.append("\n".join(indent + line for line in paragraph.splitlines()))
            else:
                out.append(
                    textwrap.fill(
                        " ".join(paragraph.split()),
                        width,
                        initial_indent=indent,
                        subsequent_indent=indent,
                    )
                )
        return "\n\n".join(out)
