"""Helpers shared by the analyst-import tests (test_imports, test_reference_imports); their
fixtures (workspace, built, index, paper) are in conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai45kg.kg.literature.imports import ImportFailed, prepare


def problems_of(path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(ImportFailed) as caught:
        prepare(path, "t", **kwargs)  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]
