"""Reading a user-import CSV file (RFC 4180, UTF-8): the file-level checks and each
row's own checks that need no database (issue 11 item 8).

The first row is the header: ``email`` is required; ``given_name``, ``family_name``,
``phone`` and ``roles`` may be left out; their order is free; any other column, or a
column named twice, refuses the whole file (:class:`FileRefused`), as does a file over
:data:`MAX_BYTES`, over :data:`MAX_ROWS` rows, not UTF-8 or not CSV at all. A row is
numbered by the file line it ends on (the header is line 1), as a spreadsheet shows it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from authserver.services.accounts import normalise_email
from authserver.services.errors import InvalidInput
from authserver.services.phone_numbers import normalise_phone

COLUMNS = ("email", "given_name", "family_name", "phone", "roles")
REQUIRED = ("email",)
MAX_BYTES = 1024 * 1024  # 1 MiB: ~10,000 typical rows, far more than MAX_ROWS needs
MAX_ROWS = 1000  # one unit of work; larger lists are split into several files
MAX_ROLES = 50  # per row; each role name is checked by the role service
MAX_ROLE_NAME = 100


class FileRefused(InvalidInput):
    """The file as a whole cannot be imported; nothing was."""

    def __init__(self, problem: str) -> None:
        super().__init__("file", problem)


class FileTooLarge(FileRefused):
    """Over :data:`MAX_BYTES` (the admin API answers 413)."""


@dataclass(frozen=True, slots=True)
class Rejection:
    row: int
    column: str
    reason: str


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row, its values normalised (email lower-cased, phone E.164)."""

    row: int
    email: str
    given_name: str | None = None
    family_name: str | None = None
    phone: str | None = None
    roles: tuple[str, ...] = ()


@dataclass(slots=True)
class ParsedFile:
    rows: list[CsvRow] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.rejected)


def _text(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise FileTooLarge(f"the file is {len(data)} bytes; at most {MAX_BYTES} are "
                           "accepted (split it into several files)")
    try:
        # utf-8-sig: spreadsheet programs start their UTF-8 exports with a BOM.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused("the file is not UTF-8 text (save it as \"CSV UTF-8\")") from None
    if "\x00" in text:
        raise FileRefused("the file contains NUL characters: it is not a CSV text file")
    return text


def _header(cells: list[str] | None) -> list[str]:
    if not cells:
        raise FileRefused("the file is empty: the first line must be the header "
                          f"({','.join(COLUMNS)})")
    names = [cell.strip().lower() for cell in cells]
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise FileRefused(f"unknown column(s) {', '.join(map(repr, unknown))} in the "
                          f"header; the columns are {', '.join(COLUMNS)}")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise FileRefused(f"column(s) {', '.join(twice)} appear more than once in the header")
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise FileRefused(f"the header lacks the required column(s) {', '.join(missing)}")
    return names


def parse(data: bytes) -> ParsedFile:
    """The file's rows, each either a :class:`CsvRow` or a :class:`Rejection` (its first
    problem); a later row repeating an earlier row's email or phone is rejected."""
    reader = csv.reader(io.StringIO(_text(data), newline=""), strict=True)
    try:
        names = _header(next(reader, None))
        parsed, seen = ParsedFile(), _Seen()
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # a blank line (or a line of empty cells) is no row
            if parsed.total >= MAX_ROWS:
                raise FileRefused(f"the file has more than {MAX_ROWS} rows; split it into "
                                  "several files")
            _add(parsed, seen, reader.line_num, names, cells)
    except csv.Error as exc:
        raise FileRefused(f"line {reader.line_num} is not valid CSV ({exc})") from None
    return parsed


@dataclass(slots=True)
class _Seen:
    """Rows by normalised email and phone, for duplicates within the file."""

    emails: dict[str, int] = field(default_factory=dict)
    phones: dict[str, int] = field(default_factory=dict)


def _add(parsed: ParsedFile, seen: _Seen, line: int, names: list[str],
         cells: list[str]) -> None:
    if len(cells) > len(names):
        parsed.rejected.append(Rejection(line, "*", f"the row has {len(cells)} fields, the "
                                         f"header {len(names)}"))
        return
    # A short row's missing trailing cells are empty, as spreadsheets often save them.
    values = dict(zip(names, cells + [""] * (len(names) - len(cells)), strict=True))
    try:
        row = _row(line, values)
    except InvalidInput as bad:
        parsed.rejected.append(Rejection(line, bad.field, bad.problem))
        return
    if (first := seen.emails.get(row.email)) is not None:
        parsed.rejected.append(Rejection(line, "email", f"the same email as row {first}"))
    elif row.phone is not None and (first := seen.phones.get(row.phone)) is not None:
        parsed.rejected.append(Rejection(line, "phone",
                                         f"the same phone number as row {first}"))
    else:
        seen.emails[row.email] = line
        if row.phone is not None:
            seen.phones[row.phone] = line
        parsed.rows.append(row)


def _optional(values: dict[str, str], name: str) -> str | None:
    return values.get(name, "").strip() or None


def _row(line: int, values: dict[str, str]) -> CsvRow:
    email = values["email"].strip()
    if not email:
        raise InvalidInput("email", "required")
    phone = _optional(values, "phone")
    return CsvRow(row=line, email=normalise_email(email),
                  given_name=_optional(values, "given_name"),
                  family_name=_optional(values, "family_name"),
                  phone=normalise_phone(phone) if phone is not None else None,
                  roles=_roles(values.get("roles", "")))


def _roles(cell: str) -> tuple[str, ...]:
    """``admin;support`` → ("admin", "support"): separated by ``;``, spaces around names
    ignored, empty names and repeats dropped."""
    names = tuple(dict.fromkeys(n.strip() for n in cell.split(";") if n.strip()))
    if len(names) > MAX_ROLES:
        raise InvalidInput("roles", f"at most {MAX_ROLES} roles per row")
    if any(len(n) > MAX_ROLE_NAME for n in names):
        raise InvalidInput("roles", f"a role name is at most {MAX_ROLE_NAME} characters")
    return names
