"""The caller's permission scope, passed to every query and write so permissions live in data_access."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, true
from sqlalchemy.orm import Mapped


class Role(StrEnum):
    ADMIN = "admin"
    SPEAKER = "speaker"
    MEMBER = "member"
    LIAISON = "liaison"


class PermissionDenied(Exception):
    """The scope does not allow this read or write."""


@dataclass(frozen=True)
class Scope:
    """Who is asking: hashable, so cached loaders can key on it.

    ``alliance_ids`` None means every alliance, and only for admins (fail closed: any other role with
    None reads nothing); otherwise the alliances the user belongs to.
    """

    user: str
    role: Role
    alliance_ids: frozenset[int] | None = None
    organisation_id: int | None = None

    @classmethod
    def for_alliances(
        cls, user: str, role: Role, alliance_ids: Iterable[int], organisation_id: int | None = None
    ) -> Scope:
        return cls(user=user, role=role, alliance_ids=frozenset(alliance_ids), organisation_id=organisation_id)

    @property
    def reads_all_alliances(self) -> bool:
        return self.alliance_ids is None and self.role == Role.ADMIN

    def can_read_alliance(self, alliance_id: int) -> bool:
        return self.reads_all_alliances or (self.alliance_ids is not None and alliance_id in self.alliance_ids)

    def require_alliance(self, alliance_id: int) -> None:
        if not self.can_read_alliance(alliance_id):
            raise PermissionDenied(f"{self.user} ({self.role}) may not read alliance {alliance_id}")

    def sees_small_counts(self, alliance_id: int) -> bool:
        """Exact small person counts are for the alliance's own speakers and admins; everyone else (members,
        ministry liaisons) sees them suppressed, like any view shown to others."""
        return self.role in (Role.ADMIN, Role.SPEAKER) and self.can_read_alliance(alliance_id)

    def alliance_filter(self, column: ColumnElement[Any] | Mapped[Any]) -> ColumnElement[bool]:
        """A WHERE clause restricting a query to the alliances this scope may read."""
        if self.reads_all_alliances:
            return true()
        return column.in_(sorted(self.alliance_ids or ()))


# Until sign-in exists (accounts-and-roles issue), the app and CLI act with this full-access scope.
DEMO_SCOPE = Scope(user="demo", role=Role.ADMIN)
