"""A tenant's API resources, clients' direct grants to them, and access groups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select

from authserver.storage.models import (
    AccessGroup,
    ApiResource,
    Client,
    ClientAccessGroup,
    ClientApiGrant,
    TenantAccessDefaults,
)
from authserver.storage.repositories.base import TenantScoped


class ApiRepository(TenantScoped):
    def all(self) -> Sequence[ApiResource]:
        query = select(ApiResource).where(ApiResource.tenant_id == self.tenant_id)
        return self.session.scalars(query.order_by(ApiResource.id)).all()

    def get(self, identifier: str) -> ApiResource | None:
        return self.session.scalar(select(ApiResource).where(
            ApiResource.tenant_id == self.tenant_id, ApiResource.identifier == identifier))

    def by_id(self, api_id: int) -> ApiResource | None:
        return self.session.scalar(select(ApiResource).where(
            ApiResource.tenant_id == self.tenant_id, ApiResource.id == api_id))

    def add(self, api: ApiResource) -> ApiResource:
        api.tenant_id = self.tenant_id
        self.session.add(api)
        self.session.flush()
        return api

    def delete(self, api: ApiResource) -> None:
        self.session.delete(api)
        self.session.flush()

    # --- direct grants
    def grants_of(self, client_pk: int) -> Sequence[ClientApiGrant]:
        return self.session.scalars(select(ClientApiGrant).where(
            ClientApiGrant.tenant_id == self.tenant_id, ClientApiGrant.client_pk == client_pk)
            .order_by(ClientApiGrant.id)).all()

    def grant(self, client_pk: int, api_key: str) -> ClientApiGrant | None:
        return self.session.scalar(select(ClientApiGrant).where(
            ClientApiGrant.tenant_id == self.tenant_id, ClientApiGrant.client_pk == client_pk,
            ClientApiGrant.api_key == api_key))

    def add_grant(self, grant: ClientApiGrant) -> None:
        grant.tenant_id = self.tenant_id
        self.session.add(grant)
        self.session.flush()

    def delete_grant(self, grant: ClientApiGrant) -> None:
        self.session.delete(grant)
        self.session.flush()

    def delete_grants_to(self, api_key: str) -> None:
        self.session.execute(delete(ClientApiGrant).where(
            ClientApiGrant.tenant_id == self.tenant_id, ClientApiGrant.api_key == api_key))


class AccessGroupRepository(TenantScoped):
    def all(self, search: str | None = None) -> Sequence[AccessGroup]:
        query = select(AccessGroup).where(AccessGroup.tenant_id == self.tenant_id)
        if search:
            # The folded name is searched, so the match is case-insensitive everywhere.
            escaped = (search.casefold().replace("\\", "\\\\").replace("%", "\\%")
                       .replace("_", "\\_"))
            query = query.where(AccessGroup.name_folded.like(f"%{escaped}%", escape="\\"))
        return self.session.scalars(query.order_by(AccessGroup.id)).all()

    def get(self, group_id: int) -> AccessGroup | None:
        return self.session.scalar(select(AccessGroup).where(
            AccessGroup.tenant_id == self.tenant_id, AccessGroup.id == group_id))

    def by_name(self, name: str) -> AccessGroup | None:
        return self.session.scalar(select(AccessGroup).where(
            AccessGroup.tenant_id == self.tenant_id, AccessGroup.name_folded == name.casefold()))

    def by_ids(self, ids: Iterable[int]) -> Sequence[AccessGroup]:
        wanted = list(ids)
        if not wanted:
            return []
        return self.session.scalars(select(AccessGroup).where(
            AccessGroup.tenant_id == self.tenant_id, AccessGroup.id.in_(wanted))).all()

    def add(self, group: AccessGroup) -> AccessGroup:
        group.tenant_id = self.tenant_id
        self.session.add(group)
        self.session.flush()
        return group

    # --- membership
    def refs_of(self, client_pk: int) -> list[str]:
        return list(self.session.scalars(select(ClientAccessGroup.group_ref).where(
            ClientAccessGroup.tenant_id == self.tenant_id,
            ClientAccessGroup.client_pk == client_pk).order_by(ClientAccessGroup.id)))

    def set_refs(self, client_pk: int, refs: Sequence[str]) -> None:
        self.session.execute(delete(ClientAccessGroup).where(
            ClientAccessGroup.tenant_id == self.tenant_id,
            ClientAccessGroup.client_pk == client_pk))
        for ref in dict.fromkeys(refs):
            self.session.add(ClientAccessGroup(tenant_id=self.tenant_id, client_pk=client_pk,
                                               group_ref=ref))
        self.session.flush()

    def member_client_ids(self, ref: str) -> list[str]:
        return list(self.session.scalars(
            select(Client.client_id).join(ClientAccessGroup,
                                          ClientAccessGroup.client_pk == Client.id)
            .where(ClientAccessGroup.tenant_id == self.tenant_id,
                   ClientAccessGroup.group_ref == ref).order_by(Client.client_id)))

    def member_counts(self) -> dict[str, int]:
        rows = self.session.execute(
            select(ClientAccessGroup.group_ref, func.count())
            .where(ClientAccessGroup.tenant_id == self.tenant_id)
            .group_by(ClientAccessGroup.group_ref))
        return {ref: int(count) for ref, count in rows}

    # --- the tenant's default group
    def defaults(self) -> TenantAccessDefaults | None:
        return self.session.get(TenantAccessDefaults, self.tenant_id)

    def set_default(self, ref: str | None, actor: str) -> None:
        row = self.defaults()
        if row is None:
            row = TenantAccessDefaults(tenant_id=self.tenant_id)
            self.session.add(row)
        row.default_group_ref = ref
        row.updated_by = actor
        self.session.flush()
