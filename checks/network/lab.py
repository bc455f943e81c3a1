"""Network scenarios on 127.0.3.x: legacy clear-text services, exposed databases and SSH, plain HTTP
with and without a redirect, a portal whose port 80 never answers, a declared host that is down
(127.0.3.6 has no listener), and one unmanaged device (127.0.3.50) inside the lab-dc subnet
127.0.3.0/26.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from p06audit.lab.servers import BannerListener, HttpServer, LabServer, SilentListener

if TYPE_CHECKING:
    from p06audit.lab import LabContext

TELNET_BANNER = b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"
FTP_BANNER = b"220 (vsFTPd 3.0.3)\r\n"
SSH_BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"
MYSQL_GREETING = b"J\x00\x00\x00\n8.0.36\x00\x08\x00\x00\x00abcdefgh\x00\xff\xf7\x08\x02\x00\xff\xc1\x15"
REDIRECT_TARGET = "https://portal-redirect.lab.p06.test/"


def _plain_page(_: bytes) -> tuple[str, dict[str, str], bytes]:
    return "200 OK", {"Content-Type": "text/html; charset=utf-8"}, b"<h1>Cong dich vu cong (HTTP)</h1>\n"


def _redirect(_: bytes) -> tuple[str, dict[str, str], bytes]:
    return "301 Moved Permanently", {"Location": REDIRECT_TARGET}, b""


def build(ctx: LabContext) -> list[LabServer]:
    return [
        BannerListener("net-legacy-ftp", "127.0.3.1", 21, FTP_BANNER, "FTP-like clear-text service"),
        BannerListener("net-legacy-telnet", "127.0.3.1", 23, TELNET_BANNER, "Telnet-like option negotiation"),
        BannerListener("net-db-postgres", "127.0.3.2", 5432, b"", "PostgreSQL-like port (waits for client)"),
        BannerListener("net-db-mysql", "127.0.3.2", 3306, MYSQL_GREETING, "MySQL-like greeting"),
        HttpServer("net-portal-plain", "127.0.3.3", 80, _plain_page, "portal on plain HTTP, no redirect"),
        HttpServer("net-portal-redirect", "127.0.3.4", 80, _redirect, "HTTP that redirects to HTTPS"),
        SilentListener("net-portal-silent", "127.0.3.7", 80),
        BannerListener("net-psc-ssh", "127.0.3.5", 22, SSH_BANNER, "SSH-like banner at a service centre"),
        BannerListener("net-unmanaged-smb", "127.0.3.50", 445, b"", "undeclared device in the lab-dc subnet"),
    ]
