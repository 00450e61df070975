"""Per-tenant branding of the hosted pages (issue 10 item 7): a logo (by https URL or an
uploaded image) and a primary colour. The display name is the tenant's ``display_name``.

Everything stored here ends up in a page, a stylesheet or a Content-Security-Policy
header, so the rules are strict: a colour is only ``#rgb`` or ``#rrggbb`` (nothing else can
reach the CSS), a logo URL is https with a plain host (it also goes into ``img-src``), and
an uploaded image is PNG, JPEG or WebP recognised by its first bytes, never by a file
name. SVG is refused: it can carry script, and served from the issuer's origin it would
run there.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from authserver.services.errors import InvalidInput
from authserver.storage.database import Database
from authserver.storage.models import Tenant

MAX_LOGO_BYTES = 256 * 1024
MAX_LOGO_URL = 2000
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# A DNS name or IPv4 address, optionally with a port: nothing that could end a CSP source.
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?(?::[0-9]{1,5})?$")
# Characters a logo URL's path and query may hold: RFC 3986 unreserved, sub-delims minus
# those with a meaning in a CSP header or an HTML attribute (';', ',', quotes), and '%'.
_URL_REST = re.compile(r"^[A-Za-z0-9\-._~/%!$&()*+=:@?]*$")


@dataclass(frozen=True, slots=True)
class Branding:
    """What the pages need; ``logo_etag`` is set when a logo was uploaded."""

    color: str | None = None
    logo_url: str | None = None
    logo_etag: str | None = None

    @property
    def logo_origin(self) -> str | None:
        """The origin an https logo is loaded from (for ``img-src``)."""
        if not self.logo_url:
            return None
        parts = urlsplit(self.logo_url)
        return f"{parts.scheme}://{parts.netloc}"


NO_BRANDING = Branding()


@dataclass(frozen=True, slots=True)
class BrandingChange:
    """None leaves a setting as it is; "" (or b"" for the image) clears it. A new logo
    URL replaces an uploaded image and an upload replaces a URL."""

    color: str | None = None
    logo_url: str | None = None
    logo: bytes | None = None

    def is_empty(self) -> bool:
        return self.color is None and self.logo_url is None and self.logo is None


def validate_color(value: str) -> str:
    if not _COLOR.fullmatch(value):
        raise InvalidInput("brand_color", "give a colour as #rgb or #rrggbb, e.g. #0a5")
    return value.lower()


def validate_logo_url(value: str) -> str:
    problem = "give an https URL of an image, e.g. https://cdn.example.com/logo.png"
    if len(value) > MAX_LOGO_URL:
        raise InvalidInput("brand_logo_url", f"longer than {MAX_LOGO_URL} characters")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise InvalidInput("brand_logo_url", problem) from None
    netloc = parts.netloc.lower()
    if (parts.scheme != "https" or not netloc or parts.fragment or "@" in netloc
            or not _HOST.fullmatch(netloc) or (port is not None and not 0 < port < 65536)
            or not _URL_REST.fullmatch(value[len("https://") + len(netloc):])):
        raise InvalidInput("brand_logo_url", problem)
    return f"https://{netloc}{value[len('https://') + len(netloc):]}"


def image_type(data: bytes) -> str:
    """The media type of an uploaded logo, from its magic bytes."""
    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInput("brand_logo", f"the image is larger than {MAX_LOGO_BYTES // 1024} KiB")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise InvalidInput("brand_logo", "the file is not a PNG, JPEG or WebP image (SVG is "
                                     "refused: it can carry script)")


def apply_change(tenant: Tenant, change: BrandingChange) -> None:
    if change.logo_url is not None and change.logo is not None and (change.logo_url
                                                                    and change.logo):
        raise InvalidInput("brand_logo", "give a logo URL or an image file, not both")
    if change.color is not None:
        tenant.brand_color = validate_color(change.color) if change.color else None
    if change.logo_url is not None:
        tenant.brand_logo_url = validate_logo_url(change.logo_url) if change.logo_url else None
        if change.logo_url:
            tenant.brand_logo = tenant.brand_logo_type = None
    if change.logo is not None:
        if change.logo:
            tenant.brand_logo_type = image_type(change.logo)
            tenant.brand_logo = change.logo
            tenant.brand_logo_url = None
        else:
            tenant.brand_logo = tenant.brand_logo_type = None


def logo_etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def branding_of(row: Tenant) -> Branding:
    return Branding(row.brand_color, row.brand_logo_url,
                    logo_etag(row.brand_logo) if row.brand_logo else None)


def branding_view(row: Tenant) -> dict[str, object]:
    """What operators see (``tenant show``)."""
    return {"brand_color": row.brand_color, "brand_logo_url": row.brand_logo_url,
            "brand_logo": ({"type": row.brand_logo_type, "bytes": len(row.brand_logo)}
                           if row.brand_logo else None)}


@dataclass(frozen=True, slots=True)
class Logo:
    data: bytes
    media_type: str
    etag: str


def uploaded_logo(database: Database, tenant_id: int) -> Logo | None:
    """The tenant's uploaded logo, for ``{issuer}/branding/logo``."""
    with database.unit_of_work() as uow:
        row = uow.tenants.get(tenant_id)
        if row is None or not row.brand_logo or not row.brand_logo_type:
            return None
        return Logo(bytes(row.brand_logo), row.brand_logo_type, logo_etag(row.brand_logo))
