"""The environment variables Kenning reads, named once for the engine and the front ends."""

# Where the index lives (instead of the platform's user data folder).
ENV_DATA_DIR = "KENNING_DATA_DIR"
# The API key for an OpenAI-compatible embedding server.
ENV_API_KEY = "KENNING_API_KEY"
# The bearer token ``kenning serve`` and the app's server accept (instead of the stored one).
ENV_SERVE_TOKEN = "KENNING_SERVE_TOKEN"
