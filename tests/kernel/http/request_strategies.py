"""Hypothesis strategies for plausible-but-tricky HTTP/1.1 requests (issue 20).

``tricky_requests()`` draws a ``Wire``: the bytes of one request, built from
parts that are usually valid and sometimes a little off (odd whitespace,
unusual versions, Content-Length and Transfer-Encoding combinations, chunked
bodies with extensions and trailers, a bare LF, a folded line). The parts are
kept next to the bytes so the h11 differential test can tell which documented
difference applies. ``mutated()`` damages such bytes a little more, for the
crash and split-invariance properties.
"""

from __future__ import annotations

import attrs
from hypothesis import strategies as st

METHODS = [b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS", b"PATCH", b"CONNECT"]
TCHARS = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
VCHARS = bytes(range(0x21, 0x7F))
# Bytes a header value may hold (VCHAR, obs-text, SP, HTAB) and a few it may not.
VALUE_BYTES = VCHARS + b" \t\x80\xe9\xff"
ODD_VALUE_BYTES = b"\x00\x01\x08\x0b\x0c\x0e\x1f\x7f\r\n"

Header = tuple[bytes, bytes]  # (name, the rest of the line after the name: ":" OWS value OWS)


@attrs.frozen
class Chunk:
    """One chunk of a chunked body as sent: size text, extension text, data."""

    size: bytes
    ext: bytes
    data: bytes


@attrs.frozen
class Wire:
    """A generated request: its bytes and the parts they were built from."""

    method: bytes
    target: bytes
    version: bytes
    line_gaps: tuple[bytes, bytes]
    headers: tuple[Header, ...]
    chunks: tuple[Chunk, ...] | None
    """The chunked body as sent (``None``: the body is ``body`` as is)."""
    trailers: tuple[bytes, ...]
    body: bytes
    eols: tuple[bytes, ...]
    """Line ending after the request line and after each header line."""
    leading: bytes
    """Empty lines before the request line."""

    @property
    def data(self) -> bytes:
        """The request on the wire."""
        return self.head + b"\r\n" + self.wire_body

    @property
    def head(self) -> bytes:
        """Empty lines, request line and field lines, each with its line ending."""
        lines = [self.method + self.line_gaps[0] + self.target + self.line_gaps[1] + self.version]
        lines += [name + rest for name, rest in self.headers]
        return self.leading + b"".join(
            line + eol for line, eol in zip(lines, self.eols, strict=True)
        )

    @property
    def wire_body(self) -> bytes:
        """The body bytes after the head (chunk framing included)."""
        if self.chunks is None:
            return self.body
        out = b"".join(c.size + c.ext + b"\r\n" + c.data + b"\r\n" for c in self.chunks)
        return out + b"0\r\n" + b"".join(t + b"\r\n" for t in self.trailers) + b"\r\n"

    def values(self, name: bytes) -> list[bytes]:
        """The raw values of the header lines called ``name`` (any case), OWS stripped."""
        found = []
        for line_name, rest in self.headers:
            if line_name.lower() == name and rest.startswith(b":"):
                found.append(rest[1:].strip(b" \t"))
        return found


def _token(min_size: int = 1, max_size: int = 12) -> st.SearchStrategy[bytes]:
    return st.binary(min_size=min_size, max_size=max_size).map(
        lambda raw: bytes(TCHARS[b % len(TCHARS)] for b in raw) or b"x"
    )


def _from(alphabet: bytes, max_size: int) -> st.SearchStrategy[bytes]:
    return st.lists(st.sampled_from(alphabet), max_size=max_size).map(bytes)


# Each part of a request has a plain strategy and a tricky one; a request
# takes the tricky one for at most a few parts, so most requests are valid or
# off in one place (where two parsers are most likely to disagree).
PARTS = (
    "method",
    "target",
    "version",
    "gaps",
    "host",
    "no-host",
    "header-name",
    "header-value",
    "ows",
    "length",
    "coding",
    "both-framings",
    "chunk-size",
    "chunk-ext",
    "trailer",
    "eol",
    "leading",
)

methods = st.sampled_from(METHODS[:-1])
odd_methods = st.one_of(_token(), st.sampled_from([b"CONNECT", b"get", b"G\x00T", b""]))
targets = st.one_of(
    st.builds(lambda p: b"/" + p, _from(b"abc/?=&%-._~", 12)),
    st.sampled_from([b"/", b"/a?b=c&d", b"/%E2%82%AC"]),
)
odd_targets = st.one_of(
    st.builds(lambda p: b"/" + p, _from(VCHARS, 20)),
    st.sampled_from(
        [
            b"*",
            b"http://example.com/x",
            b"http://example.com",
            b"https://[::1]:8443/p",
            b"example.com:443",
            b"//double",
            b"noslash",
            b"/%2e%2e/",
            b"http://exa mple/",
            b"/\xff",
        ]
    ),
)
versions = st.sampled_from([b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0"])
odd_versions = st.sampled_from(
    [b"HTTP/1.2", b"HTTP/1.9", b"HTTP/2.0", b"HTTP/0.9", b"http/1.1", b"HTTP/1.10", b"HTTP/1"]
)
odd_gaps = st.sampled_from([b"  ", b"\t", b""])
plain_ows = st.sampled_from([b"", b" ", b" "])
odd_ows = st.sampled_from([b"  ", b"\t", b" \t", b"\t "])


def _rest_of_line(
    values: st.SearchStrategy[bytes], ows: st.SearchStrategy[bytes]
) -> st.SearchStrategy[bytes]:
    """``":" OWS value OWS`` as sent after a field name."""
    return st.builds(
        lambda a, v, b: b":" + a + v + b, ows, values, st.sampled_from([b"", b""]) | ows
    )


plain_values = _from(VCHARS + b" ", 16).map(lambda v: v.strip(b" "))
odd_values = st.builds(
    lambda a, odd, b: a + bytes([odd]) + b,
    _from(VALUE_BYTES, 8),
    st.sampled_from(ODD_VALUE_BYTES + b"\x80\xff\t"),
    _from(VALUE_BYTES, 8),
)
header_names = st.one_of(
    st.sampled_from([b"Accept", b"User-Agent", b"X-Thing", b"Cookie"]), _token()
)
odd_header_names = st.sampled_from([b"Bad Name", b"X(y)", b"", b" Folded", b"\tFolded", b"X-Sp "])
hosts = st.sampled_from([b"example.com", b"example.com:8080", b"[::1]:80", b"h"])
odd_hosts = st.sampled_from([b"", b"a b", b"h/x", b"h:99999", b"h@x", b"h:", b"[::1", b"h,i"])
content_lengths = st.sampled_from([b"{n}"])
odd_content_lengths = st.sampled_from(
    [
        b"0{n}",
        b"{n}, {n}",
        b"{n},{n}",
        b"+{n}",
        b"-1",
        b"{n}.0",
        b"{n} {n}",
        b"",
        b"{n}, 7",
        b"0x{n}",
    ]
)
odd_codings = st.sampled_from(
    [
        b"Chunked",
        b"gzip, chunked",
        b"chunked, gzip",
        b"chunked,",
        b", chunked",
        b"chunked, chunked",
        b"chunked;x=1",
        b"identity",
        b"chunkedx",
        b'"chunked"',
    ]
)
odd_chunk_exts = st.sampled_from(
    [
        b";a",
        b";a=b",
        b';a="q\\"x"',
        b" ;a=b",
        b";a =b",
        b"; a",
        b";",
        b";=x",
        b";a b",
        b" ",
        b";a=\x01",
    ]
)


@st.composite
def _chunks(draw: st.DrawFn, tricks: frozenset[str]) -> tuple[Chunk, ...]:
    out = []
    for data in draw(st.lists(st.binary(min_size=1, max_size=12), max_size=3)):
        size = b"%x" % len(data)
        if "chunk-size" in tricks:
            size = draw(st.sampled_from([size.upper(), b"0" + size, b"0" * 16 + size, size + b" "]))
        ext = draw(odd_chunk_exts) if "chunk-ext" in tricks else b""
        out.append(Chunk(size, ext, data))
    return tuple(out)


@st.composite
def tricky_requests(draw: st.DrawFn) -> Wire:
    """One request, usually valid, often with one or two tricky parts."""
    tricks = frozenset(draw(st.sets(st.sampled_from(PARTS), max_size=2)))

    def pick(name: str, plain: st.SearchStrategy[bytes], odd: st.SearchStrategy[bytes]) -> bytes:
        return draw(odd if name in tricks else plain)

    method = pick("method", methods, odd_methods)
    headers: list[Header] = []
    if "no-host" not in tricks:
        host = pick("host", hosts, odd_hosts)
        headers.append((draw(st.sampled_from([b"Host", b"host", b"HOST"])), b": " + host))
    body = b""
    chunks: tuple[Chunk, ...] | None = None
    trailers: tuple[bytes, ...] = ()
    framing = draw(st.sampled_from(["none", "length", "chunked"]))
    if "both-framings" in tricks:
        framing = "both"
    if framing in ("length", "both"):
        body = draw(st.binary(max_size=16))
        for _ in range(draw(st.integers(1, 2)) if "length" in tricks else 1):
            value = pick("length", content_lengths, odd_content_lengths)
            headers.append((b"Content-Length", b": " + value.replace(b"{n}", b"%d" % len(body))))
    if framing in ("chunked", "both"):
        coding = pick("coding", st.just(b"chunked"), odd_codings)
        headers.append((b"Transfer-Encoding", b": " + coding))
        chunks = draw(_chunks(tricks))
        plain_trailers = st.builds(
            lambda n, r: n + r, header_names, _rest_of_line(plain_values, plain_ows)
        )
        odd_trailers = st.sampled_from(
            [b" folded", b"Bad Name: v", b"X: a\x00b", b"X : v", b"X: a\x7fb"]
        )
        trailers = tuple(draw(st.lists(plain_trailers, max_size=2)))
        if "trailer" in tricks:
            trailers += (draw(odd_trailers),)
        body = b"".join(c.data for c in chunks)
    extra = draw(st.integers(0, 3))
    for i in range(extra):
        name = pick("header-name", header_names, odd_header_names) if i == 0 else draw(header_names)
        values = odd_values if i == 0 and "header-value" in tricks else plain_values
        ows = odd_ows if i == 0 and "ows" in tricks else plain_ows
        headers.insert(draw(st.integers(0, len(headers))), (name, draw(_rest_of_line(values, ows))))
    eols = [b"\r\n"] * (1 + len(headers))
    if "eol" in tricks:
        eols[draw(st.integers(0, len(eols) - 1))] = b"\n"
    return Wire(
        method=method,
        target=pick("target", targets, odd_targets),
        version=pick("version", versions, odd_versions),
        line_gaps=(pick("gaps", st.just(b" "), odd_gaps), pick("gaps", st.just(b" "), odd_gaps)),
        headers=tuple(headers),
        chunks=chunks,
        trailers=trailers,
        body=body,
        eols=tuple(eols),
        leading=pick("leading", st.just(b""), st.sampled_from([b"\r\n", b"\r\n\r\n", b"\n"])),
    )


MUTATION_BYTES = b'\r\n :;,"\\\t\x00\x7f\xff0123456789abcdefABCDEF-/?*HTTP./1GETchunked'


@st.composite
def mutated(draw: st.DrawFn, data: st.SearchStrategy[bytes]) -> bytes:
    """Bytes from ``data`` with up to four bytes inserted, deleted or replaced."""
    out = bytearray(draw(data))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(out)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        byte = draw(st.one_of(st.sampled_from(MUTATION_BYTES), st.integers(0, 255)))
        if op == "insert":
            out[at:at] = bytes([byte])
        elif at < len(out):
            if op == "delete":
                del out[at]
            else:
                out[at] = byte
    return bytes(out)


@st.composite
def splits(draw: st.DrawFn, data: bytes) -> list[bytes]:
    """``data`` cut at up to eight points (some pieces may be empty)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
