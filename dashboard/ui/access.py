"""Which pages each role sees: the one map from page to roles that the navigation and the no-access check share.

The data stays protected in data_access whatever this map says; the map keeps pages a role cannot use out of
its menu and answers a direct link to one with "Kein Zugriff" instead of running it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.data_access.vocabulary import Role

EVERYONE = frozenset(Role)
READERS_OF_MONEY = frozenset({Role.ADMIN, Role.SPEAKER, Role.LIAISON})
EDITORS = frozenset({Role.ADMIN, Role.SPEAKER, Role.MEMBER})
MANAGERS = frozenset({Role.ADMIN, Role.SPEAKER})


@dataclass(frozen=True)
class PageSpec:
    """One page of the Cockpit: its script, URL path, menu section, title key, icon and who may open it."""

    url_path: str
    script: str  # file name in dashboard/pages
    section: str  # i18n key of the menu section
    title: str  # i18n key of the title
    icon: str
    roles: frozenset[Role]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("uebersicht", "overview.py", "nav.section.cockpit", "nav.overview", ":material/dashboard:", EVERYONE),
    PageSpec("projekte", "projects.py", "nav.section.cockpit", "nav.projects", ":material/work:", EVERYONE),
    PageSpec(
        "antraege", "applications.py", "nav.section.cockpit", "applications.nav", ":material/rate_review:", EVERYONE
    ),
    PageSpec("mittelverwendung", "funds.py", "nav.section.cockpit", "nav.funds", ":material/euro:", READERS_OF_MONEY),
    PageSpec("ziele", "targets.py", "nav.section.cockpit", "nav.targets", ":material/flag:", EVERYONE),
    PageSpec("region", "region.py", "nav.section.cockpit", "nav.region", ":material/map:", EVERYONE),
    PageSpec("partner", "partners.py", "nav.section.cockpit", "partners.nav", ":material/hub:", EVERYONE),
    PageSpec(
        "buendnisvergleich",
        "compare.py",
        "nav.section.ministry",
        "nav.compare",
        ":material/compare_arrows:",
        READERS_OF_MONEY,
    ),
    PageSpec("daten-pflegen", "maintain.py", "nav.section.data", "access.nav.maintain", ":material/edit:", EDITORS),
    PageSpec("import", "data_import.py", "nav.section.data", "nav.import", ":material/upload_file:", MANAGERS),
    PageSpec("protokoll", "audit.py", "nav.section.data", "access.nav.audit", ":material/history:", MANAGERS),
)
DEFAULT_PAGE = "uebersicht"
# The order roles are named in messages ("needs the role Sprecher/in or Administration").
ROLE_ORDER = (Role.SPEAKER, Role.MEMBER, Role.LIAISON, Role.ADMIN)


def page(url_path: str) -> PageSpec:
    return next(spec for spec in PAGES if spec.url_path == url_path)


def may_open(role: Role | None, url_path: str) -> bool:
    """Whether the role's menu has the page (no role: signed out, nothing is open)."""
    return role is not None and role in page(url_path).roles


def visible_pages(role: Role | None) -> list[str]:
    """The URL paths in the role's menu, in menu order."""
    return [spec.url_path for spec in PAGES if may_open(role, spec.url_path)]


def roles_for(url_path: str) -> list[Role]:
    """The roles that may open a page, in the order the UI names them."""
    return [role for role in ROLE_ORDER if role in page(url_path).roles]
