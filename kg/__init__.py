"""ai45kg's graph library: load the ontology and data, import the paper, reason, validate, store.

`kg` never imports `service`: data flows from `ontology/` through `kg` to the service.
"""

from __future__ import annotations

__version__ = "0.1.0"
