"""Exceptions whose message is fit to show a user as one line."""


class KenningError(Exception):
    """A failure the user can act on; ``str(err)`` is a complete one-line message."""


class ModelMismatchError(KenningError):
    """The index was built with another embedding model or dimension."""


class EmbeddingServerError(KenningError):
    """An OpenAI-compatible embedding server failed, or answered something unusable."""


class IndexDamagedError(KenningError):
    """A stored file could not be read back; it has to be rebuilt."""


class IndexBusy(KenningError):
    """Another process is writing the index (or holds its database locked): not damage."""


class RerankServerError(KenningError):
    """A ``/rerank`` server failed, or answered something unusable."""


class DownloadCancelled(KenningError):
    """A model download was stopped because its caller asked (raised from ``on_progress``)."""
