"""Kenning as a local service: OpenAI-compatible embeddings, a search API and an MCP server.

Everything here is opt-in (``kenning serve``, ``kenning mcp``) and Qt-free.
"""
