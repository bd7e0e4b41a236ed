"""A database on another host, on this one: a TCP proxy that delays every chunk it forwards.

``bench_load.py --database-delay-ms D`` puts one in front of a PostgreSQL server given by
``--database-url``: the server under test talks to the proxy, which forwards each chunk of bytes
in either direction ``D`` ms after it came (chunks in flight wait each for its own time), so a
query's round trip takes ``2 D`` ms more, as across a network (the loopback adds ~0.05 ms). It runs as a process of its own (``python
_delay_proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS``), not in the benchmark's
interpreter, whose threads drive the load.

Use::

    with delayed_database(url, 2.0) as far_url:  # the server is given far_url
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

from _support import HOST, free_port
from sqlalchemy.engine import make_url

#: How long the proxy is waited for to listen (seconds).
START_TIMEOUT_S = 10.0


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
    """Forward ``reader`` to ``writer``, each chunk ``delay_s`` after it was read (chunks read
    meanwhile wait in a queue, each for its own time: the delay of a link, not of a chunk)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(send())
    try:
        while data := await reader.read(65536):
            queue.put_nowait((loop.time() + delay_s, data))
    except (ConnectionError, OSError):
        pass
    finally:
        queue.put_nowait((loop.time() + delay_s, b""))
        with contextlib.suppress(ConnectionError, OSError):
            await sender
        writer.close()


async def _serve(listen_port: int, host: str, port: int, delay_s: float) -> None:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(host, port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_pipe(client_r, server_w, delay_s), _pipe(server_r, client_w, delay_s))

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


@contextlib.contextmanager
def delayed_database(url: str, delay_ms: float) -> Iterator[str]:
    """``url`` (a database reached over TCP: PostgreSQL) as reached through a proxy that delays
    each direction by ``delay_ms``: the URL to give the server, while the proxy runs."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        raise SystemExit("--database-delay-ms needs a database reached over TCP (PostgreSQL)")
    listen = free_port()
    proxy = subprocess.Popen(
        [sys.executable, __file__, str(listen), parsed.host or "127.0.0.1",
         str(parsed.port or 5432), str(delay_ms)],
    )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            with contextlib.suppress(OSError), socket.create_connection((HOST, listen), 1):
                break
            if time.monotonic() > deadline or proxy.poll() is not None:
                raise SystemExit("the database delay proxy did not start")
            time.sleep(0.05)
        far = parsed.set(host="127.0.0.1", port=listen)
        yield far.render_as_string(hide_password=False)
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)


if __name__ == "__main__":
    listen_port, host, port, delay_ms = sys.argv[1:5]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(int(listen_port), host, int(port), float(delay_ms) / 1000.0))
