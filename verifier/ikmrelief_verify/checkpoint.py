"""C2SP tlog-checkpoint: a log's origin, tree size and root hash as the text of a signed note."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from ikmrelief_verify.note import NoteError


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "\n".join(lines) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise NoteError("a checkpoint ends in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise NoteError("a checkpoint is at least three non-empty lines")
        origin, size, root = lines[:3]
        if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError("the tree size is a decimal number without leading zeroes")
        try:
            root_bytes = base64.b64decode(root, validate=True)
        except ValueError:
            raise NoteError("the root hash is not base64") from None
        if len(root_bytes) != 32:
            raise NoteError("the root hash is not 32 bytes")
        return cls(origin, int(size), root_bytes, tuple(lines[3:]))
