"""Dynamic client registration rows of one tenant: initial access tokens, client
registrations, trusted software statement issuers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, or_, select, update

from authserver.storage.models import (
    Client,
    ClientRegistration,
    InitialAccessToken,
    SoftwareStatementIssuer,
)
from authserver.storage.repositories.base import TenantScoped


class InitialAccessTokenRepository(TenantScoped):
    def add(self, token: InitialAccessToken) -> InitialAccessToken:
        token.tenant_id = self.tenant_id
        self.session.add(token)
        self.session.flush()
        return token

    def by_digest(self, token_digest: str) -> InitialAccessToken | None:
        return self.session.scalar(select(InitialAccessToken).where(
            InitialAccessToken.tenant_id == self.tenant_id,
            InitialAccessToken.token_digest == token_digest))

    def by_token_id(self, token_id: str) -> InitialAccessToken | None:
        return self.session.scalar(select(InitialAccessToken).where(
            InitialAccessToken.tenant_id == self.tenant_id,
            InitialAccessToken.token_id == token_id))

    def all(self) -> Sequence[InitialAccessToken]:
        return self.session.scalars(select(InitialAccessToken).where(
            InitialAccessToken.tenant_id == self.tenant_id).order_by(InitialAccessToken.id)).all()

    def page(self, after: str | None, limit: int) -> Sequence[InitialAccessToken]:
        """Up to ``limit`` tokens in token_id order, after ``after`` (keyset paging)."""
        query = select(InitialAccessToken).where(InitialAccessToken.tenant_id == self.tenant_id)
        if after is not None:
            query = query.where(InitialAccessToken.token_id > after)
        return self.session.scalars(query.order_by(InitialAccessToken.token_id)
                                    .limit(limit)).all()

    def spend(self, token_digest: str, now: dt.datetime) -> InitialAccessToken | None:
        """Count one use of the token, if it is live and has a use left: one conditional
        UPDATE, so two registrations racing for the last use cannot both get it (the
        row lock makes the second re-check the condition). None when it is not usable."""
        live = (InitialAccessToken.tenant_id == self.tenant_id,
                InitialAccessToken.token_digest == token_digest,
                InitialAccessToken.revoked_at.is_(None),
                InitialAccessToken.expires_at > now,
                or_(InitialAccessToken.max_uses.is_(None),
                    InitialAccessToken.uses < InitialAccessToken.max_uses))
        result = self.session.execute(
            update(InitialAccessToken).where(*live)
            .values(uses=InitialAccessToken.uses + 1)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        token = self.by_digest(token_digest)
        if token is not None:
            self.session.refresh(token)
        return token


class ClientRegistrationRepository(TenantScoped):
    def add(self, registration: ClientRegistration) -> ClientRegistration:
        registration.tenant_id = self.tenant_id
        self.session.add(registration)
        self.session.flush()
        return registration

    def of_client(self, client_id: str) -> tuple[Client, ClientRegistration] | None:
        row = self.session.execute(
            select(Client, ClientRegistration)
            .join(ClientRegistration, ClientRegistration.client_pk == Client.id)
            .where(Client.tenant_id == self.tenant_id, Client.client_id == client_id,
                   ClientRegistration.tenant_id == self.tenant_id)).first()
        return (row[0], row[1]) if row is not None else None

    def delete(self, registration: ClientRegistration) -> None:
        self.session.execute(delete(ClientRegistration).where(
            ClientRegistration.tenant_id == self.tenant_id,
            ClientRegistration.id == registration.id))


class SoftwareStatementIssuerRepository(TenantScoped):
    def all(self) -> Sequence[SoftwareStatementIssuer]:
        return self.session.scalars(select(SoftwareStatementIssuer).where(
            SoftwareStatementIssuer.tenant_id == self.tenant_id)
            .order_by(SoftwareStatementIssuer.id)).all()

    def get(self, issuer: str) -> SoftwareStatementIssuer | None:
        return self.session.scalar(select(SoftwareStatementIssuer).where(
            SoftwareStatementIssuer.tenant_id == self.tenant_id,
            SoftwareStatementIssuer.issuer == issuer))

    def put(self, issuer: str, jwks: dict) -> SoftwareStatementIssuer:  # type: ignore[type-arg]
        row = self.get(issuer)
        if row is None:
            row = SoftwareStatementIssuer(tenant_id=self.tenant_id, issuer=issuer, jwks=jwks)
            self.session.add(row)
        else:
            row.jwks = jwks
        self.session.flush()
        return row

    def remove(self, issuer: str) -> bool:
        result = self.session.execute(delete(SoftwareStatementIssuer).where(
            SoftwareStatementIssuer.tenant_id == self.tenant_id,
            SoftwareStatementIssuer.issuer == issuer))
        return bool(result.rowcount)  # type: ignore[attr-defined]
