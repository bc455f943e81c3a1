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

from p06audit.checks.signing.facts import Reason, reason

CRL_LIMIT = 64 * 1024 * 1024
OCSP_LIMIT = 1024 * 1024
CHUNK = 65536


URL_SHOWN = 80  # characters of an address quoted in a reason


class FetchError(Exception):
    """The resource could not be fetched; `reason` says why in words an officer can use."""

    def __init__(self, why: Reason) -> None:
        super().__init__(why.key)
        self.reason = why


def seconds(value: float) -> int | float:
    """A timeout as the reader wrote it: 10, not 10.0."""
    return int(value) if value == int(value) else value


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self, req: Any, fp: IO[bytes], code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FetchError(reason("signing.redirect_not_http", url=newurl[:URL_SHOWN]))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_url(url: str) -> Reason | None:
    """Why this URL cannot be fetched, or None when it can."""
    parts = urlsplit(url)
    shown = url[:URL_SHOWN]
    if not parts.scheme:
        return reason("signing.url_bare_path", url=shown)
    if parts.scheme not in ("http", "https"):
        return reason("signing.url_not_http", scheme=parts.scheme, url=shown)
    if not parts.hostname:
        return reason("signing.url_no_host", url=shown)
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
            raise FetchError(
                reason("signing.http_status", code=exc.code, reason=str(exc.reason), url=request.full_url)
            ) from None
        except urllib.error.URLError as exc:
            raise FetchError(
                reason("signing.unreachable", url=request.full_url, error=str(exc.reason))
            ) from None
        except TimeoutError:
            raise FetchError(
                reason("signing.no_answer", url=request.full_url, seconds=seconds(self.timeout))
            ) from None
        except (OSError, ValueError) as exc:
            raise FetchError(reason("signing.fetch_failed", url=request.full_url, error=str(exc))) from None


def _read_bounded(response: Any, limit: int, deadline: float, timeout: float) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchError(reason("signing.answer_too_slow", url=response.url, seconds=seconds(timeout)))
        chunk = response.read(CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise FetchError(reason("signing.answer_too_large", url=response.url, limit=limit))
        chunks.append(chunk)
