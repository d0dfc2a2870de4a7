"""Pictures of the report, drawn as SVG by hand from query results (no plotting library): the
Matrix of Trustworthy AGI as a heatmap of evidence counts, the techniques of each layer as a tree
with the works behind each, and the years of the evidence behind each layer.

Each function takes the rows of a named query (dicts of plain values) and returns an SVG
document (a string) with a <title>, a <desc> and a caption that says what is counted. `to_png`
renders one with cairosvg when it and libcairo are installed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"
INK = "#1f2933"
MUTED = "#52606d"
RULE = "#cbd2d9"
#: one colour per layer (rank 1..3), readable by colour-blind readers (Okabe-Ito)
LAYER_COLOURS = {1: "#0072b2", 2: "#e69f00", 3: "#009e73"}
IMPORT_COLOUR = "#cc79a7"
Row = Mapping[str, Any]


def esc(text: object) -> str:
    return _xml_escape(str(text), {'"': "&quot;"})


def text_width(text: str, size: float) -> float:
    """A generous estimate of the width of `text` in DejaVu Sans at `size` px."""
    wide = sum(1 for c in text if c.isupper() or c in "mwMW%@")
    narrow = sum(1 for c in text if c in "iljtf.,;:!'|() ")
    return size * (0.6 * len(text) + 0.12 * wide - 0.25 * narrow)


def wrap(text: str, width: float, size: float) -> list[str]:
    """Words of `text` in lines no wider than `width` px."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and text_width(candidate, size) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _svg(width: float, height: float, title: str, desc: str, body: list[str], ident: str) -> str:
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="{FONT}">',
        f'<title id="{ident}-title">{esc(title)}</title>',
        f'<desc id="{ident}-desc">{esc(desc)}</desc>',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        *body,
        "</svg>",
    ]) + "\n"


def _text(x: float, y: float, text: object, *, size: float = 13, anchor: str = "start",
          weight: str = "normal", fill: str = INK, extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}" fill="{fill}"{extra}>{esc(text)}</text>')


def _caption(lines: list[str], x: float, y: float, size: float = 12) -> list[str]:
    return [_text(x, y + i * (size + 5), line, size=size, fill=MUTED)
            for i, line in enumerate(lines)]


def _blend(weight: float) -> str:
    """White (0) to a deep blue (1), through light blues: a sequential scale."""
    stops = [(0.0, (247, 251, 255)), (0.35, (158, 202, 225)), (0.7, (49, 130, 189)),
             (1.0, (8, 48, 107))]
    weight = min(1.0, max(0.0, weight))
    for (w0, c0), (w1, c1) in zip(stops, stops[1:], strict=False):
        if weight <= w1:
            f = (weight - w0) / (w1 - w0) if w1 > w0 else 0.0
            rgb = tuple(round(a + (b - a) * f) for a, b in zip(c0, c1, strict=True))
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#08306b"


# ---------------------------------------------------------------------------------------------
# The Matrix of Trustworthy AGI as a heatmap
# ---------------------------------------------------------------------------------------------

MATRIX_CAPTION = (
    "Each cell counts the distinct works the paper cites for (and, with imports, analysts map "
    "to) the techniques of the layer that support the level: a technique supports a level when "
    "the paper says so or when the level relies on the technique's layer to a degree above none "
    "(ai45:supportsLevel). A cell whose level does not rely on the layer counts 0. Under each "
    "count: how much the level relies on the layer, and how many of the layer's techniques "
    "support the level."
)


def matrix_heatmap(rows: Sequence[Row], *, scope: str = "paper") -> str:
    """The 5 x 3 Matrix of Trustworthy AGI, one cell per level and layer, shaded by `works`.

    `rows` are those of queries/matrix-evidence.rq. Each cell is a <rect class="matrix-cell"> with
    data-level, data-layer (IRIs) and data-count attributes.
    """
    levels = sorted({(int(r["levelRank"]), r["level"], r["levelLabel"]) for r in rows})
    layers = sorted({(int(r["layerRank"]), r["layer"], r["layerLabel"]) for r in rows})
    cells = {(r["level"], r["layer"]): r for r in rows}
    top = max([int(r["works"] or 0) for r in rows] + [1])
    size_label = 14
    left = max([text_width(lab, size_label) * 1.12 for _, _, lab in levels] + [120]) + 40
    cell_w, cell_h = 184, 84
    head = 92
    width = left + cell_w * len(layers) + 24
    body: list[str] = []
    title = "The Matrix of Trustworthy AGI: works behind each cell"
    body.append(_text(16, 28, title, size=17, weight="bold"))
    scope_text = ("the paper's citations" if scope == "paper"
                  else "the paper's citations and the analysts' imports")
    body.append(_text(16, 48, f"Counted over {scope_text}. Levels rise from bottom to top.",
                      size=12, fill=MUTED))
    for j, (_, _layer, label) in enumerate(layers):
        x = left + j * cell_w + cell_w / 2
        words = wrap(label, cell_w - 12, 13)
        for k, line in enumerate(words):
            body.append(_text(x, head - 8 - (len(words) - 1 - k) * 16, line, size=13,
                              anchor="middle", weight="bold"))
    n = len(levels)
    for i, (rank, level, label) in enumerate(sorted(levels, reverse=True)):
        y = head + i * cell_h
        body.append(_text(left - 14, y + cell_h / 2 + 2, label, size=size_label, anchor="end",
                          weight="bold"))
        body.append(_text(left - 14, y + cell_h / 2 + 19, f"level {rank}", size=11,
                          anchor="end", fill=MUTED))
        for j, (_, layer, layer_label) in enumerate(layers):
            x = left + j * cell_w
            r = cells.get((level, layer), {})
            count = int(r.get("works") or 0)
            degree = str(r.get("degreeLabel", "")) or "unknown"
            techniques = int(r.get("techniques") or 0)
            relied = int(r.get("degreeRank") or 0) > 0
            fill = _blend(count / top) if relied else "#eef0f2"
            dark = relied and count / top > 0.55
            label_fill = "#ffffff" if dark else INK
            sub_fill = "#e4ecf5" if dark else MUTED
            body.append(
                f'<rect class="matrix-cell" x="{x + 2:.1f}" y="{y + 2:.1f}" width="{cell_w - 4}" '
                f'height="{cell_h - 4}" rx="4" fill="{fill}" stroke="{RULE}" '
                f'data-level="{esc(level)}" data-layer="{esc(layer)}" data-count="{count}" '
                f'data-degree="{esc(degree)}">'
                f"<title>{esc(label)} × {esc(layer_label)}: {count} works; reliance {esc(degree)}"
                f"</title></rect>")
            body.append(_text(x + cell_w / 2, y + 34, count, size=22, anchor="middle",
                              weight="bold", fill=label_fill))
            if relied:
                body.append(_text(x + cell_w / 2, y + 55, f"reliance: {degree}", size=11,
                                  anchor="middle", fill=sub_fill))
                body.append(_text(x + cell_w / 2, y + 70,
                                  f"{techniques} technique{'s' if techniques != 1 else ''}",
                                  size=11, anchor="middle", fill=sub_fill))
            else:
                body.append(_text(x + cell_w / 2, y + 58, "not relied on", size=11,
                                  anchor="middle", fill=sub_fill))
    # legend: the shading scale
    ly = head + n * cell_h + 22
    steps = 8
    lx = left
    body.append(_text(lx - 14, ly + 12, "works", size=12, anchor="end", fill=MUTED))
    for k in range(steps):
        body.append(f'<rect x="{lx + k * 24:.1f}" y="{ly}" width="24" height="14" '
                    f'fill="{_blend(k / (steps - 1))}" stroke="{RULE}" stroke-width="0.5"/>')
    body.append(_text(lx, ly + 30, "0", size=11, fill=MUTED))
    body.append(_text(lx + steps * 24, ly + 30, top, size=11, anchor="end", fill=MUTED))
    body.append(f'<rect x="{lx + steps * 24 + 24:.1f}" y="{ly}" width="24" height="14" '
                f'fill="#eef0f2" stroke="{RULE}" stroke-width="0.5"/>')
    body.append(_text(lx + steps * 24 + 54, ly + 12, "level does not rely on the layer",
                      size=11, fill=MUTED))
    caption = wrap(MATRIX_CAPTION, width - 32, 12)
    cy = ly + 58
    body.extend(_caption(caption, 16, cy))
    height = cy + len(caption) * 17 + 8
    desc = "; ".join(
        f"{r['levelLabel']} × {r['layerLabel']}: {int(r['works'] or 0)} works "
        f"(reliance {r['degreeLabel']})" for r in sorted(
            rows, key=lambda r: (int(r["levelRank"]), int(r["layerRank"]))))
    return _svg(width, height, title, f"{MATRIX_CAPTION} {desc}", body, "matrix")


# ---------------------------------------------------------------------------------------------
# Techniques by layer, as a tree
# ---------------------------------------------------------------------------------------------

TREE_CAPTION = (
    "The techniques the paper places in each layer of the Causal Ladder (sub-kinds under their "
    "technique), with the number of distinct works behind each: cited by the paper for it, and, "
    "with imports, mapped to it by analysts and not cited by the paper for it."
)


def techniques_tree(rows: Sequence[Row], *, scope: str = "paper") -> str:
    """An indented tree Causal Ladder -> layers -> techniques -> sub-kinds, a bar per technique.

    `rows` are those of queries/coverage-techniques.rq.
    """
    layers: dict[tuple[int, str], list[Row]] = defaultdict(list)
    for r in rows:
        layers[(int(r["layerRank"]), str(r["layerLabel"]))].append(r)
    line_h = 24
    label_x0 = 24
    indent = 26
    label_w = max([text_width(str(r["techniqueLabel"]), 13) + 3 * indent for r in rows]
                  + [300]) + label_x0 + 16
    bar_max_w = 300
    top = max([int(r["works"] or 0) for r in rows] + [1])
    width = label_w + bar_max_w + 80
    body: list[str] = []
    title = "Techniques of the Causal Ladder and the works behind them"
    body.append(_text(16, 28, title, size=17, weight="bold"))
    y = 62
    root_y = y
    body.append(_text(label_x0, y, "Causal Ladder of Trustworthy AGI", size=14, weight="bold"))
    body.append(_text(label_w, y, "works", size=12, fill=MUTED))
    y += line_h
    last_layer_y = root_y
    for (rank, layer_label), members in sorted(layers.items()):
        colour = LAYER_COLOURS.get(rank, MUTED)
        lx = label_x0 + indent
        body.append(f'<path d="M{label_x0 + 8} {last_layer_y + 6} V{y - 4} H{lx - 6}" '
                    f'fill="none" stroke="{RULE}" stroke-width="1.5"/>')
        last_layer_y = y
        body.append(f'<circle cx="{lx - 2}" cy="{y - 4}" r="4" fill="{colour}"/>')
        body.append(_text(lx + 6, y, f"{layer_label} (layer {rank})", size=14, weight="bold",
                          fill=colour))
        layer_y = y
        y += line_h
        broader = {str(r["techniqueLabel"]) for r in members}
        tops = sorted((r for r in members if not r.get("broaderLabel")
                       or str(r["broaderLabel"]) not in broader),
                      key=lambda r: str(r["techniqueLabel"]).lower())
        children: dict[str, list[Row]] = defaultdict(list)
        for r in members:
            if r.get("broaderLabel") and str(r["broaderLabel"]) in broader:
                children[str(r["broaderLabel"])].append(r)
        parent_y = layer_y
        for t in tops:
            entries = [(t, 0)] + [(c, 1) for c in sorted(
                children.get(str(t["techniqueLabel"]), []),
                key=lambda r: str(r["techniqueLabel"]).lower())]
            top_y = y  # the technique's own line: its sub-kinds hang from it
            for r, depth in entries:
                tx = lx + indent * (depth + 1)
                anchor_y = parent_y if depth == 0 else top_y
                body.append(f'<path d="M{tx - indent + 8} {anchor_y + 6} V{y - 4} H{tx - 4}" '
                            f'fill="none" stroke="{RULE}" stroke-width="1.2"/>')
                if depth == 0:
                    parent_y = y
                body.append(_text(tx + 2, y, r["techniqueLabel"], size=13,
                                  extra=f' data-technique="{esc(r["technique"])}"'))
                paper = int(r.get("paperWorks") or 0)
                total = int(r.get("works") or 0)
                added = max(0, total - paper)
                bx = label_w
                pw = bar_max_w * paper / top
                aw = bar_max_w * added / top
                body.append(f'<rect x="{bx}" y="{y - 12}" width="{pw:.1f}" height="14" '
                            f'fill="{colour}" opacity="0.85"><title>{paper} works cited by the '
                            f'paper</title></rect>')
                if added:
                    body.append(f'<rect x="{bx + pw:.1f}" y="{y - 12}" width="{aw:.1f}" '
                                f'height="14" fill="{IMPORT_COLOUR}"><title>{added} more works '
                                f'from imports</title></rect>')
                count = f"{paper}" + (f" + {added}" if added else "")
                body.append(_text(bx + pw + aw + 6, y, count, size=12, fill=MUTED))
                y += line_h
    legend_y = y + 6
    body.append(f'<rect x="{label_x0}" y="{legend_y - 11}" width="14" height="12" '
                f'fill="{LAYER_COLOURS[1]}"/>')
    body.append(_text(label_x0 + 20, legend_y, "works the paper cites for the technique "
                      "(bar colour: its layer)", size=12, fill=MUTED))
    if scope != "paper":
        body.append(f'<rect x="{label_x0}" y="{legend_y + 7}" width="14" height="12" '
                    f'fill="{IMPORT_COLOUR}"/>')
        body.append(_text(label_x0 + 20, legend_y + 18, "more works mapped to it by imports",
                          size=12, fill=MUTED))
        legend_y += 18
    caption = wrap(TREE_CAPTION, width - 32, 12)
    cy = legend_y + 28
    body.extend(_caption(caption, 16, cy))
    height = cy + len(caption) * 17 + 8
    desc = "; ".join(f"{r['layerLabel']}: {r['techniqueLabel']} ({int(r['works'] or 0)} works)"
                     for r in rows)
    return _svg(width, height, title, f"{TREE_CAPTION} {desc}", body, "tree")


# ---------------------------------------------------------------------------------------------
# Years of the evidence behind each layer
# ---------------------------------------------------------------------------------------------

YEARS_CAPTION = (
    "For each layer of the Causal Ladder, the distinct works of each year cited by the paper "
    "for (and, with imports, mapped by analysts to) the layer or its techniques. Works older "
    "than the years shown are gathered in the first bar; works without a year in the last."
)
#: at most this many single years are drawn; older works share one bar
YEARS_SHOWN = 16


def nice_step(top: int, ticks: int = 4) -> int:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` ticks up to
    `top`."""
    raw = max(top / ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return int(factor * magnitude)
    return int(10 * magnitude)


def year_histogram(rows: Sequence[Row], *, scope: str = "paper") -> str:
    """One histogram per layer, sharing the year axis. `rows` are queries/evidence-years.rq's."""
    per_layer: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    years: set[int] = set()
    undated = False
    for r in rows:
        key = (int(r["layerRank"]), str(r["layerLabel"]))
        year = str(r["year"])
        per_layer[key][year] = int(r["works"] or 0)
        if year.isdigit():
            years.add(int(year))
        else:
            undated = True
    last = max(years, default=2024)
    first = min(years, default=last)
    start = max(first, last - YEARS_SHOWN + 1)
    bins: list[tuple[str, set[str]]] = []
    if first < start:
        bins.append((f"≤{start - 1}", {str(y) for y in years if y < start}))
    bins.extend((str(y), {str(y)}) for y in range(start, last + 1))
    if undated:
        bins.append(("n.d.", {"undated"}))
    counts = {key: [sum(v.get(y, 0) for y in members) for _, members in bins]
              for key, v in per_layer.items()}
    top = max([c for cs in counts.values() for c in cs] + [1])
    step = nice_step(top)
    left, bar_w, gap = 74, 30, 8
    panel_h, panel_gap = 120, 46
    width = left + len(bins) * (bar_w + gap) + 40
    width = max(width, 640)
    body: list[str] = []
    title = "Years of the works behind each layer"
    body.append(_text(16, 28, title, size=17, weight="bold"))
    scope_text = ("the paper's citations" if scope == "paper"
                  else "the paper's citations and the analysts' imports")
    body.append(_text(16, 48, f"Counted over {scope_text}.", size=12, fill=MUTED))
    y0 = 78
    for p, ((rank, label), values) in enumerate(sorted(counts.items())):
        colour = LAYER_COLOURS.get(rank, MUTED)
        py = y0 + p * (panel_h + panel_gap)
        total = sum(per_layer[(rank, label)].values())
        body.append(_text(left, py, f"{label} ({total} works)", size=13, weight="bold",
                          fill=colour))
        base = py + panel_h
        for tick in range(0, top + 1, step):
            ty = base - (panel_h - 18) * tick / top
            body.append(f'<line x1="{left - 4}" x2="{width - 30}" y1="{ty:.1f}" y2="{ty:.1f}" '
                        f'stroke="{RULE}" stroke-width="{1 if tick == 0 else 0.5}"/>')
            body.append(_text(left - 8, ty + 4, tick, size=10, anchor="end", fill=MUTED))
        for i, value in enumerate(values):
            bx = left + 6 + i * (bar_w + gap)
            h = (panel_h - 18) * value / top
            body.append(f'<rect class="year-bar" x="{bx}" y="{base - h:.1f}" width="{bar_w}" '
                        f'height="{h:.1f}" fill="{colour}" data-layer="{esc(label)}" '
                        f'data-year="{esc(bins[i][0])}" data-count="{value}">'
                        f"<title>{esc(label)}, {esc(bins[i][0])}: {value} works</title></rect>")
            if value:
                body.append(_text(bx + bar_w / 2, base - h - 4, value, size=10, anchor="middle",
                                  fill=MUTED))
    axis_y: float = y0 + len(counts) * (panel_h + panel_gap) - panel_gap + 18
    for i, (name, _) in enumerate(bins):
        tick_x = left + 6 + i * (bar_w + gap) + bar_w / 2
        body.append(_text(tick_x, axis_y, name, size=10, anchor="middle", fill=INK))
    body.append(_text(left - 8, axis_y, "year", size=10, anchor="end", fill=MUTED))
    caption = wrap(YEARS_CAPTION, width - 32, 12)
    cy = axis_y + 34
    body.extend(_caption(caption, 16, cy))
    height = cy + len(caption) * 17 + 8
    desc = "; ".join(f"{label}: " + ", ".join(f"{bins[i][0]} {v}" for i, v in enumerate(vals)
                                               if v)
                     for (_, label), vals in sorted(counts.items()))
    return _svg(width, height, title, f"{YEARS_CAPTION} {desc}", body, "years")


# ---------------------------------------------------------------------------------------------
# PNG
# ---------------------------------------------------------------------------------------------


def png_available() -> bool:
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):  # OSError: the package is there but libcairo is not
        return False
    return True


def to_png(svg: str, scale: float = 2.0) -> bytes | None:
    """The SVG rendered as PNG (cairosvg), or None when cairosvg or libcairo is missing."""
    try:
        import cairosvg
    except (ImportError, OSError):
        return None
    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)  # type: ignore[no-any-return]
