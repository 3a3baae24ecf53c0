"""Pieces of the region page: URL-bound pickers, the empty state, value tiles, the need table and captions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from dashboard.charts.region import regional_series_figure
from dashboard.domain.regional import comparable_references, indexed_series, money_outside_alliance, money_without_kreis
from dashboard.domain.units import is_rate_unit, short_unit
from dashboard.i18n import catalog, formats, t
from dashboard.ui.text import plain
from dashboard.ui.url_state import seed_from_url, seed_list_from_url, write_to_url

IMPORT_PAGE = "dashboard/pages/data_import.py"
EURO = st.column_config.NumberColumn(format="euro")
PERCENT = st.column_config.NumberColumn(format="percent")


def empty_state(language: str) -> None:
    """No regional statistics for the alliance's Kreise yet: say how to get them, show no charts."""
    st.info(t("region.empty", language), icon=":material/info:")
    st.page_link(IMPORT_PAGE, label=t("region.empty_link", language), icon=":material/upload_file:")
    st.code("cockpit import genesis DATEI.csv", language="bash")


def indicator_picker(indicators: pl.DataFrame, language: str, area: DeltaGenerator) -> dict[str, Any]:
    """Select an indicator by name and unit, bound to ?indikator=CODE (default: the first rate in %)."""
    codes = indicators["code"].to_list()
    labels = {
        code: f"{name} ({unit})" if unit else name
        for code, name, unit in indicators.select("code", "name", "unit").iter_rows()
    }
    rates = indicators.filter(is_rate_unit(pl.col("unit")))["code"].to_list()
    seed_from_url("indikator", codes, (rates or codes)[0])
    code = area.selectbox(t("region.indicator", language), codes, format_func=labels.__getitem__, key="indikator")
    write_to_url("indikator", code)
    return indicators.filter(pl.col("code") == code).row(0, named=True)


def dimension_label(dimensions: str, language: str) -> str:
    """ "" → Insgesamt, "sex=m" → Männer; unknown breakdowns as "key: value, …" (readable, never dropped)."""
    if not dimensions:
        return t("region.dimension.total", language)
    messages = catalog(language)
    parts = []
    for pair in dimensions.split(";"):
        key, _, value = pair.partition("=")
        known = messages.get(f"region.dimension.{key}.{value}")
        parts.append(known or f"{key.replace('_', ' ')}: {value.replace('_', ' ')}")
    return ", ".join(parts)


def breakdown_picker(indicator: dict[str, Any], language: str, area: DeltaGenerator) -> str:
    """Select a breakdown (?merkmal=…) when the indicator has any; otherwise the total."""
    options: list[str] = list(indicator["dimensions"])
    if options == [""]:
        write_to_url("merkmal", None)
        return ""
    seed_from_url("merkmal", options, "" if "" in options else options[0])
    chosen = area.selectbox(
        t("region.breakdown", language),
        options,
        format_func=lambda code: dimension_label(code, language),
        key="merkmal",
    )
    write_to_url("merkmal", chosen or None)
    return str(chosen)


def kreis_picker(series: pl.DataFrame, language: str) -> list[str]:
    """Compare Kreise (?kreise=AGS&kreise=AGS); all of the alliance unless the link names some."""
    kreise = series.filter(~pl.col("is_reference")).select("region_ags", "region_name").unique()
    names = dict(kreise.sort("region_name").iter_rows())
    options = list(names)
    seed_list_from_url("kreise", options)
    if not st.session_state["kreise"]:
        # An emptied selection means "all": a chart of references alone says nothing about the alliance.
        st.session_state["kreise"] = options
    chosen: list[str] = st.multiselect(
        t("region.kreise", language), options, format_func=names.__getitem__, key="kreise"
    )
    write_to_url("kreise", None if set(chosen) == set(options) else chosen)
    return chosen or options


def index_controls(years: Sequence[int], language: str, area: DeltaGenerator) -> int | None:
    """The index toggle and its base year (?basisjahr=YYYY switches it on); None while off."""
    options = [str(year) for year in years]
    if "index" not in st.session_state:
        st.session_state["index"] = st.query_params.get("basisjahr") in options
    seed_from_url("basisjahr", options, options[0])
    on = area.toggle(t("region.index", language), key="index", help=t("region.index_help", language))
    if not on:
        write_to_url("basisjahr", None)
        return None
    base = area.selectbox(t("region.base_year", language), options, key="basisjahr")
    write_to_url("basisjahr", base)
    return int(base)


def series_chart(shown: pl.DataFrame, years: Sequence[int], unit: str, language: str) -> None:
    """The time series with its index toggle, and captions naming the regions the view had to leave out."""
    index_col, _ = st.columns([1, 3])
    base_year = index_controls(years, language, index_col)
    indexed = indexed_series(shown, base_year) if base_year is not None else None
    if indexed is not None and indexed.dropped:
        names = ", ".join(plain(name) for name in indexed.dropped)
        st.caption(t("region.index_dropped", language, names=names, year=base_year))
    frame, off_scale = comparable_references(shown) if indexed is None else (indexed.frame, [])
    if off_scale:
        st.caption(t("region.off_scale", language, names=", ".join(plain(name) for name in off_scale)))
    figure = regional_series_figure(frame, language, unit=unit, indexed=indexed is not None, base_year=base_year)
    st.plotly_chart(figure, key="region_series_chart")


def year_picker(years: Sequence[int], latest: int, language: str) -> int:
    """The year of the map and of the comparison with the money (?jahr=YYYY; default the latest with data)."""
    options = [str(year) for year in years]
    seed_from_url("jahr", options, str(latest))
    chosen = st.select_slider(t("region.year", language), options, key="jahr") if len(options) > 1 else options[0]
    write_to_url("jahr", None if chosen == str(latest) else chosen)
    return int(chosen)


SHORT_UNITS = {"%", "€", "‰"}  # units that fit a tile; longer ones stand in the indicator's name and the table


def _value(value: float | None, marker: str | None, unit: str, language: str) -> str:
    if value is None:
        return t("region.missing_value", language, marker=marker or "–")
    decimals = 0 if float(value).is_integer() else 1
    number = formats.number(value, language, decimals=decimals)
    shown = short_unit(unit)
    return f"{number} {shown}" if shown in SHORT_UNITS else number


def value_tiles(kreise: pl.DataFrame, references: pl.DataFrame, unit: str, language: str) -> None:
    """The year's lowest and highest Kreis next to the Land and Germany (one tile each)."""
    present = kreise.filter(pl.col("value").is_not_null()).sort("value")
    tiles: list[tuple[str, str, str | None]] = []
    if present.height == 1:
        only = present.row(0, named=True)
        tiles.append((plain(only["region_name"]), _value(only["value"], None, unit, language), None))
    elif present.height:
        low, high = present.row(0, named=True), present.row(-1, named=True)
        tiles.append((t("region.kpi.lowest", language), _value(low["value"], None, unit, language), low["region_name"]))
        tiles.append(
            (t("region.kpi.highest", language), _value(high["value"], None, unit, language), high["region_name"])
        )
    for row in references.sort("level", "region_ags", descending=[True, False]).iter_rows(named=True):
        tiles.append((plain(row["region_name"]), _value(row["value"], row["missing_marker"], unit, language), None))
    for column, (label, value, name) in zip(st.columns(max(len(tiles), 1)), tiles, strict=False):
        column.metric(label, value)
        if name:
            column.caption(plain(name))


def need_table(need: pl.DataFrame, indicator: dict[str, Any], language: str) -> None:
    unit = str(indicator["unit"])
    columns = {
        "region_name": t("region.col.kreis", language),
        "value": f"{t('region.col.value', language)} ({unit})" if unit else t("region.col.value", language),
        "missing_marker": t("region.col.marker", language),
        "committed": t("region.col.committed", language),
        "population": t("region.col.population", language),
        "euro_per_inhabitant": t("region.col.per_inhabitant", language),
        "money_share": t("region.col.money_share", language),
        "population_share": t("region.col.population_share", language),
    }
    table = need.select(
        "region_name",
        "value",
        pl.col("missing_marker").fill_null(""),
        (pl.col("committed_cents") / 100).alias("committed"),
        "population",
        "euro_per_inhabitant",
        "money_share",
        "population_share",
    )
    if need["missing_marker"].null_count() == need.height:
        table = table.drop("missing_marker")
    table = table.rename({old: new for old, new in columns.items() if old in table.columns})
    config = {
        columns["region_name"]: st.column_config.TextColumn(width="medium", pinned=True),
        columns["committed"]: EURO,
        columns["euro_per_inhabitant"]: EURO,
        columns["money_share"]: PERCENT,
        columns["population_share"]: PERCENT,
        columns["population"]: st.column_config.NumberColumn(format="localized"),
        columns["value"]: st.column_config.NumberColumn(format="localized"),
    }
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, key="region_need_table")


def need_caption(money: pl.DataFrame, need: pl.DataFrame, language: str) -> None:
    """How the money was attributed: the split rule, what has no Kreis, what lies outside, what has no population."""
    lines = [t("region.need_rule", language)]
    without = money_without_kreis(money)
    outside = money_outside_alliance(money)
    lines.append(t("region.need_without", language, amount=formats.money(without, language, cents=True)))
    if outside:
        lines.append(t("region.need_outside", language, amount=formats.money(outside, language, cents=True)))
    no_value = need.filter(pl.col("value").is_null())["region_name"].to_list()
    if no_value:
        lines.append(t("region.need_no_value", language, names=", ".join(plain(n) for n in no_value)))
    unknown = need.filter(pl.col("population").is_null())["region_name"].to_list()
    if unknown:
        lines.append(t("region.need_no_population", language, names=", ".join(plain(n) for n in unknown)))
    st.caption("  \n".join(lines))


def source_line(indicator: dict[str, Any], language: str) -> None:
    st.caption(f":material/source: {t('region.source', language, source=plain(indicator['source']) or '–')}")
