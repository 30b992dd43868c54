"""``max_connections`` over TLS: the paused listener resumes with its TLS context."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import httpx
import pytest

from jackfield import web

from .certs import write_self_signed


async def test_a_tls_site_pauses_at_the_cap_and_resumes_with_tls(tmp_path: Path) -> None:
    cert, key = write_self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))

    app = web.Application()
    app.router.add_get("/", lambda request: web.Response(text="over tls"))
    runner = web.AppRunner(app, access_log=None, max_connections=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
    await site.start()
    url = f"https://localhost:{site.port}/"
    try:
        # Half a request head: a connection in use, never closed to make room.
        _, holder = await asyncio.open_connection(
            "127.0.0.1", site.port, ssl=client_ctx, server_hostname="localhost"
        )
        holder.write(b"GET / HTTP/1.1\r\n")
        await holder.drain()
        async with httpx.AsyncClient(verify=client_ctx, timeout=0.5) as client:
            # Not accepted: the TLS handshake cannot even start.
            with pytest.raises(httpx.TimeoutException):
                await client.get(url)
        holder.close()
        async with httpx.AsyncClient(verify=client_ctx, timeout=5) as client:
            response = await client.get(url)
        assert response.status_code == 200 and response.text == "over tls"
    finally:
        await runner.cleanup()
