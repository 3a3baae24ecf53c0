"""Figures of the region page: the indicator over time, the Kreise on a map, and need versus approved money.

The map is a plain scatter in longitude/latitude with an equal-distance aspect, without a base map: Plotly's
geo base maps are fetched from a CDN, and the Cockpit must render offline.

Each figure is built in one go from its finished spec (``theme.layout`` and ``theme.spec_figure``), as in
charts/funds.py: no Plotly validation per step. tests/unit/test_regional.py validates each one once.
"""

from __future__ import annotations

import html
import math
from typing import Any

import plotly.graph_objects as go
import polars as pl

from dashboard.charts.theme import BLACK, BLUE, GREEN, GREY, ORANGE, PINK, SKY, VERMILION, layout, spec_figure
from dashboard.i18n import t

# Okabe-Ito without its yellow, which is too faint as a thin line on white.
KREIS_COLOURS = (BLUE, ORANGE, GREEN, VERMILION, PINK, SKY, BLACK)
DASHES = ("solid", "longdash", "dashdot")  # after seven Kreise the colours repeat with another dash
REFERENCE_DASH = {"land": "dash", "bund": "dot"}
# Cividis: sequential and readable with every colour-vision deficiency, like the Okabe-Ito palette.
COLOUR_SCALE = "Cividis"
# Its stops as Plotly's validation spells them out: plotly.js has a "Cividis" of its own with other colours.
_COLOUR_STOPS: list[list[Any]] = go.scatter.Marker(colorscale=COLOUR_SCALE).to_plotly_json()["colorscale"]


def _decimals(values: pl.Series) -> int:
    present = values.drop_nulls()
    return 0 if present.is_empty() or bool((present == present.round(0)).all()) else 1


def _number_format(decimals: int) -> str:
    return f",.{decimals}f"


def _is_yearly(series: pl.DataFrame) -> bool:
    """At most one period per region and year: the x axis shows years rather than days."""
    if series.is_empty():
        return True
    per_year = series.group_by("region_ags", pl.col("period_end").dt.year()).len()
    return bool(per_year.select(pl.col("len").max() <= 1).item())


def _unit_suffix(unit: str) -> str:
    return f" {html.escape(unit)}" if unit else ""


def _level_line(y: float, line: dict[str, Any]) -> dict[str, Any]:
    """A horizontal line across the plot at ``y`` (the shape add_hline would add)."""
    return {"type": "line", "x0": 0, "x1": 1, "xref": "x domain", "y0": y, "y1": y, "yref": "y", "line": line}


def regional_series_figure(
    series: pl.DataFrame, language: str, *, unit: str, indexed: bool = False, base_year: int | None = None
) -> go.Figure:
    """One line per Kreis; the Länder (dashed) and Germany (dotted) in grey as references; gaps where missing."""
    yearly = _is_yearly(series)
    decimals = 1 if indexed else _decimals(series["value"])
    suffix = "" if indexed else _unit_suffix(unit)
    number = _number_format(decimals)
    hover = f"%{{y:{number}}}{suffix}"
    data: list[dict[str, Any]] = []
    kreise = series.filter(~pl.col("is_reference"))
    references = series.filter(pl.col("is_reference"))
    names = kreise.select("region_ags", "region_name").unique().sort("region_name", "region_ags")
    # One split instead of a filter per Kreis (each a query of its own); the rows keep their order in time.
    per_kreis = kreise.sort("period_end").partition_by("region_ags", as_dict=True)
    for position, (ags, name) in enumerate(names.iter_rows()):
        rows = per_kreis[(ags,)]
        x = rows["period_end"].dt.year() if yearly else rows["period_end"]
        data.append(
            {
                "type": "scatter",
                "x": x.to_list(),
                "y": rows["value"].to_list(),
                "name": html.escape(name),
                "mode": "lines+markers",
                "connectgaps": False,
                "line": {
                    "color": KREIS_COLOURS[position % len(KREIS_COLOURS)],
                    "dash": DASHES[(position // len(KREIS_COLOURS)) % len(DASHES)],
                    "width": 2.2,
                },
                "marker": {"size": 5},
                "hovertemplate": hover,
            }
        )
    for (ags, name, level), rows in references.sort("period_end").group_by(
        "region_ags", "region_name", "level", maintain_order=True
    ):
        x = rows["period_end"].dt.year() if yearly else rows["period_end"]
        data.append(
            {
                "type": "scatter",
                "x": x.to_list(),
                "y": rows["value"].to_list(),
                "name": html.escape(str(name)),
                "mode": "lines",
                "connectgaps": False,
                "line": {"color": GREY, "dash": REFERENCE_DASH.get(str(level), "dash"), "width": 1.8},
                "hovertemplate": hover,
                "legendrank": 2000 if ags == "DG" else 1500,
            }
        )
    if indexed:
        extra: dict[str, Any] = {"shapes": [_level_line(100, {"color": GREY, "width": 1})]}
        y_title = t("region.chart.index_axis", language, year=base_year or "")
    else:
        extra = {}
        y_title = html.escape(unit)
    if yearly:
        x_axis = {"title": {}, "tickformat": "d", "dtick": 1, "hoverformat": "d"}
    else:
        x_axis = {"title": {}, "hoverformat": "%d.%m.%Y" if language == "de" else "%d %b %Y"}
    y_axis = {"title": {"text": y_title}, "tickformat": number, "hoverformat": number}
    return spec_figure(data, layout(language, height=420, **extra, yaxis=y_axis, xaxis=x_axis))


def _padded(values: list[float], pad: float) -> list[float]:
    return [min(values) - pad, max(values) + pad]


# Room a name above its bubble takes, as a share of the map's height: about 45 px to each side, 55 px up.
LABEL_HALF_WIDTH, LABEL_HEIGHT = 0.11, 0.14


def _label_positions(x: pl.Series, y: pl.Series, *, half_width: float, height: float) -> list[str]:
    """Names above the bubbles, except where another bubble sits just above: then below, so they do not collide.

    ``half_width`` and ``height`` are the room a name above its bubble takes, in the units of x and y.
    """
    points = pl.DataFrame({"x": x, "y": y}).with_row_index("row")
    crowded = (
        points.join(points, how="cross", suffix="_other")
        .filter(
            pl.col("row") != pl.col("row_other"),
            (pl.col("x_other") - pl.col("x")).abs() < half_width,
            (pl.col("y_other") - pl.col("y")).is_between(0, height, closed="right"),
        )["row"]
        .unique()
    )
    below = pl.col("row").is_in(crowded.implode())
    position = pl.when(below).then(pl.lit("bottom center")).otherwise(pl.lit("top center")).alias("position")
    return points.select(position)["position"].to_list()


def region_map_figure(frame: pl.DataFrame, language: str, *, unit: str, period_label: str) -> go.Figure:
    """Bubbles at each Kreis' coordinates coloured by the value (grey where missing), labelled with the name.

    Longitude and latitude are drawn in an equal-distance aspect: a degree of latitude spans 1/cos(latitude) times
    the pixels of a degree of longitude at the map's mean latitude, so the Kreise keep their true positions.
    """
    placed = frame.filter(pl.col("latitude").is_not_null(), pl.col("longitude").is_not_null())
    if placed.is_empty():
        return spec_figure([], layout(language, height=420))
    decimals = _decimals(placed["value"])
    number = _number_format(decimals)
    largest = float(placed["population"].max() or 1)  # type: ignore[arg-type]
    sizes = (14 + 24 * (placed["population"].fill_null(0).cast(pl.Float64) / largest).sqrt()).to_list()
    longitudes, latitudes = placed["longitude"].to_list(), placed["latitude"].to_list()
    mean_latitude = sum(latitudes) / len(latitudes)
    lat_range = [min(latitudes) - 0.15, max(latitudes) + 0.25]  # room above for the names
    lat_span = lat_range[1] - lat_range[0]
    positions = _label_positions(
        placed["longitude"],
        placed["latitude"],
        # A degree of longitude is cos(latitude) shorter on screen than one of latitude.
        half_width=LABEL_HALF_WIDTH * lat_span / math.cos(math.radians(mean_latitude)),
        height=LABEL_HEIGHT * lat_span,
    )
    placed = placed.with_columns(size=pl.Series(sizes), label_position=pl.Series(positions))
    present = placed.filter(pl.col("value").is_not_null())
    missing = placed.filter(pl.col("value").is_null())
    suffix = _unit_suffix(unit)
    data: list[dict[str, Any]] = []
    if present.height:
        data.append(
            {
                "type": "scatter",
                "x": present["longitude"].to_list(),
                "y": present["latitude"].to_list(),
                "mode": "markers+text",
                "text": [html.escape(name) for name in present["region_name"].to_list()],
                "textposition": present["label_position"].to_list(),
                "marker": {
                    "size": present["size"].to_list(),
                    "color": present["value"].to_list(),
                    "colorscale": [list(stop) for stop in _COLOUR_STOPS],
                    "showscale": present["value"].n_unique() > 1,
                    "colorbar": {"title": {"text": html.escape(unit)}, "tickformat": number, "thickness": 14},
                    "line": {"color": "white", "width": 1},
                    "opacity": 0.9,
                },
                "customdata": present["value"].to_list(),
                "hovertemplate": f"<b>%{{text}}</b><br>%{{customdata:{number}}}{suffix}<extra></extra>",
                "name": html.escape(period_label),
                "showlegend": False,
            }
        )
    if missing.height:
        markers = [html.escape(marker or "") for marker in missing["missing_marker"].to_list()]
        data.append(
            {
                "type": "scatter",
                "x": missing["longitude"].to_list(),
                "y": missing["latitude"].to_list(),
                "mode": "markers+text",
                "text": [html.escape(name) for name in missing["region_name"].to_list()],
                "textposition": missing["label_position"].to_list(),
                "marker": {"size": missing["size"].to_list(), "color": "white", "line": {"color": GREY, "width": 2}},
                "customdata": markers,
                "hovertemplate": (
                    f"<b>%{{text}}</b><br>{html.escape(t('region.chart.missing', language))} (%{{customdata}})"
                    "<extra></extra>"
                ),
                "name": t("region.chart.missing", language),
                "showlegend": True,
            }
        )
    return spec_figure(
        data,
        layout(
            language,
            height=460,
            hovermode="closest",
            plot_bgcolor="#F7F7F7",
            xaxis={"visible": False, "range": _padded(longitudes, 0.35)},
            yaxis={
                "visible": False,
                "range": lat_range,
                "scaleanchor": "x",
                "scaleratio": 1 / math.cos(math.radians(mean_latitude)),
            },
        ),
    )


def need_vs_intervention_figure(
    frame: pl.DataFrame, language: str, *, indicator_name: str, unit: str, average_euro: float | None
) -> go.Figure:
    """Each Kreis at (indicator value, approved euro per inhabitant), sized by population, labelled by name.

    ``average_euro`` (the alliance's approved money per inhabitant) is drawn as a dotted line for orientation.
    """
    shown = frame.filter(pl.col("value").is_not_null(), pl.col("euro_per_inhabitant").is_not_null())
    number = _number_format(_decimals(shown["value"]))
    data: list[dict[str, Any]] = []
    if shown.height:
        largest = float(shown["population"].max() or 1)  # type: ignore[arg-type]
        sizes = (14 + 30 * (shown["population"].cast(pl.Float64) / largest).sqrt()).to_list()
        spans = shown.select(
            (pl.col("value").max() - pl.col("value").min()).alias("x"), pl.col("euro_per_inhabitant").max().alias("y")
        ).row(0)
        x_span, y_span = float(spans[0]) or 1.0, float(spans[1]) or 1.0
        # The plot is about three times as wide as high: a name takes ~5 % of the width, ~16 % of the height.
        positions = _label_positions(
            shown["value"], shown["euro_per_inhabitant"], half_width=0.05 * x_span, height=0.16 * y_span
        )
        euro = "%{y:,.2f} €" if language == "de" else "€%{y:,.2f}"
        data.append(
            {
                "type": "scatter",
                "x": shown["value"].to_list(),
                "y": shown["euro_per_inhabitant"].to_list(),
                "mode": "markers+text",
                "text": [html.escape(name) for name in shown["region_name"].to_list()],
                "textposition": positions,
                "marker": {"size": sizes, "color": BLUE, "opacity": 0.7, "line": {"color": "white", "width": 1}},
                "hovertemplate": (
                    f"<b>%{{text}}</b><br>%{{x:{number}}}{_unit_suffix(unit)}<br>{euro} "
                    f"{html.escape(t('region.chart.per_inhabitant', language))}<extra></extra>"
                ),
                "showlegend": False,
            }
        )
    extra: dict[str, Any] = {}
    if average_euro is not None:
        # What add_hline(annotation_position="top right") adds: the line and its label above its right end.
        label = {
            "text": html.escape(t("region.chart.alliance_average", language)),
            "showarrow": False,
            "x": 1,
            "xref": "x domain",
            "xanchor": "right",
            "y": average_euro,
            "yref": "y",
            "yanchor": "bottom",
        }
        extra = {
            "shapes": [_level_line(average_euro, {"color": GREY, "dash": "dot", "width": 1})],
            "annotations": [label],
        }
    x_title = f"{html.escape(indicator_name)} ({html.escape(unit)})" if unit else html.escape(indicator_name)
    return spec_figure(
        data,
        layout(
            language,
            height=420,
            hovermode="closest",
            **extra,
            xaxis={"title": {"text": x_title}, "tickformat": number},
            yaxis={
                "title": {"text": t("region.chart.euro_axis", language)},
                "tickformat": ",.2f",
                "rangemode": "tozero",
            },
        ),
    )
