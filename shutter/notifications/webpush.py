"""Web Push's cryptography: the instance's VAPID key (RFC 8292) and message encryption
(RFC 8291, the `aes128gcm` content coding of RFC 8188).

Built on `cryptography` alone (decision 0017): the wire format is a few HKDF and AES-GCM
calls, and the Python push libraries bring a synchronous HTTP client we do not use.
Nothing here touches the database or the network; `service/push.py` decides what is
sent and `push_sender.py` sends it.

The VAPID key is the instance's identity towards push services: every browser
subscription is bound to its public half, so it must never change under a running
instance. It comes from SHUTTER_VAPID_PRIVATE_KEY when set; otherwise the embedded profile
generates it once into `<var_dir>/vapid_private_key` (as it does the secret key), and a
scaled instance without the setting derives it from SHUTTER_SECRET_KEY, which every
process shares already.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shutter.infra.settings import Settings, SettingsError

# RFC 8291 §4: one record; a push service accepts at least 4096 bytes of body, of which
# the header takes 86 and the AEAD tag 16.
RECORD_SIZE = 4096
MAX_PLAINTEXT = RECORD_SIZE - 86 - 16 - 1
# How long a VAPID token is valid (RFC 8292 §2: at most 24 hours).
JWT_LIFETIME_SECONDS = 12 * 3600
_KEY_FILE = "vapid_private_key"
# P-256's group order: a derived scalar is reduced into [1, n-1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class BadKey(ValueError):
    """A subscription's p256dh or auth is not what RFC 8291 requires."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; plain base64 too (some clients send it)."""
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    if not cleaned or any(not (c.isalnum() or c in "-_") for c in cleaned) or not cleaned.isascii():
        raise BadKey("is not base64url")
    if len(cleaned) % 4 == 1:
        raise BadKey("is not base64url")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


def parse_p256dh(text: str) -> ec.EllipticCurvePublicKey:
    """The user agent's public key: an uncompressed point on P-256 (65 bytes)."""
    raw = b64url_decode(text)
    if len(raw) != 65 or raw[0] != 4:
        raise BadKey("is not an uncompressed P-256 public key")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise BadKey("is not a point on P-256") from None


def parse_auth(text: str) -> bytes:
    """The user agent's authentication secret: 16 bytes."""
    raw = b64url_decode(text)
    if len(raw) != 16:
        raise BadKey("is not 16 bytes")
    return raw


def public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


# --- the instance's VAPID key ------------------------------------------------------------


@dataclass(frozen=True)
class VapidKey:
    private: ec.EllipticCurvePrivateKey

    @property
    def public_key(self) -> str:
        """The application server key browsers subscribe with (base64url, 65 bytes)."""
        return b64url_encode(public_bytes(self.private.public_key()))

    def authorization(self, endpoint: str, *, subject: str, now: float | None = None) -> str:
        """The `Authorization` header of a push to `endpoint` (RFC 8292 §3)."""
        parts = urlsplit(endpoint)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int(now if now is not None else time.time()) + JWT_LIFETIME_SECONDS,
            "sub": subject,
        }
        header = b64url_encode(json.dumps({"typ": "JWT", "alg": "ES256"}).encode())
        body = b64url_encode(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{body}".encode()
        r, s = decode_dss_signature(self.private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        return f"vapid t={header}.{body}.{signature}, k={self.public_key}"


def _from_scalar(raw: bytes) -> ec.EllipticCurvePrivateKey:
    value = int.from_bytes(raw, "big")
    if not 0 < value < _P256_ORDER:
        raise ValueError("out of range")
    return ec.derive_private_key(value, ec.SECP256R1())


def _scalar_of(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url_encode(key.private_numbers().private_value.to_bytes(32, "big"))


def _derived(secret: str) -> ec.EllipticCurvePrivateKey:
    okm = HKDF(hashes.SHA256(), 48, salt=None, info=b"shutter vapid key").derive(secret.encode())
    return ec.derive_private_key(int.from_bytes(okm, "big") % (_P256_ORDER - 1) + 1, ec.SECP256R1())


def _generated_once(settings: Settings) -> ec.EllipticCurvePrivateKey:
    path = settings.var_dir / _KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = ec.generate_private_key(ec.SECP256R1())
        # O_EXCL: two processes starting together keep the same key (the loser reads it).
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(_scalar_of(fresh))
    return _from_scalar(b64url_decode(path.read_text()))


_loaded: dict[tuple[str, str], VapidKey] = {}


def vapid_key(settings: Settings) -> VapidKey:
    """The instance's VAPID key (see the module's docstring for where it comes from)."""
    configured = settings.vapid_private_key
    cache_key = (str(settings.var_dir), configured.get_secret_value() if configured else "")
    found = _loaded.get(cache_key)
    if found is not None:
        return found
    if configured is not None:
        try:
            private = _from_scalar(b64url_decode(configured.get_secret_value()))
        except ValueError:
            raise SettingsError(
                "SHUTTER_VAPID_PRIVATE_KEY must be a P-256 private key: 32 bytes in base64url"
            ) from None
    elif settings.is_postgres:
        private = _derived(settings.secret)
    else:
        private = _generated_once(settings)
    key = VapidKey(private)
    if settings.vapid_public_key and settings.vapid_public_key.rstrip("=") != key.public_key:
        raise SettingsError("SHUTTER_VAPID_PUBLIC_KEY is not the public half of the private key")
    _loaded[cache_key] = key
    return key


# --- message encryption (RFC 8291) --------------------------------------------------------


def _hmac(key: bytes, data: bytes) -> bytes:
    mac = HMAC(key, hashes.SHA256())
    mac.update(data)
    return mac.finalize()


def encrypt(
    plaintext: bytes,
    *,
    p256dh: str,
    auth: str,
    salt: bytes | None = None,
    sender: ec.EllipticCurvePrivateKey | None = None,
) -> bytes:
    """`plaintext` as an `aes128gcm` body for the subscription's keys (RFC 8291 §3–4).

    A fresh sender key and salt per message (the parameters exist for RFC 8291's test
    vector); one record, so the plaintext is at most MAX_PLAINTEXT bytes.
    """
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"a push message holds at most {MAX_PLAINTEXT} bytes")
    receiver = parse_p256dh(p256dh)
    auth_secret = parse_auth(auth)
    sender = sender or ec.generate_private_key(ec.SECP256R1())
    salt = salt or os.urandom(16)
    ua_public, as_public = public_bytes(receiver), public_bytes(sender.public_key())
    shared = sender.exchange(ec.ECDH(), receiver)
    # §3.3: the input keying material mixes the auth secret into the ECDH secret.
    prk_key = _hmac(auth_secret, shared)
    ikm = _hmac(prk_key, b"WebPush: info\x00" + ua_public + as_public + b"\x01")
    # RFC 8188 §2.2–2.3: content encryption key and nonce from the salt.
    prk = _hmac(salt, ikm)
    cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
    nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
    # The last (and only) record ends with the delimiter 0x02 and no padding.
    sealed = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    header = salt + struct.pack("!IB", RECORD_SIZE, len(as_public)) + as_public
    return header + sealed
