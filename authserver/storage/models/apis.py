"""API resources (resource servers), clients' grants to them, and access groups.

An API is named in grants and groups by its *key*: its identifier, except the built-in
admin API, which has no row and is keyed ``builtin:admin`` so that its grants survive a
change of PUBLIC_URL (services/api_catalogue.py maps keys and identifiers).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from authserver.storage.models.base import Base, UTCDateTime, utcnow


class ApiResource(Base):
    __tablename__ = "api_resources"
    __table_args__ = (UniqueConstraint("tenant_id", "identifier"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    # The ``aud`` of its tokens and the RFC 8707 ``resource`` that asks for them.
    identifier: Mapped[str] = mapped_column(String(2000))
    name: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    # NULL: the tenant's/server's access-token lifetime, the client's algorithm.
    access_token_ttl: Mapped[int | None] = mapped_column(Integer)
    access_token_alg: Mapped[str | None] = mapped_column(String(16))
    # client_ids acting as this API's resource server (they may introspect its tokens).
    introspection_clients: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class ClientApiGrant(Base):
    """A client's direct grant: it may get tokens for the API, with these scopes."""

    __tablename__ = "client_api_grants"
    __table_args__ = (UniqueConstraint("client_pk", "api_key"),
                      Index("ix_client_api_grants_tenant_id_api_key", "tenant_id", "api_key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    api_key: Mapped[str] = mapped_column(String(2000))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccessGroup(Base):
    """A tenant's own access group (built-in ones come from the catalogue file)."""

    __tablename__ = "access_groups"
    __table_args__ = (UniqueConstraint("tenant_id", "name_folded"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # casefold() of the name: names are unique and searched case-insensitively.
    name_folded: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    # API key → scopes.
    permissions: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str] = mapped_column(String(200), default="")


class ClientAccessGroup(Base):
    """A client's membership of a group, named by its reference: ``grp-<id>`` for a
    tenant's own group, ``builtin-<key>`` for a catalogue group."""

    __tablename__ = "client_access_groups"
    __table_args__ = (UniqueConstraint("client_pk", "group_ref"),
                      Index("ix_client_access_groups_tenant_id_group_ref", "tenant_id",
                            "group_ref"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    client_pk: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    group_ref: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TenantAccessDefaults(Base):
    """The group every new client of the tenant joins (none when NULL)."""

    __tablename__ = "tenant_access_defaults"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"),
                                           primary_key=True)
    default_group_ref: Mapped[str | None] = mapped_column(String(80))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")
