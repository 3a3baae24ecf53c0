"""The detail of one project: facts, partners, money over time, targets, latest values, assessment."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from dashboard.cache import ProjectDetailData
from dashboard.charts.overview import cumulative_flows_figure
from dashboard.domain.overview import cumulative_flows, today
from dashboard.i18n import formats, label, t
from dashboard.ui.text import plain


def _listing(values: list[str]) -> str:
    return "\n".join(f"• {value}" for value in values) or "–"


def _table_or_note(heading: str, frame: pl.DataFrame, empty_note: str, column_config: dict[str, Any]) -> None:
    st.markdown(f"**{heading}**")
    if frame.is_empty():
        st.caption(empty_note)
    else:
        st.dataframe(frame, hide_index=True, column_config=column_config)


def _money(project: dict[str, Any], language: str) -> None:
    approved, committed, disbursed, progress = st.columns(4)
    approved.metric(t("col.approved", language), formats.money(project["approved_cents"], language, cents=True))
    committed.metric(t("col.committed", language), formats.money(project["committed_cents"], language, cents=True))
    disbursed.metric(t("col.disbursed", language), formats.money(project["disbursed_cents"], language, cents=True))
    share = project["disbursed_cents"] / project["approved_cents"] if project["approved_cents"] else None
    progress.metric(t("col.progress", language), formats.percent(share, language))


def project_detail(project: dict[str, Any], data: ProjectDetailData, language: str) -> None:
    """Everything about the selected project; user text is shown as plain text, never as HTML."""
    with st.container(border=True):
        st.subheader(plain(project["title"]))
        period = (
            formats.period(project["start_date"], project["end_date"], language)
            if project["start_date"] and project["end_date"]
            else t("projects.detail.no_dates", language)
        )
        st.caption(
            f"{label('status', project['status'], language)} · {label('fund', project['fund'], language)} · {period}"
        )
        st.text(project["description"] or "–")
        lead, partners, topics, regions = st.columns(4)
        lead.markdown(f"**{t('col.lead', language)}**")
        lead.text(project["lead_name"])
        partners.markdown(f"**{t('col.partners', language)}**")
        partners.text(_listing(project["partner_names"]))
        topics.markdown(f"**{t('col.topics', language)}**")
        topics.text(_listing(project["topic_names"]))
        regions.markdown(f"**{t('col.regions', language)}**")
        regions.text(_listing(project["region_names"]))

        if not project.get("money_visible", True):
            st.caption(t("projects.detail.money_hidden", language))
        else:
            _money(project, language)

        if project["start_date"] and project["end_date"] and not data.flows.is_empty():
            empty_budget = pl.DataFrame(schema={"fund": pl.String, "year": pl.Int32, "planned_cents": pl.Int64})
            flows = cumulative_flows(empty_budget, data.flows, project["start_date"], project["end_date"])
            figure = cumulative_flows_figure(
                flows, project["start_date"], project["end_date"], today(), language, budget=False
            )
            st.plotly_chart(figure, key=f"project_flows_{project['id']}")

        targets, values = st.columns(2)
        with targets:
            _table_or_note(
                t("projects.detail.targets", language),
                data.targets.select(
                    pl.col("name").alias(t("col.indicator", language)),
                    pl.col("target_value").alias(t("col.target", language)),
                    pl.col("due_date").alias(t("col.due", language)),
                ),
                t("projects.detail.no_targets", language),
                {t("col.due", language): st.column_config.DateColumn(format="DD.MM.YYYY")},
            )
        with values:
            _table_or_note(
                t("projects.detail.latest", language),
                # Value first: indicator names are long and would push it out of view.
                data.latest.select(
                    pl.col("value").alias(t("col.value", language)),
                    pl.col("unit").alias(t("col.unit", language)),
                    pl.col("period_end").alias(t("col.as_of", language)),
                    pl.col("name").alias(t("col.indicator", language)),
                ),
                t("projects.detail.no_values", language),
                {
                    t("col.as_of", language): st.column_config.DateColumn(format="DD.MM.YYYY"),
                    t("col.value", language): st.column_config.NumberColumn(format="localized"),
                },
            )

        _assessment(data.assessments, language)


def _assessment(assessment: pl.DataFrame, language: str) -> None:
    """The latest statement and the number of assessments (scoring itself lives on the applications page)."""
    st.markdown(f"**{t('projects.detail.assessment', language)}**")
    if assessment.is_empty():
        st.caption(t("projects.detail.no_assessment", language))
        return
    row = assessment.row(0, named=True)
    score = formats.number(row["weighted_total"], language, decimals=2)
    if row["number"] is None:
        st.caption(t("projects.detail.no_assessment", language))
    elif row["is_final"]:
        st.caption(
            t(
                "projects.detail.assessment_line",
                language,
                number=row["number"],
                date=formats.day(row["finalised_on"], language),
                score=score,
                recommendation=label("recommendation", row["recommendation"] or "", language),
            )
        )
    else:
        st.caption(t("projects.detail.assessment_draft", language, number=row["number"], score=score))
    st.caption(
        f"{t('projects.detail.assessment_count', language, count=row['assessments'])} · "
        f"{t('projects.detail.assessment_where', language)}"
    )
