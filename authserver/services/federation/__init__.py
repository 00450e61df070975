"""Federation: signing people in through upstream identity providers (issue 12).

One tenant has any number of identity providers (IdPs) of three kinds: ``oidc``
(authserver as an OpenID Connect relying party), ``saml`` (as a SAML 2.0 service
provider) and ``ldap`` (binding as the user to an LDAP / Active Directory directory).

- records.py: what every part shares — the provider's configuration
  (:class:`~records.IdentityProvider`), what an upstream said about the person
  (:class:`~records.UpstreamIdentity`), the pending upstream request and the refusal.
- endpoints.py: the URLs an upstream is configured with (redirect URI, ACS, metadata).
- providers.py: the registry (create, update, disable, delete; secrets sealed at rest).
- discovery.py: home-realm discovery (which provider owns an email's domain).
- accounts.py: from an upstream identity to one of our users (links by the upstream's
  stable subject, just-in-time accounts, linking to local accounts, the MFA demand).
- upstream_requests.py: the state of a sign-in sent upstream, single-use.
- oidc.py, saml.py, ldap.py: each kind's protocol.
"""
