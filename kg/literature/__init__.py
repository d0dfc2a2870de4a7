"""The analysts' literature: files of works mapped (or not yet) onto the roadmap's taxonomy, read
(`files`: CSV, BibTeX, Turtle / JSON-LD; `refmanagers`: Zotero CSL-JSON, RIS, OpenAlex),
checked, linked to the paper's cited works and kept as named graphs (`imports`), plus a
synthetic literature for scale tests (`synth`).

This module holds only what the command line needs to offer the formats and the review's
threshold, so that it imports nothing heavy.
"""

from __future__ import annotations

#: the formats an import reads (the values of ai45:sourceFormat)
FORMAT_NAMES = ("csv", "bibtex", "turtle", "json-ld", "csl-json", "ris", "openalex")
#: the format of a file by its extension; a `.json` file is told by its content
#: (kg.literature.refmanagers.sniff_json: CSL-JSON, OpenAlex or JSON-LD)
FORMATS = {".csv": "csv", ".tsv": "csv", ".bib": "bibtex", ".bibtex": "bibtex",
           ".ttl": "turtle", ".turtle": "turtle", ".jsonld": "json-ld", ".ris": "ris"}
JSON_EXTENSIONS = (".json",)
#: suggestions with at least this score are filled in a review CSV (unless --accept-above says
#: otherwise); calibrated on the paper's own citations and the first estimate set
#: (benchmarks/mapping.py): about 60 % of the suggestions it fills in are right (at 0.3, since
#: the search vocabulary raised the scores, only about half were; at 0.5, 73 %, but half as
#: many are filled in)
DEFAULT_ACCEPT = 0.4
