"""A small SMTP server for the fault suite, with the failures the portal must survive:
``normal`` (250 to everything), ``down`` (nothing listens: connection refused), ``hang`` (accepts
the connection and never greets) and ``drop_ack`` (takes the whole message, then closes the
connection instead of answering 250). Every message whose data arrived is kept, acknowledged or
not, with its Message-ID and recipients."""

from __future__ import annotations

import email
import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Received:
    message_id: str
    recipients: list[str]
    acknowledged: bool
    subject: str


@dataclass
class FaultySMTPServer:
    port: int
    mode: str = "normal"
    received: list[Received] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self):
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- control ---
    def set_mode(self, mode: str) -> None:
        assert mode in ("normal", "down", "hang", "drop_ack"), mode
        self.mode = mode
        if mode == "down":
            self._close_listener()
        elif self._listener is None:
            self._open_listener()

    def start(self) -> FaultySMTPServer:
        self.set_mode(self.mode)
        return self

    def stop(self) -> None:
        self._stop.set()
        self._close_listener()

    def _open_listener(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def _close_listener(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._session, args=(conn, self.mode), daemon=True).start()

    # --- one SMTP session ---
    def _session(self, conn: socket.socket, mode: str) -> None:
        conn.settimeout(30)
        reader = conn.makefile("rb")

        def reply(line: str) -> None:
            conn.sendall((line + "\r\n").encode())

        try:
            if mode == "hang":
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and not self._stop.is_set() and self.mode == "hang":
                    time.sleep(0.2)
                return
            reply("220 faults.invalid ESMTP ready")
            recipients: list[str] = []
            while True:
                line = reader.readline()
                if not line:
                    return
                command = line.decode(errors="replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    reply("250 faults.invalid")
                elif verb == "MAIL":
                    recipients = []
                    reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                    reply("250 OK")
                elif verb == "DATA":
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    chunks = []
                    while True:
                        data_line = reader.readline()
                        if not data_line or data_line in (b".\r\n", b".\n"):
                            break
                        chunks.append(data_line[1:] if data_line.startswith(b"..") else data_line)
                    parsed = email.message_from_bytes(b"".join(chunks))
                    drop = self.mode == "drop_ack"
                    with self._lock:
                        self.received.append(
                            Received(
                                message_id=str(parsed.get("Message-ID", "")).strip(),
                                recipients=list(recipients),
                                acknowledged=not drop,
                                subject=str(parsed.get("Subject", "")),
                            )
                        )
                    if drop:
                        return  # the message is here; the 250 never goes out
                    reply("250 OK queued")
                elif verb == "QUIT":
                    reply("221 Bye")
                    return
                elif verb in ("RSET", "NOOP"):
                    reply("250 OK")
                else:
                    reply("502 Command not implemented")
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass
