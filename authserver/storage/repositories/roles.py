"""Roles, user groups and their links to users, for one tenant.

Link rows (user_roles, user_group_members, user_group_roles) carry no tenant_id of
their own: every query joins the role, group or user row and filters on its tenant, so a
repository of tenant A never reads or writes a link to tenant B's rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ScalarSelect, Subquery, delete, func, select, union
from sqlalchemy.orm import Session

from authserver.storage.models import (
    Role,
    User,
    UserGroup,
    UserGroupMember,
    UserGroupRole,
    UserRole,
)
from authserver.storage.repositories.base import TenantScoped


def effective_role_ids(user_id: int | ScalarSelect[int]) -> Subquery:
    """The ids of a user's roles: direct ones and those of their groups, as a subquery."""
    direct = select(UserRole.role_id).where(UserRole.user_id == user_id)
    through_groups = (select(UserGroupRole.role_id)
                      .join(UserGroupMember, UserGroupMember.group_id == UserGroupRole.group_id)
                      .where(UserGroupMember.user_id == user_id))
    return union(direct, through_groups).subquery()


class RoleRepository(TenantScoped):
    def __init__(self, session: Session, tenant_id: int) -> None:
        super().__init__(session, tenant_id)

    # --- roles
    def role(self, name: str) -> Role | None:
        return self.session.scalar(select(Role).where(Role.tenant_id == self.tenant_id,
                                                      Role.name == name))

    def roles_named(self, names: Iterable[str]) -> Sequence[Role]:
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return []
        return self.session.scalars(select(Role).where(
            Role.tenant_id == self.tenant_id, Role.name.in_(wanted))).all()

    def roles_page(self, limit: int, after_id: int = 0, name_prefix: str | None = None
                   ) -> Sequence[Role]:
        query = select(Role).where(Role.tenant_id == self.tenant_id, Role.id > after_id)
        if name_prefix:
            query = query.where(Role.name.startswith(name_prefix, autoescape=True))
        return self.session.scalars(query.order_by(Role.id).limit(limit)).all()

    def add(self, row: Role | UserGroup) -> None:
        row.tenant_id = self.tenant_id
        self.session.add(row)
        self.session.flush()

    def delete(self, row: Role | UserGroup) -> None:
        self.session.delete(row)
        self.session.flush()

    def holders(self, role: Role) -> tuple[int, int]:
        """How many users hold ``role`` directly, and how many groups give it."""
        users = self.session.scalar(select(func.count()).select_from(UserRole).where(
            UserRole.role_id == role.id)) or 0
        groups = self.session.scalar(select(func.count()).select_from(UserGroupRole).where(
            UserGroupRole.role_id == role.id)) or 0
        return users, groups

    # --- a user's roles
    def direct_roles(self, user_id: int) -> Sequence[Role]:
        return self.session.scalars(
            select(Role).join(UserRole, UserRole.role_id == Role.id)
            .where(Role.tenant_id == self.tenant_id, UserRole.user_id == user_id)
            .order_by(Role.name)).all()

    def effective(self, user_id: int | None = None, sub: str | None = None
                  ) -> Sequence[tuple[str, list[str]]]:
        """(name, permissions) of every role the user (by id, or by sub) holds, directly
        or through a group: one statement, for the admin API's permission check and the
        token claims."""
        who: int | ScalarSelect[int] = user_id if user_id is not None else select(
            User.id).where(User.tenant_id == self.tenant_id, User.sub == sub).scalar_subquery()
        ids = effective_role_ids(who)
        rows = self.session.execute(
            select(Role.name, Role.permissions)
            .where(Role.tenant_id == self.tenant_id, Role.id.in_(select(ids.c.role_id)))
            .order_by(Role.name)).all()
        return [(name, list(permissions or ())) for name, permissions in rows]

    def set_direct_roles(self, user_id: int, roles: Sequence[Role]) -> None:
        self.session.execute(delete(UserRole).where(UserRole.user_id == user_id))
        self.session.add_all(UserRole(user_id=user_id, role_id=r.id) for r in roles)
        self.session.flush()

    # --- groups
    def group(self, name: str) -> UserGroup | None:
        return self.session.scalar(select(UserGroup).where(
            UserGroup.tenant_id == self.tenant_id, UserGroup.name == name))

    def groups_named(self, names: Iterable[str]) -> Sequence[UserGroup]:
        wanted = list(dict.fromkeys(names))
        if not wanted:
            return []
        return self.session.scalars(select(UserGroup).where(
            UserGroup.tenant_id == self.tenant_id, UserGroup.name.in_(wanted))).all()

    def groups_page(self, limit: int, after_id: int = 0) -> Sequence[UserGroup]:
        return self.session.scalars(
            select(UserGroup).where(UserGroup.tenant_id == self.tenant_id,
                                    UserGroup.id > after_id)
            .order_by(UserGroup.id).limit(limit)).all()

    def group_roles(self, group: UserGroup) -> Sequence[Role]:
        return self.session.scalars(
            select(Role).join(UserGroupRole, UserGroupRole.role_id == Role.id)
            .where(Role.tenant_id == self.tenant_id, UserGroupRole.group_id == group.id)
            .order_by(Role.name)).all()

    def set_group_roles(self, group: UserGroup, roles: Sequence[Role]) -> None:
        self.session.execute(delete(UserGroupRole).where(UserGroupRole.group_id == group.id))
        self.session.add_all(UserGroupRole(group_id=group.id, role_id=r.id) for r in roles)
        self.session.flush()

    def members(self, group: UserGroup, limit: int = 1000) -> Sequence[User]:
        return self.session.scalars(
            select(User).join(UserGroupMember, UserGroupMember.user_id == User.id)
            .where(User.tenant_id == self.tenant_id, UserGroupMember.group_id == group.id)
            .order_by(User.id).limit(limit)).all()

    def member_count(self, group: UserGroup) -> int:
        return self.session.scalar(select(func.count()).select_from(UserGroupMember).where(
            UserGroupMember.group_id == group.id)) or 0

    def groups_of(self, user_id: int) -> Sequence[UserGroup]:
        return self.session.scalars(
            select(UserGroup).join(UserGroupMember, UserGroupMember.group_id == UserGroup.id)
            .where(UserGroup.tenant_id == self.tenant_id, UserGroupMember.user_id == user_id)
            .order_by(UserGroup.name)).all()

    def set_groups_of(self, user_id: int, groups: Sequence[UserGroup]) -> None:
        self.session.execute(delete(UserGroupMember).where(UserGroupMember.user_id == user_id))
        self.session.add_all(UserGroupMember(group_id=g.id, user_id=user_id) for g in groups)
        self.session.flush()
