"""The SQLite store: the source of truth for folders, files, chunks, embeddings and FTS.

One process-wide writer (the indexer) and any number of readers, each on its own connection;
WAL mode lets readers see the last committed state while the writer works.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import IndexBusy, IndexDamagedError, KenningError
from engine.lexical_tokens import TOKENIZER_VERSION, document_tokens
from engine.types import Chunk

log = logging.getLogger(__name__)

# 2: content-addressed vectors (a ``points`` table: one row per distinct vector).
SCHEMA_VERSION = 2
DB_NAME = "index.sqlite3"
# How long a statement waits for another connection's write lock before it fails "busy".
BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS files(
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    path TEXT NOT NULL UNIQUE,
    rel_path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hash TEXT,
    status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped', 'failed', 'pending')),
    reason TEXT,
    language TEXT,
    indexed_at REAL
);
CREATE INDEX IF NOT EXISTS files_folder ON files(folder_id);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start_line INTEGER NOT NULL,
    end_line INTEGER NOT NULL,
    language TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('code', 'text')),
    symbol TEXT,
    text TEXT NOT NULL,
    text_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_file ON chunks(file_id);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(text_hash);
CREATE TABLE IF NOT EXISTS points(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    model TEXT NOT NULL,
    dim INTEGER NOT NULL,
    digest TEXT NOT NULL,
    vector BLOB NOT NULL,
    UNIQUE (model, dim, digest)
);
CREATE TABLE IF NOT EXISTS embeddings(
    model TEXT NOT NULL,
    dim INTEGER NOT NULL,
    text_hash TEXT NOT NULL,
    point_id INTEGER NOT NULL REFERENCES points(id),
    PRIMARY KEY (model, dim, text_hash)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS embeddings_point ON embeddings(point_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    symbol, path, body, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""

# bm25 column weights for (symbol, path, body): a hit in the symbol name says more than one
# somewhere in a body.
FTS_WEIGHTS = (4.0, 1.5, 1.0)


@dataclass(frozen=True, slots=True)
class FileRecord:
    id: int
    path: str
    rel_path: str
    size: int
    mtime_ns: int
    hash: str | None
    status: str
    reason: str | None
    # When the file was last read (time.time()): a file modified within a clock tick of that
    # moment may have changed again without its size or mtime showing it.
    indexed_at: float | None = None


@dataclass(frozen=True, slots=True)
class ChunkRow:
    id: int
    path: str
    start_line: int
    end_line: int
    language: str
    kind: str
    symbol: str | None
    text: str
    folder: str


@dataclass(frozen=True, slots=True)
class NewChunk:
    """A chunk ready to be written: its embedding is looked up by ``text_hash``."""

    chunk: Chunk
    text_hash: str


def connect(db_path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open a connection with the settings every Kenning connection uses."""
    timeout = BUSY_TIMEOUT_S
    if readonly:
        if not db_path.exists():
            raise KenningError(f"no index at {db_path.parent}: run `kenning index PATH` first")
        uri = f"file:{db_path}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=timeout)
    else:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(db_path, check_same_thread=False, timeout=timeout)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def vector_to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float16).tobytes()


def _digest(blob: bytes) -> str:
    return hashlib.blake2b(blob, digest_size=16).hexdigest()


def is_damage(exc: BaseException) -> bool:
    """SQLite found the file corrupt or not a database (not: locked, busy, full, read-only,
    out of descriptors...). Only damage justifies moving the user's index aside."""
    if isinstance(exc, IndexDamagedError):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def open_error(db_path: Path, exc: sqlite3.Error) -> KenningError:
    """The one-line error for a database that could not be opened or read."""
    if is_damage(exc):
        return IndexDamagedError(f"the index database {db_path} is damaged: {exc}")
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return IndexBusy(
            f"the index database {db_path} is busy: another program holds a lock on it "
            f"({exc}); try again when it is done"
        )
    if code == sqlite3.SQLITE_CANTOPEN:
        return KenningError(
            f"cannot open the index database {db_path} ({exc}): check its permissions, free "
            "disk space and the limit on open files"
        )
    return KenningError(f"cannot use the index database {db_path}: {exc}")


def blob_to_vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=np.float16).astype(np.float32)


class Store:
    """Typed access to the index database. Not thread-safe: one Store per thread."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    # ----------------------------------------------------------------- opening
    @classmethod
    def open(cls, data_dir: Path, *, readonly: bool = False) -> Store:
        db_path = Path(data_dir) / DB_NAME
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(db_path, readonly=readonly)
            store = cls(conn, db_path)
            if readonly:
                store._check_schema()
            else:
                store._check_structure()
                store._create_or_migrate()
        except (sqlite3.Error, KenningError) as exc:
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            if isinstance(exc, KenningError):
                raise
            raise open_error(db_path, exc) from exc
        return store

    def close(self) -> None:
        self.conn.close()

    def _check_structure(self) -> None:
        """The writer checks every page once at open (a few tenths of a second per 100k
        chunks): damage that no statement of the indexer reads would otherwise only show as
        failing searches, while the writer can still move the file aside and rebuild."""
        problems = [row[0] for row in self.conn.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            # quick_check's report spans lines; the user's notice is one.
            report = " ".join("; ".join(problems).split())[:300]
            raise IndexDamagedError(f"the index database {self.path} is damaged: {report}")

    def _check_schema(self) -> None:
        version = self.get_meta("schema_version")
        if version is None:
            raise KenningError(f"{self.path} is not a Kenning index")
        if int(version) != SCHEMA_VERSION:
            raise KenningError(
                f"index schema {version} is not supported by this Kenning "
                f"(expects {SCHEMA_VERSION}); run `kenning index` to rebuild it"
            )

    def _create_or_migrate(self) -> None:
        has_meta = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        version = self.get_meta("schema_version") if has_meta else None
        if version == "1":
            self._migrate_v1_points()
            version = str(SCHEMA_VERSION)
        if version is not None and int(version) != SCHEMA_VERSION:
            # Older or newer layout: the store is a cache of the user's files, so rebuilding
            # is always safe, while guessing at a migration is not.
            log.warning("index schema %s != %s: rebuilding the index", version, SCHEMA_VERSION)
            self._drop_all()
        with self.transaction():
            self.conn.executescript(_SCHEMA)
            self.set_meta("schema_version", str(SCHEMA_VERSION))
            if self.get_meta("tokenizer_version") != str(TOKENIZER_VERSION):
                self._reset_lexical()
                self.set_meta("tokenizer_version", str(TOKENIZER_VERSION))
            if self.get_meta("generation") is None:
                self.set_meta("generation", "0")

    def _migrate_v1_points(self) -> None:
        """Schema 1 kept one vector per (model, dim, text hash): move them into ``points``,
        one per distinct vector, and keep every embedding (they cost model time to redo)."""
        log.info("migrating the index to content-addressed vectors (schema 2)")
        with self.transaction():
            self.conn.execute("ALTER TABLE embeddings RENAME TO embeddings_v1")
            for statement in _SCHEMA.split(";"):
                if "points" in statement or "embeddings" in statement:
                    self.conn.execute(statement)
            rows = self.conn.execute("SELECT model, dim, text_hash, vector FROM embeddings_v1")
            while batch := rows.fetchmany(2048):
                for model, dim, text_hash, blob in batch:
                    point_id, _ = self._point_id(model, dim, blob)
                    self.conn.execute(
                        "INSERT OR REPLACE INTO embeddings(model, dim, text_hash, point_id) "
                        "VALUES(?, ?, ?, ?)",
                        (model, dim, text_hash, point_id),
                    )
            self.conn.execute("DROP TABLE embeddings_v1")
            self.set_meta("schema_version", str(SCHEMA_VERSION))
            self.bump_points_generation()

    def _drop_all(self) -> None:
        tables = [
            row[0]
            for row in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT LIKE 'chunks_fts_%'"
            )
        ]
        with self.transaction():
            for table in tables:
                self.conn.execute(f'DROP TABLE IF EXISTS "{table}"')

    def _reset_lexical(self) -> None:
        self.conn.execute("DELETE FROM chunks_fts")
        rows = self.conn.execute(
            "SELECT c.id, c.symbol, f.rel_path, c.text FROM chunks c "
            "JOIN files f ON f.id = c.file_id"
        ).fetchall()
        self._insert_fts(rows)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        if self.conn.in_transaction:
            yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.rollback()
            raise
        else:
            self.conn.commit()

    # -------------------------------------------------------------------- meta
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def bump_generation(self) -> int:
        """Mark that chunks or vectors changed; call inside the writing transaction."""
        new = self.generation + 1
        self.set_meta("generation", str(new))
        return new

    def model_info(self) -> tuple[str, int] | None:
        model, dim = self.get_meta("model"), self.get_meta("dim")
        if model is None or dim is None:
            return None
        return model, int(dim)

    # ----------------------------------------------------------------- folders
    def add_folder(self, path: Path) -> int:
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO folders(path, added_at) VALUES(?, ?)",
                (str(path), time.time()),
            )
        row = self.conn.execute("SELECT id FROM folders WHERE path = ?", (str(path),)).fetchone()
        return int(row[0])

    def folders(self) -> list[tuple[int, str]]:
        return [
            (r[0], r[1]) for r in self.conn.execute("SELECT id, path FROM folders ORDER BY path")
        ]

    def folder_id(self, path: Path) -> int | None:
        row = self.conn.execute("SELECT id FROM folders WHERE path = ?", (str(path),)).fetchone()
        return int(row[0]) if row else None

    def remove_folder(self, folder_id: int) -> list[int]:
        """Delete a folder with its files and chunks; returns the deleted chunk ids."""
        with self.transaction():
            ids = self.delete_files(
                [
                    r[0]
                    for r in self.conn.execute(
                        "SELECT id FROM files WHERE folder_id = ?", (folder_id,)
                    )
                ]
            )
            self.conn.execute("DELETE FROM folders WHERE id = ?", (folder_id,))
        return ids

    # ------------------------------------------------------------------- files
    def files_in_folder(self, folder_id: int) -> dict[str, FileRecord]:
        rows = self.conn.execute(
            "SELECT id, path, rel_path, size, mtime_ns, hash, status, reason, indexed_at "
            "FROM files "
            "WHERE folder_id = ?",
            (folder_id,),
        )
        return {r[1]: FileRecord(*r) for r in rows}

    def file_by_path(self, path: str) -> FileRecord | None:
        row = self.conn.execute(
            "SELECT id, path, rel_path, size, mtime_ns, hash, status, reason, indexed_at "
            "FROM files "
            "WHERE path = ?",
            (path,),
        ).fetchone()
        return FileRecord(*row) if row else None

    def files_under(self, prefix: str) -> list[FileRecord]:
        """Files whose path is ``prefix`` or lies below it (a deleted directory's files)."""
        like = prefix.rstrip("/").replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self.conn.execute(
            "SELECT id, path, rel_path, size, mtime_ns, hash, status, reason, indexed_at "
            "FROM files "
            "WHERE path = ? OR path LIKE ? ESCAPE '\\'",
            (prefix, like + "/%"),
        )
        return [FileRecord(*r) for r in rows]

    def touch_file(self, file_id: int, size: int, mtime_ns: int) -> None:
        """Record a new mtime for a file whose content hash did not change."""
        self.conn.execute(
            "UPDATE files SET size = ?, mtime_ns = ?, indexed_at = ? WHERE id = ?",
            (size, mtime_ns, time.time(), file_id),
        )

    def record_file(
        self,
        *,
        folder_id: int,
        path: str,
        rel_path: str,
        size: int,
        mtime_ns: int,
        hash: str | None,
        status: str,
        reason: str | None = None,
        language: str | None = None,
    ) -> int:
        """Insert or update a file row; returns its id (stable across updates)."""
        self.conn.execute(
            "INSERT INTO files(folder_id, path, rel_path, size, mtime_ns, hash, status, reason, "
            "language, indexed_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(path) DO UPDATE SET folder_id = excluded.folder_id, "
            "rel_path = excluded.rel_path, size = excluded.size, mtime_ns = excluded.mtime_ns, "
            "hash = excluded.hash, status = excluded.status, reason = excluded.reason, "
            "language = excluded.language, indexed_at = excluded.indexed_at",
            (
                folder_id,
                path,
                rel_path,
                size,
                mtime_ns,
                hash,
                status,
                reason,
                language,
                time.time(),
            ),
        )
        row = self.conn.execute("SELECT id FROM files WHERE path = ?", (path,)).fetchone()
        return int(row[0])

    def delete_files(self, file_ids: Sequence[int]) -> list[int]:
        """Delete files and their chunks; returns the deleted chunk ids."""
        removed: list[int] = []
        for file_id in file_ids:
            removed.extend(self.delete_chunks_of(file_id))
            self.conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
        return removed

    # ------------------------------------------------------------------ chunks
    def delete_chunks_of(self, file_id: int) -> list[int]:
        ids = [
            r[0] for r in self.conn.execute("SELECT id FROM chunks WHERE file_id = ?", (file_id,))
        ]
        if ids:
            self.conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", ((i,) for i in ids))
            self.conn.execute("DELETE FROM chunks WHERE file_id = ?", (file_id,))
        return ids

    def insert_chunks(self, file_id: int, rel_path: str, chunks: Sequence[NewChunk]) -> list[int]:
        ids: list[int] = []
        fts_rows = []
        for ordinal, new in enumerate(chunks):
            c = new.chunk
            cur = self.conn.execute(
                "INSERT INTO chunks(file_id, ordinal, start_line, end_line, language, kind, "
                "symbol, text, text_hash) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    file_id,
                    ordinal,
                    c.start_line,
                    c.end_line,
                    c.language,
                    c.kind,
                    c.symbol,
                    c.text,
                    new.text_hash,
                ),
            )
            chunk_id = int(cur.lastrowid or 0)
            ids.append(chunk_id)
            fts_rows.append((chunk_id, c.symbol, rel_path, c.text))
        self._insert_fts(fts_rows)
        return ids

    def _insert_fts(self, rows: Iterable[tuple[int, str | None, str, str]]) -> None:
        self.conn.executemany(
            "INSERT INTO chunks_fts(rowid, symbol, path, body) VALUES(?, ?, ?, ?)",
            (
                (
                    cid,
                    document_tokens(symbol or ""),
                    document_tokens(rel_path),
                    document_tokens(text),
                )
                for cid, symbol, rel_path, text in rows
            ),
        )

    def chunk_rows(self, ids: Sequence[int]) -> dict[int, ChunkRow]:
        """Chunks by id, with their file path; ids that no longer exist are absent."""
        out: dict[int, ChunkRow] = {}
        for start in range(0, len(ids), 500):
            part = list(ids[start : start + 500])
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                "SELECT c.id, f.path, c.start_line, c.end_line, c.language, c.kind, c.symbol, "
                f"c.text, d.path FROM chunks c JOIN files f ON f.id = c.file_id "
                f"JOIN folders d ON d.id = f.folder_id WHERE c.id IN ({marks})",
                part,
            )
            for r in rows:
                out[r[0]] = ChunkRow(*r)
        return out

    def chunk_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def filtered_chunk_ids(
        self,
        *,
        path_glob: str | None = None,
        language: str | None = None,
        kind: str | None = None,
        folder: str | None = None,
    ) -> set[int]:
        where, params = _filter_sql(path_glob, language, kind, folder)
        rows = self.conn.execute(
            "SELECT c.id FROM chunks c JOIN files f ON f.id = c.file_id "
            f"JOIN folders d ON d.id = f.folder_id WHERE {where}",
            params,
        )
        return {r[0] for r in rows}

    # -------------------------------------------------------------- embeddings
    # A chunk's text hash maps to an embedding row, which names a point: one stored vector
    # per distinct (model, dim, float16 vector). The vector index holds points, not chunks,
    # so a text repeated 20,000 times (a log, a minified bundle, copies of a generated file)
    # is one point in the graph: thousands of identical points break hnswlib's neighbour
    # selection and with it semantic search for everything else.
    def cached_vectors(self, model: str, dim: int, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        unique = list(dict.fromkeys(hashes))
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                "SELECT e.text_hash, p.vector FROM embeddings e JOIN points p ON p.id = e.point_id "
                f"WHERE e.model = ? AND e.dim = ? AND e.text_hash IN ({marks})",
                [model, dim, *part],
            )
            for text_hash, blob in rows:
                found[text_hash] = blob_to_vector(blob)
        return found

    def _point_id(self, model: str, dim: int, blob: bytes) -> tuple[int, bool]:
        """The point holding this vector, created if new; (id, created)."""
        digest = _digest(blob)
        row = self.conn.execute(
            "SELECT id FROM points WHERE model = ? AND dim = ? AND digest = ?", (model, dim, digest)
        ).fetchone()
        if row is not None:
            return int(row[0]), False
        cur = self.conn.execute(
            "INSERT INTO points(model, dim, digest, vector) VALUES(?, ?, ?, ?)",
            (model, dim, digest, blob),
        )
        return int(cur.lastrowid or 0), True

    def put_vectors(
        self, model: str, dim: int, vectors: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Store embeddings by text hash; returns the points this created (ids, float32
        vectors as stored), which the vector index must add. Call inside a transaction."""
        new_ids: list[int] = []
        new_blobs: list[bytes] = []
        for text_hash, vector in vectors.items():
            blob = vector_to_blob(vector)
            point_id, created = self._point_id(model, dim, blob)
            if created:
                new_ids.append(point_id)
                new_blobs.append(blob)
            self.conn.execute(
                "INSERT OR REPLACE INTO embeddings(model, dim, text_hash, point_id) "
                "VALUES(?, ?, ?, ?)",
                (model, dim, text_hash, point_id),
            )
        if new_ids:
            self.bump_points_generation()
        return _points_array(new_ids, new_blobs, dim)

    def copy_vectors_from(self, other: Store, model: str, dim: int) -> int:
        """Seed this store's embedding cache with another store's vectors of one model (a
        rebuild beside an index need not pay the model again for texts it has embedded)."""
        rows = other.conn.execute(
            "SELECT e.text_hash, p.vector FROM embeddings e JOIN points p ON p.id = e.point_id "
            "WHERE e.model = ? AND e.dim = ?",
            (model, dim),
        )
        copied = 0
        with self.transaction():
            while batch := rows.fetchmany(2048):
                self.put_vectors(model, dim, {h: blob_to_vector(v) for h, v in batch})
                copied += len(batch)
        return copied

    def drop_unused_vectors(self) -> list[int]:
        """Delete embeddings no chunk refers to any more (kept until the end of a run so a
        moved file or a reverted edit finds them) and the points left without an embedding;
        returns those points' ids, which the vector index must delete."""
        self.conn.execute(
            "DELETE FROM embeddings WHERE text_hash NOT IN (SELECT text_hash FROM chunks)"
        )
        return self._drop_orphan_points()

    def _drop_orphan_points(self) -> list[int]:
        gone = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM points WHERE id NOT IN (SELECT point_id FROM embeddings)"
            )
        ]
        if gone:
            self.conn.executemany("DELETE FROM points WHERE id = ?", ((i,) for i in gone))
            self.bump_points_generation()
        return gone

    def drop_model_vectors(self, model: str, dim: int) -> list[int]:
        """Forget every embedding of one model (an abandoned or replaced model)."""
        self.conn.execute("DELETE FROM embeddings WHERE model = ? AND dim = ?", (model, dim))
        return self._drop_orphan_points()

    @property
    def points_generation(self) -> int:
        """Changes whenever a point is added or removed: what a saved vector index reflects."""
        return int(self.get_meta("points_generation") or 0)

    def bump_points_generation(self) -> None:
        self.set_meta("points_generation", str(self.points_generation + 1))

    def point_count(self, model: str, dim: int) -> int:
        row = self.conn.execute(
            "SELECT count(*) FROM points WHERE model = ? AND dim = ?", (model, dim)
        ).fetchone()
        return int(row[0])

    def iter_point_vectors(
        self, model: str, dim: int, batch: int = 4096
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(point ids, float32 vectors) for every point of a model, to rebuild the index."""
        cur = self.conn.execute(
            "SELECT id, vector FROM points WHERE model = ? AND dim = ? ORDER BY id", (model, dim)
        )
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            yield _points_array([r[0] for r in rows], [r[1] for r in rows], dim)

    def iter_chunk_vectors(
        self, model: str, dim: int, batch: int = 4096
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(chunk ids, float32 vectors) for every embedded chunk (exact search, benchmarks)."""
        cur = self.conn.execute(
            "SELECT c.id, p.vector FROM chunks c JOIN embeddings e ON e.text_hash = c.text_hash "
            "AND e.model = ? AND e.dim = ? JOIN points p ON p.id = e.point_id ORDER BY c.id",
            (model, dim),
        )
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            yield _points_array([r[0] for r in rows], [r[1] for r in rows], dim)

    def chunks_of_points(
        self, model: str, dim: int, point_ids: Sequence[int], *, per_point: int = 1_000_000
    ) -> dict[int, list[int]]:
        """Chunk ids (ascending) per point: the first ``per_point`` chunks whose text has
        that vector (a point may stand for 20,000 copies; a page of results needs few)."""
        out: dict[int, list[int]] = {}
        for start in range(0, len(point_ids), 500):
            part = list(point_ids[start : start + 500])
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                "SELECT point_id, id FROM (SELECT e.point_id, c.id, ROW_NUMBER() OVER "
                "(PARTITION BY e.point_id ORDER BY c.id) AS n FROM embeddings e "
                "JOIN chunks c ON c.text_hash = e.text_hash "
                f"WHERE e.model = ? AND e.dim = ? AND e.point_id IN ({marks})) "
                "WHERE n <= ? ORDER BY id",
                [model, dim, *part, per_point],
            )
            for point_id, chunk_id in rows:
                out.setdefault(point_id, []).append(chunk_id)
        return out

    def points_of_chunks(self, model: str, dim: int, chunk_ids: Iterable[int]) -> set[int]:
        ids = list(chunk_ids)
        found: set[int] = set()
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                "SELECT DISTINCT e.point_id FROM chunks c JOIN embeddings e "
                "ON e.text_hash = c.text_hash AND e.model = ? AND e.dim = ? "
                f"WHERE c.id IN ({marks})",
                [model, dim, *part],
            )
            found.update(r[0] for r in rows)
        return found

    def vectors_for_chunks(
        self, model: str, dim: int, ids: Sequence[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Stored vectors for the given chunk ids (for exact search over a filtered subset)."""
        out_ids: list[int] = []
        blobs: list[bytes] = []
        for start in range(0, len(ids), 900):
            part = list(ids[start : start + 900])
            marks = ",".join("?" * len(part))
            for cid, blob in self.conn.execute(
                "SELECT c.id, p.vector FROM chunks c JOIN embeddings e "
                "ON e.text_hash = c.text_hash AND e.model = ? AND e.dim = ? "
                f"JOIN points p ON p.id = e.point_id WHERE c.id IN ({marks})",
                [model, dim, *part],
            ):
                out_ids.append(cid)
                blobs.append(blob)
        return _points_array(out_ids, blobs, dim)

    def clear_chunks(self) -> None:
        """Forget every chunk and mark every file for re-indexing (model or chunker change)."""
        self.conn.execute("DELETE FROM chunks_fts")
        self.conn.execute("DELETE FROM chunks")
        self.conn.execute("UPDATE files SET hash = NULL, status = 'pending'")

    # ------------------------------------------------------------------ lexical
    def lexical(
        self,
        match: str,
        limit: int,
        *,
        path_glob: str | None = None,
        language: str | None = None,
        kind: str | None = None,
        folder: str | None = None,
    ) -> list[tuple[int, float]]:
        """(chunk id, score) best first for an FTS5 MATCH expression; score = -bm25."""
        where, params = _filter_sql(path_glob, language, kind, folder)
        w = FTS_WEIGHTS
        # Without filters the joins would only cost three lookups per matching row.
        joins = (
            "JOIN chunks c ON c.id = chunks_fts.rowid JOIN files f ON f.id = c.file_id "
            "JOIN folders d ON d.id = f.folder_id "
            if params
            else ""
        )
        sql = (
            f"SELECT chunks_fts.rowid, bm25(chunks_fts, {w[0]}, {w[1]}, {w[2]}) AS rank "
            f"FROM chunks_fts {joins}"
            f"WHERE chunks_fts MATCH ? AND {where} ORDER BY rank LIMIT ?"
        )
        rows = self._fts_query(sql, [match, *params, limit])
        return [(r[0], -float(r[1])) for r in rows]

    def match_count(self, match: str) -> int:
        """How many chunks an FTS5 MATCH expression matches (no ranking: cheap)."""
        rows = self._fts_query("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH ?", [match])
        return int(rows[0][0])

    def _fts_query(self, sql: str, params: list[object]) -> list[tuple]:
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:  # e.g. a MATCH expression FTS5 rejects
            raise KenningError(f"could not run the lexical query: {exc}") from exc

    # ------------------------------------------------------------------- health
    def problem_files(self) -> list[tuple[str, str, str]]:
        """(path, status, reason) for every skipped or failed file, and every other one with a
        reason: pending (a failure that is retried) or indexed with a note (a chunk cap)."""
        rows = self.conn.execute(
            "SELECT path, status, COALESCE(reason, '') FROM files "
            "WHERE status IN ('skipped', 'failed') OR reason IS NOT NULL "
            "ORDER BY path"
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def stats(self) -> dict[str, object]:
        counts = dict(
            self.conn.execute("SELECT status, count(*) FROM files GROUP BY status").fetchall()
        )
        info = self.model_info()
        return {
            "folders": [p for _, p in self.folders()],
            "files": int(sum(counts.values())),
            "files_indexed": int(counts.get("indexed", 0)),
            "files_skipped": int(counts.get("skipped", 0)),
            "files_failed": int(counts.get("failed", 0)),
            "files_pending": int(counts.get("pending", 0)),
            "chunks": self.chunk_count(),
            "points": self.point_count(*info) if info else 0,
            "model": info[0] if info else None,
            "dim": info[1] if info else None,
            "generation": self.generation,
            "points_generation": self.points_generation,
            "schema_version": SCHEMA_VERSION,
        }


def _points_array(ids: list[int], blobs: list[bytes], dim: int) -> tuple[np.ndarray, np.ndarray]:
    vecs = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(ids), dim)
    return np.asarray(ids, dtype=np.int64), vecs.astype(np.float32)


def _filter_sql(
    path_glob: str | None, language: str | None, kind: str | None, folder: str | None
) -> tuple[str, list[object]]:
    clauses = ["1"]
    params: list[object] = []
    if path_glob:
        clauses.append("(f.path GLOB ? OR f.rel_path GLOB ?)")
        params.extend([path_glob, path_glob])
    if language:
        clauses.append("c.language = ?")
        params.append(language.lower())
    if kind:
        clauses.append("c.kind = ?")
        params.append(kind)
    if folder:
        # Every file under the folder, at any depth: paths from "folder/" up to (not
        # including) "folder0", since "0" follows "/" in code point order. A range, unlike
        # GLOB or LIKE, needs no escaping of the folder's own characters and uses the index.
        base = str(folder).rstrip("/")
        clauses.append("f.path >= ? AND f.path < ?")
        params.extend([base + "/", base + "0"])
    return " AND ".join(clauses), params
