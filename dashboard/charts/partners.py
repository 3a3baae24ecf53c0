"""Figures of the Partner page: the network of who works with whom, and partners per organisation type.

Each figure is built in one go from its finished spec (``theme.layout`` and ``theme.spec_figure``), as in
charts/funds.py: no Plotly validation per step. tests/unit/test_region_partner_target_charts.py validates each once.
"""

from __future__ import annotations

import html
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.theme import (
    BLACK,
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PINK,
    SKY,
    VERMILION,
    YELLOW,
    layout,
    spec_figure,
)
from dashboard.data_access.vocabulary import MemberType
from dashboard.i18n import label, t

# Twelve organisation types on the eight Okabe-Ito colours: related types share a colour (public administration,
# chambers, social partners, employment services) and are told apart by the marker's shape.
TYPE_STYLE: dict[str, tuple[str, str]] = {
    MemberType.LANDKREIS: (BLUE, "circle"),
    MemberType.KREISFREIE_STADT: (BLUE, "diamond"),
    MemberType.IHK: (ORANGE, "circle"),
    MemberType.HWK: (ORANGE, "diamond"),
    MemberType.ARBEITGEBERVERBAND: (GREEN, "circle"),
    MemberType.GEWERKSCHAFT: (GREEN, "diamond"),
    MemberType.HOCHSCHULE: (PINK, "circle"),
    MemberType.AGENTUR_FUER_ARBEIT: (SKY, "circle"),
    MemberType.JOBCENTER: (SKY, "diamond"),
    MemberType.UNTERNEHMEN: (VERMILION, "circle"),
    MemberType.VEREIN_VERBAND: (YELLOW, "circle"),
    MemberType.SONSTIGE: (GREY, "circle"),
}
TYPE_ORDER = [member_type.value for member_type in MemberType]
EDGE_COLOUR = "rgba(90, 90, 90, 0.35)"
HIGHLIGHT_EDGE = "rgba(0, 0, 0, 0.85)"


def type_colour(member_type: str) -> str:
    return TYPE_STYLE.get(member_type, (GREY, "circle"))[0]


def _ids_and_projects(group: pl.DataFrame) -> list[list[int]]:
    """Each point's [member_id, projects], as Plotly's validation wrote the rows (lists, not tuples)."""
    return [list(pair) for pair in zip(group["member_id"].to_list(), group["projects"].to_list(), strict=True)]


def partner_network_figure(
    nodes: pl.DataFrame,
    edges: pl.DataFrame,
    language: str,
    *,
    selected: int | None = None,
    own: frozenset[int] = frozenset(),
) -> go.Figure:
    """Partners as points (colour and shape by type, size by projects) and lines for shared projects (width by
    their number). ``nodes``: member_id, name, member_type, projects, x, y, shown (False: drawn faint, outside the
    filter). The ``selected`` partner gets a ring and dark edges, the viewer's ``own`` organisation a star. Each point
    carries [member_id, projects] as customdata, for selection."""
    data: list[dict[str, Any]] = []
    position = nodes.select("member_id", "x", "y")
    lines = (
        edges.join(position.rename({"member_id": "member_a", "x": "xa", "y": "ya"}), on="member_a")
        .join(position.rename({"member_id": "member_b", "x": "xb", "y": "yb"}), on="member_b")
        .with_columns(
            (
                pl.lit(value=False)
                if selected is None
                else pl.any_horizontal(pl.col("member_a", "member_b") == selected)
            ).alias("highlight"),
            pl.col("projects").clip(upper_bound=6).alias("band"),
        )
    )
    # One trace per line width (Plotly cannot vary the width within a trace); None breaks the line between edges.
    for (band, highlight), group in lines.group_by("band", "highlight", maintain_order=True):
        xs = [x for pair in zip(group["xa"].to_list(), group["xb"].to_list(), strict=True) for x in (*pair, None)]
        ys = [y for pair in zip(group["ya"].to_list(), group["yb"].to_list(), strict=True) for y in (*pair, None)]
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines",
                "line": {"width": 0.8 + 1.2 * float(band), "color": HIGHLIGHT_EDGE if highlight else EDGE_COLOUR},
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
    projects_word = html.escape(t("partners.chart.projects", language))
    sized = nodes.with_columns((10 + 3 * pl.col("projects").clip(upper_bound=10)).alias("size"))
    # One split instead of a filter per type and state (each a query of its own); rows keep their order.
    groups = sized.partition_by("member_type", "shown", as_dict=True)
    present = {member_type for member_type, _ in groups}
    for member_type in [code for code in TYPE_ORDER if code in present]:
        colour, symbol = TYPE_STYLE.get(member_type, (GREY, "circle"))
        type_label = html.escape(label("member_type", member_type, language))
        # Partners outside the filters in a faint trace of their own, so the legend keeps the type's full colour.
        for shown in (True, False):
            if (member_type, shown) in groups:
                group = groups[(member_type, shown)]
            elif shown:
                group = sized.clear()  # a type wholly outside the filters keeps its legend entry
            else:
                continue
            data.append(
                {
                    "type": "scatter",
                    "x": group["x"].to_list(),
                    "y": group["y"].to_list(),
                    "mode": "markers",
                    "name": type_label,
                    "legendgroup": member_type,
                    "showlegend": shown,
                    "marker": {
                        # Explicit: with per-point sizes Plotly would draw "bubbles" at 0.7 opacity.
                        "opacity": 1.0 if shown else 0.2,
                        "color": colour,
                        "symbol": symbol,
                        "size": group["size"].to_list(),
                        "line": {"color": BLACK, "width": 0.8},
                    },
                    "text": [html.escape(name) for name in group["name"].to_list()],
                    # [member_id, projects] per point, in the order of x and y: the page reads a click back from it.
                    "customdata": _ids_and_projects(group),
                    "meta": member_type,
                    "hovertemplate": (
                        f"<b>%{{text}}</b><br>{type_label} · {projects_word}: %{{customdata[1]}}<extra></extra>"
                    ),
                }
            )
    rings = [
        (
            sized.filter(pl.col("member_id").is_in(sorted(own))),
            "star-open",
            14,
            1.5,
            t("partners.own_marker", language),
        ),
        (sized.filter(pl.col("member_id") == (selected if selected is not None else -1)), "circle-open", 8, 3.0, None),
    ]
    for group, symbol, extra, width, name in rings:
        if group.is_empty():
            continue
        data.append(
            {
                "type": "scatter",
                "x": group["x"].to_list(),
                "y": group["y"].to_list(),
                "mode": "markers",
                "name": html.escape(name or ""),
                "showlegend": name is not None,
                "marker": {
                    "opacity": 1.0,
                    "symbol": symbol,
                    "size": (group["size"] + extra).to_list(),
                    "color": BLACK,
                    "line": {"color": BLACK, "width": width},
                },
                "text": [html.escape(value) for value in group["name"].to_list()],
                "customdata": _ids_and_projects(group),
                "hovertemplate": f"<b>%{{text}}</b><br>{projects_word}: %{{customdata[1]}}<extra></extra>",
            }
        )
    # The legend below the network (the theme's xanchor "left" kept), items at one size whatever the points' sizes.
    legend = {"orientation": "h", "yanchor": "top", "y": -0.02, "xanchor": "left", "x": 0, "itemsizing": "constant"}
    return spec_figure(
        data,
        layout(
            language,
            height=520,
            hovermode="closest",
            dragmode="pan",
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            legend=legend,
            xaxis={"visible": False, "range": [-1.1, 1.1]},
            yaxis={"visible": False, "range": [-1.12, 1.12]},
        ),
    )


def partners_by_type_figure(counts: pl.DataFrame, language: str) -> go.Figure:
    """Horizontal bars: partners per organisation type (``member_type``, ``members``), in the network's colours."""
    codes = counts["member_type"].to_list()
    bar = {
        "type": "bar",
        "x": counts["members"].to_list(),
        "y": [html.escape(label("member_type", code, language)) for code in codes],
        "orientation": "h",
        "marker": {"color": [type_colour(code) for code in codes], "line": {"color": BLACK, "width": 0.5}},
        "text": [str(members) for members in counts["members"].to_list()],  # as validation wrote them
        "textposition": "outside",
        "hovertemplate": "%{y}: %{x}<extra></extra>",
    }
    return spec_figure(
        [bar],
        layout(
            language,
            height=max(160, 28 * counts.height + 40),
            hovermode="closest",
            margin={"l": 10, "r": 30, "t": 10, "b": 10},
            showlegend=False,
            yaxis={"autorange": "reversed"},
            xaxis={"visible": False},
        ),
    )
