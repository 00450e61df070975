"""Strict, fast base64url decoding for JWS segments (RFC 7515 §2, no padding)."""

from __future__ import annotations

import binascii

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
# Value of each alphabet byte, used to check the unused low bits of the last
# character. Non-zero leftover bits mean a second spelling of the same bytes;
# accepting it would let anyone alter a token's text without changing what it
# decodes to, which breaks "a modified token is never accepted".
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}
_PAD = (b"", b"", b"==", b"=")
_LEFTOVER_MASK = (0, 0, 0x0F, 0x03)


def b64url_decode(segment: bytes) -> bytes:
    """Decode an unpadded base64url segment, rejecting any non-canonical spelling.

    Raises ``ValueError`` on characters outside the base64url alphabet
    (including ``+``, ``/`` and ``=``), on impossible lengths and on
    non-zero leftover bits.

    Example::

        >>> b64url_decode(b"eyJhIjoxfQ")
        b'{"a":1}'
    """
    rem = len(segment) & 3
    if rem == 1:
        raise ValueError("invalid base64url length")
    # translate(None, delete) strips every legal byte at C speed: anything left
    # is an illegal character. binascii alone would silently skip them.
    if segment.translate(None, _ALPHABET):
        raise ValueError("invalid base64url character")
    if rem and _VALUE[segment[-1]] & _LEFTOVER_MASK[rem]:
        raise ValueError("non-canonical base64url encoding")
    try:
        return binascii.a2b_base64(segment.translate(_TO_STANDARD) + _PAD[rem])
    except binascii.Error as exc:  # pragma: no cover - guarded by the checks above
        raise ValueError("invalid base64url") from exc


def b64url_encode(data: bytes) -> bytes:
    """Encode ``data`` as unpadded base64url.

    Example::

        >>> b64url_encode(b'{"a":1}')
        b'eyJhIjoxfQ'
    """
    return (
        binascii.b2a_base64(data, newline=False)
        .translate(bytes.maketrans(b"+/", b"-_"))
        .rstrip(b"=")
    )
