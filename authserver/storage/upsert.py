"""``INSERT … ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL alike.

"Look, then insert if absent" loses when two requests do it at the same moment: both
look, both insert, and the second hits the unique constraint (an IntegrityError, a 500).
Inserting with ON CONFLICT DO NOTHING lets the database decide, atomically, and says
whether this statement created the row. PostgreSQL makes the loser wait for the winner's
transaction and then do nothing; SQLite serialises writers, so the loser sees the row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session


def insert_if_absent(session: Session, model: type[DeclarativeBase], values: Mapping[str, Any],
                     unique: Sequence[str]) -> bool:
    """Insert ``values`` unless a row with the same ``unique`` columns exists (those must
    be a unique constraint of ``model``). True when this call inserted the row."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(model)
    elif dialect == "sqlite":
        statement = sqlite.insert(model)
    else:  # settings accept only these two (settings.parse_database_url)
        raise RuntimeError(f"unsupported database dialect {dialect}")
    result = session.execute(statement.values(**values)
                             .on_conflict_do_nothing(index_elements=list(unique)))
    return bool(result.rowcount == 1)
