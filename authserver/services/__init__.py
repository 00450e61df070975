"""Operations of the server, without Flask: one way of writing them.

- Every SQL statement lives in a repository (``storage/repositories/``, one module per
  aggregate). A service never builds a query and never touches ``repo.session``; what
  it needs that a repository lacks is added to the repository.
- An operation (create a user, revoke a consent, count a failed sign-in …) runs in
  exactly one unit of work (``storage/unit_of_work.py``): everything it writes, its
  audit record included, commits or rolls back together.
- Whoever starts an operation opens the unit of work: a CLI command or an admin API
  view does ``with runtime.database.unit_of_work() as uow:`` and passes the operation
  the repositories it uses (``uow.users(tenant_id)``, ``uow.audit(tenant_id)``) or, when
  it spans several aggregates, the ``uow`` itself. Such a function never opens a
  session and never commits.
- A long-lived service on the request path (``SessionService``, ``ConsentService``,
  ``Throttle``, the caches) holds the ``Database`` and opens one
  ``database.unit_of_work()`` per public method.
- Services own audit records (``uow.audit(tenant_id).record(...)`` in the same unit of
  work) and cache invalidation, registered with ``uow.after_commit`` (or a repository's
  ``after_commit``) so it happens only once the change is visible to other requests.
"""
