"""The lifecycle diagram, generated from the django-fsm-2 transition definitions on Agreement.
``manage.py lifecycle_diagram`` writes docs/lifecycle.svg; a test keeps the file in step."""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

from agreements.choices import State
from agreements.models import Agreement

# Where each state sits (row, column). Only placement lives here; states and edges come from
# the transition definitions, and a state missing here is placed on a row of its own.
PLACEMENT = {
    State.PROPOSAL: (0, 0),
    State.SSOI_DRAFTING: (0, 1),
    State.RAD_REVIEW: (0, 2),
    State.NEGOTIATION: (0, 3),
    State.RFA_REVIEW: (0, 4),
    State.DISAPPROVED: (0, 5),
    State.CONGRESSIONAL_WAIT: (1, 5),
    State.APPROVED: (1, 4),
    State.SIGNING: (1, 3),
    State.SIGNED: (1, 2),
    State.IN_FORCE: (1, 1),
    State.WITHDRAWN: (1, 0),
    State.EXPIRED: (2, 1),
    State.TERMINATED: (2, 2),
}
BOX_W, BOX_H, COL_W, ROW_H, MARGIN = 196, 46, 320, 210, 60


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    name: str


def lifecycle_edges() -> list[Edge]:
    """Every (source, target, transition) the state machine allows, in definition order."""
    edges = []
    for transition in Agreement._meta.get_field("state").get_all_transitions(Agreement):
        targets = getattr(transition.target, "allowed_states", None) or [transition.target]
        for target in targets:
            edges.append(Edge(str(transition.source), str(target), transition.name))
    return edges


def _centre(state: str, extra: dict[str, tuple[int, int]]) -> tuple[float, float]:
    row, col = PLACEMENT.get(state) or extra[state]
    return MARGIN + col * COL_W + BOX_W / 2, MARGIN + row * ROW_H + BOX_H / 2


def _border_point(cx, cy, tx, ty) -> tuple[float, float]:
    """Where the line from a box centre towards (tx, ty) leaves the box."""
    dx, dy = tx - cx, ty - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min((BOX_W / 2) / abs(dx) if dx else math.inf, (BOX_H / 2) / abs(dy) if dy else math.inf)
    return cx + dx * scale, cy + dy * scale


def lifecycle_svg() -> str:
    """The lifecycle diagram as SVG, drawn from the transition definitions."""
    edges = lifecycle_edges()
    states = [s for s in State.values if any(s in (e.source, e.target) for e in edges)]
    unplaced = [s for s in states if s not in PLACEMENT]
    extra = {s: (3, i) for i, s in enumerate(unplaced)}
    rows = max([r for r, _ in PLACEMENT.values()] + [r for r, _ in extra.values()]) + 1
    cols = max([c for _, c in PLACEMENT.values()] + [c for _, c in extra.values()]) + 1
    width, height = MARGIN * 2 + (cols - 1) * COL_W + BOX_W, MARGIN * 2 + (rows - 1) * ROW_H + BOX_H + 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" role="img" '
        'aria-labelledby="title">',
        '<title id="title">ICP agreement lifecycle (generated from the transition definitions)</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1b1b1b"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    terminal = {State.EXPIRED, State.TERMINATED, State.WITHDRAWN, State.DISAPPROVED}
    pair_count: dict[tuple[str, str], int] = {}
    for edge in edges:
        sx, sy = _centre(edge.source, extra)
        tx, ty = _centre(edge.target, extra)
        label = escape(edge.name)
        if edge.source == edge.target:
            x0, y0 = sx - 30, sy - BOX_H / 2
            out.append(
                f'<path d="M{x0:.1f},{y0:.1f} C{x0:.1f},{y0 - 45:.1f} {x0 + 60:.1f},{y0 - 45:.1f} '
                f'{x0 + 60:.1f},{y0:.1f}" fill="none" stroke="#1b1b1b" stroke-width="1.3" '
                'marker-end="url(#arrow)"/>'
            )
            out.append(f'<text x="{sx:.1f}" y="{y0 - 40:.1f}" font-size="11" text-anchor="middle">{label}</text>')
            continue
        key = (edge.source, edge.target)
        index = pair_count.get(key, 0)
        pair_count[key] = index + 1
        # Curve every edge to its right-hand side, so opposite edges between a pair never overlap.
        length = math.hypot(tx - sx, ty - sy)
        nx, ny = -(ty - sy) / length, (tx - sx) / length
        bend = max(30.0, 0.16 * length) + 22 * index
        mx, my = (sx + tx) / 2 + nx * bend, (sy + ty) / 2 + ny * bend
        x1, y1 = _border_point(sx, sy, mx, my)
        x2, y2 = _border_point(tx, ty, mx, my)
        out.append(
            f'<path d="M{x1:.1f},{y1:.1f} Q{mx:.1f},{my:.1f} {x2:.1f},{y2:.1f}" fill="none" '
            'stroke="#1b1b1b" stroke-width="1.3" marker-end="url(#arrow)"/>'
        )
        lx, ly = (x1 + 2 * mx + x2) / 4, (y1 + 2 * my + y2) / 4
        out.append(
            f'<text x="{lx:.1f}" y="{ly - 4:.1f}" font-size="11" text-anchor="middle" '
            f'paint-order="stroke" stroke="#ffffff" stroke-width="4">{label}</text>'
        )
    for state in states:
        cx, cy = _centre(state, extra)
        fill = "#e6e6e6" if state in terminal else ("#d9e8f6" if state != State.IN_FORCE else "#c7efe2")
        label = State(state).label
        out.append(f"<g><title>{escape(label)}</title>")
        out.append(
            f'<rect x="{cx - BOX_W / 2:.1f}" y="{cy - BOX_H / 2:.1f}" width="{BOX_W}" height="{BOX_H}" '
            f'rx="8" fill="{fill}" stroke="#1b1b1b" stroke-width="1.5"/>'
        )
        # A long label ("Signed, awaiting entry into force") takes two lines, split at its comma.
        lines = label.split(", ", 1)
        if len(lines) == 2:
            lines[0] += ","
        top = cy + 5 - 8 * (len(lines) - 1)
        for index, line in enumerate(lines):
            size = 14 if index == 0 else 12
            out.append(
                f'<text x="{cx:.1f}" y="{top + 16 * index:.1f}" font-size="{size}" font-weight="bold" '
                f'text-anchor="middle">{escape(line)}</text>'
            )
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
