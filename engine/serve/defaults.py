"""``kenning serve``'s default settings, importable without the server (the CLI's help)."""

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8741
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_CONCURRENT = 32
# A client that stops sending mid-request must not hold a thread for ever.
DEFAULT_SOCKET_TIMEOUT_S = 60.0
# The whole body must arrive within this (a trickle of a byte a second is not "sending").
DEFAULT_BODY_TIMEOUT_S = 30.0
# Connections the kernel queues before the server accepts them.
DEFAULT_LISTEN_BACKLOG = 128
# Most inputs in one embeddings request.
DEFAULT_MAX_BATCH = 256
