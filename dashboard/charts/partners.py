"""Figures of the Partner page: the network of who works with whom, and partners per organisation type."""

from __future__ import annotations

import html

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.theme import BLACK, BLUE, GREEN, GREY, ORANGE, PINK, SKY, VERMILION, YELLOW, styled
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
    figure = go.Figure()
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
        xs = group.select(pl.concat_list("xa", "xb", pl.lit(None, dtype=pl.Float64))).to_series().explode()
        ys = group.select(pl.concat_list("ya", "yb", pl.lit(None, dtype=pl.Float64))).to_series().explode()
        figure.add_trace(
            go.Scatter(
                x=xs.to_list(),
                y=ys.to_list(),
                mode="lines",
                line={"width": 0.8 + 1.2 * float(band), "color": HIGHLIGHT_EDGE if highlight else EDGE_COLOUR},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    projects_word = html.escape(t("partners.chart.projects", language))
    sized = nodes.with_columns((10 + 3 * pl.col("projects").clip(upper_bound=10)).alias("size"))
    present = set(nodes["member_type"].to_list())
    for member_type in [code for code in TYPE_ORDER if code in present]:
        colour, symbol = TYPE_STYLE.get(member_type, (GREY, "circle"))
        type_label = html.escape(label("member_type", member_type, language))
        # Partners outside the filters in a faint trace of their own, so the legend keeps the type's full colour.
        for shown in (True, False):
            group = sized.filter(member_type=member_type, shown=shown)
            if not shown and group.is_empty():
                continue
            figure.add_trace(
                go.Scatter(
                    x=group["x"].to_list(),
                    y=group["y"].to_list(),
                    mode="markers",
                    name=type_label,
                    legendgroup=member_type,
                    showlegend=shown,
                    marker={
                        # Explicit: with per-point sizes Plotly would draw "bubbles" at 0.7 opacity.
                        "opacity": 1.0 if shown else 0.2,
                        "color": colour,
                        "symbol": symbol,
                        "size": group["size"].to_list(),
                        "line": {"color": BLACK, "width": 0.8},
                    },
                    text=[html.escape(name) for name in group["name"].to_list()],
                    customdata=group.select("member_id", "projects").rows(),
                    meta=member_type,
                    hovertemplate=(
                        f"<b>%{{text}}</b><br>{type_label} · {projects_word}: %{{customdata[1]}}<extra></extra>"
                    ),
                )
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
        figure.add_trace(
            go.Scatter(
                x=group["x"].to_list(),
                y=group["y"].to_list(),
                mode="markers",
                name=html.escape(name or ""),
                showlegend=name is not None,
                marker={
                    "opacity": 1.0,
                    "symbol": symbol,
                    "size": (group["size"] + extra).to_list(),
                    "color": BLACK,
                    "line": {"color": BLACK, "width": width},
                },
                text=[html.escape(value) for value in group["name"].to_list()],
                customdata=group.select("member_id", "projects").rows(),
                hovertemplate=f"<b>%{{text}}</b><br>{projects_word}: %{{customdata[1]}}<extra></extra>",
            )
        )
    figure.update_xaxes(visible=False, range=[-1.1, 1.1])
    figure.update_yaxes(visible=False, range=[-1.12, 1.12])
    figure = styled(figure, language, height=520)
    figure.update_layout(hovermode="closest", dragmode="pan", margin={"l": 10, "r": 10, "t": 10, "b": 10})
    figure.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.02, "x": 0, "itemsizing": "constant"})
    return figure


def partners_by_type_figure(counts: pl.DataFrame, language: str) -> go.Figure:
    """Horizontal bars: partners per organisation type (``member_type``, ``members``), in the network's colours."""
    codes = counts["member_type"].to_list()
    figure = go.Figure(
        go.Bar(
            x=counts["members"].to_list(),
            y=[html.escape(label("member_type", code, language)) for code in codes],
            orientation="h",
            marker={"color": [type_colour(code) for code in codes], "line": {"color": BLACK, "width": 0.5}},
            text=counts["members"].to_list(),
            textposition="outside",
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(visible=False)
    figure = styled(figure, language, height=max(160, 28 * counts.height + 40))
    figure.update_layout(hovermode="closest", margin={"l": 10, "r": 30, "t": 10, "b": 10}, showlegend=False)
    return figure
