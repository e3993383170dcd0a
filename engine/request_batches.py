"""Cut texts into requests a server accepts, and halve them when it refuses one as too large.

Shared by :class:`~engine.remote_embedder.RemoteEmbedder` (inputs) and
:class:`~engine.remote_reranker.RemoteReranker` (documents). A request holds at most
``limit`` texts and about ``max_request_bytes`` of JSON; a :class:`~engine.http_retry.
BatchTooLarge` answer halves the request and lowers ``limit`` for the rest of the session,
since a server that refused n texts once refuses them every time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from typing import TypeVar

from engine.errors import KenningError
from engine.http_retry import BatchTooLarge

log = logging.getLogger(__name__)

R = TypeVar("R")


class RequestBatches:
    """The request-size policy of one server, learned as it answers.

    ``noun`` names one text in messages (``"input"``, ``"document"``), ``server`` the kind of
    server (``"embedding"``), ``where`` the endpoint now in use, and ``error`` the class a
    single text refused as too large is raised as.
    """

    def __init__(
        self,
        *,
        max_batch: int,
        max_request_bytes: int,
        noun: str,
        server: str,
        where: Callable[[], str],
        error: type[KenningError],
    ) -> None:
        self.limit = max_batch  # shrinks when the server says a batch is too large
        self._max_request_bytes = max_request_bytes
        self._noun = noun
        self._server = server
        self._where = where
        self._error = error

    def batches(self, texts: list[str]) -> Iterator[list[str]]:
        """Consecutive batches of at most ``limit`` texts and about the byte bound.

        Lazy, so a limit lowered while one batch is sent already shapes the next.
        """
        start = 0
        while start < len(texts):
            batch: list[str] = []
            size = 0
            for text in texts[start:]:
                # json.dumps is what goes on the wire: escapes make text longer than its UTF-8.
                cost = len(json.dumps(text)) + 2
                if batch and (len(batch) >= self.limit or size + cost > self._max_request_bytes):
                    break
                batch.append(text)
                size += cost
            yield batch
            start += len(batch)

    def send(self, texts: list[str], request: Callable[[list[str]], list[R]]) -> list[R]:
        """``request(texts)``, split in halves (recursively) while the server refuses it."""
        try:
            return request(texts)
        except BatchTooLarge as exc:
            if len(texts) == 1:
                raise self._error(
                    f"the {self._server} server at {self._where()} refuses even a single "
                    f"{self._noun} ({len(texts[0])} characters): {exc.message}"
                ) from None
            half = len(texts) // 2
            if half < self.limit:
                log.info(
                    "%s refused %d %ss (%s); sending at most %d per request from now on",
                    self._where(),
                    len(texts),
                    self._noun,
                    exc.message,
                    half,
                )
                self.limit = half
        # Re-read the limit at every step: a refusal deeper down lowers it for the rest.
        out: list[R] = []
        start = 0
        while start < len(texts):
            step = self.limit
            out.extend(self.send(texts[start : start + step], request))
            start += step
        return out
