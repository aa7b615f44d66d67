"""A C2SP tlog-witness (c2sp.org/tlog-witness): it cosigns a log's checkpoint only when the log
proves the checkpoint consistent with the last one this witness cosigned, so that a log cannot
show two histories. Its own process, key and storage; no Django.

    ikmrelief-witness --key 'PRIVATE+KEY+saksi.example/w1+…' --log 'ikmrelief.example.go.id/buku-besar+…' \\
        --state saksi.json --listen 127.0.0.1:7380

``POST /add-checkpoint``: ``old <size>``, the consistency proof lines, a blank line, the checkpoint;
200 with the cosignature line, 409 (``text/x.tlog.size``) with the size it knows, 400/403/404/422
as the specification says.
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ikmrelief_verify import merkle, note
from ikmrelief_verify.checkpoint import Checkpoint

MAX_BODY = 64 * 1024
MAX_PROOF = 63


class Rejected(Exception):
    def __init__(self, status: int, message: str, content_type: str = "text/plain; charset=utf-8"):
        super().__init__(message)
        self.status, self.message, self.content_type = status, message, content_type


class Witness:
    def __init__(self, signer: note.Signer, logs: list[note.Verifier], state: Path):
        if signer.sig_type != note.COSIGNATURE_V1:
            signer = note.Signer(signer.name, note.COSIGNATURE_V1, signer.private_key)
        self.signer, self.state, self._lock = signer, Path(state), threading.Lock()
        self.logs: dict[str, list[note.Verifier]] = {}
        for verifier in logs:
            self.logs.setdefault(verifier.name, []).append(verifier)

    def _read(self) -> dict:
        return json.loads(self.state.read_text()) if self.state.exists() else {}

    def _write(self, data: dict) -> None:
        tmp = self.state.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.state)  # the new state, whole, before the cosignature leaves

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line(s) for a valid request; ``Rejected`` with the status otherwise."""
        try:
            text = body.decode("utf-8")
            head, _, note_text = text.partition("\n\n")
            lines = head.split("\n")
            if not lines[0].startswith("old "):
                raise ValueError("no old size line")
            old_text = lines[0][4:]
            if not old_text.isdigit() or (old_text != "0" and old_text.startswith("0")):
                raise ValueError("bad old size")
            old = int(old_text)
            proof = [base64.b64decode(line, validate=True) for line in lines[1:]]
            if len(proof) > MAX_PROOF:
                raise ValueError("too many proof lines")
        except (UnicodeDecodeError, ValueError) as exc:
            raise Rejected(400, f"malformed request: {exc}") from None
        try:
            checkpoint_text, _signatures = note.parse(note_text)
            checkpoint = Checkpoint.parse(checkpoint_text)
        except note.NoteError as exc:
            raise Rejected(400, f"malformed checkpoint: {exc}") from None
        known = self.logs.get(checkpoint.origin)
        if known is None:
            raise Rejected(404, "unknown log")
        try:
            note.open_note(note_text, known)
        except note.NoteError as exc:
            raise Rejected(403, f"checkpoint not signed by the log: {exc}") from None
        if old > checkpoint.size:
            raise Rejected(400, "old size larger than the checkpoint")
        with self._lock, open(self.state.with_suffix(".lock"), "a") as lockfile:
            fcntl.flock(lockfile, fcntl.LOCK_EX)  # check and persist as one step, across processes too
            state = self._read()
            latest = state.get(checkpoint.origin, {"size": 0, "root": base64.b64encode(merkle.EMPTY_ROOT).decode()})
            if old != latest["size"]:
                raise Rejected(409, f"{latest['size']}\n", "text/x.tlog.size")
            if checkpoint.size == 0 and checkpoint.root != merkle.EMPTY_ROOT:
                raise Rejected(422, "an empty tree has the empty root")
            if old == 0:
                if proof:
                    raise Rejected(422, "no proof from the empty tree")
            elif old == checkpoint.size:
                if proof or base64.b64decode(latest["root"]) != checkpoint.root:
                    raise Rejected(422, "same size, another root")
            else:
                try:
                    merkle.verify_consistency(old, checkpoint.size, proof, base64.b64decode(latest["root"]),
                                              checkpoint.root)
                except merkle.ProofError as exc:
                    raise Rejected(422, f"not consistent with the checkpoint of size {old}: {exc}") from None
            state[checkpoint.origin] = {"size": checkpoint.size, "root": base64.b64encode(checkpoint.root).decode()}
            self._write(state)
        signature = note.Signature(self.signer.name, self.signer.verifier.key_id,
                                   self.signer.signature(checkpoint_text, int(time.time()))[4:])
        return signature.line


def server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            if self.path.rstrip("/").split("/")[-1] != "add-checkpoint":
                return self._send(404, "not found")
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._send(400, "request too large")
            try:
                return self._send(200, witness.add_checkpoint(self.rfile.read(length)))
            except Rejected as exc:
                return self._send(exc.status, exc.message, exc.content_type)

        def _send(self, status, text, content_type="text/plain; charset=utf-8"):
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer((host, port), Handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ikmrelief-witness", description=__doc__.split("\n\n")[0])
    parser.add_argument("--key", required=True, help="this witness's signing key (PRIVATE+KEY+name+id+key)")
    parser.add_argument("--log", action="append", required=True, help="a log's verifier key (repeatable)")
    parser.add_argument("--state", type=Path, required=True, help="where the latest cosigned checkpoints are kept")
    parser.add_argument("--listen", default="127.0.0.1:7380", help="host:port")
    args = parser.parse_args(argv)
    signer = note.Signer.from_key(args.key)
    witness = Witness(signer, [note.Verifier.from_vkey(v) for v in args.log], args.state)
    host, port = args.listen.rsplit(":", 1)
    print(f"witness {witness.signer.name} ({witness.signer.verifier.vkey}) on {args.listen}", flush=True)
    server(witness, host, int(port)).serve_forever()
    return 0


def new_key(argv: list[str] | None = None) -> int:
    """``ikmrelief-witness-key NAME``: a new witness key and the verifier key to give the log."""
    name = (argv if argv is not None else __import__("sys").argv[1:])[0]
    signer = note.Signer.generate(name, note.COSIGNATURE_V1)
    print(signer.key)
    print(signer.verifier.vkey)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
