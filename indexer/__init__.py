"""Kenning's indexer: discovery, chunking, the incremental pipeline and the watcher. No Qt."""
