"""Kenning's headless engine: model runtime, store, vector index and search. No Qt here."""
