"""A tiny SMTP server on loopback for the mail fault tests: it accepts mail, or stalls at DATA.

Only what Django's SMTP backend says is answered (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT). In
``stall`` mode the server reads the DATA command and then says nothing, as a server that hangs does,
until ``release()``; the client's own timeout is what must end the wait.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field


@dataclass
class FakeSmtp:
    port: int = 0
    stall: bool = False
    received: list[str] = field(default_factory=list)  # each message's raw text
    data_seen: threading.Event = field(default_factory=threading.Event)
    _released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self._released.set()

    def _serve_one(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")

        def say(line: str) -> None:
            conn.sendall(line.encode() + b"\r\n")

        say("220 fake.smtp ready")
        while line := reader.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250 fake.smtp")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                say("250 OK")
            elif verb == "DATA":
                self.data_seen.set()
                if self.stall:
                    self._released.wait(120)
                    return
                say("354 end with <CRLF>.<CRLF>")
                body = []
                while (chunk := reader.readline()) not in (b".\r\n", b""):
                    body.append(chunk.decode(errors="replace"))
                self.received.append("".join(body))
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("502 not implemented")


@contextmanager
def fake_smtp(*, stall: bool = False) -> Iterator[FakeSmtp]:
    """Serve on 127.0.0.1 on a free port until the block ends; each connection on its own thread."""
    server = FakeSmtp(stall=stall)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    server.port = listener.getsockname()[1]
    stop = threading.Event()

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=_handle, args=(conn,), daemon=True).start()

    def _handle(conn: socket.socket) -> None:
        with conn, suppress(OSError):  # OSError: the client went away (timed out, or was killed)
            server._serve_one(conn)

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release()
        stop.set()
        thread.join(5)
        listener.close()
