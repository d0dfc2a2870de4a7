"""Text normalisation shared by the paper importer: markup removal, matching keys and slugs.

The two texts of the paper print the same thing with different markup (Markdown emphasis, URLs in
angle brackets) and different typography (em dash or en dash, curly quotes, a lost space), so every
comparison goes through one of these functions rather than comparing the printed strings.
"""

from __future__ import annotations

import re
import unicodedata

#: every dash-like character the texts (or other PDF extractions) use, unified before comparing
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DASH_TABLE = str.maketrans({c: "-" for c in DASHES})
_QUOTE_TABLE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
    }
)
_URL_IN_ANGLES = re.compile(r"<(https?://[^>\s]+)>")
_WS = re.compile(r"\s+")

#: words left out of work slugs: they carry no meaning in a title
SLUG_STOPWORDS = frozenset(
    "a about against an and are as at be been being but by can do does for from how i in into is "
    "it its me my of on or our over should so than that the their them these they this those "
    "through to toward towards under us via vs was we were what when "
    "will with within without would you your".split()
)


def collapse_ws(text: str) -> str:
    """One space for every run of whitespace, none at the ends."""
    return _WS.sub(" ", text).strip()


def strip_emphasis(text: str) -> str:
    """Drop Markdown emphasis marks (``*``), which file 000 uses for venues and book titles."""
    return text.replace("*", "")


def unwrap_urls(text: str) -> str:
    """``<https://...>`` -> ``https://...``: file 000 wraps URLs in angle brackets, file 001 not."""
    return _URL_IN_ANGLES.sub(r"\1", text)


def plain(text: str) -> str:
    """The markup-free form of a line of either text: no emphasis, bare URLs, single spaces."""
    return collapse_ws(unwrap_urls(strip_emphasis(text)))


def ascii_fold(text: str) -> str:
    """NFKD decomposition without combining marks: "Högberg" -> "Hogberg"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_title(title: str) -> str:
    """The key two printings of one title share: lower case, no accents, dashes unified, every
    punctuation mark a space, whitespace collapsed ("safety—a review" == "safety–a review")."""
    text = ascii_fold(title).translate(_DASH_TABLE).translate(_QUOTE_TABLE).lower()
    return collapse_ws(re.sub(r"[^0-9a-z]+", " ", text))


def fold(text: str) -> str:
    """A case- and typography-insensitive form for finding a label inside a sentence; it keeps
    punctuation (and so word boundaries), only unifying dashes, quotes and whitespace."""
    text = unicodedata.normalize("NFKC", text).translate(_DASH_TABLE).translate(_QUOTE_TABLE)
    return collapse_ws(text.replace("*", "")).casefold()


def slug_words(text: str) -> list[str]:
    """The lower-case ASCII words of a text, apostrophes dropped ("isn't" -> "isnt")."""
    text = ascii_fold(text).translate(_QUOTE_TABLE).replace("'", "").lower()
    return re.findall(r"[0-9a-z]+", text)


def significant_words(text: str) -> list[str]:
    """The words of a title that say something, in order (no articles, prepositions, ...)."""
    return [w for w in slug_words(text) if w not in SLUG_STOPWORDS]
