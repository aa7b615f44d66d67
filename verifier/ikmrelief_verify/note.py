"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 signatures (type 0x01) and Ed25519
timestamped cosignatures (type 0x04, c2sp.org/tlog-cosignature), verifier keys (vkeys) and the
private-key strings of Go's ``golang.org/x/mod/sumdb/note`` (``PRIVATE+KEY+name+id+key``).

    signer = Signer.from_key(os.environ["LEDGER_SIGNING_KEY"])
    note = sign(text, [signer])                       # text + blank line + "— name sig" lines
    text = open_note(note, [Verifier.from_vkey(vkey)])  # raises NoteError unless a known key signed
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 64


class NoteError(ValueError):
    """A note that is malformed, unsigned by a known key, or badly signed (the message says which)."""


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()[:4]


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"bad key name {name!r}")
    return name


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What an Ed25519 cosigner signs: ``cosignature/v1``, ``time <t>``, then the note text."""
    if not 0 <= timestamp < 2**63:
        raise NoteError("cosignature time out of range")
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


@dataclass(frozen=True)
class Verifier:
    name: str
    sig_type: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.sig_type, self.public_key)

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{base64.b64encode(bytes([self.sig_type]) + self.public_key).decode()}"

    @classmethod
    def from_vkey(cls, vkey: str) -> Verifier:
        parts = vkey.strip().split("+", 2)  # the key's base64 may hold "+" too
        if len(parts) != 3:
            raise NoteError("a verifier key is name+id+key")
        name, hex_id, material = parts
        try:
            raw = base64.b64decode(material, validate=True)
            wanted = bytes.fromhex(hex_id)
        except ValueError as exc:
            raise NoteError(f"malformed verifier key: {exc}") from None
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1) or len(wanted) != 4:
            raise NoteError("only Ed25519 verifier keys (type 0x01 or 0x04) are supported")
        verifier = cls(_check_name(name), raw[0], raw[1:])
        if verifier.key_id != wanted:
            raise NoteError("the verifier key's id does not match its name and key")
        return verifier

    def verify(self, text: str, signature: bytes) -> int | None:
        """Raises ``NoteError`` if ``signature`` (without the key id) is not this key's over ``text``;
        returns the cosignature's time for type 0x04."""
        public = Ed25519PublicKey.from_public_bytes(self.public_key)
        try:
            if self.sig_type == ED25519:
                if len(signature) != 64:
                    raise NoteError(f"{self.name}: an Ed25519 signature is 64 bytes")
                public.verify(signature, text.encode())
                return None
            if len(signature) != 72:
                raise NoteError(f"{self.name}: a cosignature is 8 + 64 bytes")
            (timestamp,) = struct.unpack(">Q", signature[:8])
            public.verify(signature[8:], cosigned_message(text, timestamp))
            return timestamp
        except InvalidSignature:
            raise NoteError(f"{self.name}: the signature does not verify") from None


@dataclass(frozen=True)
class Signer:
    name: str
    sig_type: int
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        public = self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return Verifier(self.name, self.sig_type, public)

    @classmethod
    def generate(cls, name: str, sig_type: int = ED25519) -> Signer:
        return cls(_check_name(name), sig_type, Ed25519PrivateKey.generate())

    @property
    def key(self) -> str:
        """``PRIVATE+KEY+name+id+base64(type || seed)``, as Go's note package writes it."""
        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        material = base64.b64encode(bytes([self.sig_type]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{material}"

    @classmethod
    def from_key(cls, key: str) -> Signer:
        parts = key.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signing key is PRIVATE+KEY+name+id+key")
        try:
            raw = base64.b64decode(parts[4], validate=True)
        except ValueError as exc:
            raise NoteError(f"malformed signing key: {exc}") from None
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
            raise NoteError("only Ed25519 signing keys are supported")
        signer = cls(_check_name(parts[2]), raw[0], Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.verifier.key_id.hex() != parts[3].lower():
            raise NoteError("the signing key's id does not match its name and key")
        return signer

    def signature(self, text: str, timestamp: int | None = None) -> bytes:
        """key id || signature (|| for a cosignature: key id || time || signature)."""
        if self.sig_type == ED25519:
            return self.verifier.key_id + self.private_key.sign(text.encode())
        return (self.verifier.key_id + struct.pack(">Q", timestamp)
                + self.private_key.sign(cosigned_message(text, timestamp)))


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes  # after the key id

    @property
    def line(self) -> str:
        return f"— {self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("the note text must end in a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("control characters in the note")


def parse(note: str | bytes) -> tuple[str, list[Signature]]:
    """The text (with its final newline) and the signatures of a signed note."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("a note is UTF-8") from None
    _check_text(note)
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("no blank line before the signatures")
    text, block = note[:cut + 1], note[cut + 2:]
    signatures = []
    for line in block.splitlines():
        if not line.startswith("— "):
            raise NoteError(f"not a signature line: {line[:40]!r}")
        try:
            name, encoded = line[2:].split(" ")
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise NoteError(f"malformed signature line: {line[:40]!r}") from None
        if len(raw) < 5:
            raise NoteError("a signature is a key id and at least one byte")
        signatures.append(Signature(_check_name(name), raw[:4], raw[4:]))
    if not signatures:
        raise NoteError("no signatures")
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError("too many signatures")
    return text, signatures


def format_note(text: str, signatures: list[Signature]) -> str:
    _check_text(text)
    return text + "\n" + "".join(s.line for s in signatures)


def sign(text: str, signers: list[Signer], timestamp: int | None = None) -> str:
    return format_note(text, [Signature(s.name, s.verifier.key_id, s.signature(text, timestamp)[4:])
                              for s in signers])


def open_note(note: str | bytes, verifiers: list[Verifier]) -> tuple[str, dict[str, int | None]]:
    """The text of ``note`` and, per known key that signed it, ``None`` (a signature) or the time
    of its cosignature. Unknown keys are ignored; a known key's bad signature rejects the note;
    so does a note no known key signed."""
    text, signatures = parse(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: dict[str, int | None] = {}
    for s in signatures:
        verifier = known.get((s.name, s.key_id))
        if verifier is not None:
            verified[s.name] = verifier.verify(text, s.signature)
    if not verified:
        raise NoteError("no signature from a known key")
    return text, verified
