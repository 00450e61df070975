"""A change to a list field (redirect URIs, scopes …): replace it whole, or add and remove
values — one rule for the CLI's --X / --add-X / --remove-X and the admin API alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from authserver.services.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class ListEdit:
    """A change to a list: ``replace`` it whole, or ``add`` and ``remove`` values.

    Adding a value already there changes nothing; removing one that is not there is
    refused, because it is most likely a typo that would leave the intended value
    registered.
    """

    replace: Sequence[str] | None = None
    add: Sequence[str] = ()
    remove: Sequence[str] = ()

    @property
    def is_empty(self) -> bool:
        return self.replace is None and not self.add and not self.remove

    def apply(self, current: Sequence[str], field_name: str) -> list[str]:
        if self.replace is not None and (self.add or self.remove):
            raise InvalidInput(field_name, "replace the list or add/remove values, not both")
        if self.replace is not None:
            return list(dict.fromkeys(self.replace))
        missing = [v for v in self.remove if v not in current]
        if missing:
            raise InvalidInput(field_name, f"{missing[0]!r} is not registered (registered: "
                               f"{', '.join(map(repr, current)) or 'none'})")
        kept = [v for v in current if v not in self.remove]
        return list(dict.fromkeys([*kept, *self.add]))
