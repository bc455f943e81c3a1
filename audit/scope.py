"""The scope guard: what may be handed to a scanner, checked before any probe leaves the machine.

Scan targets come only from the inventory, and every address or network is parsed again here with
`ipaddress` (defence in depth behind the inventory's own validation), so nothing that could be read
as a scanner option or a shell word reaches a command line. Networks wider than a /22 are refused
unless the operator asked for a wide scope: a typo in a prefix must not turn an audit into a sweep.
"""

from __future__ import annotations

import ipaddress
import re
import shutil
from collections.abc import Iterable

from audit.errors import MissingToolError, ScopeError

WIDEST_PREFIX_V4 = 22
MAX_SCOPE_ADDRESSES = 2 ** (32 - WIDEST_PREFIX_V4)
_TARGET_CHARS = re.compile(r"^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _plain_text(value: object, what: str) -> str:
    """Reject anything that is not a bare address or CIDR before `ipaddress` sees it."""
    text = str(value)
    if not _TARGET_CHARS.match(text):
        raise ScopeError(
            f"refusing scan target {text!r}: a {what} may contain only hexadecimal digits, dots, "
            "colons and one /prefix (no spaces, options, names or shell characters)"
        )
    return text


def parse_address(value: object) -> IpAddress:
    """One host address, or ScopeError naming the offending value."""
    text = _plain_text(value, "host address")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        raise ScopeError(f"refusing scan target {text!r}: it is not an IP address") from None


def parse_network(value: object, *, allow_wide: bool) -> IpNetwork:
    """A site subnet in strict CIDR form, no wider than /22 (or its IPv6 size) unless allowed."""
    text = _plain_text(value, "subnet")
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise ScopeError(f"refusing subnet {text!r}: {exc}") from None
    if network.num_addresses > MAX_SCOPE_ADDRESSES and not allow_wide:
        raise ScopeError(
            f"refusing subnet {network}: it holds {network.num_addresses} addresses, wider than a "
            f"/{WIDEST_PREFIX_V4} ({MAX_SCOPE_ADDRESSES}); check the prefix, or pass --allow-wide-scope "
            "if this sweep is intended and authorised"
        )
    return network


def parse_ports(ports: Iterable[object]) -> tuple[int, ...]:
    """Sorted unique TCP ports, each an integer in 1..65535."""
    checked: set[int] = set()
    for port in ports:
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ScopeError(f"refusing port {port!r}: a port is a whole number from 1 to 65535")
        checked.add(port)
    if not checked:
        raise ScopeError("refusing to scan: the port set is empty")
    return tuple(sorted(checked))


def scan_targets(
    addresses: Iterable[object], networks: Iterable[object], *, allow_wide: bool
) -> tuple[str, ...]:
    """Validated targets for one scanner invocation: networks, then the addresses none of them covers."""
    nets = list(dict.fromkeys(parse_network(n, allow_wide=allow_wide) for n in networks))
    hosts = dict.fromkeys(parse_address(a) for a in addresses)
    loose = [a for a in hosts if not any(a.version == n.version and a in n for n in nets)]
    return tuple(str(t) for t in [*nets, *loose])


def require_program(program: str, debian_package: str) -> str:
    """Absolute path of a system program, or MissingToolError saying which package to install."""
    path = shutil.which(program)
    if path is None:
        raise MissingToolError(
            f"the program '{program}' is not installed or not on PATH; install the Debian package "
            f"'{debian_package}' (apt-get install {debian_package}) and run the audit again"
        )
    return path
