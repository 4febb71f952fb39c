"""Server-side request forgery guard for every URL the hub fetches on a member's behalf.

A member registers a feed URL and the hub fetches it from inside the operator's network. Without
this guard that URL could point at the hub's own admin ports, the database, a router, or the cloud
metadata service (169.254.169.254). So:

- only `http` and `https`, and never credentials in the URL (they would end up in logs);
- the host is resolved with `getaddrinfo`, and EVERY address it resolves to must be public, judged
  with `ipaddress` on the resolved numbers. Deciding on the resolved numbers (not on the spelling of
  the host) is what defeats numeric tricks such as `http://2130706433/` or `http://0x7f.1/`, which
  the C resolver turns into 127.0.0.1. IPv6 addresses that carry an IPv4 address inside them
  (IPv4-mapped, 6to4, Teredo, NAT64) are judged by the IPv4 address they wrap.

DNS rebinding (a name that resolves to a public address when checked and to a private one when
connected) is closed by `guarded_client`: its transport resolves and checks the host at connect time
and connects to the very addresses it checked, by number. TLS still verifies the certificate against
the host name (SNI and the Host header come from the URL, not from the address). The residual risk is
a client built elsewhere: `check_public_url` alone cannot stop rebinding, so fetch through
`guarded_client` (the pull transport does).

`allow_private=True` (TABADOL_ALLOW_PRIVATE_FEED_URLS, for feeds on the operator's own network)
admits loopback and private ranges, but link-local (cloud metadata), multicast and unspecified
addresses stay refused: no news feed lives there.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence

import httpcore
import httpx

from tabadol.errors import ErrorCode, TabadolError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (ASCII host name or numeric literal, port) -> every address it resolves to
Resolver = Callable[[str, int], Sequence[IPAddress]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}

_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")


def resolve_addresses(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to, through the system resolver (numeric literals included)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise TabadolError(
            ErrorCode.FETCH_FAILED, url=host, reason=f"cannot resolve host {host!r}: {exc}"
        ) from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        # IPv6 link-local answers carry a zone ("fe80::1%eth0"); the zone does not change the verdict.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def refusal_reason(address: IPAddress, *, allow_private: bool) -> str | None:
    """Why `address` may not be fetched from, or None when it may."""
    wrapped = _embedded_ipv4(address)
    if wrapped is not None:
        inner = refusal_reason(wrapped, allow_private=allow_private)
        # Packets to a translation or tunnel address are delivered to the IPv4 host inside it, so
        # that host decides. (DNS64 on IPv6-only networks hands out 64:ff9b:: addresses for every
        # public IPv4 site: refusing the wrapper itself would refuse every IPv4-only feed there.)
        return None if inner is None else f"{address} wraps {wrapped}, and {inner}"
    if address.is_unspecified:
        return f"{address} is the unspecified address"
    if address.is_link_local:
        return f"{address} is link-local (cloud metadata and neighbour services live there)"
    if address.is_multicast:
        return f"{address} is multicast"
    if allow_private:
        return None
    if address.is_loopback:
        return f"{address} is loopback"
    if address.is_private or (isinstance(address, ipaddress.IPv6Address) and address in _NAT64_LOCAL_USE):
        return f"{address} is in a private network"
    if address.is_reserved:
        return f"{address} is reserved"
    if not address.is_global:
        return f"{address} is not globally routable"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 transition address delivers to, if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def vet_host(
    host: str, port: int, *, allow_private: bool, resolver: Resolver | None = None
) -> list[IPAddress]:
    """Resolve `host` and return its addresses if every one of them may be fetched from.

    One bad address refuses the host: a resolver may hand out any of them, so all must be safe.
    """
    if not 0 < port < 65536:
        # getaddrinfo would quietly wrap 99999 to 34463: a way to reach a port nobody reviewed.
        raise TabadolError(ErrorCode.UNSAFE_URL, url=host, reason=f"port {port} is out of range")
    addresses = list((resolver or resolve_addresses)(host, port))
    if not addresses:
        raise TabadolError(ErrorCode.FETCH_FAILED, url=host, reason=f"host {host!r} has no address")
    for address in addresses:
        reason = refusal_reason(address, allow_private=allow_private)
        if reason is not None:
            raise TabadolError(ErrorCode.UNSAFE_URL, url=host, reason=f"{reason} (host {host!r})")
    return addresses


def check_public_url(url: str, *, allow_private: bool, resolver: Resolver | None = None) -> None:
    """Refuse (UNSAFE_URL) a URL the hub must not fetch; FETCH_FAILED if its host cannot be resolved.

    The URL is parsed with httpx's own parser, so what is checked is exactly what would be fetched.
    """
    parsed = _parse(url)
    scheme = parsed.scheme
    if scheme not in ALLOWED_SCHEMES:
        raise TabadolError(
            ErrorCode.UNSAFE_URL, url=url, reason=f"scheme {scheme or '(none)'!r} is not http or https"
        )
    if parsed.userinfo:
        raise TabadolError(ErrorCode.UNSAFE_URL, url=url, reason="credentials in the URL are not allowed")
    if not parsed.raw_host:
        raise TabadolError(ErrorCode.UNSAFE_URL, url=url, reason="the URL has no host")
    host = parsed.raw_host.decode("ascii")
    port = parsed.port if parsed.port is not None else DEFAULT_PORTS[scheme]
    try:
        vet_host(host, port, allow_private=allow_private, resolver=resolver)
    except TabadolError as exc:
        raise TabadolError(exc.code, url=url, reason=exc.fields.get("reason", exc.message)) from None


def _parse(url: str) -> httpx.URL:
    try:
        return httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise TabadolError(ErrorCode.UNSAFE_URL, url=url, reason=f"it is not a valid URL ({exc})") from None


class GuardedNetworkBackend(httpcore.NetworkBackend):
    """Resolves and vets each host at connect time, then connects to the vetted addresses by number.

    Checking and connecting on the same resolution is what pins the connection: there is no second
    lookup for a rebinding DNS server to answer differently.
    """

    def __init__(self, *, allow_private: bool, resolver: Resolver | None = None) -> None:
        self._allow_private = allow_private
        self._resolver = resolver
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = vet_host(host, port, allow_private=self._allow_private, resolver=self._resolver)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc  # try the next vetted address, as create_connection would
        assert last_error is not None
        raise last_error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise TabadolError(ErrorCode.UNSAFE_URL, url=path, reason="unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport with the connection pool rebuilt on `GuardedNetworkBackend`.

    httpx does not take a network backend as an argument, so the pool is replaced after construction
    with the same settings httpx would have used; tests/transports assert that the guard is in force.
    Proxies from the environment are not used: a proxy would make the connect-time check meaningless.
    """

    def __init__(self, *, allow_private: bool, resolver: Resolver | None = None) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=10,
            max_keepalive_connections=5,
            keepalive_expiry=5.0,
            network_backend=GuardedNetworkBackend(allow_private=allow_private, resolver=resolver),
        )


def guarded_client(
    *, allow_private: bool, timeout_seconds: float, user_agent: str, resolver: Resolver | None = None
) -> httpx.Client:
    """An httpx client that can only connect to vetted addresses. Redirects are left to the caller."""
    return httpx.Client(
        transport=GuardedTransport(allow_private=allow_private, resolver=resolver),
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": user_agent},
    )
