"""One owner per published slug. Two authors publishing the same new slug at
the same moment on PostgreSQL (both read "no owner yet" before either
writes): exactly one becomes the owner, the other is refused with a 403
naming them. Migration 0008 on SQLite and PostgreSQL: a slug left with two
owners by that race keeps its first, the other becomes a co-author, and the
index refuses a second owner row from then on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import MetaData, select, text
from sqlalchemy.exc import IntegrityError

from grader.db import Database, Role, User
from grader.db.publishing import ExerciseOwner, ExerciseVersion
from grader.db.session import alembic_config
from grader.services import publishing
from grader.services.errors import Forbidden, ServiceError
from tests.helpers.publish_packs import pack_bytes
from tests.service.test_course_migration import fresh_pg  # noqa: F401  (fixture)
from tests.service.test_postgres import pg_url  # noqa: F401  (fixture)
from tests.service.test_publishing import ProveQueue, user

T0 = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def pg(fresh_pg: str) -> Iterator[Database]:  # noqa: F811
    database = Database(fresh_pg)
    database.migrate()
    yield database
    database.dispose()


def test_two_first_publishers_at_once_make_exactly_one_owner(
        pg: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    authors = [user(pg, "ada"), user(pg, "bo")]
    archives = [pack_bytes(tmp_path / "a", version=1), pack_bytes(tmp_path / "b", version=2)]
    both_read = threading.Barrier(2, timeout=30)
    seen = threading.local()
    original = publishing.check_may_change

    def check_then_wait(session: object, who: User, slug: str) -> list[ExerciseOwner]:
        owners = original(session, who, slug)  # type: ignore[arg-type]
        if not getattr(seen, "waited", False):  # both saw "no owner" before either writes
            seen.waited = True
            assert owners == []
            both_read.wait()
        return owners

    monkeypatch.setattr(publishing, "check_may_change", check_then_wait)
    outcomes: dict[str, object] = {}

    def publish(index: int) -> None:
        try:
            outcomes[authors[index].name] = publishing.publish(
                db=pg, queue=ProveQueue(), user=authors[index], data=archives[index],
                filename="adder.tar.gz", disk_slugs=frozenset())
        except ServiceError as exc:
            outcomes[authors[index].name] = exc

    threads = [threading.Thread(target=publish, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with pg.session() as session:
        owners = session.execute(select(ExerciseOwner.role, User.name).join(User).where(
            ExerciseOwner.slug == "adder")).all()
        versions = session.scalars(select(ExerciseVersion.published_by)).all()
    assert len(owners) == 1 and owners[0].role == "owner", owners
    winner = owners[0].name
    loser = ({"ada", "bo"} - {winner}).pop()
    assert not isinstance(outcomes[winner], Exception), outcomes
    refused = outcomes[loser]
    assert isinstance(refused, Forbidden) and f"belongs to {winner}" in refused.message
    assert len(versions) == 1  # the refused author stored nothing


def test_the_api_answers_403_to_the_second_author(pg: Database, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from grader.app import create_app
    from grader.services import accounts
    from grader.services.catalog import Catalog
    from grader.services.wiring import Services
    from grader.settings import Settings
    from tests.web.test_publish_pages import ProvingQueue

    (tmp_path / "exercises").mkdir()
    settings = Settings(exercises_dir=tmp_path / "exercises", data_dir=tmp_path / "data",
                        database_url=pg.url)
    tokens = {}
    for name in ("ada", "bo"):
        accounts.create_user(db=pg, name=name, role=Role.AUTHOR, password="pw")
        tokens[name] = {"Authorization": f"Bearer {accounts.create_token(db=pg, name=name)[1]}",
                        "Content-Type": "application/gzip"}
    services = Services(settings=settings, db=pg, catalog=Catalog(settings.exercises_dir),
                        queue=ProvingQueue(), redis=None, limiter=None,
                        docker_check=lambda: None)
    with TestClient(create_app(services=services)) as client:
        first = client.post("/api/v1/exercises", content=pack_bytes(tmp_path / "a"),
                            headers=tokens["ada"])
        second = client.post("/api/v1/exercises", content=pack_bytes(tmp_path / "b", version=2),
                             headers=tokens["bo"])
    assert first.status_code == 202 and second.status_code == 403
    assert "belongs to ada" in second.json()["detail"]


def _check_migration(db: Database) -> None:
    config = alembic_config(db.url, db.engine)
    command.upgrade(config, "0007")
    meta = MetaData()
    meta.reflect(db.engine)
    users, owners = meta.tables["users"], meta.tables["exercise_owners"]
    with db.engine.begin() as conn:
        conn.execute(users.insert(), [
            {"id": i, "name": n, "role": "author", "created_at": T0,
             "session_version": 0} for i, n in ((1, "ada"), (2, "bo"), (3, "cy"))])
        # The race's leftovers: two owners of "adder"; "other" is fine.
        conn.execute(owners.insert(), [
            {"id": 1, "slug": "adder", "user_id": 2, "role": "owner",
             "created_at": T0},
            {"id": 2, "slug": "adder", "user_id": 1, "role": "owner",
             "created_at": T0},
            {"id": 3, "slug": "other", "user_id": 1, "role": "owner",
             "created_at": T0}])
    command.upgrade(config, "head")
    query = text("SELECT id, role FROM exercise_owners ORDER BY id")
    with db.engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(query)] == [
            (1, "owner"), (2, "co-author"), (3, "owner")]
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(owners.insert().values(id=4, slug="adder", user_id=3, role="owner",
                                            created_at=T0))
    with db.engine.begin() as conn:  # co-authors: as many as the owner adds
        conn.execute(owners.insert().values(id=5, slug="adder", user_id=3, role="co-author",
                                            created_at=T0))
    command.downgrade(config, "0007")
    command.upgrade(config, "head")
    with db.engine.connect() as conn:
        assert len(conn.execute(query).all()) == 4


def test_migration_0008_on_sqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        _check_migration(db)
    finally:
        db.dispose()


def test_migration_0008_on_postgresql(fresh_pg: str) -> None:  # noqa: F811
    db = Database(fresh_pg)
    try:
        _check_migration(db)
    finally:
        db.dispose()
