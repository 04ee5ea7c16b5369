"""One SQL code path over SQLite (embedded default) and Postgres (production).

`Database` wraps a SQLAlchemy 2 engine with the few operations the platform needs: read a query
into a polars DataFrame, and write a DataFrame transactionally as delete-then-insert or upsert.
Postgres bulk paths use COPY (psycopg 3); SQLite runs in WAL mode so the API reads while a run
writes.
"""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from socialflow_pipelines.platform.breaker import CircuitBreaker
from socialflow_pipelines.platform.db.schema import ML_SCHEMA, UTCDateTime
from socialflow_pipelines.platform.ids import IdType, canonical_id, follow_database_ids, id_type_of

ID_CHUNK = 900  # ids per IN (...) list: under SQLite's bound-parameter limit, with room to spare
HANG_GRACE_S = 0.5  # how long past its statement_timeout a statement may go before the guard cuts it
log = logging.getLogger(__name__)


def make_engine(
    url: str,
    *,
    statement_timeout_s: float | None = None,
    connect_timeout_s: float = 10,
    breaker: CircuitBreaker | None = None,
) -> Engine:
    """An engine whose `ml` schema maps to the main database on SQLite (which has no schemas),
    whose id columns follow the database's kind (platform.ids), and whose every wait is bounded:
    connecting, and, with `statement_timeout_s`, each statement (a lock wait on SQLite; on
    Postgres, the server's timeout and a client-side HangGuard). With a `breaker`, a failure
    opens it (`_trip_on_failure`)."""
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        busy_ms = int((statement_timeout_s or 60) * 1000)
        engine = sa.create_engine(url, connect_args={"timeout": busy_ms / 1000})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()

        follow_database_ids(engine)
        if breaker is not None:
            _trip_on_failure(engine, breaker)
        return engine.execution_options(schema_translate_map={ML_SCHEMA: None})
    connect_args: dict[str, Any] = {"connect_timeout": max(1, round(connect_timeout_s))}
    if statement_timeout_s is not None:
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout_s * 1000)}"
    if statement_timeout_s is None:
        engine = sa.create_engine(
            url, pool_pre_ping=True, pool_timeout=connect_timeout_s, connect_args=connect_args
        )
    else:  # the guard's own ping replaces pool_pre_ping's, which nothing could bound
        engine = sa.create_engine(url, pool_timeout=connect_timeout_s, connect_args=connect_args)
        guard = HangGuard(statement_timeout_s + HANG_GRACE_S, on_cut=breaker.failed if breaker else None)
        guard.watch(engine)
    follow_database_ids(engine)
    if breaker is not None:
        _trip_on_failure(engine, breaker)
    return engine


class HangGuard:
    """A client-side bound on every statement, for a server that accepts connections but never
    answers (frozen, or a network that drops packets without a reset): `statement_timeout` is
    enforced by the server, so such a server would hold a request for ever. A statement still
    running `limit_s` after it began gets its socket shut down; the driver then fails it as a lost
    connection, which the pool discards. One thread per engine sleeps until the nearest deadline."""

    def __init__(self, limit_s: float, *, on_cut: Callable[[], None] | None = None) -> None:
        self.limit_s = limit_s
        self.on_cut = on_cut  # a hang is a failure: the breaker opens before the pool reconnects
        self._deadlines: dict[int, tuple[float, Any]] = {}  # id(connection) -> (deadline, connection)
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, engine: Engine) -> None:
        """Arm around each statement and around a ping of each connection taken from the pool."""

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _arm(conn: Connection, *_args: Any) -> None:
            self.arm(conn.connection.dbapi_connection)

        @sa.event.listens_for(engine, "after_cursor_execute")
        def _disarm(conn: Connection, *_args: Any) -> None:
            self.disarm(conn.connection.dbapi_connection)

        @sa.event.listens_for(engine, "handle_error")
        def _disarm_failed(context: Any) -> None:
            dbapi_connection = getattr(getattr(context, "cursor", None), "connection", None)
            if dbapi_connection is not None:
                self.disarm(dbapi_connection)

        @sa.event.listens_for(engine, "checkout")
        def _ping(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            """pool_pre_ping's check, but bounded: a dead connection is replaced by a fresh one."""
            self.arm(dbapi_connection)
            try:
                cursor = dbapi_connection.cursor()
                cursor.execute("SELECT 1")
                cursor.close()
            except Exception as exc:
                raise sa.exc.DisconnectionError(str(exc)) from exc
            finally:
                self.disarm(dbapi_connection)

    def arm(self, dbapi_connection: Any) -> None:
        with self._wake:
            self._deadlines[id(dbapi_connection)] = (time.monotonic() + self.limit_s, dbapi_connection)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sql-hang-guard", daemon=True)
                self._thread.start()
            self._wake.notify()

    def disarm(self, dbapi_connection: Any) -> None:
        with self._wake:
            self._deadlines.pop(id(dbapi_connection), None)

    def _run(self) -> None:
        while True:
            with self._wake:
                now = time.monotonic()
                overdue = [key for key, (deadline, _conn) in self._deadlines.items() if deadline <= now]
                for key in overdue:
                    _deadline, dbapi_connection = self._deadlines.pop(key)
                    if _shut_down(dbapi_connection):
                        log.warning("no answer from the database in %.1f s; connection cut", self.limit_s)
                        if self.on_cut is not None:
                            self.on_cut()
                nearest = min((deadline for deadline, _conn in self._deadlines.values()), default=None)
                self._wake.wait(None if nearest is None else max(0.0, nearest - now))


def _shut_down(dbapi_connection: Any) -> bool:
    """End an open connection's socket under the driver blocked reading it. The driver keeps
    owning (and closes) its descriptor: a duplicate is shut down, which ends the same connection."""
    if dbapi_connection.closed:
        return False
    try:
        with socket.socket(fileno=os.dup(dbapi_connection.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except Exception:  # closed meanwhile
        return False
    return True


class DatabaseUnavailable(RuntimeError):
    """The database failed moments ago: not tried again until its breaker's cooldown ends."""


def _trip_on_failure(engine: Engine, breaker: CircuitBreaker) -> None:
    """A failed connect or a lost connection opens `breaker`; while it is open, connecting fails at
    once (DatabaseUnavailable) instead of waiting out the connect timeout on every request."""

    @sa.event.listens_for(engine, "do_connect")
    def _refuse_while_open(*_args: Any) -> None:
        if not breaker.allow():
            raise DatabaseUnavailable("the database failed moments ago")

    @sa.event.listens_for(engine, "connect")
    def _closed(*_args: Any) -> None:
        breaker.succeeded()

    @sa.event.listens_for(engine, "handle_error")
    def _opened(context: Any) -> None:
        if isinstance(context.original_exception, DatabaseUnavailable):
            return  # refused by the open breaker itself: nothing was tried, the cooldown stands
        if context.is_disconnect or opens_breaker(context.sqlalchemy_exception or context.original_exception):
            breaker.failed()


# SQLite's OperationalErrors that mean "cannot answer now", as opposed to a wrong query or schema.
_SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o", "readonly")


def is_unavailable(exc: BaseException | None) -> bool:
    """Whether `exc` says the database cannot answer now (down, unreachable, too slow, busy), so a
    caller should try again shortly (HTTP 503), rather than that a query or the schema is wrong
    (a defect: 500). On Postgres every OperationalError is of the first kind (connection lost,
    statement timeout, shutting down); on SQLite only lock and I/O failures are."""
    outage = (DatabaseUnavailable, sa.exc.InterfaceError, sa.exc.TimeoutError, OSError, TimeoutError)
    if isinstance(exc, outage):
        return True
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if not isinstance(exc, sa.exc.OperationalError):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        return any(marker in str(exc.orig).lower() for marker in _SQLITE_UNAVAILABLE)
    return True


def opens_breaker(exc: BaseException | None) -> bool:
    """Whether `exc` is a failure of the database itself, which opens its breaker: unavailable,
    and not the open breaker's own refusal (re-opening on that would keep it open under traffic)."""
    return is_unavailable(exc) and not isinstance(exc, DatabaseUnavailable)


def is_unmigrated(exc: BaseException) -> bool:
    """Whether `exc` is a table the schema should have but the database lacks: a store not
    migrated yet (the API started before `socialflow migrate`), not a failing server."""
    if not isinstance(exc, sa.exc.DBAPIError):
        return False
    message = str(exc.orig).lower()
    return "no such table" in message or ("relation" in message and "does not exist" in message)


class Database:
    """The results store and the app source: same database, one code path for both dialects."""

    def __init__(
        self,
        url: str,
        *,
        statement_timeout_s: float | None = None,
        connect_timeout_s: float = 10,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.url = url
        self.statement_timeout_s = statement_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.breaker = breaker

    @cached_property
    def engine(self) -> Engine:
        return make_engine(
            self.url,
            statement_timeout_s=self.statement_timeout_s,
            connect_timeout_s=self.connect_timeout_s,
            breaker=self.breaker,
        )

    @property
    def id_type(self) -> IdType:
        """The kind of backend ids in this database (platform.ids), found on first connect."""
        if not hasattr(self.engine.dialect, "socialflow_id_type"):
            with self.engine.connect():
                pass
        return id_type_of(self.engine.dialect)

    def canonical_id(self, value: object) -> str:
        """`value` as an id of this database's kind (InvalidId otherwise)."""
        return canonical_id(value, self.id_type)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
            del self.__dict__["engine"]

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    def read_frame(
        self,
        query: sa.Executable | str,
        params: Mapping[str, Any] | None = None,
        schema: Mapping[str, pl.DataType] | None = None,
    ) -> pl.DataFrame:
        """Run a query and return its rows as a DataFrame (empty frames keep `schema`'s columns)."""
        statement = sa.text(query) if isinstance(query, str) else query
        with self.engine.connect() as connection:
            result = connection.execute(statement, dict(params or {}))
            columns = list(result.keys())
            rows = result.fetchall()
        if not rows:
            return pl.DataFrame(schema=schema or {c: pl.Null for c in columns})
        frame = pl.DataFrame([tuple(r) for r in rows], schema=columns, orient="row", infer_schema_length=None)
        return _normalise(frame, schema)

    def read_bulk(self, query: sa.Select, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
        """Large reads of plain columns (numbers, text, UTC timestamps), parsed column-wise by
        polars rather than row by row: COPY ... TO STDOUT on Postgres; on SQLite, timestamps come
        back as their stored text and polars parses them."""
        names = list(schema)
        text_schema = {n: pl.String() if isinstance(t, pl.Datetime) else t for n, t in schema.items()}
        if self.is_postgres:
            compiled = query.compile(dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True})
            buffer = io.BytesIO()
            with self.engine.connect() as conn:
                raw = conn.connection.driver_connection
                with raw.cursor() as cursor:
                    cursor.execute("SET LOCAL TIME ZONE 'UTC'")
                    statement = f"COPY ({compiled.string}) TO STDOUT (FORMAT csv)"
                    with cursor.copy(statement, compiled.params) as copy:
                        for block in copy:
                            buffer.write(block)
            if not buffer.getbuffer().nbytes:
                return pl.DataFrame(schema=schema)
            frame = pl.read_csv(buffer.getvalue(), has_header=False, new_columns=names, schema=text_schema)
            timestamp_format = "%Y-%m-%d %H:%M:%S%.f%#z"
        else:
            columns = [
                sa.cast(c, sa.String).label(c.name) if isinstance(c.type, UTCDateTime | sa.DateTime) else c
                for c in query.selected_columns
            ]
            with self.engine.connect() as conn:
                rows = conn.execute(query.with_only_columns(*columns)).all()
            if not rows:
                return pl.DataFrame(schema=schema)
            frame = pl.DataFrame(rows, schema=text_schema, orient="row")
            timestamp_format = "%Y-%m-%d %H:%M:%S%.f"
        return frame.with_columns(
            pl.col(n).str.to_datetime(timestamp_format, time_unit="us", time_zone="UTC")
            for n, dtype in schema.items()
            if isinstance(dtype, pl.Datetime)
        )

    def replace(
        self,
        table: sa.Table,
        frame: pl.DataFrame,
        where: sa.ColumnElement[bool] | None,
        connection: Connection | None = None,
    ) -> int:
        """Delete the rows matching `where` and insert `frame`, in one transaction: a re-run of the
        same partition leaves the same rows, and a failure leaves the old ones."""
        with self._transaction(connection) as conn:
            delete = table.delete() if where is None else table.delete().where(where)
            conn.execute(delete)
            self.insert(table, frame, conn)
        return frame.height

    def insert(self, table: sa.Table, frame: pl.DataFrame, connection: Connection) -> None:
        if frame.is_empty():
            return
        columns = [c.name for c in table.columns if c.name in frame.columns]
        if self.is_postgres:
            _copy_into(connection, table, frame.select(columns))
            return
        _executemany_sqlite(connection, table, frame.select(columns))

    def upsert(
        self,
        table: sa.Table,
        frame: pl.DataFrame,
        keys: Sequence[str],
        update: Sequence[str] | None = None,
        connection: Connection | None = None,
    ) -> int:
        """Insert or update by primary key (ON CONFLICT on both dialects): idempotent by key."""
        if frame.is_empty():
            return 0
        columns = [c.name for c in table.columns if c.name in frame.columns]
        update = [c for c in (update or columns) if c not in keys]
        insert = pg_insert if self.is_postgres else sqlite_insert
        records = _records(frame.select(columns), table)
        # Postgres binds at most 65,535 parameters a statement, SQLite builds often 32,766.
        chunk = max(1, 30_000 // len(columns))
        with self._transaction(connection) as conn:
            for start in range(0, len(records), chunk):
                statement = insert(table).values(records[start : start + chunk])
                if update:
                    statement = statement.on_conflict_do_update(
                        index_elements=list(keys), set_={c: statement.excluded[c] for c in update}
                    )
                else:
                    statement = statement.on_conflict_do_nothing(index_elements=list(keys))
                conn.execute(statement)
        return frame.height

    @contextmanager
    def _transaction(self, connection: Connection | None) -> Iterator[Connection]:
        if connection is not None:
            yield connection
            return
        with self.engine.begin() as conn:
            yield conn


def _normalise(frame: pl.DataFrame, schema: Mapping[str, pl.DataType] | None) -> pl.DataFrame:
    """SQLite returns timestamps as naive strings or datetimes; make them UTC-aware datetimes."""
    casts = []
    for name, dtype in frame.schema.items():
        target = (schema or {}).get(name)
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None:
                casts.append(pl.col(name).dt.replace_time_zone("UTC"))
            else:
                casts.append(pl.col(name).dt.convert_time_zone("UTC"))
        elif target is not None and dtype != target:
            if isinstance(target, pl.Datetime) and dtype == pl.String:
                casts.append(pl.col(name).str.to_datetime(time_zone="UTC", strict=False))
            else:
                casts.append(pl.col(name).cast(target, strict=False))
    return frame.with_columns(casts) if casts else frame


def _records(frame: pl.DataFrame, table: sa.Table) -> list[dict[str, Any]]:
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    records = frame.to_dicts()
    if json_columns:
        for record in records:
            for name in json_columns & record.keys():
                value = record[name]
                if isinstance(value, str):
                    record[name] = json.loads(value)
    return records


def _copy_into(connection: Connection, table: sa.Table, frame: pl.DataFrame) -> None:
    """COPY ... FROM STDIN with CSV: the fastest bulk path into Postgres."""
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    encoded = frame.with_columns(
        [
            pl.col(c).map_elements(_json_text, return_dtype=pl.String)
            for c in frame.columns
            if c in json_columns and frame.schema[c] != pl.String
        ]
        + [
            pl.col(c).map_elements(lambda b: "\\x" + b.hex(), return_dtype=pl.String)
            for c, t in frame.schema.items()
            if t == pl.Binary
        ]
    )
    buffer = io.StringIO()
    encoded.write_csv(buffer, include_header=False, null_value="\\N", quote_style="necessary")
    raw = connection.connection.driver_connection
    name = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {name} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy,
    ):
        copy.write(buffer.getvalue())


def _executemany_sqlite(connection: Connection, table: sa.Table, frame: pl.DataFrame) -> None:
    """Bulk insert on SQLite: values encoded column-wise by polars as SQLAlchemy would store them
    (UTC timestamps as text, JSON as text), then the driver's executemany in chunks."""
    encoded = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            zoned = column.dt.convert_time_zone("UTC") if dtype.time_zone else column
            column = zoned.dt.strftime("%Y-%m-%d %H:%M:%S%.6f")
        elif isinstance(dtype, pl.Date):
            column = column.dt.strftime("%Y-%m-%d")
        elif isinstance(table.c[name].type, sa.JSON) and dtype != pl.String:
            column = column.map_elements(_json_text, return_dtype=pl.String)
        encoded.append(column.alias(name))
    frame = frame.select(encoded)
    placeholders = ", ".join("?" for _ in frame.columns)
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    sql = f'INSERT INTO "{table.name}" ({cols}) VALUES ({placeholders})'
    cursor = connection.connection.driver_connection.cursor()
    for chunk in frame.iter_slices(100_000):
        cursor.executemany(sql, chunk.iter_rows())
    cursor.close()


def decoded_json(value: Any) -> Any:
    """A JSON column's value as read back: Postgres hands it decoded, SQLite as its JSON text."""
    return json.loads(value) if isinstance(value, str) else value


def _json_text(value: Any) -> str:
    if isinstance(value, pl.Series):
        value = value.to_list()
    return json.dumps(value, default=str)


def select_in_chunks(
    connection: Connection,
    query_for: Callable[[list[Any]], sa.Select],
    ids: Iterable[Any],
    *,
    chunk: int = ID_CHUNK,
) -> list[sa.Row]:
    """The rows of `query_for(chunk)` over the distinct `ids`, `chunk` at a time: an `IN (...)`
    list stays under SQLite's bound-parameter limit, whatever the number of ids."""
    wanted = sorted(set(ids))
    rows: list[sa.Row] = []
    for start in range(0, len(wanted), chunk):
        rows += connection.execute(query_for(wanted[start : start + chunk])).all()
    return rows
