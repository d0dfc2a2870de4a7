"""Helpers shared by the kg tests: the paper texts and a dataset built from the sources."""

from __future__ import annotations

import re

import pytest

from ai45kg.kg import paths

V103_FILE = "000_f256b45877e1ef53.txt"
V101_FILE = "001_08170e784c781668.txt"

needs_paper = pytest.mark.skipif(
    not (paths.PAPER_TEXT_DIR / V103_FILE).exists()
    or not (paths.PAPER_TEXT_DIR / V101_FILE).exists(),
    reason="the paper texts in ../shared/paper are not present",
)


def paper_text(name: str) -> str:
    return (paths.PAPER_TEXT_DIR / name).read_text(encoding="utf-8")


def normalise(text: str) -> str:
    """The text as evidence quotes it: emphasis markup removed, white space collapsed."""
    return re.sub(r"\s+", " ", text.replace("*", ""))


def quote_in(quote: str, text: str) -> bool:
    """True if the quote's parts (split at the elision mark […]) occur in order in the text."""
    pos = 0
    for part in quote.split("[…]"):
        part = part.strip()
        i = text.find(part, pos)
        if i < 0:
            return False
        pos = i + len(part)
    return True








