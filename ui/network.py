"""The server's connections send each message at once (TCP_NODELAY), as asyncio means them to.

Streamlit binds its listening socket as ``socket.socket(family)``, whose protocol number is 0, and asyncio
turns Nagle's algorithm off only on sockets whose protocol number says TCP (``base_events._set_nodelay``).
So every connection the server accepts keeps Nagle's algorithm: after the first few exchanges on a
connection kept alive, each response's body waits for the browser to acknowledge its headers, which
Linux delays by 40 ms. A visitor's browser fetches about a hundred script files of Streamlit's over six
such connections, 44 ms each instead of 1 ms; the websocket that carries a click's messages is such a
connection too.

Linux gives a connection the listening socket's options when it accepts it, so setting the option on
every TCP socket of the process once covers the connections already open and all that come after (on a
system that does not, those already open).
"""

from __future__ import annotations

import functools
import os
import socket

# Where the process's open files are listed: Linux, then macOS and the BSDs. Elsewhere (Windows) nothing is
# changed.
OPEN_FILES = ("/proc/self/fd", "/dev/fd")


def _open_descriptors() -> list[int]:
    for listing in OPEN_FILES:
        try:
            return [int(name) for name in os.listdir(listing)]
        except (OSError, ValueError):
            continue
    return []


@functools.cache
def send_without_delay() -> int:
    """Turn Nagle's algorithm off on every TCP socket the process has open, once per process; how many.

    Each descriptor is looked at through a socket object that is detached afterwards, so the descriptor
    stays open and its owner's; one closed or reused meanwhile (the server runs in another thread) is
    passed over.
    """
    changed = 0
    for descriptor in _open_descriptors():
        try:
            connection = socket.socket(fileno=descriptor)
        except OSError:  # not a socket, or closed since the listing
            continue
        try:
            if connection.family in (socket.AF_INET, socket.AF_INET6) and connection.type == socket.SOCK_STREAM:
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                changed += 1
        except OSError:
            pass
        finally:
            connection.detach()
    return changed
