# ruff: noqa: F811  (the service fixtures are imported by name)
"""Issue 13: the index's folders are one list for the app and the CLI.

A folder indexed from the command line (a Pipeline run, as ``kenning index`` does) survives a
service started with other roots: it is kept, watched and searchable; only a folder the caller
removes through ``set_roots`` is dropped.
"""

from __future__ import annotations

from pathlib import Path

from indexer.folder_list import indexed_folders, merged_folders
from indexer.pipeline import IndexOptions, Pipeline
from tests.fake_embedder import HashingEmbedder
from tests.indexer.test_service import (  # noqa: F401  (fixtures by name)
    Listener,
    data_dir,
    file_set,
    lexical_paths,
    run_service,
    tree,
)


def _cli_index(data_dir: Path, root: Path) -> None:
    pipeline = Pipeline(data_dir, HashingEmbedder(), options=IndexOptions(group_chunks=8))
    try:
        pipeline.index([root])
    finally:
        pipeline.close()


def test_a_folder_indexed_from_the_cli_survives_the_service_start(
    tree, data_dir, run_service, tmp_path
):
    cli_folder = (tmp_path / "from-the-cli").resolve()
    cli_folder.mkdir()
    (cli_folder / "recipes.md").write_text("# Soup\n\nSimmer the lentils slowly.\n")
    _cli_index(data_dir, cli_folder)
    assert indexed_folders(data_dir) == [cli_folder]

    listener = Listener()
    service = run_service([tree], listener)  # the app's settings name only `tree`
    listener.wait_idle_after(0)
    assert set(service.roots) == {tree, cli_folder}
    assert set(indexed_folders(data_dir)) == {tree, cli_folder}
    assert lexical_paths(data_dir, service, "lentils") == {str(cli_folder / "recipes.md")}
    # ... and it is watched like the others.
    (cli_folder / "bread.md").write_text("# Bread\n\nKnead the sourdough.\n")
    assert listener.wait(lambda s: lexical_paths(data_dir, service, "sourdough"))

    # Settings changed without knowing of it (another folder added): still kept.
    extra = (tmp_path / "extra").resolve()
    extra.mkdir()
    (extra / "notes.md").write_text("# Notes\n\nThe kettle whistles.\n")
    done = len(listener.finished)
    service.set_roots([tree, extra])
    listener.wait_idle_after(done)
    assert listener.wait(lambda s: lexical_paths(data_dir, service, "kettle"))
    assert set(indexed_folders(data_dir)) == {tree, cli_folder, extra}

    # Removed on purpose (the app's Settings now naming it, then not): gone.
    service.set_roots([tree, extra, cli_folder])
    service.set_roots([tree, extra])
    assert listener.wait(lambda s: set(indexed_folders(data_dir)) == {tree, extra})
    assert listener.wait(lambda s: not lexical_paths(data_dir, service, "lentils"))


def test_merged_folders_keeps_the_chosen_order_and_adds_the_indexed_ones(tmp_path: Path):
    a, b, c = (tmp_path / n for n in "abc")
    assert merged_folders([str(b), str(a)], [a, c]) == [str(b), str(a), str(c)]
    assert merged_folders([], []) == []
    assert indexed_folders(tmp_path / "no-index-here") == []
