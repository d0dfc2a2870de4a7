"""The paper's importer: paper text -> bibliography graph (reference lists, cited works, people,
in-text citation groups).

Each plain-text version of the paper (the files in ``../shared/paper``) is read twice: its numbered
reference list (after the "References" line) becomes one ``ai45:Reference`` per entry, and
every bracketed citation group of the body becomes an ``ai45:CitationGroup`` with its section,
anchor words and, where the words name one, the framework concept it supports. Entries of every
version that are the same work share one ``ai45:CitedWork`` (matched by arXiv id, DOI, normalised
title, then fuzzy title), whose IRI slug is a public, stable identifier. The result is written
as sorted Turtle so that the same input always gives the same bytes
(``ontology/data/bibliography.ttl``).

Problems in the input are reported, never raised: each warning names the file and the line. Only
an input that cannot be placed at all (a file name no paper version claims) is an error.

Modules: `references` (the numbered reference lists), `citations` (the citation groups and the
concept each supports), `works` (entries of both versions that are one work, and their slugs),
`bibliography` (the import and its deterministic Turtle); kg.text normalises their text.
"""

from __future__ import annotations

from .bibliography import (
    ImportResult,
    PaperImportError,
    import_and_write,
    import_papers,
    person_iri,
    turtle_text,
    work_iri,
    write_bibliography,
)
from .citations import ParsedCitation, match_concept, parse_citations
from .references import ParsedReference, is_organisation, parse_entry, parse_references
from .works import VersionInfo, work_slug

__all__ = [
    "ImportResult", "PaperImportError", "ParsedCitation", "ParsedReference", "VersionInfo",
    "import_and_write", "import_papers", "is_organisation", "match_concept", "parse_citations",
    "parse_entry", "parse_references", "person_iri", "turtle_text", "work_iri", "work_slug",
    "write_bibliography",
]
