"""Closed vocabularies of the data model (codes stored in the database; UI labels live in i18n)."""

from __future__ import annotations

from enum import StrEnum


class MemberType(StrEnum):
    LANDKREIS = "landkreis"
    KREISFREIE_STADT = "kreisfreie_stadt"
    IHK = "ihk"
    HWK = "hwk"
    ARBEITGEBERVERBAND = "arbeitgeberverband"
    GEWERKSCHAFT = "gewerkschaft"
    HOCHSCHULE = "hochschule"
    AGENTUR_FUER_ARBEIT = "agentur_fuer_arbeit"
    JOBCENTER = "jobcenter"
    UNTERNEHMEN = "unternehmen"
    VEREIN_VERBAND = "verein_verband"
    SONSTIGE = "sonstige"


class ProjectStatus(StrEnum):
    """The project life cycle: idee → beantragt → bewertet → bewilligt → laufend → abgeschlossen, or an exit."""

    IDEE = "idee"
    BEANTRAGT = "beantragt"
    BEWERTET = "bewertet"
    BEWILLIGT = "bewilligt"
    LAUFEND = "laufend"
    ABGESCHLOSSEN = "abgeschlossen"
    ABGELEHNT = "abgelehnt"
    ZURUECKGEZOGEN = "zurueckgezogen"
    ABGEBROCHEN = "abgebrochen"


class Fund(StrEnum):
    ESF = "esf"  # ESF (2014–2020) and ESF+ (2021–2027)
    EFRE = "efre"
    LAND = "land"
    BUND = "bund"
    EIGENMITTEL = "eigenmittel"  # own funds / co-financing


class EntryKind(StrEnum):
    COMMITMENT = "commitment"
    DISBURSEMENT = "disbursement"


class Direction(StrEnum):
    UP = "up"  # good when it rises
    DOWN = "down"  # good when it falls (e.g. unemployment rate)


class TargetScope(StrEnum):
    ALLIANCE = "alliance"
    TOPIC = "topic"
    PROJECT = "project"


class RegionLevel(StrEnum):
    BUND = "bund"
    LAND = "land"
    REGIERUNGSBEZIRK = "regierungsbezirk"
    KREIS = "kreis"
    GEMEINDE = "gemeinde"


class Recommendation(StrEnum):
    BEFUERWORTET = "befuerwortet"
    MIT_AUFLAGEN = "befuerwortet_mit_auflagen"
    NICHT_BEFUERWORTET = "nicht_befuerwortet"


class Role(StrEnum):
    ADMIN = "admin"  # everything, users included
    SPEAKER = "speaker"  # Sprecher/in: reads and edits everything of their alliances
    MEMBER = "member"  # Partner: reads the alliance, edits the projects their organisation leads
    LIAISON = "liaison"  # Ministerium / Förderbank: reads assigned alliances, changes nothing


class AuditAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    ARCHIVE = "archive"
    RESTORE = "restore"
    IMPORT = "import"


def sql_in(values: type[StrEnum]) -> str:
    """The SQL literal list of an enum's codes, for CHECK constraints (codes are fixed identifiers)."""
    return ", ".join(f"'{member.value}'" for member in values)
