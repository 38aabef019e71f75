"""Where a library lives, opening and locking it, transactions, and schema migrations.

A library is one directory holding ``facegraph.duckdb`` (the source of truth) and the graph
projection (``graph.kuzu`` or ``graph.lbug``, see `facegraph.graph`). Migrations are numbered SQL
files applied in order, each in its own transaction. Importing this module loads no database
driver.

Sharing: DuckDB lets one process write a database file or several read it, never both. So no
facegraph command holds the file longer than one unit of work (an ingest commits a batch and
lets go), and every opener waits its turn for up to ``$FACEGRAPH_LOCK_TIMEOUT`` seconds (30) before
saying the library is in use. That keeps `stats`, `people list`, exports and the review app
working while a long ingest runs, and edits interleave with its batches. One ingest at a time
is kept by a lease (`lease`), not by holding the file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import time
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import (
    LibraryDamagedError,
    LibraryError,
    LibraryInUseError,
    LibraryNotFoundError,
    LibraryVersionError,
)

if TYPE_CHECKING:
    import duckdb

DEFAULT_LIBRARY = "facegraph-library"
LIBRARY_ENV = "FACEGRAPH_LIBRARY"
DATABASE_FILE = "facegraph.duckdb"
#: the graph engines that can hold the projection, and the file each keeps in the library
ENGINES: tuple[str, ...] = ("kuzu", "ladybug")
DEFAULT_ENGINE = "kuzu"
ENGINE_ENV = "FACEGRAPH_GRAPH_ENGINE"
GRAPH_FILES = {"kuzu": "graph.kuzu", "ladybug": "graph.lbug"}
#: how long an opener waits for another process to let go of the library (seconds)
LOCK_TIMEOUT_ENV = "FACEGRAPH_LOCK_TIMEOUT"
LOCK_TIMEOUT = 30.0


#: what a database error says when the disk, not the data, is at fault
_DISK_TROUBLE = re.compile(
    r"No space left|Could not (write|read) file|Read-only file system|Disk quota|IO Error",
    re.IGNORECASE,
)


def is_disk_failure(exc: BaseException) -> bool:
    """A full, read-only or failing disk (from the OS or from a database engine)."""
    return isinstance(exc, OSError) or bool(_DISK_TROUBLE.search(str(exc)))


def lock_timeout() -> float:
    return float(os.environ.get(LOCK_TIMEOUT_ENV) or LOCK_TIMEOUT)


def resolve_library_path(path: str | os.PathLike[str] | None = None) -> Path:
    """`path`, else ``$FACEGRAPH_LIBRARY``, else ``./facegraph-library``."""
    chosen = path or os.environ.get(LIBRARY_ENV) or DEFAULT_LIBRARY
    return Path(chosen).expanduser().absolute()


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("facegraph") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = re.fullmatch(r"(\d+)_(.+)\.sql", entry.name)
        if match:
            found.append((int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    return sorted(found)


SCHEMA_VERSION = max(version for version, _, _ in _migrations())


class Library:
    """An open library. Use as a context manager, or call `close()`."""

    def __init__(self, path: Path, connection: duckdb.DuckDBPyConnection, read_only: bool):
        self.path = path
        self.connection = connection
        self.read_only = read_only

    @property
    def database_path(self) -> Path:
        return self.path / DATABASE_FILE

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, write: bool = False) -> Library:
        """Open a library; ``write=True`` creates it if needed and takes the writer's lock.

        Readers open it read-only, so several may read at once; none can while a writer has it,
        so both wait (up to `lock_timeout`) for the other to let go.
        """
        deadline, pause = time.monotonic() + lock_timeout(), 0.02
        while True:
            try:
                return cls._open_now(path, write)
            except LibraryInUseError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.5)

    @classmethod
    def _open_now(cls, path: str | os.PathLike[str] | None, write: bool) -> Library:
        import duckdb

        root = resolve_library_path(path)
        try:
            return cls._open_checked(root, write)
        except duckdb.Error as exc:  # damage met reading the schema, after the file opened
            if not is_damaged_database(exc):
                raise
            raise damaged_database(root / DATABASE_FILE, exc) from None

    @classmethod
    def _open_checked(cls, root: Path, write: bool) -> Library:
        database = root / DATABASE_FILE
        if not write and not database.exists():
            raise LibraryNotFoundError(
                f"no facegraph library at {root}; run 'facegraph ingest PHOTOS' first "
                f"or point --library / ${LIBRARY_ENV} at one"
            )
        if write:
            root.mkdir(parents=True, exist_ok=True)
            connection = _connect(database, read_only=False)
            _migrate(connection, database)
            return cls(root, connection, read_only=False)
        connection = _connect(database, read_only=True)
        if _schema_version(connection) < SCHEMA_VERSION:
            connection.close()  # an older library: bring it up to date, then read
            _migrate(_connect(database, read_only=False), database, close=True)
            connection = _connect(database, read_only=True)
        _check_not_newer(connection, database)
        return cls(root, connection, read_only=True)

    def confine(self) -> None:
        """From now on this connection reads and writes the library's database only: no other
        file read or written, no database attached, no extension installed or loaded, and these
        settings locked against the statements that follow (a user's SQL)."""
        for setting in (
            "enable_external_access = false",
            "autoinstall_known_extensions = false",
            "autoload_known_extensions = false",
            "allow_community_extensions = false",
            "lock_configuration = true",
        ):
            self.connection.execute(f"SET {setting}")

    def checkpoint(self) -> None:
        """Write the log into the database file (a smaller file for the next reader to open)."""
        self.connection.execute("CHECKPOINT")

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect(database: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    import duckdb

    try:
        return duckdb.connect(str(database), read_only=read_only)
    except duckdb.ConnectionException as exc:
        if "different configuration" not in str(exc):
            raise
        # this process has it open the other way (a reader while a writer wants it, or the
        # reverse: threads of `facegraph serve`): wait for it, as for another process
        raise LibraryInUseError(
            f"library {database.parent} is in use by this process; try again"
        ) from None
    except duckdb.IOException as exc:
        message = str(exc)
        if "read-only file system" in message.lower() or "permission denied" in message.lower():
            raise LibraryError(
                f"library {database.parent} cannot be changed here ({_first_line(message)}); "
                "reading it works, or copy it somewhere writable"
            ) from None
        if "lock" not in message.lower():
            raise LibraryDamagedError(
                f"{database} cannot be read ({_first_line(message)}); restore it from a backup, "
                "or move it away and run 'facegraph ingest' again to rebuild the library"
            ) from None
        pid = re.search(r"PID (\d+)", message)
        holder = f" (PID {pid.group(1)})" if pid else ""
        raise LibraryInUseError(
            f"library {database.parent} is in use by another process{holder}; "
            "wait for it to finish and try again"
        ) from None
    except duckdb.Error as exc:  # a damaged block read while opening (checksums, headers)
        if not is_damaged_database(exc):
            raise
        raise damaged_database(database, exc) from None


#: how DuckDB 2.0 words a file it cannot trust: a block whose checksum fails ("Corrupt database
#: file: computed checksum ..."), a truncated file ("Could not read enough bytes"), a damaged
#: header or another kind of file ("not a valid DuckDB database"). Nothing broader: a lock or a
#: failing disk is not damage, and the advice given for damage is to rebuild
_DAMAGE_WORDS = (
    "corrupt database",
    "checksum",
    "could not read enough bytes",
    "not a valid duckdb",
)


def is_damaged_database(exc: BaseException) -> bool:
    """Whether `exc` is DuckDB saying its file is damaged."""
    kind = type(exc)
    if kind.__module__.split(".")[0] not in ("duckdb", "_duckdb"):
        return False
    text = str(exc).lower()
    return any(words in text for words in _DAMAGE_WORDS)


def damaged_database(database: Path, exc: BaseException) -> LibraryDamagedError:
    """The one line for a damaged database file, naming it and what to do."""
    return LibraryDamagedError(
        f"{database} is damaged ({_first_line(str(exc))}); restore it from a backup, or move it"
        " away and run 'facegraph ingest' again to rebuild the library (names and edits are"
        " in it and would be lost)"
    )


def verify_database(lib: Library) -> None:
    """Read every column of every table once, so that damage anywhere in the file is found
    now (`facegraph serve` before it listens) rather than by some later request."""
    import duckdb

    con = lib.connection
    try:
        tables = [
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_type = 'BASE TABLE' AND table_schema = 'main'"
            ).fetchall()
        ]
        for table in tables:
            con.execute(f'SELECT bit_xor(hash(COLUMNS(*))) FROM "{table}"').fetchall()
    except duckdb.Error as exc:
        if is_damaged_database(exc):
            raise damaged_database(lib.database_path, exc) from None
        raise


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0].removeprefix("IO Error: ") if message.strip() else ""


def _schema_version(connection: duckdb.DuckDBPyConnection) -> int:
    exists = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return connection.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()[
        0
    ][0]


def _check_not_newer(connection: duckdb.DuckDBPyConnection, database: Path) -> None:
    version = _schema_version(connection)
    if version > SCHEMA_VERSION:
        raise LibraryVersionError(
            f"library {database.parent} has schema version {version}, newer than this facegraph "
            f"understands ({SCHEMA_VERSION}); upgrade facegraph"
        )


def _migrate(connection: duckdb.DuckDBPyConnection, database: Path, close: bool = False) -> None:
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    _check_not_newer(connection, database)
    current = _schema_version(connection)
    for version, name, sql in _migrations():
        if version <= current:
            continue
        with transaction(connection):
            connection.execute(sql)
            connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name]
            )
    if close:
        connection.close()


@contextmanager
def file_lock(path: Path, *, exclusive: bool, wait: bool = True) -> Iterator[None]:
    """An advisory lock on `path` (created if needed): shared or exclusive, held until the
    block ends. Waits up to `lock_timeout`, or not at all; then `LibraryInUseError` names the
    process that holds it."""
    mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    deadline, pause = time.monotonic() + (lock_timeout() if wait else 0), 0.01
    with _lock_handle(path, exclusive) as handle:  # closing it releases the lock
        while handle is not None:
            try:
                fcntl.flock(handle, mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip()
                    raise LibraryInUseError(
                        f"library {path.parent} is in use by another process"
                        f"{f' (PID {holder})' if holder.isdigit() else ''}; "
                        "wait for it to finish and try again"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
        if exclusive and handle is not None:
            handle.truncate(0)
            handle.write(str(os.getpid()))
            handle.flush()
        yield


@contextmanager
def _lock_handle(path: Path, exclusive: bool) -> Iterator[typing.IO[str] | None]:
    """The lock file, open; for a reader on a read-only disk (no writer can be there either)
    the file as it is, or None when there is none."""
    try:
        handle = open(path, "a+")  # noqa: SIM115 - closed below
    except OSError as exc:
        if exclusive or exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise
        handle = open(path) if path.exists() else None  # noqa: SIM115
    try:
        yield handle
    finally:
        if handle is not None:
            handle.close()


def lease(root: Path, name: str) -> contextlib.AbstractContextManager[None]:
    """Hold `name` (e.g. "ingest") on the library for a whole run: a second run of the same
    kind is refused at once, while other commands keep working."""
    root.mkdir(parents=True, exist_ok=True)
    return file_lock(root / f"{name}.lock", exclusive=True, wait=False)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``with transaction(con):`` commits on success and rolls back on any exception."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def rewrite_database(database: Path) -> None:
    """Copy the database into a fresh file and put it in place of the old one.

    Deleted rows can linger in a DuckDB file's free blocks; after this, nothing deleted is left
    anywhere in the library's files (used when a person is forgotten).
    """
    fresh = database.with_name(database.name + ".rewrite")
    for leftover in (fresh, fresh.with_name(fresh.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = _connect(database, read_only=False)
    try:
        con.execute("CHECKPOINT")
        name = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute(f"ATTACH '{fresh}' AS fresh_copy")
        con.execute(f'COPY FROM DATABASE "{name}" TO fresh_copy')
        con.execute("DETACH fresh_copy")
    finally:
        con.close()
    os.replace(fresh, database)
    database.with_name(database.name + ".wal").unlink(missing_ok=True)
