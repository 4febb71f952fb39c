from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import httpx
import pytest
from feed_http import Reply

from tabadol.errors import ErrorCode, TabadolError
from tabadol.ingest.transports import netguard
from tabadol.ingest.transports.netguard import IPAddress, check_public_url, guarded_client

REFUSED = [
    # scheme, credentials, shape
    ("file:///etc/passwd", "scheme"),
    ("ftp://93.184.216.34/feed.xml", "scheme"),
    ("gopher://93.184.216.34/", "scheme"),
    ("javascript:alert(1)", "scheme"),
    ("http://user:secret@93.184.216.34/feed", "credentials"),
    ("http://user@93.184.216.34/feed", "credentials"),
    ("http:///feed", "no host"),
    ("http://93.184.216.34:99999/", "port 99999 is out of range"),  # would wrap to 34463
    ("http://93.184.216.34:0/", "port 0 is out of range"),
    # loopback
    ("http://127.0.0.1/", "loopback"),
    ("http://127.8.9.10:8080/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://localhost/", "loopback"),
    # private networks
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://[fc00::1]/", "private"),
    ("http://[fd12:3456::1]/", "private"),
    ("http://100.64.0.1/", "not globally routable"),
    # link-local, cloud metadata
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    # multicast, reserved, broadcast, unspecified
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "private"),
    ("http://255.255.255.255/", "private"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    # IPv6 wrappers around forbidden IPv4 space
    ("http://[::ffff:127.0.0.1]/", "wraps 127.0.0.1"),
    ("http://[::ffff:169.254.169.254]/", "wraps 169.254.169.254"),
    ("http://[64:ff9b::7f00:1]/", "wraps 127.0.0.1"),  # NAT64
    ("http://[64:ff9b::a00:1]/", "wraps 10.0.0.1"),
    ("http://[2002:7f00:1::]/", "wraps 127.0.0.1"),  # 6to4
    ("http://[2002:c0a8:101::]/", "wraps 192.168.1.1"),
    ("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "wraps 127.0.0.1"),  # Teredo
    # numeric spellings the C resolver turns into 127.0.0.1
    ("http://2130706433/", "loopback"),
    ("http://0x7f.1/", "loopback"),
    ("http://0x7f000001/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://017700000001/", "loopback"),
]


@pytest.mark.parametrize(("url", "why"), REFUSED)
def test_refuses_unsafe_urls(url: str, why: str) -> None:
    with pytest.raises(TabadolError) as caught:
        check_public_url(url, allow_private=False)
    assert caught.value.code is ErrorCode.UNSAFE_URL
    assert caught.value.fields["url"] == url
    assert why in caught.value.fields["reason"]


ACCEPTED = [
    "http://93.184.216.34/feed.xml",
    "https://93.184.216.34/feed.xml",
    "http://93.184.216.34:8080/rss",  # any port is fine
    "https://[2606:2800:220:1:248:1893:25c8:1946]/atom",
    "http://[::ffff:93.184.216.34]/",  # mapped public address
    "http://[64:ff9b::5db8:d822]/",  # DNS64 answer for a public IPv4 site
    "HTTPS://93.184.216.34/Feed?lang=fa",
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_accepts_public_addresses(url: str) -> None:
    check_public_url(url, allow_private=False)


def _resolver(table: dict[str, Sequence[str]]) -> netguard.Resolver:
    def resolve(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in table[host]]

    return resolve


def test_every_resolved_address_must_be_public() -> None:
    mixed = _resolver({"news.example": ["93.184.216.34", "10.1.2.3"]})
    with pytest.raises(TabadolError) as caught:
        check_public_url("https://news.example/feed", allow_private=False, resolver=mixed)
    assert caught.value.code is ErrorCode.UNSAFE_URL
    assert "10.1.2.3" in caught.value.fields["reason"]


def test_host_names_are_resolved_before_judging() -> None:
    public = _resolver({"news.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]})
    check_public_url("https://news.example/feed", allow_private=False, resolver=public)


def test_unicode_host_is_resolved_in_its_idna_form() -> None:
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[IPAddress]:
        asked.append(host)
        return [ipaddress.ip_address("93.184.216.34")]

    check_public_url("https://пример.рф/rss", allow_private=False, resolver=resolve)
    assert asked == ["xn--e1afmkfd.xn--p1ai"]


def test_host_without_address_is_a_fetch_failure_not_a_verdict() -> None:
    with pytest.raises(TabadolError) as caught:
        check_public_url("https://gone.example/", allow_private=False, resolver=lambda host, port: [])
    assert caught.value.code is ErrorCode.FETCH_FAILED


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/feed", "http://[::1]/", "http://10.0.0.1/", "http://localhost/"]
)
def test_allow_private_accepts_the_operators_own_network(url: str) -> None:
    check_public_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://0.0.0.0/",
        "file:///etc/passwd",
        "http://user:pw@127.0.0.1/",
    ],
)
def test_allow_private_still_refuses_what_is_never_a_feed(url: str) -> None:
    with pytest.raises(TabadolError) as caught:
        check_public_url(url, allow_private=True)
    assert caught.value.code is ErrorCode.UNSAFE_URL


def test_guarded_client_connects_to_the_address_it_vetted(feed_server) -> None:
    feed_server.serve("/feed", Reply(body=b"ok"))
    resolver = _resolver({"wires.example": ["127.0.0.1"]})  # no DNS: only the vetted address exists
    with guarded_client(allow_private=True, timeout_seconds=5, user_agent="t", resolver=resolver) as client:
        response = client.get(f"http://wires.example:{feed_server.port}/feed")
    assert response.status_code == 200
    assert response.content == b"ok"
    # The request still names the host, so virtual hosting (and TLS SNI) work as usual.
    assert feed_server.seen[0].headers["host"] == f"wires.example:{feed_server.port}"


def test_guarded_client_refuses_a_rebinding_host_at_connect_time(feed_server) -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])

    def rebinding(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in next(answers)]

    url = f"http://rebind.example:{feed_server.port}/feed"
    check_public_url(url, allow_private=False, resolver=rebinding)  # first answer: public
    client = guarded_client(allow_private=False, timeout_seconds=5, user_agent="t", resolver=rebinding)
    with client, pytest.raises(TabadolError) as caught:
        client.get(url)  # second answer: loopback, refused before any connection
    assert caught.value.code is ErrorCode.UNSAFE_URL
    assert feed_server.seen == []


def test_guarded_client_ignores_proxy_environment(monkeypatch, feed_server) -> None:
    feed_server.serve("/feed", Reply(body=b"direct"))
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.9.9.9:3128")
    with guarded_client(allow_private=True, timeout_seconds=5, user_agent="t") as client:
        response = client.get(feed_server.url("/feed"))
    assert response.content == b"direct"


def test_connection_failures_surface_as_httpx_errors() -> None:
    # Port 9 on loopback is closed on test machines; the guard lets it through, the connect fails.
    client = guarded_client(allow_private=True, timeout_seconds=2, user_agent="t")
    with client, pytest.raises(httpx.ConnectError):
        client.get("http://127.0.0.1:9/")
