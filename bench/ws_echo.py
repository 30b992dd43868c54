"""WebSocket echo throughput: jackfield against aiohttp, compression off and on.

Run by hand (never in CI)::

    python bench/ws_echo.py --duration 5 --connections 50

Each server (``--serve jackfield|aiohttp|raw``) runs as its own process pinned to
CPU 0 and echoes every message back. The client (``--drive``) is a separate
process pinned to CPU 1: raw asyncio sockets sending one pre-masked 1 KiB
text frame per connection at a time and counting echoes, so the client costs
almost nothing per message and the server is what is measured. With
compression the client sends a pre-compressed frame (each message is a
complete raw-deflate stream, valid whatever the server's context) and the
server compresses its answers. Only ratios from one run mean anything; the
targets at the end are ratios (issue 17): uncompressed, jackfield ≥ 1.2x
aiohttp in strict ping-pong (``--inflight 1``) and ≥ 2.0x with messages in
flight (8); ≥ 1.0x with compression.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import hashlib
import importlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from typing import Any

HERE = os.path.abspath(__file__)
TARGETS = {"off": 2.0, "on": 1.0}
PING_PONG_TARGET = 1.2  # uncompressed, --inflight 1: bound by latency, not by throughput
WORDS = (
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
    "jackfield",
    "socket",
    "frame",
    "message",
    "deflate",
    "window",
    "heartbeat",
    "close",
    "ping",
    "pong",
)


def make_text(size: int) -> str:
    """Return ``size`` characters of word salad with numbers (compresses like chat text)."""
    rng = random.Random(6455)
    parts: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(WORDS) if rng.random() < 0.8 else str(rng.randrange(10**6))
        parts.append(word)
        length += len(word) + 1
    return " ".join(parts)[:size]


# -- servers ------------------------------------------------------------------


_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def server_frame(payload: bytes, *, rsv1: bool) -> bytes:
    """Return one unmasked text frame, as a server sends it."""
    n = len(payload)
    first = 0x81 | (0x40 if rsv1 else 0)
    if n < 126:
        return bytes((first, n)) + payload
    if n < 65536:
        return bytes((first, 126)) + n.to_bytes(2, "big") + payload
    return bytes((first, 127)) + n.to_bytes(8, "big") + payload


class RawEcho(asyncio.Protocol):
    """The ceiling: answers the handshake, then one fixed frame per frame received."""

    def __init__(self, answer: bytes, compress: bool) -> None:
        self.answer = answer
        self.compress = compress
        self.buf = b""
        self.upgraded = False
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            key = b""
            for line in buf[:end].split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"sec-websocket-key":
                    key = value.strip()
            accept = base64.b64encode(hashlib.sha1(key + _GUID).digest())
            head = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            head += b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n"
            if self.compress:
                head += b"Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover"
                head += b"; server_no_context_takeover\r\n"
            self.transport.write(head + b"\r\n")
            self.upgraded = True
            buf = buf[end + 4 :]
        pos, count, end = 0, 0, len(buf)
        while end - pos >= 2:  # client frames: always masked
            n = buf[pos + 1] & 0x7F
            start = pos + 2
            if n == 126:
                if end - pos < 4:
                    break
                n, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
            elif n == 127:
                if end - pos < 10:
                    break
                n, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
            if end < start + 4 + n:
                break
            pos = start + 4 + n
            count += 1
        self.buf = buf[pos:]
        if count:
            self.transport.write(self.answer * count)


def serve_raw(port: int, compress: bool, size: int) -> None:
    """Serve the ceiling: every frame is answered with the echo of ``make_text(size)``."""
    text = make_text(size).encode()
    if compress:
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        answer = server_frame((comp.compress(text) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4], rsv1=True)
    else:
        answer = server_frame(text, rsv1=False)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        srv = await loop.create_server(lambda: RawEcho(answer, compress), "127.0.0.1", port)
        async with srv:
            await srv.serve_forever()

    asyncio.run(main())


def serve(framework: str, port: int, compress: bool, loop: str, size: int) -> None:
    """Serve ``/ws`` echoing every message, with ``framework``'s ``web`` module."""
    if loop == "uvloop":
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    if framework == "raw":
        serve_raw(port, compress, size)
        return
    # Typed as Any: the two frameworks' types are unrelated; the API used here is shared.
    web: Any = importlib.import_module(f"{framework}.web")
    ws_module: Any = (
        web if framework == "aiohttp" else importlib.import_module("jackfield.plugins.websocket")
    )
    ws_class = ws_module.WebSocketResponse
    text, binary = ws_module.WSMsgType.TEXT, ws_module.WSMsgType.BINARY

    async def echo(request: Any) -> Any:
        ws = ws_class(compress=compress, max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == text:
                await ws.send_str(msg.data)
            elif msg.type == binary:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, shutdown_timeout=1.0)


# -- the client ---------------------------------------------------------------


def client_frame(payload: bytes, *, rsv1: bool) -> bytes:
    """Return one masked text frame (a fixed mask is fine for a benchmark)."""
    mask = b"\x1f\x2e\x3d\x4c"
    n = len(payload)
    first = 0x81 | (0x40 if rsv1 else 0)
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 65536:
        head = bytes((first, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        head = bytes((first, 0x80 | 127)) + n.to_bytes(8, "big")
    key = (mask * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
    return head + mask + masked


class EchoClient(asyncio.Protocol):
    """One connection: sends ``frame``, waits for the echo, sends again."""

    def __init__(self, frame: bytes, stats: dict[str, int], first: asyncio.Future[bytes]) -> None:
        self.frame = frame
        self.stats = stats
        self.first = first
        self.buf = b""
        self.transport: Any = None
        self.upgraded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # uvloop's transports are not asyncio.Transport subclasses

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buf = buf
                return
            head, buf = buf[:end], buf[end + 4 :]
            self.upgraded = True
            if not self.first.done():
                self.first.set_result(head)
        pos = 0
        count = 0
        while len(buf) - pos >= 2:
            n = buf[pos + 1] & 0x7F
            start = pos + 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                start = pos + 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 10
            if len(buf) < start + n:
                break
            if "sample" not in self.stats:
                self.stats["sample"] = 1
                self.sample = (buf[pos], buf[start : start + n])
            pos = start + n
            count += 1
        self.buf = buf[pos:]
        if count:
            self.stats["messages"] += count
            self.transport.write(self.frame * count)


def handshake(compress: bool) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /ws HTTP/1.1",
        "Host: 127.0.0.1",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if compress:
        lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def drive(
    port: int, connections: int, size: int, compress: bool, duration: float, inflight: int
) -> dict[str, float]:
    """Run the echo load; return messages counted during ``duration`` after a warm-up."""
    loop = asyncio.get_running_loop()
    text = make_text(size).encode()
    if compress:
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        payload = comp.compress(text) + comp.flush(zlib.Z_SYNC_FLUSH)
        frame = client_frame(payload[:-4], rsv1=True)
    else:
        frame = client_frame(text, rsv1=False)
    stats = {"messages": 0}
    clients: list[EchoClient] = []
    for _ in range(connections):
        first: asyncio.Future[bytes] = loop.create_future()
        transport, client = await loop.create_connection(
            functools.partial(EchoClient, frame, stats, first), "127.0.0.1", port
        )
        transport.write(handshake(compress))
        head = await asyncio.wait_for(first, 10)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise SystemExit(f"handshake refused: {head!r}")
        if compress and b"permessage-deflate" not in head.lower():
            raise SystemExit(f"server did not accept permessage-deflate: {head!r}")
        clients.append(client)
        transport.write(frame * inflight)
    await asyncio.sleep(1.0)  # warm-up
    check_sample(clients[0], text, compress)
    start_count, start = stats["messages"], time.perf_counter()
    await asyncio.sleep(duration)
    count, elapsed = stats["messages"] - start_count, time.perf_counter() - start
    for client in clients:
        if client.transport is not None:
            client.transport.abort()
    return {"messages": count, "seconds": elapsed}


def check_sample(client: EchoClient, text: bytes, compress: bool) -> None:
    first, payload = getattr(client, "sample", (0, b""))
    if compress and first & 0x40:
        payload = zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")
    if payload != text:
        raise SystemExit(f"the first echo differs from what was sent: {payload[:60]!r}")


# -- orchestration -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pin(cpu: int) -> list[str]:
    taskset = shutil.which("taskset")
    return [taskset, "-c", str(cpu)] if taskset and (os.cpu_count() or 1) > 1 else []


@contextlib.contextmanager
def server(
    framework: str, port: int, compress: bool, loop: str, size: int
) -> Iterator[subprocess.Popen[bytes]]:
    argv = [*pin(0), sys.executable, HERE, "--serve", framework, "--port", str(port)]
    argv += ["--loop", loop, "--size", str(size)] + (["--compress"] if compress else [])
    # The client aborts its connections at the end; servers log that, which is noise here.
    proc = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{framework} server did not start (exit {proc.poll()})")
            time.sleep(0.05)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def process_ticks(pid: int) -> int:
    """CPU time (user + system, in clock ticks) a live process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])


def machine_ticks() -> int:
    """CPU time (clock ticks) every CPU of the machine has spent busy."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, f.readline().split()[1:9]
        )
    return user + nice + system + irq + softirq + steal


def measure(framework: str, compress: bool, args: argparse.Namespace) -> tuple[float, str]:
    """Return messages/s and a note on CPU use (server busy %, other processes' load)."""
    port = free_port()
    hz = os.sysconf("SC_CLK_TCK")
    with server(framework, port, compress, args.loop, args.size) as proc:
        argv = [*pin(1), sys.executable, HERE, "--drive", "--port", str(port)]
        argv += ["--connections", str(args.connections), "--size", str(args.size)]
        argv += ["--duration", str(args.duration), "--inflight", str(args.inflight)]
        argv += ["--compress"] if compress else []
        start, server_start, busy_start = time.monotonic(), process_ticks(proc.pid), machine_ticks()
        client = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert client.stdout is not None
        out = client.stdout.read()
        _, status, usage = os.wait4(client.pid, 0)  # reaped here for its CPU time
        client.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        server_ticks = process_ticks(proc.pid) - server_start
        busy = machine_ticks() - busy_start
    if client.returncode:
        raise SystemExit(f"the client failed (exit {client.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    client_seconds = usage.ru_utime + usage.ru_stime
    # Whatever else ran meanwhile (other processes, hypervisor steal) makes a run noisy.
    others = max(0.0, (busy - server_ticks) / hz - client_seconds) / wall
    note = (
        f"server CPU {server_ticks / hz / wall:.0%}, client {client_seconds / wall:.0%}, "
        f"everything else {others:.0%} of a CPU"
    )
    return float(result["messages"]) / float(result["seconds"]), note


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=("jackfield", "aiohttp", "raw"))
    parser.add_argument("--drive", action="store_true")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--compress", action="store_true")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (median)")
    parser.add_argument(
        "--inflight",
        type=int,
        default=8,
        help="messages each connection keeps in flight (1: strict ping-pong, latency-bound)",
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.compress, args.loop, args.size)
        return
    if args.drive:
        with contextlib.suppress(ImportError):
            import uvloop  # the load generator may as well be fast

            asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        result = asyncio.run(
            drive(
                args.port,
                args.connections,
                args.size,
                args.compress,
                args.duration,
                args.inflight,
            )
        )
        print(json.dumps(result))
        return
    print(
        f"WebSocket echo: {args.connections} connections, {args.size}-byte text messages, "
        f"{args.inflight} in flight each, {args.duration:g} s per run, median of "
        f"{args.repeat} alternating runs, server loop {args.loop}; "
        + ("server on CPU 0, client on CPU 1" if pin(0) else "not pinned")
    )
    rows = []
    for mode in ("off", "on"):
        # Alternate the contenders and take medians: the machine's noise drifts.
        runs: dict[str, list[float]] = {"jackfield": [], "aiohttp": [], "raw": []}
        for _ in range(args.repeat):
            for fw in runs:
                rate, note = measure(fw, mode == "on", args)
                runs[fw].append(rate)
                print(f"  compression {mode}: {fw:9} {rate:9,.0f} msg/s ({note})", flush=True)
        jf, aio, raw = (statistics.median(runs[fw]) for fw in ("jackfield", "aiohttp", "raw"))
        # The ratio of each back-to-back pair, then the median: drift cancels out.
        pairs = [j / a for j, a in zip(runs["jackfield"], runs["aiohttp"], strict=True)]
        of_raw = [j / r for j, r in zip(runs["jackfield"], runs["raw"], strict=True)]
        ceiling = [r / a for r, a in zip(runs["raw"], runs["aiohttp"], strict=True)]
        target = PING_PONG_TARGET if mode == "off" and args.inflight == 1 else TARGETS[mode]
        rows.append((mode, jf, aio, raw, *map(statistics.median, (pairs, of_raw, ceiling)), target))
    print()
    print(
        "| compression | jackfield msg/s | aiohttp msg/s | raw msg/s | jf/aiohttp "
        "| jf/raw | raw/aiohttp | target jf/aiohttp | met |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for mode, jf, aio, raw, ratio, of_raw, ceiling, target in rows:
        met = "yes" if ratio >= target else "NO"  # ratio: the median of back-to-back pairs
        print(
            f"| {mode} | {jf:,.0f} | {aio:,.0f} | {raw:,.0f} | {ratio:.2f}x | {of_raw:.2f} "
            f"| {ceiling:.2f}x | >= {target:.1f}x | {met} |"
        )
    print(
        "\nraw/aiohttp is the most any asyncio server could reach here: "
        "a target above it cannot be met at this --inflight."
    )


if __name__ == "__main__":
    main()
