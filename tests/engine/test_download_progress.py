"""Download progress, measured on disk in the cache's blob folder, only ever grows."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import model_resolution
from engine.model_resolution import _BlobProgress, _folder_bytes


def test_a_file_renamed_during_the_measurement_does_not_zero_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "done-blob").write_bytes(b"x" * 300)
    real_iterdir = Path.iterdir

    def listing_with_a_vanished_file(self: Path):
        # What a listing taken just before the download renamed a *.incomplete file holds.
        yield self / "renamed-since.incomplete"
        yield from real_iterdir(self)

    real_is_file = Path.is_file

    def is_file_until_renamed(self: Path) -> bool:
        # The file was still there when checked, and renamed before it was measured.
        return self.name == "renamed-since.incomplete" or real_is_file(self)

    monkeypatch.setattr(Path, "iterdir", listing_with_a_vanished_file)
    monkeypatch.setattr(Path, "is_file", is_file_until_renamed)
    assert _folder_bytes(tmp_path) == 300


def test_progress_never_goes_backwards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blobs = tmp_path / "blobs"
    blobs.mkdir()
    reports: list[tuple[int, int]] = []
    progress = _BlobProgress(blobs, 1000, lambda done, total: reports.append((done, total)))
    (blobs / "a.incomplete").write_bytes(b"x" * 400)
    progress.poll()
    # One poll that misses the file (it is being renamed): the count stays where it was.
    monkeypatch.setattr(model_resolution, "_folder_bytes", lambda folder: 0)
    progress.poll()
    monkeypatch.undo()
    (blobs / "b.incomplete").write_bytes(b"x" * 200)
    progress.poll()
    progress.finish()
    assert reports == [(400, 1000), (400, 1000), (600, 1000), (1000, 1000)]
