"""Property: whatever the bytes, parsing yields items or a ParseError, never another exception."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tabadol.errors import ParseError
from tabadol.ingest.formats import default_registry

REGISTRY = default_registry()
CONTENT_TYPES = st.sampled_from(
    [None, "text/plain", "application/json", "application/xml", "application/ninjs+json",
     "application/feed+json", "application/nitf+xml", "application/rss+xml", "application/atom+xml",
     "application/vnd.iptc.g2.newsitem+xml", "text/plain; charset=windows-1256", "text/xml; charset=nope"]
)  # fmt: skip
PREFIXES = st.sampled_from(
    [b"", b"<?xml version='1.0'?>", b"<rss version='2.0'>", b"<nitf>", b'{"uri": ', b"[{", b"\xef\xbb\xbf",
     b'<feed xmlns="http://www.w3.org/2005/Atom">', b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/">',
     b'{"version": "https://jsonfeed.org/version/1.1", "items": [']
)  # fmt: skip


def parse_or_refuse(data: bytes, content_type: str | None) -> None:
    try:
        name, items = REGISTRY.parse(data, content_type)
    except ParseError:
        return
    assert items and name


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=512), content_type=CONTENT_TYPES)
def test_arbitrary_bytes_parse_or_raise_parse_error(data: bytes, content_type: str | None) -> None:
    parse_or_refuse(data, content_type)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prefix=PREFIXES, tail=st.binary(max_size=256) | st.text(max_size=256).map(str.encode))
def test_format_shaped_garbage_parses_or_raises_parse_error(prefix: bytes, tail: bytes) -> None:
    parse_or_refuse(prefix + tail, None)


@settings(max_examples=100, deadline=None)
@given(headline=st.text(min_size=1, max_size=80), body=st.text(max_size=400))
def test_any_text_is_plaintext_or_refused(headline: str, body: str) -> None:
    parse_or_refuse(f"{headline}\n\n{body}".encode(), "text/plain")
