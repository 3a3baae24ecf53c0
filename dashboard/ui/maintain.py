"""Shared pieces of „Daten pflegen“: the tab context, form state, field errors, conflicts, numbers and messages.

Every form follows one pattern. Picking a record opens it (``open_*`` of data_access.editing) and copies its values
into the widgets' session state once per (record, version); the opened record stays in the session, so a save
sends the version the user actually saw and the service refuses it when someone else saved in between
(optimistic locking). After a successful write the cached data is cleared, so every page shows the change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, Protocol, TypeVar

import polars as pl
import streamlit as st
from sqlalchemy import Engine
from streamlit.delta_generator import DeltaGenerator

from dashboard.data_access import editing
from dashboard.data_access.scope import PermissionDenied, Scope
from dashboard.data_access.writes import FieldError, NotFound, StaleEdit, ValidationFailed
from dashboard.i18n import catalog, formats, label, t
from dashboard.ui.text import plain

DATE_FORMATS = {"de": "DD.MM.YYYY", "en": "DD/MM/YYYY"}
EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)
_FLASH = "_maintain_flash"
_NOTICE = "_maintain_notice"  # why a save was withdrawn (the record is gone), shown on the next run
_RESET = "_maintain_reset"  # picker keys to set back to their first choice when they are next drawn
_PICKED_IN = "_maintain_picked_in"  # picker key → the alliance its current pick was made in
_KEPT = "_maintain_kept"  # keys of the form fields and pickers whose state outlives a tab switch
GENERAL = "_general"  # errors that belong to no single field
# Vocabulary fields whose codes are shown with their catalogue label.
CODED_FIELDS = {"status": "status", "fund": "fund", "kind": "entry_kind", "scope": "maintain.scope"}


@dataclass(frozen=True)
class MaintainContext:
    """What every tab of the page needs: database, caller, language, alliance and the upload limit."""

    engine: Engine
    scope: Scope
    language: str
    alliance_id: int
    upload_limit_mb: int
    period: tuple[date, date]  # the alliance's funding period

    @property
    def default_year(self) -> int:
        """A new budget line's year: this year, within the funding period."""
        start, end = self.period
        return min(max(date.today().year, start.year), end.year)  # noqa: DTZ011 - a calendar year

    @property
    def can_manage(self) -> bool:
        return self.scope.can_manage_alliance(self.alliance_id)


# --- messages --------------------------------------------------------------------------------------------------


def flash(message: str) -> None:
    """A success message shown on the next run (a save reruns the page so the widgets show the stored record)."""
    st.session_state[_FLASH] = message


def show_flash() -> None:
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.toast(plain(message), icon=":material/check_circle:")
        st.success(plain(message), icon=":material/check_circle:")
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.warning(plain(notice), icon=":material/info:")


def written(message: str) -> NoReturn:
    """After a successful write: forget every cached read (other pages must show the change) and rerun."""
    st.cache_data.clear()
    flash(message)
    st.rerun()


def field_label(name: str, language: str) -> str:
    """The form label of a service field name (the name itself if the catalogue has none)."""
    return catalog(language).get(f"maintain.field.{name}") or catalog("de").get(f"maintain.field.{name}") or name


# --- numbers ---------------------------------------------------------------------------------------------------

_GROUPED = {"de": r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?$", "en": r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$"}
_PLAIN = r"^[+-]?\d+(?:[.,]\d*)?$"


def parse_decimal(text: str | None, language: str) -> Decimal | None:
    """A typed amount: "1.234,56", "1234,56" and "1234.56" (English: "1,234.56", "1234.56"); "" → None.

    Raises ValueError for anything else. The digits are kept as typed, so the service can refuse a third decimal.
    """
    raw = (text or "").strip().replace(" ", "").replace("\u00a0", "").removesuffix("€").removeprefix("€")
    if not raw:
        return None
    group, decimal_mark = (".", ",") if language != "en" else (",", ".")
    if re.match(_GROUPED.get(language, _GROUPED["de"]), raw):
        normal = raw.replace(group, "").replace(decimal_mark, ".")
    elif re.match(_PLAIN, raw):
        normal = raw.replace(",", ".")
    else:
        raise ValueError(raw)
    try:
        return Decimal(normal)
    except InvalidOperation as exc:
        raise ValueError(raw) from exc


def parse_number(text: str | None, language: str) -> float | None:
    """A typed indicator value ("3,5", "1.234", "1234.5"); "" → None; ValueError otherwise."""
    amount = parse_decimal(text, language)
    return None if amount is None else float(amount)


def amount_text(value: Decimal | int | float | None, language: str, *, decimals: int = 2) -> str:
    """An amount as the form shows it for editing: "1.234,56" (no currency sign)."""
    return "" if value is None else formats.number(value, language, decimals=decimals)


def value_text(value: float | None, language: str) -> str:
    """An indicator value for editing: no trailing zeros, the language's decimal mark."""
    if value is None:
        return ""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language != "en" else text


# --- form state ------------------------------------------------------------------------------------------------


def widget_key(prefix: str, name: str) -> str:
    return f"{prefix}_{name}"


def keep(keys: Iterable[str]) -> None:
    """Mark widget keys (form fields, pickers) whose values must survive while their tab is not drawn."""
    kept: set[str] = st.session_state.setdefault(_KEPT, set())
    kept.update(keys)


def keep_form_state() -> None:
    """Call before any tab renders. Only the open tab runs, and Streamlit forgets the state of widgets a run does
    not draw: assigning each kept value to itself makes it the user's value, so a tab switch loses no input."""
    for key in st.session_state.get(_KEPT, ()):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def load_form(prefix: str, marker: object, values: Mapping[str, Any]) -> bool:
    """Copy a record's values into its widgets once per marker (record, version, language); True when it did."""
    loaded_key = f"_{prefix}_loaded"
    if st.session_state.get(loaded_key) == marker:
        return False
    for name, value in values.items():
        st.session_state[widget_key(prefix, name)] = value
    keep(widget_key(prefix, name) for name in values)
    st.session_state[loaded_key] = marker
    st.session_state.pop(f"_{prefix}_stale", None)
    return True


def reload_form(prefix: str) -> None:
    """Forget what the widgets hold, so the next run copies the stored record in again (button callback)."""
    for part in ("loaded", "stale", "confirm", "record"):
        st.session_state.pop(f"_{prefix}_{part}", None)


def form_value(prefix: str, name: str) -> Any:
    return st.session_state.get(widget_key(prefix, name))


def opened_record(prefix: str) -> Any:
    """The record as the form opened it (what a save sends as ``opened``), or None."""
    return st.session_state.get(f"_{prefix}_record")


def keep_record(prefix: str, record: Any) -> None:
    st.session_state[f"_{prefix}_record"] = record


def pending_pick(prefix: str, pick_key: str) -> None:
    """Apply a pick chosen by the last save (e.g. the project just created) before the picker renders."""
    pending = st.session_state.pop(f"_{prefix}_pending_pick", None)
    if pending is not None:
        st.session_state[pick_key] = pending


def pick_next(prefix: str, value: Any) -> None:
    st.session_state[f"_{prefix}_pending_pick"] = value


@dataclass
class FieldSlots:
    """A place under each field for its error messages, and one at the top for the rest."""

    top: DeltaGenerator
    slots: dict[str, DeltaGenerator] = field(default_factory=dict)

    def under(self, name: str) -> None:
        self.slots[name] = st.empty()

    def show(self, errors: Mapping[str, Sequence[str]]) -> None:
        for name, messages in errors.items():
            target = self.slots.get(name, self.top)
            text = "\n".join(f"- {plain(message)}" for message in messages) if len(messages) > 1 else plain(messages[0])
            if target is self.top and name != GENERAL:
                text = f"{plain(name)}: {text}"
            target.error(text, icon=":material/error:")


def errors_by_field(
    errors: Iterable[FieldError], language: str, *, names: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Service field errors grouped by form field (``names`` maps a service field onto a form field)."""
    grouped: dict[str, list[str]] = {}
    for error in errors:
        name = (names or {}).get(error.field, error.field)
        grouped.setdefault(name, []).append(error.text(language))
    return grouped


def parse_fields(
    fields: Mapping[str, tuple[str | None, Callable[[str | None, str], Any]]], language: str
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Parse each field's typed text; the values that parsed, and a message for each field that did not."""
    values: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for name, (text, parse) in fields.items():
        try:
            values[name] = parse(text, language)
        except ValueError:
            problems[name] = [t("maintain.error.not_a_number", language, text=(text or "").strip())]
    return values, problems


# --- conflicts -------------------------------------------------------------------------------------------------


def remember_stale(prefix: str, exc: StaleEdit) -> NoReturn:
    """Keep the refused save and rerun: the conflict shows above the form, the typed input stays in the widgets."""
    st.session_state[f"_{prefix}_stale"] = exc
    st.rerun()


def stale_of(prefix: str) -> StaleEdit | None:
    stale: StaleEdit | None = st.session_state.get(f"_{prefix}_stale")
    return stale


def display_value(name: str, value: Any, language: str, names: Mapping[str, Mapping[Any, str]]) -> str:
    """A field value as text for the conflict table: money, dates, labels and names instead of codes and ids."""
    if value is None or value in ("", ()):
        return "–"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(display_value(name, item, language, names) for item in value) or "–"
    lookup = names.get(name)
    if isinstance(value, bool):
        text = t("bulkfile.yes" if value else "bulkfile.no", language)
    elif lookup is not None:
        text = str(lookup.get(value, value))
    elif name in CODED_FIELDS:
        text = label(CODED_FIELDS[name], str(value), language)
    elif isinstance(value, Decimal):
        text = formats.money(value, language)
    elif isinstance(value, date):
        text = formats.day(value, language)
    elif isinstance(value, float):
        text = value_text(value, language)
    else:
        text = str(value)
    return text


def show_stale(
    prefix: str,
    exc: StaleEdit,
    language: str,
    *,
    what: str,
    names: Mapping[str, Mapping[Any, str]] | None = None,
) -> None:
    """The refused save: who won, the fields that differ (opened vs saved), and the button that reopens."""
    st.warning(
        t("maintain.stale.message", language, what=what, expected=exc.expected, current=exc.current),
        icon=":material/sync_problem:",
    )
    if exc.changes:
        rows = [
            (
                field_label(change.field, language),
                display_value(change.field, change.opened, language, names or {}),
                display_value(change.field, change.saved, language, names or {}),
            )
            for change in exc.changes
        ]
        columns = [t(f"maintain.stale.col.{name}", language) for name in ("field", "opened", "saved")]
        st.dataframe(pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row"), hide_index=True)
    st.caption(t("maintain.stale.reload_hint", language))
    st.button(
        t("maintain.stale.reload", language),
        on_click=reload_form,
        args=(prefix,),
        icon=":material/refresh:",
        key=f"{prefix}_reload",
    )


def show_conflict(
    prefix: str, language: str, *, what: str, names: Mapping[str, Mapping[Any, str]] | None = None
) -> None:
    """The refused save of this form, if the last run had one (see ``show_stale``)."""
    stale = stale_of(prefix)
    if stale is not None:
        show_stale(prefix, stale, language, what=what, names=names)


# --- writes ----------------------------------------------------------------------------------------------------

T = TypeVar("T")


@dataclass(frozen=True)
class Refusal:
    """How one form handles a refused write: its state prefix, the language, the message when its record (or the
    record's project) is gone, and the pickers to reset then."""

    prefix: str
    language: str
    gone: str
    reset: tuple[str, ...] = ()


def withdrawn(refusal: Refusal, message: str) -> NoReturn:
    """The record behind the form is gone (archived meanwhile) or no longer the caller's: say so, close the form,
    forget the pickers and rerun, so the page shows what is there now instead of a dead record."""
    reload_form(refusal.prefix)
    st.session_state[_RESET] = {*st.session_state.get(_RESET, ()), *refusal.reset}
    st.session_state[_NOTICE] = message
    st.rerun()


def attempt(
    action: Callable[[], T],
    *,
    refusal: Refusal,
    on_success: Callable[[T], None],
    slots: FieldSlots | None = None,
) -> None:
    """Run a save or archive and show why it was refused, with nothing written in every case:

    ValidationFailed → each message under its field (``slots``; without slots where the button is); StaleEdit →
    the conflict view above the form; NotFound (or a StaleEdit because the record was archived meanwhile) →
    ``refusal.gone`` and PermissionDenied → the refusal, each closing the form and resetting the pickers. Only a
    write that went through reaches ``on_success`` with its result.
    """
    try:
        result = action()
    except ValidationFailed as exc:
        errors = errors_by_field(exc.errors, refusal.language)
        if slots is not None:
            slots.show(errors)
        else:
            lines = [plain(message) for messages in errors.values() for message in messages]
            st.error("\n".join(f"- {line}" for line in lines), icon=":material/error:")
        return
    except StaleEdit as exc:
        if any(change.field == "archived" and change.saved for change in exc.changes):
            withdrawn(refusal, refusal.gone)  # archived meanwhile: nothing left to reload and edit
        remember_stale(refusal.prefix, exc)
    except NotFound:
        withdrawn(refusal, refusal.gone)
    except PermissionDenied:
        withdrawn(refusal, t("maintain.denied_now", refusal.language))
    on_success(result)


class Versioned(Protocol):
    """A record a form opens: its id and the version the optimistic lock compares."""

    @property
    def id(self) -> int: ...

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=Versioned)


def open_picked(
    refusal: Refusal,
    pick: Any,
    *,
    open_record: Callable[[Any], R],
    values: Callable[[R | None], Mapping[str, Any]],
    blank_marker: object,
    new: Any = 0,
) -> R | None:
    """The record behind the form. "New" (``pick == new``): None, ``values(None)`` loaded once per
    ``blank_marker``. Otherwise the picked record, opened once per pick and kept, so a save sends the version the
    user saw; if it vanished between listing and opening, the form is withdrawn as ``attempt`` does."""
    prefix = refusal.prefix
    if pick == new:
        keep_record(prefix, None)
        load_form(prefix, blank_marker, values(None))
        return None
    record: R | None = opened_record(prefix)
    if record is None or record.id != pick:
        try:
            record = open_record(pick)
        except (NotFound, PermissionDenied):
            withdrawn(refusal, refusal.gone)
        keep_record(prefix, record)
    load_form(prefix, (record.id, record.version, refusal.language), values(record))
    return record


def save_record(
    refusal: Refusal,
    *,
    opened: R | None,
    create: Callable[[], R],
    update: Callable[[R], R],
    message: Callable[[R], str],
    slots: FieldSlots,
) -> None:
    """Create (nothing open) or update the open record; once saved it stays open and picked, with ``message``."""
    attempt(
        lambda: create() if opened is None else update(opened),
        refusal=refusal,
        on_success=lambda saved: reopen(refusal.prefix, pick=saved.id, record=saved, message=message(saved)),
        slots=slots,
    )


# --- confirmations ---------------------------------------------------------------------------------------------


def confirmed(prefix: str, *, ask: str, action: str, confirm: str, language: str) -> bool:
    """A two-step button: the first click asks, the second (confirm) returns True once."""
    flag = f"_{prefix}_confirm"
    if not st.session_state.get(flag):
        if st.button(action, icon=":material/archive:", key=f"{prefix}_ask"):
            st.session_state[flag] = True
            st.rerun()
        return False
    st.warning(ask, icon=":material/help:")
    yes, no = st.columns([1, 1])
    if no.button(t("maintain.cancel", language), key=f"{prefix}_cancel"):
        st.session_state.pop(flag, None)
        st.rerun()
    if yes.button(confirm, type="primary", icon=":material/archive:", key=f"{prefix}_confirm"):
        st.session_state.pop(flag, None)
        return True
    return False


def reopen(prefix: str, *, pick: Any, message: str, record: Any = None) -> NoReturn:
    """After a successful write: keep ``record`` open (None: open afresh), pick ``pick`` on the rerun, say so."""
    keep_record(prefix, record)
    pick_next(prefix, pick)
    written(message)


def archive_action(refusal: Refusal, *, ask: str, archive: Callable[[], None], archived: str, new: Any = 0) -> None:
    """The two-step „Archivieren“ of an open record; once archived, the picker goes back to ``new``."""
    lang = refusal.language
    if confirmed(
        refusal.prefix,
        ask=ask,
        action=t("maintain.archive", lang),
        confirm=t("maintain.archive_confirm", lang),
        language=lang,
    ):
        attempt(archive, refusal=refusal, on_success=lambda _: reopen(refusal.prefix, pick=new, message=archived))


def date_input(
    prefix: str, name: str, language: str, *, help: str | None = None, disabled: bool = False
) -> date | None:
    """A German-formatted, clearable date field bound to the form state."""
    value = st.date_input(
        field_label(name, language),
        min_value=EARLIEST,
        max_value=LATEST,
        format=DATE_FORMATS.get(language, DATE_FORMATS["de"]),
        key=widget_key(prefix, name),
        help=help,
        disabled=disabled,
    )
    return value if isinstance(value, date) else None


def formatter(choices: Mapping[Any, str]) -> Callable[[Any], str]:
    """A format_func showing a choice's label (its key if unknown)."""
    return lambda key: choices.get(key, str(key))


def options_map(frame: pl.DataFrame, key: str, text: str) -> dict[Any, str]:
    """id → label of a small options frame (members, topics, regions, indicators)."""
    if frame.is_empty():
        return {}
    return dict(zip(frame[key].to_list(), frame[text].to_list(), strict=True))


def euro_text(cents: str, language: str) -> pl.Expr:
    """An integer-cent column as money text for a table ("1.234,56 €"): exact, never through float."""
    return formats.money_expr(pl.col(cents), language)


# Money text columns read like numbers: right-aligned.
EURO_COLUMN = st.column_config.TextColumn(alignment="right")


def label_expr(column: str, kind: str, codes: Iterable[str], language: str) -> pl.Expr:
    """A vocabulary code column (fund, entry kind, …) as its catalogue labels; unknown codes stay as they are."""
    known = list(codes)
    return pl.col(column).replace_strict(
        known, [label(kind, code, language) for code in known], default=pl.col(column), return_dtype=pl.String
    )


def project_picker(m: MaintainContext, key: str, refusal: Refusal) -> int | None:
    """A picker of the projects the caller may edit; None (with what to do) when there is none."""
    projects = editing.editable_projects(m.engine, m.scope, m.alliance_id)
    editable = projects.filter(pl.col("can_edit") & ~pl.col("archived")).sort("title")
    titles = options_map(editable, "id", "title")
    _check_pick(key, titles, context=m.alliance_id, refusal=refusal)
    if editable.is_empty():
        st.info(t("maintain.no_projects", m.language), icon=":material/lightbulb:")
        return None
    picked = st.selectbox(
        t("maintain.project", m.language),
        list(titles),
        format_func=lambda value: titles.get(value, str(value)),
        key=key,
    )
    _picked_in(key, m.alliance_id)
    return int(picked) if picked is not None else None


def record_picker(
    key: str,
    records: Mapping[Any, str],
    *,
    section: str,
    context: Hashable,
    refusal: Refusal,
    new: Any = 0,
) -> Any:
    """Pick "new" or one of the listed records (id → label), labelled by ``maintain.<section>.pick`` and ``.new``;
    ``context`` is what the records belong to (the alliance; the alliance and project for a project's entries and
    values). A pick the last save chose (the record just created) is applied first."""
    pending_pick(refusal.prefix, key)
    lang = refusal.language
    choices = {new: t(f"maintain.{section}.new", lang)} | dict(records)
    label_text = t(f"maintain.{section}.pick", lang)
    _check_pick(key, choices, context=context, refusal=refusal)
    picked = st.selectbox(label_text, list(choices), format_func=lambda value: choices.get(value, str(value)), key=key)
    _picked_in(key, context)
    return picked


def _check_pick(key: str, choices: Mapping[Any, str], *, context: Hashable, refusal: Refusal) -> None:
    """Before a picker is drawn: a pick that is no longer among its choices (or that a withdrawn form reset) goes
    back to the first choice. When the vanished pick was made in the same context (alliance, project), its record
    was archived or taken away meanwhile – perhaps under a form being saved just now: the open form is withdrawn
    with the refusal's message, so nothing typed for it lands elsewhere."""
    keep([key])
    resets: set[str] = st.session_state.get(_RESET, set())
    reset = key in resets
    resets.discard(key)
    current = st.session_state.get(key)
    if not reset and (current is None or current in choices):
        return
    # Assigned, not forgotten: a forgotten widget value falls back to the default on the server only, while the
    # browser keeps showing (and sending) the old pick.
    if choices:
        st.session_state[key] = next(iter(choices))
    else:
        st.session_state.pop(key, None)
    if not reset and st.session_state.get(_PICKED_IN, {}).get(key) == context:
        withdrawn(refusal, refusal.gone)


def _picked_in(key: str, context: Hashable) -> None:
    st.session_state.setdefault(_PICKED_IN, {})[key] = context
