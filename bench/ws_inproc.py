"""In-process cost of one WebSocket echo: the connection driven with a fake transport.

No sockets: after a real handshake through ``HttpProtocol``, masked 1 KiB text
frames are handed to ``data_received`` from a loop callback, ``--batch`` at a
time (1: strict ping-pong; 8: the pipelined echo of ``bench/ws_echo.py``), and
the echo handler of ``bench/ws_echo.py`` answers them. It prints microseconds
per message, or with ``--instructions`` the instructions per message counted
by callgrind (by difference of two runs, so start-up cancels out): the figure
to compare two versions of the WebSocket path on a busy machine.

    .venv/bin/python bench/ws_inproc.py --batch 8
    .venv/bin/python bench/ws_inproc.py --batch 1 --instructions
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from inproc import _Transport as CountingTransport
from ws_echo import client_frame

from jackfield import web
from jackfield.plugins.websocket import WebSocketResponse, WSMsgType

WARMUP = 2000
SIZE = 1024


class _Transport(CountingTransport):
    """``inproc``'s transport that also wakes the driver once enough answers went out."""

    def __init__(self) -> None:
        super().__init__()
        self.want = 0
        self.waiter: asyncio.Future[None] | None = None

    def write(self, data: Any) -> None:
        super().write(data)
        if self.writes >= self.want and self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


async def echo(request: web.Request) -> WebSocketResponse:
    ws = WebSocketResponse(max_msg_size=4 * 1024 * 1024)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT:
            await ws.send_str(msg.data)
    return ws


async def _measure(count: int, batch: int, repeat: int) -> float:
    app = web.Application()
    app.router.add_get("/ws", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    server = runner.server
    if server is None:
        raise RuntimeError("AppRunner.setup() made no server")
    protocol = server()
    transport = _Transport()
    protocol.connection_made(transport)
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    key = base64.b64encode(b"0123456789abcdef")
    transport.want = 1
    transport.waiter = loop.create_future()
    loop.call_soon(
        protocol.data_received,
        b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    await transport.waiter  # the 101
    frames = client_frame(b"x" * SIZE, rsv1=False) * batch

    async def rounds(n: int) -> None:
        # One write per round: the connection flushes a turn's frames at once.
        for _ in range(n):
            transport.want = transport.writes + 1
            transport.waiter = loop.create_future()
            loop.call_soon(protocol.data_received, frames)
            await transport.waiter

    await rounds(WARMUP // batch)
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        await rounds(count // batch)
        best = min(best, (time.perf_counter() - started) / (count // batch * batch))
    protocol.connection_lost(None)
    await runner.cleanup()
    return best


def _instructions(batch: int) -> int:
    """Instructions per message: two callgrind runs, 800 and 4000 messages."""
    me = [sys.executable, __file__, "--batch", str(batch), "--repeat", "1"]
    subprocess.run([*me, "--count", "16"], check=True, capture_output=True)  # fresh .pyc
    grind = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    totals = []
    for count in (800, 4000):
        out = subprocess.run(
            [*grind, *me, "--count", str(count)],
            check=True,
            capture_output=True,
            text=True,
        ).stderr
        m = re.search(r"Collected : ([\d,]+)", out)
        if m is None:
            raise RuntimeError(f"no callgrind total in:\n{out[-500:]}")
        totals.append((int(m.group(1).replace(",", "")), count))
    (small, n_small), (large, n_large) = totals
    return round((large - small) / (n_large - n_small))


def main() -> None:
    """Parse the command line and print the figure asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="frames per data_received call")
    parser.add_argument("--count", type=int, default=40000, help="messages per repeat")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--instructions", action="store_true", help="count with callgrind")
    args = parser.parse_args()
    name = f"ws echo, {args.batch} per read"
    if args.instructions:
        print(f"{name}: {_instructions(args.batch):,} instructions/message")
        return
    best = asyncio.run(_measure(args.count, args.batch, args.repeat))
    print(f"{name}: {best * 1e6:.2f} us/message in process")


if __name__ == "__main__":
    main()
