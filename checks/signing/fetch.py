"""HTTP for CRLs and OCSP: one request at a time, a deadline per request, a size cap, http(s) only.

Environment proxies are honoured except for loopback addresses (the lab, and a responder a site
runs on the audit host itself); redirects may not leave http/https.
"""

from __future__ import annotations

import ipaddress
import time
import urllib.error
import urllib.request
from typing import IO, Any
from urllib.parse import urlsplit

CRL_LIMIT = 64 * 1024 * 1024
OCSP_LIMIT = 1024 * 1024
CHUNK = 65536


class FetchError(Exception):
    """The resource could not be fetched; the message says why in words an officer can use."""


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: Any, fp: IO[bytes], code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FetchError(f"redirected to a non-HTTP address ({newurl[:80]})")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_url(url: str) -> str | None:
    """Why this URL cannot be fetched, or None when it can."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return f"only http and https are fetched, not {parts.scheme or 'a bare path'} ({url[:80]})"
    if not parts.hostname:
        return f"no host in {url[:80]}"
    return None


class HttpClient:
    """Blocking HTTP with a whole-request deadline of `timeout` seconds."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def get(self, url: str, limit: int = CRL_LIMIT) -> bytes:
        return self._fetch(urllib.request.Request(url, method="GET"), limit)  # noqa: S310 - scheme checked

    def post(self, url: str, body: bytes, content_type: str, limit: int = OCSP_LIMIT) -> bytes:
        request = urllib.request.Request(  # noqa: S310 - _fetch refuses all but http/https
            url, data=body, method="POST", headers={"Content-Type": content_type}
        )
        return self._fetch(request, limit)

    def _fetch(self, request: urllib.request.Request, limit: int) -> bytes:
        problem = check_url(request.full_url)
        if problem:
            raise FetchError(problem)
        host = urlsplit(request.full_url).hostname or ""
        proxies = urllib.request.ProxyHandler({} if _is_loopback(host) else None)
        opener = urllib.request.build_opener(proxies, _SafeRedirects())
        deadline = time.monotonic() + self.timeout
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return _read_bounded(response, limit, deadline, self.timeout)
        except urllib.error.HTTPError as exc:
            raise FetchError(f"HTTP {exc.code} {exc.reason} from {request.full_url}") from None
        except urllib.error.URLError as exc:
            raise FetchError(f"{request.full_url} unreachable: {exc.reason}") from None
        except TimeoutError:
            raise FetchError(f"{request.full_url} did not answer within {self.timeout:g} s") from None
        except (OSError, ValueError) as exc:
            raise FetchError(f"{request.full_url}: {exc}") from None


def _read_bounded(response: Any, limit: int, deadline: float, timeout: float) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError(f"{response.url} took longer than {timeout:g} s to send its answer")
        chunk = response.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise FetchError(f"{response.url} sent more than {limit} bytes")
        chunks.append(chunk)
