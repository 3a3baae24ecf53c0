"""The caller's permission scope, passed to every query and write so permissions live in data_access."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Mapped
from sqlmodel import col

from dashboard.data_access.models import ProjectPartner
from dashboard.data_access.vocabulary import Role

__all__ = ["DEMO_SCOPE", "SYSTEM_SCOPE", "PermissionDenied", "Role", "Scope"]


class PermissionDenied(Exception):
    """The scope does not allow this read or write."""


@dataclass(frozen=True)
class Scope:
    """Who is asking: hashable, so cached loaders can key on it.

    ``alliance_ids`` None means every alliance, and only for admins (fail closed: any other role with
    None reads nothing); otherwise the alliances the user belongs to. ``member_ids`` are the member rows of a
    partner's organisation (one per alliance it belongs to): the projects a member may edit and whose money
    details it may read are the ones these lead (or, for reading, take part in).
    """

    user: str
    role: Role
    alliance_ids: frozenset[int] | None = None
    member_ids: frozenset[int] = frozenset()

    @classmethod
    def for_alliances(cls, user: str, role: Role, alliance_ids: Iterable[int], member_ids: Iterable[int] = ()) -> Scope:
        return cls(user=user, role=role, alliance_ids=frozenset(alliance_ids), member_ids=frozenset(member_ids))

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

    # --- writing ---------------------------------------------------------------------------------------------

    def can_manage_alliance(self, alliance_id: int) -> bool:
        """Edit everything of the alliance: budgets, targets, every project, restore archived records."""
        return self.role in (Role.ADMIN, Role.SPEAKER) and self.can_read_alliance(alliance_id)

    def require_manage_alliance(self, alliance_id: int) -> None:
        if not self.can_manage_alliance(alliance_id):
            raise PermissionDenied(f"{self.user} ({self.role}) may not change alliance {alliance_id}")

    def can_edit_project(self, alliance_id: int, lead_member_id: int | None) -> bool:
        """Speakers and admins edit every project of their alliances; a member only those its organisation leads
        (and creates projects only with its own organisation as lead); liaisons change nothing."""
        if self.can_manage_alliance(alliance_id):
            return True
        return (
            self.role == Role.MEMBER
            and self.can_read_alliance(alliance_id)
            and lead_member_id is not None
            and lead_member_id in self.member_ids
        )

    def require_edit_project(self, alliance_id: int, lead_member_id: int | None) -> None:
        if not self.can_edit_project(alliance_id, lead_member_id):
            raise PermissionDenied(f"{self.user} ({self.role}) may not change this project")

    @property
    def writes_anything(self) -> bool:
        return self.role in (Role.ADMIN, Role.SPEAKER) or (self.role == Role.MEMBER and bool(self.member_ids))

    @property
    def reads_audit(self) -> bool:
        return self.role in (Role.ADMIN, Role.SPEAKER)

    # --- SQL clauses -----------------------------------------------------------------------------------------

    def alliance_filter(self, column: ColumnElement[Any] | Mapped[Any]) -> ColumnElement[bool]:
        """A WHERE clause restricting a query to the alliances this scope may read."""
        if self.reads_all_alliances:
            return true()
        return column.in_(sorted(self.alliance_ids or ()))

    @property
    def sees_all_money(self) -> bool:
        """Whether every readable project's money details (cost, grant, entries) are visible to this scope."""
        return self.role != Role.MEMBER

    def money_filter(self, project_id: Any, lead_member_id: Any) -> ColumnElement[bool]:
        """True for the projects whose money details this scope may read one by one.

        A member reads the money of the projects its organisation leads or takes part in; other partners'
        projects count in totals only. The clause takes the project's id and lead columns so that it works on
        any query that has them.
        """
        if self.sees_all_money:
            return true()
        if not self.member_ids:
            return false()
        own = sorted(self.member_ids)
        takes_part = exists(
            select(col(ProjectPartner.project_id)).where(
                col(ProjectPartner.project_id) == project_id, col(ProjectPartner.member_id).in_(own)
            )
        )
        return or_(lead_member_id.in_(own), takes_part)


# A full-access scope for the CLI's own maintenance commands (seed, import, backup) and demo fallbacks.
DEMO_SCOPE = Scope(user="demo", role=Role.ADMIN)
SYSTEM_SCOPE = Scope(user="cli", role=Role.ADMIN)
