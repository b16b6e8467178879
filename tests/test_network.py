"""ui.network: the server's connections send at once (TCP_NODELAY), those open and those to come."""

from __future__ import annotations

import asyncio
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui.network import send_without_delay

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd") and not os.path.isdir("/dev/fd"),
                                reason="lists open descriptors on Linux, macOS and the BSDs only")


def nagle_off(connection: socket.socket) -> bool:
    return connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def listening_as_streamlit_binds() -> socket.socket:
    """A listening socket made the way Streamlit's server makes its own: ``socket.socket(family)``, protocol 0."""
    listener = socket.socket(family=socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener


class _Accepted(asyncio.Protocol):
    """Notes, for each connection accepted, its socket's protocol number and whether Nagle's algorithm is off."""

    def __init__(self, accepted: list[tuple[int, bool]]) -> None:
        self.accepted = accepted

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        connection = transport.get_extra_info("socket")
        self.accepted.append((connection.proto, nagle_off(connection)))


def test_asyncio_leaves_nagle_on_for_connections_of_a_listener_bound_as_streamlit_binds_its_own():
    """Why ui.network exists: when this fails, asyncio turns Nagle's algorithm off on such connections itself."""
    accepted: list[tuple[int, bool]] = []

    async def serve() -> None:
        listener = listening_as_streamlit_binds()
        server = await asyncio.get_running_loop().create_server(lambda: _Accepted(accepted), sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        while not accepted:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    # In a thread of its own: a test before may have left an event loop running in this one (Playwright's).
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, serve()).result()
    assert accepted == [(0, False)]


def test_connections_open_and_to_come_send_without_delay_and_stay_open():
    listener = listening_as_streamlit_binds()
    client = socket.create_connection(listener.getsockname())
    before, _ = listener.accept()
    datagram = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    local_pair = socket.socketpair()
    assert not nagle_off(before)

    changed = send_without_delay.__wrapped__()

    later_client = socket.create_connection(listener.getsockname())
    later, _ = listener.accept()
    assert changed >= 3  # the listener and both ends of the connection open then
    assert nagle_off(listener) and nagle_off(before) and nagle_off(client)
    assert nagle_off(later), "a connection accepted afterwards takes the listener's option"
    # Every descriptor is still open and its owner's: the connection carries data both ways.
    client.sendall(b"ping")
    assert before.recv(4) == b"ping"
    later.sendall(b"pong")
    assert later_client.recv(4) == b"pong"
    assert datagram.fileno() >= 0 and local_pair[0].fileno() >= 0
    for each in (listener, client, before, later_client, later, datagram, *local_pair):
        each.close()


def test_it_runs_once_per_process():
    send_without_delay()
    listener = listening_as_streamlit_binds()
    send_without_delay()
    assert not nagle_off(listener)
    listener.close()


def test_the_router_turns_it_on_before_the_page(monkeypatch: pytest.MonkeyPatch):
    import ui.network
    import ui.widgets

    order: list[str] = []
    monkeypatch.setattr(ui.network, "send_without_delay", lambda: order.append("network"))
    sidebar = ui.widgets.shared_sidebar
    monkeypatch.setattr(ui.widgets, "shared_sidebar", lambda: (order.append("sidebar"), sidebar())[1])
    app = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "dashboard.py"), default_timeout=60).run()
    assert not app.exception
    assert order[:2] == ["network", "sidebar"]
