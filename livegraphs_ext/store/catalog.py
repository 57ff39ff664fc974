"""The catalog: which datasets exist, their versions and where each version's file lives.

SQLite by default, any SQLAlchemy URL (PostgreSQL in a hub) otherwise. Every change
is one transaction; files are written and renamed into place *before* the catalog
row that names them is committed, so a crash leaves at worst an unreferenced file,
which :meth:`DatasetStore.sweep` removes at start-up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class DatasetRow(Base):
    __tablename__ = "lg_datasets"
    __table_args__ = (UniqueConstraint("owner", "name", name="lg_datasets_owner_name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(255), index=True)
    current_version: Mapped[int] = mapped_column(Integer)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    versions: Mapped[list[VersionRow]] = relationship(
        back_populates="dataset", cascade="all, delete-orphan", order_by="VersionRow.number"
    )


class VersionRow(Base):
    __tablename__ = "lg_versions"

    dataset_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lg_datasets.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: "upload" | "append" | "replace" | "transform" | "revert" | "sql"
    kind: Mapped[str] = mapped_column(String(16))
    #: file name relative to the store's root
    file: Mapped[str] = mapped_column(String(400))
    rows: Mapped[int] = mapped_column(BigInteger)
    size: Mapped[int] = mapped_column(BigInteger)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: the step that made this version from its parent (None for an upload)
    step: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    created: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))
    dataset: Mapped[DatasetRow] = relationship(back_populates="versions")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets a notebook kernel read the catalog while the server writes it.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``, with SQLite tuned for one writer and many readers."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


class Catalog:
    """Transactions over the catalog tables."""

    def __init__(self, url: str, *, create: bool = True):
        self.url = url
        self.engine = make_engine(url)
        if create:
            Base.metadata.create_all(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def first(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        """The first row of one read-only Core statement (with its bound ``params``), on a pooled
        connection without a session.

        A statement is atomic on its own; the ORM's session costs more than the query where a
        lookup is on a hot path (a notebook's chart: :meth:`DatasetStore.chart_source`).
        """
        with self.engine.connect() as conn:
            return conn.execute(statement, params).first()

    def dataset(self, session: Session, dataset_id: str) -> DatasetRow | None:
        return session.get(DatasetRow, dataset_id)

    def by_name(self, session: Session, owner: str, name: str) -> DatasetRow | None:
        return session.scalars(
            select(DatasetRow).where(DatasetRow.owner == owner, DatasetRow.name == name)
        ).first()

    def all_files(self) -> set[str]:
        with self._sessions() as session:
            return set(session.scalars(select(VersionRow.file)))

    def dispose(self) -> None:
        self.engine.dispose()
