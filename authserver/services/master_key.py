"""Where the master key comes from: settings, a key file, or (development only) a new file.

Production refuses to start without a configured key (checked in settings); development
creates ``instance/master.key`` on first use and says so loudly, because losing that
file makes every stored private key unreadable.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from authserver.settings import MASTER_KEY_BYTES, Settings, SettingsError, parse_master_key

log = logging.getLogger(__name__)
DEV_KEY_NAME = "master.key"


def load_master_key(settings: Settings) -> bytes:
    """Return the 32-byte master key, generating a development one when none is set."""
    if settings.master_key is not None:
        return settings.master_key
    if settings.master_key_file is not None:
        return _read_key_file(settings.master_key_file, "MASTER_KEY_FILE")
    if settings.is_production:  # settings validation already refuses this; belt and braces
        raise SettingsError("MASTER_KEY", "production needs MASTER_KEY or MASTER_KEY_FILE")
    path = settings.instance_path / DEV_KEY_NAME
    if path.exists():
        return _read_key_file(path, "MASTER_KEY_FILE")
    return _create_dev_key(path)


def _read_key_file(path: Path, setting: str) -> bytes:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise SettingsError(setting, f"file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(setting, f"cannot read {path}: {exc}") from None
    try:
        return parse_master_key(text)
    except ValueError as exc:
        raise SettingsError(setting, f"{path}: {exc}") from None


def _create_dev_key(path: Path) -> bytes:
    key = secrets.token_bytes(MASTER_KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two processes starting at once must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path, "MASTER_KEY_FILE")
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    log.warning(
        "DEVELOPMENT MODE: no AUTHSERVER_MASTER_KEY configured, generated %s. "
        "Every private key in the database is encrypted under it: back it up, and set "
        "AUTHSERVER_MASTER_KEY or AUTHSERVER_MASTER_KEY_FILE before going to production.",
        path.resolve(),
    )
    return key
