"""ASGI entry point for uvicorn (one platform per web worker process), and the event loop
that shares connections fairly between web workers."""

from __future__ import annotations

import asyncio
import logging
import select
import socket
import struct
import threading
from typing import Any

import uvloop
from fastapi import FastAPI

from aegis.app import create_app
from aegis.config import Settings
from aegis.kit.process import tune_for_serving
from aegis.logging import configure_logging
from aegis.platform import Platform

log = logging.getLogger(__name__)
# How long a blocked accept() waits before it looks whether its server was closed.
ACCEPT_WAKEUP_SECONDS = 0.5
# When connections are already waiting (a burst), a worker waits this long per
# connection it has open (up to ACCEPT_PAUSE_MAX) before it takes another, so the worker
# with the fewest takes the next. Without a burst it goes straight back to accept(): the
# pause never limits how fast connections are accepted one after another.
ACCEPT_PAUSE_PER_CONNECTION = 0.0005
ACCEPT_PAUSE_MAX = 0.005


def create() -> FastAPI:
    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    platform = Platform.build(settings)
    app = create_app(platform, run_worker=settings.embedded_worker)
    tune_for_serving()
    return app


class _FairAcceptor:
    """Accepts one connection at a time in a blocking ``accept()`` and hands it to the loop.

    With ``--workers N`` every worker listens on the one socket its supervisor bound. An
    event loop that finds the socket readable accepts every pending connection at once,
    so a burst of new connections (a client opening its pool) often lands on one worker
    while another stays idle: with 8 connections, one worker served all 8 at ~840 req/s,
    p50 9.4 ms, twice the latency of an even split. Threads blocked in ``accept()``
    instead queue in the kernel, which hands each connection to the first in line; each
    worker takes one connection at a time and comes back to the line later the more
    connections it has open, so the least busy worker is first in line.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, sock: socket.socket, factory: Any, backlog: int
    ) -> None:
        self.loop = loop
        self.sock = sock
        self.factory = factory
        self.sockets = (sock,)
        self._closed = threading.Event()
        self._open: list[socket.socket] = []  # handed to the loop; closed ones detached
        self._tasks: set[asyncio.Task[Any]] = set()
        sock.setblocking(True)
        # SO_RCVTIMEO bounds a blocked accept(), so the thread notices ``close``.
        seconds = int(ACCEPT_WAKEUP_SECONDS)
        micros = int((ACCEPT_WAKEUP_SECONDS - seconds) * 1e6)
        timeout = struct.pack("ll", seconds, micros)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeout)
        sock.listen(backlog)
        self._thread = threading.Thread(target=self._accept_forever, name="accept", daemon=True)
        self._thread.start()

    def _accept_forever(self) -> None:
        while not self._closed.is_set():
            # The loop detaches a connection's socket object when it closes it.
            self._open = [conn for conn in self._open if conn.fileno() != -1]
            if self._open and self._waiting():
                pause = len(self._open) * ACCEPT_PAUSE_PER_CONNECTION
                self._closed.wait(min(pause, ACCEPT_PAUSE_MAX))
            try:
                conn, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                continue  # the wake-up timeout, or a client gone before it was accepted
            except OSError:
                if self._closed.is_set():
                    return
                # Out of file descriptors (EMFILE): let connections close before retrying.
                log.warning("accept_failed", exc_info=True)
                self._closed.wait(0.1)
                continue
            self._open.append(conn)
            try:
                self.loop.call_soon_threadsafe(self._serve, conn)
            except RuntimeError:  # the loop has closed
                conn.close()
                return

    def _waiting(self) -> bool:
        """Whether connections wait to be accepted (without taking one)."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):  # closed under us: accept() will say so
            return False
        return bool(readable)

    def _serve(self, conn: socket.socket) -> None:
        # Accepted after ``close`` too: served like a connection accepted just before it.
        conn.setblocking(False)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        task = self.loop.create_task(self.loop.connect_accepted_socket(self.factory, conn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        self._closed.set()

    def is_serving(self) -> bool:
        return not self._closed.is_set()

    async def wait_closed(self) -> None:
        while self._thread.is_alive():
            await asyncio.sleep(0.05)


class FairLoop(uvloop.Loop):
    """uvloop, but a listening socket handed over by a supervisor (``--workers``) is served
    by a ``_FairAcceptor``; ``aegis serve`` runs its workers on it."""

    async def create_server(
        self, protocol_factory: Any, host: Any = None, port: Any = None, **kwargs: Any
    ) -> Any:
        if kwargs.get("ssl") is None:
            protocol_factory = _corked(protocol_factory)
        sock: socket.socket | None = kwargs.get("sock")
        if sock is None or kwargs.get("ssl") is not None or sock.family == socket.AF_UNIX:
            return await super().create_server(protocol_factory, host, port, **kwargs)
        return _FairAcceptor(self, sock, protocol_factory, kwargs.get("backlog", 2048))


def _corked(factory: Any) -> Any:
    def make() -> asyncio.Protocol:
        return _CorkedProtocol(factory())

    return make


class _CorkedProtocol(asyncio.Protocol):
    """The server's protocol, handed a ``_CorkedTransport`` instead of the socket's."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def connection_made(self, transport: Any) -> None:
        loop = asyncio.get_running_loop()
        self.inner.connection_made(_CorkedTransport(transport, loop))

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        result: bool | None = self.inner.eof_received()
        return result

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class _CorkedTransport:
    """A socket transport whose writes of one loop iteration leave in one send.

    uvicorn writes a response's head as soon as the app starts it and the body after it:
    two ``send`` calls and two TCP segments for every small JSON answer, and on loopback
    the first send was a tenth of a payment's CPU. Held until the loop's next turn, they
    go out together. Anything else is the socket transport's own.
    """

    __slots__ = ("_buffer", "_loop", "_transport")

    def __init__(self, transport: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._buffer: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self._buffer:
            self._loop.call_soon(self._flush)
        self._buffer.append(bytes(data))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def write_now(self, data: bytes) -> None:
        """``data`` after anything held, sent now: for a writer that sends a whole answer
        in one piece, holding it to the next turn of the loop would only delay it."""
        self._buffer.append(bytes(data))
        self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        data = self._buffer[0] if len(self._buffer) == 1 else b"".join(self._buffer)
        self._buffer.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def get_write_buffer_size(self) -> int:
        size: int = self._transport.get_write_buffer_size()
        return size + sum(len(b) for b in self._buffer)

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
