"""A party's network drawn server-side: the party in the middle, linked parties on a circle.

No JavaScript and no layout library: a circle layout is readable for the
handful of "Linked To" parties a sanctions record has, and it renders the
same in every browser and in a screenshot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tamiz.model import Entity

MAX_NEIGHBOURS = 24


@dataclass(frozen=True, slots=True)
class Node:
    x: float
    y: float
    label: str
    full: str
    entity_id: str | None  # None: the list names the party but it is not on a loaded list
    schema: str
    center: bool = False
    # Where the label sits: outside the circle, away from the edges.
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "middle"


@dataclass(frozen=True, slots=True)
class Edge:
    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    incoming: bool


@dataclass(frozen=True, slots=True)
class Graph:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]
    hidden: int  # neighbours left out to keep the drawing legible


@dataclass(frozen=True, slots=True)
class Neighbour:
    entity_id: str | None
    caption: str
    schema: str
    relation: str
    incoming: bool  # the other party names this one, not the reverse


def _short(text: str, size: int = 24) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def _label(x: float, y: float, cos: float, sin: float) -> tuple[float, float, str]:
    if cos > 0.15:
        return round(x + 18, 1), round(y + 4, 1), "start"
    if cos < -0.15:
        return round(x - 18, 1), round(y + 4, 1), "end"
    return round(x, 1), round(y + (30 if sin > 0 else -20), 1), "middle"


def circle_layout(center: Entity, neighbours: list[Neighbour], width: int = 900, height: int = 540) -> Graph:
    """Neighbours evenly on an ellipse, labels placed outward so they do not cross edges."""
    cx, cy = width / 2, height / 2
    shown = neighbours[:MAX_NEIGHBOURS]
    rx, ry = width / 2 - 220, height / 2 - 60
    nodes = [Node(cx, cy, _short(center.caption, 34), center.caption, center.id, center.schema, center=True,
                  label_x=cx, label_y=cy + 36)]
    edges = []
    for i, n in enumerate(shown):
        angle = -math.pi / 2 + 2 * math.pi * i / len(shown)
        cos, sin = math.cos(angle), math.sin(angle)
        x, y = round(cx + rx * cos, 1), round(cy + ry * sin, 1)
        lx, ly, anchor = _label(x, y, cos, sin)
        nodes.append(Node(x, y, _short(n.caption), n.caption, n.entity_id, n.schema,
                          label_x=lx, label_y=ly, anchor=anchor))
        edges.append(Edge(cx, cy, x, y, n.relation.replace("_", " "), n.incoming))
    return Graph(width, height, nodes, edges, max(0, len(neighbours) - len(shown)))
