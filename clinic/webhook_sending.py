"""Sending one webhook over HTTP, only to addresses that are safe to reach.

A receiver's URL is the clinic admin's to choose, so it could point at the service's own
network (a database, a cloud metadata address, an admin port on loopback). Every address a host
name resolves to is checked when the endpoint is subscribed and again at each send, and the
connection is made to the address that was checked, never by resolving the name a second time:
a DNS answer that changes between the check and the connection (DNS rebinding) cannot slip
past. TLS still verifies the certificate against the host name.

No redirect is followed (a 3xx is a failed attempt), every socket operation times out after
TIMEOUT_SECONDS, and at most RESPONSE_LIMIT bytes of the answer are read.
"""

import http.client
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 10.0
RESPONSE_LIMIT = 4096

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# IPv6 prefixes that carry an IPv4 address a translator reaches on our behalf (NAT64).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# The special-purpose blocks (IANA's registries) spelled out here too, since what `ipaddress`
# counts as global has changed between Python releases (192.0.0.0/24, for one).
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "::ffff:0:0/96", "100::/64", "2001::/23", "2001:db8::/32",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)  # fmt: skip


class UnsafeUrl(Exception):
    """The URL may not be sent to; the message says why, without quoting it."""


def address_is_public(address: IPAddress) -> bool:
    """Whether an address is on the public internet: not loopback, private, link-local,
    multicast, reserved or unspecified, also when an IPv4 address hides inside an IPv6 one."""
    if any(address in block for block in _NOT_PUBLIC if block.version == address.version):
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour]
        if address.teredo is not None:
            embedded.extend(address.teredo)
        if any(address in network for network in _NAT64):
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if any(e is not None and not address_is_public(e) for e in embedded):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with its query


def parse(url: str, *, allow_private: bool) -> Target:
    """The parts of a receiver's URL, or UnsafeUrl: https only (http too when private
    networks are allowed), no credentials, no fragment."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("Must be a valid URL.") from None
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes:
        raise UnsafeUrl("Must be an https URL.")
    if not parts.hostname:
        raise UnsafeUrl("Must name a host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("Must not carry a user name or password.")
    if parts.fragment:
        raise UnsafeUrl("Must not have a fragment.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default_port, path)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (tests replace this to play DNS)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        # An IPv6 address may come with a zone (fe80::1%eth0); the zone is not the address.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def checked_addresses(target: Target, *, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to, all of them checked; UnsafeUrl if the host does not
    resolve or any address it resolves to is not public (one bad answer taints the name)."""
    addresses = resolve(target.host, target.port)
    if not addresses:
        raise UnsafeUrl("The host name does not resolve.")
    if not allow_private and not all(address_is_public(a) for a in addresses):
        raise UnsafeUrl("Must not point at a loopback, private or otherwise internal address.")
    return addresses


def check_url(url: str) -> None:
    """At subscription: UnsafeUrl if this URL could not be sent to now."""
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS
    checked_addresses(parse(url, allow_private=allow_private), allow_private=allow_private)


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no HTTP answer at all
    error: str  # why it failed, short and our own words; empty on a 2xx

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, whatever the host name would resolve to now."""

    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((str(self._address), self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((str(self._address), self.port), self.timeout)
        # The certificate is checked against the host name, as if we had resolved it.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _connection(target: Target, address: IPAddress) -> http.client.HTTPConnection:
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    return cls(target.host, target.port, address, TIMEOUT_SECONDS)


def post(url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
    """POST `body` to `url`, after checking where it goes: the receiver's status code, or why
    there was none. Never raises for anything the receiver or the network does."""
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS
    try:
        target = parse(url, allow_private=allow_private)
        addresses = checked_addresses(target, allow_private=allow_private)
    except UnsafeUrl as refused:
        return Answer(None, f"refused: {refused}")
    error = "no address answered"
    for address in addresses:
        connection = _connection(target, address)
        try:
            connection.request("POST", target.path, body=body, headers=dict(headers))
            response = connection.getresponse()
            # Read a little (so a receiver that answers before reading is not cut off
            # mid-body), never the whole of what it sends.
            response.read(RESPONSE_LIMIT)
            status = response.status
            return Answer(status, "" if 200 <= status < 300 else f"HTTP {status}")
        except TimeoutError:
            return Answer(None, "timed out")
        except ConnectionRefusedError:
            error = "connection refused"
        except ssl.SSLError:
            return Answer(None, "TLS error")
        except (OSError, http.client.HTTPException) as failure:
            error = f"connection failed ({type(failure).__name__})"
        finally:
            connection.close()
    return Answer(None, error)
