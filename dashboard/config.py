"""Runtime settings read from COCKPIT_* environment variables, with clear errors for bad values."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from dashboard.data_access.vocabulary import Fund

DEFAULT_DATA_DIR = Path("data")
SQLITE_FILE_NAME = "cockpit.sqlite3"
LANGUAGES = ("de", "en")


class ConfigError(Exception):
    """A setting is wrong; the message names the setting and says what to do."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting


# Illustrative maximum grant rates (grant / total eligible cost) per fund; every programme sets its own,
# so installations configure them with COCKPIT_MAX_GRANT_RATES (e.g. "esf=60,efre=40,land=80").
DEFAULT_MAX_GRANT_RATES = "esf=60,efre=60,land=90,bund=90,eigenmittel=100"


@dataclass(frozen=True)
class FundRules:
    """The funding rules behind the fund-use forecast and its risk flags (all from configuration).

    Shares are fractions (0.25 = 25 %); ``max_grant_rates`` pairs fund codes with their maximum grant rate.
    """

    max_grant_rates: tuple[tuple[str, Decimal], ...] = ()
    # A project is flagged when its disbursed share trails its schedule by more than this (0.25 = 25 points).
    lag_threshold: float = 0.25
    # Money budgeted for year N must flow by 31 December of N + n (the EU's n+3 rule), at the latest by the
    # end of the funding period.
    decommitment_years: int = 3
    # An alliance or budget year is flagged when more than this share of its budget is expected to stay unused.
    unused_threshold: float = 0.10
    # Disbursements trail the costs they pay for (quarterly claims, checks): the pace compares payments on the
    # Stichtag with the schedule this many days earlier.
    payment_lag_days: int = 90

    def max_grant_rate(self, fund: str) -> Decimal | None:
        return dict(self.max_grant_rates).get(fund)


@dataclass(frozen=True)
class ImpactRules:
    """The rules behind target statuses and the disclosure of small counts (all from configuration)."""

    # A target is "im Plan" while its progress since the baseline reaches at least (1 - tolerance) of what the
    # linear path asks for by the date of the latest actual value.
    target_tolerance: float = 0.10
    # Person counts from 1 to threshold - 1 are suppressed in views shown to others (statistical disclosure).
    suppression_threshold: int = 5


@dataclass(frozen=True)
class AccessRules:
    """Sign-in, sessions and uploads (all from configuration)."""

    # Demo mode: a role picker instead of a password, for trying the Cockpit on the embedded SQLite database.
    # Off unless COCKPIT_DEMO_MODE is set; refused against any other database.
    demo_mode: bool = False
    # A signed-in session ends after this many minutes without interaction.
    session_idle_minutes: int = 30
    # Largest bulk-import file (projects, financial entries, indicator values) in megabytes.
    bulk_max_mb: int = 10


@dataclass(frozen=True)
class Settings:
    database_url: str
    # The environment variable the URL came from, so errors can name it.
    database_setting: str
    language: str
    cache_ttl_seconds: int
    cache_max_entries: int
    default_alliance: str
    port: int
    fund_rules: FundRules = field(default_factory=FundRules)
    impact_rules: ImpactRules = field(default_factory=ImpactRules)
    access: AccessRules = field(default_factory=AccessRules)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _int_setting(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"erwartet eine ganze Zahl, erhalten: {raw!r}") from None
    if value <= 0:
        raise ConfigError(name, f"muss größer als 0 sein, erhalten: {value}")
    return value


def _percent_setting(env: Mapping[str, str], name: str, default: float, *, upper: float = 100) -> float:
    """A percentage setting ("25" or "25,5") as a fraction."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw.replace(",", ".").rstrip("%").strip())
    except ValueError:
        raise ConfigError(name, f"erwartet eine Prozentzahl wie 25, erhalten: {raw!r}") from None
    if not 0 <= value <= upper:
        raise ConfigError(name, f"muss zwischen 0 und {upper:g} liegen, erhalten: {raw}")
    return value / 100


def _grant_rates(env: Mapping[str, str], funds: tuple[str, ...]) -> tuple[tuple[str, Decimal], ...]:
    name = "COCKPIT_MAX_GRANT_RATES"
    raw = env.get(name) or DEFAULT_MAX_GRANT_RATES
    rates: dict[str, Decimal] = {}
    for part in filter(None, (piece.strip() for piece in raw.split(","))):
        fund, separator, number = part.partition("=")
        fund = fund.strip().lower()
        if not separator or fund not in funds:
            raise ConfigError(
                name, f"erwartet fonds=prozent, z. B. esf=60; unbekannt: {part!r} (Fonds: {', '.join(funds)})"
            )
        try:
            rate = Decimal(number.strip().replace(",", ".").rstrip("%").strip())
        except InvalidOperation:
            raise ConfigError(name, f"{fund}: {number.strip()!r} ist keine Prozentzahl") from None
        if not 0 < rate <= 100:
            raise ConfigError(name, f"{fund}: der Fördersatz muss über 0 und höchstens 100 % sein, erhalten: {rate}")
        rates[fund] = rate / 100
    return tuple(sorted(rates.items()))


def load_fund_rules(env: Mapping[str, str]) -> FundRules:
    """Grant rates, lag threshold and decommitment rule from COCKPIT_* variables (defaults documented in the README)."""
    defaults = FundRules()
    return FundRules(
        max_grant_rates=_grant_rates(env, tuple(fund.value for fund in Fund)),
        lag_threshold=_percent_setting(env, "COCKPIT_LAG_THRESHOLD", defaults.lag_threshold),
        decommitment_years=_int_setting(env, "COCKPIT_DECOMMITMENT_YEARS", defaults.decommitment_years),
        unused_threshold=_percent_setting(env, "COCKPIT_UNUSED_THRESHOLD", defaults.unused_threshold),
        payment_lag_days=_int_setting(env, "COCKPIT_PAYMENT_LAG_DAYS", defaults.payment_lag_days),
    )


def load_impact_rules(env: Mapping[str, str]) -> ImpactRules:
    """Target tolerance and suppression threshold from COCKPIT_TARGET_TOLERANCE and COCKPIT_SUPPRESSION_THRESHOLD."""
    defaults = ImpactRules()
    return ImpactRules(
        target_tolerance=_percent_setting(env, "COCKPIT_TARGET_TOLERANCE", defaults.target_tolerance, upper=99),
        suppression_threshold=_int_setting(env, "COCKPIT_SUPPRESSION_THRESHOLD", defaults.suppression_threshold),
    )


def _flag_setting(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "nein", "off"):
        return False
    if raw in ("1", "true", "yes", "ja", "on"):
        return True
    raise ConfigError(name, f"erwartet 1 oder 0 (true/false), erhalten: {raw!r}")


def load_access_rules(env: Mapping[str, str]) -> AccessRules:
    """Demo mode, idle timeout and upload limit from COCKPIT_DEMO_MODE, COCKPIT_SESSION_IDLE_MINUTES and
    COCKPIT_BULK_MAX_MB."""
    defaults = AccessRules()
    return AccessRules(
        demo_mode=_flag_setting(env, "COCKPIT_DEMO_MODE"),
        session_idle_minutes=_int_setting(env, "COCKPIT_SESSION_IDLE_MINUTES", defaults.session_idle_minutes),
        bulk_max_mb=_int_setting(env, "COCKPIT_BULK_MAX_MB", defaults.bulk_max_mb),
    )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment; COCKPIT_DATABASE_URL wins over DATABASE_URL."""
    env = os.environ if env is None else env
    if env.get("COCKPIT_DATABASE_URL"):
        url, setting = env["COCKPIT_DATABASE_URL"], "COCKPIT_DATABASE_URL"
    elif env.get("DATABASE_URL"):
        url, setting = env["DATABASE_URL"], "DATABASE_URL"
    else:
        data_dir = Path(env.get("COCKPIT_DATA_DIR") or DEFAULT_DATA_DIR)
        url, setting = f"sqlite:///{data_dir / SQLITE_FILE_NAME}", "COCKPIT_DATA_DIR"
    language = env.get("COCKPIT_LANGUAGE", "de") or "de"
    if language not in LANGUAGES:
        raise ConfigError("COCKPIT_LANGUAGE", f"unbekannte Sprache {language!r}; erlaubt: {', '.join(LANGUAGES)}")
    access = load_access_rules(env)
    if access.demo_mode and not url.startswith("sqlite"):
        # The role picker signs anyone in as anyone: never on a shared production database.
        raise ConfigError(
            "COCKPIT_DEMO_MODE",
            "der Demo-Modus (Rollenwahl ohne Passwort) läuft nur mit der eingebetteten SQLite-Datenbank; "
            "für PostgreSQL COCKPIT_DEMO_MODE entfernen und Konten mit `cockpit users add` anlegen",
        )
    return Settings(
        database_url=url,
        database_setting=setting,
        language=language,
        cache_ttl_seconds=_int_setting(env, "COCKPIT_CACHE_TTL", 600),
        cache_max_entries=_int_setting(env, "COCKPIT_CACHE_MAX_ENTRIES", 64),
        default_alliance=env.get("COCKPIT_DEFAULT_ALLIANCE") or "suedostniedersachsen",
        port=_int_setting(env, "COCKPIT_PORT", 8501),
        fund_rules=load_fund_rules(env),
        impact_rules=load_impact_rules(env),
        access=access,
    )
