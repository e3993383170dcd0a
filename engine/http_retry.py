"""JSON POSTs to an inference server, retried the way every such server wants.

Shared by :class:`~engine.remote_embedder.RemoteEmbedder` and
:class:`~engine.remote_reranker.RemoteReranker`. Connection errors, timeouts, 408, 429 and
5xx are retried with exponential backoff and full jitter, honouring ``Retry-After``; a
refused API key, a 404 and a request the server finds too large are not retried but told
apart (:class:`EndpointNotFound` and :class:`BatchTooLarge` go to the caller, which knows
what to do about them); everything else becomes one line in the caller's error class.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Callable

import httpx

from engine.errors import KenningError

log = logging.getLogger(__name__)

# A body this size passes the default limits of the servers we know (TEI's 2 MB payload
# limit is the smallest) with room for JSON escaping.
DEFAULT_MAX_REQUEST_BYTES = 1_000_000

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 120.0

# How servers word "your batch is too big" when they do not answer 413 (vLLM, infinity's
# pydantic validation, OpenAI's own API).
BATCH_TOO_LARGE = re.compile(
    r"batch.size|too many (inputs|items|texts)|at most \d+ items|max_client_batch",
    re.IGNORECASE,
)


def check_limits(max_batch: int, max_retries: int, max_request_bytes: int, timeout: float) -> None:
    """Refuse request limits no server client can work with."""
    if max_batch < 1 or max_retries < 0 or max_request_bytes < 1 or timeout <= 0:
        raise KenningError(
            "max_batch, max_request_bytes and timeout must be positive, max_retries >= 0"
        )


class BatchTooLarge(Exception):
    """The server refused a request for its size; the caller splits it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EndpointNotFound(Exception):
    """The server answered 404; the caller words the hint (or tries another endpoint)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# Called with an error answer's status and message before anything else is decided: True
# means the caller changed its request to the form the server reads, and it is sent again.
Adapt = Callable[[int, str], bool]


class RetryingPoster:
    """POSTs JSON to one server with retries; owns the ``httpx.Client`` (thread-safe).

    ``server`` names the kind of server in messages (``"embedding"`` gives "the embedding
    server at ..." and log lines "Embedding server ..."); ``error`` is the exception class
    every failure the caller cannot act on is raised as. ``sleep`` and ``transport`` are
    seams for tests.
    """

    def __init__(
        self,
        *,
        server: str,
        error: type[KenningError],
        api_key: str | None,
        timeout: float,
        max_retries: int,
        backoff_s: float,
        sleep: Callable[[float], None],
        transport: httpx.BaseTransport | None,
    ) -> None:
        self._server = server
        self._error = error
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._sleep = sleep
        headers = {"Accept": "application/json", "User-Agent": "kenning"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers=headers,
            transport=transport,
            # A corporate proxy from the environment must not see a loopback server's traffic.
            trust_env=False,
        )

    def close(self) -> None:
        self.client.close()

    def post(
        self, endpoint: str, payload: Callable[[], object], *, adapt: Adapt | None = None
    ) -> httpx.Response:
        """The 200 answer to ``payload()`` posted to ``endpoint``, retrying what is worth it.

        ``payload`` is called for every attempt, so ``adapt`` can change what is sent.
        Raises :class:`EndpointNotFound`, :class:`BatchTooLarge` or the ``error`` class.
        """
        attempts = self._max_retries + 1
        attempt = 0
        while True:
            last = attempt == attempts - 1
            try:
                response = self.client.post(endpoint, json=payload())
            except httpx.TimeoutException:
                if last:
                    raise self._error(
                        f"the {self._server} server at {endpoint} did not answer within "
                        f"{self._timeout:g} s ({attempts} attempts)"
                    ) from None
                self._wait(endpoint, attempt, None, "timed out")
                attempt += 1
                continue
            except httpx.TransportError as exc:
                reason = one_line(exc) or type(exc).__name__
                if last:
                    raise self._error(
                        f"cannot reach the {self._server} server at {endpoint}: "
                        f"{reason} ({attempts} attempts)"
                    ) from None
                self._wait(endpoint, attempt, None, reason)
                attempt += 1
                continue
            status = response.status_code
            if status == 200:
                return response
            message = server_message(response)
            if adapt is not None and adapt(status, message):
                continue  # not an attempt: the same request in the form the server reads
            if status in (401, 403):
                raise self._error(
                    f"the {self._server} server at {endpoint} refused the API key "
                    f"(HTTP {status}: {message}); pass --api-key or set KENNING_API_KEY"
                )
            if status == 404:
                raise EndpointNotFound(message)
            if status == 413 or (status in (400, 422) and BATCH_TOO_LARGE.search(message)):
                raise BatchTooLarge(f"HTTP {status}: {message}")
            if status in RETRY_STATUSES and not last:
                self._wait(endpoint, attempt, response.headers.get("Retry-After"), f"HTTP {status}")
                attempt += 1
                continue
            retried = f" after {attempts} attempts" if status in RETRY_STATUSES else ""
            raise self._error(
                f"the {self._server} server at {endpoint} answered HTTP {status}{retried}: "
                f"{message}"
            )

    def _wait(self, endpoint: str, attempt: int, retry_after: str | None, reason: str) -> None:
        delay = parse_retry_after(retry_after)
        if delay is None:
            # Full jitter: clients that failed together do not come back together.
            delay = random.uniform(0, min(MAX_BACKOFF_S, self._backoff_s * 2**attempt))
        delay = min(delay, MAX_RETRY_AFTER_S)
        log.warning(
            "%s server %s: %s; retrying in %.1f s (attempt %d of %d)",
            self._server.capitalize(),
            endpoint,
            reason,
            delay,
            attempt + 2,
            self._max_retries + 1,
        )
        self._sleep(delay)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def server_message(response: httpx.Response) -> str:
    """The error text of an OpenAI-, SGLang-, TEI- or FastAPI-style error body, on one line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    message: object = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message")
        elif isinstance(error, str):
            message = error
        message = message or body.get("message") or body.get("detail")
    if message is None:
        message = response.text or response.reason_phrase
    if not isinstance(message, str):
        message = json.dumps(message)
    return one_line(message)[:300]


def one_line(value: object) -> str:
    return " ".join(str(value).split())
