"""The analysts' report: coverage and gaps of the literature behind each concept, the version
diff and the pictures (`report`: the tables from named queries, as Markdown, HTML and JSON;
`pictures`: the Matrix heatmap, the techniques tree and the years, as SVG and PNG)."""

from __future__ import annotations

from .pictures import png_available
from .report import OxigraphRunner, Report, Runner, compute_report, open_runner, plain, run_named

__all__ = ["OxigraphRunner", "Report", "Runner", "compute_report", "open_runner", "plain",
           "png_available", "run_named"]
