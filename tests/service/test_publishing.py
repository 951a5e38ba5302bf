"""Publishing services on a real (SQLite) database, without Docker: the check
is injected, as the worker injects the sandbox one. Ownership, idempotent
re-publishing, hostile uploads, the verdict deciding visibility, rollback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from grader.db import Database, Role, User
from grader.db.publishing import ExerciseVersion, VersionStatus
from grader.exercises.pack import ExercisePack
from grader.selftest import Case, CaseKind, CaseResult, ExerciseCheck
from grader.services import accounts, proving, publishing
from grader.services.catalog import Catalog
from grader.services.errors import Conflict, Forbidden, Invalid, NotFound
from grader.services.published_catalog import PublishedPacks
from grader.services.publishing_views import PublishResult
from sandbox.errors import SandboxError
from tests.helpers.publish_packs import member, pack_bytes, tar_gz


@dataclass
class ProveQueue:
    sent: list[int] = field(default_factory=list)

    def enqueue_prove(self, version_id: int) -> bool:
        self.sent.append(version_id)
        return True


@pytest.fixture
def pdb(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'p.db'}")
    database.migrate()
    yield database
    database.dispose()


def user(db: Database, name: str, role: Role = Role.AUTHOR) -> User:
    accounts.create_user(db=db, name=name, role=role, password="pw-" + name)
    with db.session() as session:
        found = session.scalar(select(User).where(User.name == name))
        assert found is not None
        session.expunge(found)
        return found


def publish(db: Database, who: User, data: bytes, queue: ProveQueue | None = None,
            disk: frozenset[str] = frozenset()) -> PublishResult:
    return publishing.publish(db=db, queue=queue or ProveQueue(), user=who, data=data,
                              filename="adder.tar.gz", disk_slugs=disk)


def checked(problems: list[str]) -> proving.CheckFn:
    def check(pack: ExercisePack, progress: proving.ProgressFn) -> ExerciseCheck:
        progress("adder: solution run 1/2")
        case = CaseResult(Case(CaseKind.MUTANT, "abs", pack.solution), problems=problems)
        return ExerciseCheck(pack=pack, cases=[case], seconds=0.1)
    return check


def test_an_author_publishes_and_the_same_content_is_the_same_version(
        pdb: Database, tmp_path: Path) -> None:
    ada, queue = user(pdb, "ada"), ProveQueue()
    first = publish(pdb, ada, pack_bytes(tmp_path), queue)
    assert first.created and first.version.status is VersionStatus.PENDING
    assert queue.sent == [first.version.id] and not first.version.active
    again = publish(pdb, ada, pack_bytes(tmp_path / "again"), queue)
    assert not again.created and again.version.id == first.version.id
    assert publishing.list_versions(db=pdb, user=ada, slug="adder")[0].published_by == "ada"


def test_another_author_is_refused_a_coauthor_and_an_admin_are_not(
        pdb: Database, tmp_path: Path) -> None:
    ada, eve, cy = user(pdb, "ada"), user(pdb, "eve"), user(pdb, "cy")
    root = user(pdb, "root", Role.ADMIN)
    publish(pdb, ada, pack_bytes(tmp_path / "1"))
    with pytest.raises(Forbidden, match="belongs to ada"):
        publish(pdb, eve, pack_bytes(tmp_path / "2", version=2))
    with pytest.raises(Forbidden):
        publishing.add_coauthor(db=pdb, user=eve, slug="adder", name="eve")
    assert publishing.add_coauthor(db=pdb, user=ada, slug="adder", name="cy") == ["ada", "cy"]
    assert publish(pdb, cy, pack_bytes(tmp_path / "3", version=3)).created
    assert publish(pdb, root, pack_bytes(tmp_path / "4", version=4)).created
    with pytest.raises(Invalid, match="field 'name'"):
        publishing.add_coauthor(db=pdb, user=ada, slug="adder", name="no-such-<script>")


def test_students_and_disk_slugs_are_refused(pdb: Database, tmp_path: Path) -> None:
    with pytest.raises(Forbidden, match="author or admin"):
        publish(pdb, user(pdb, "stu", Role.STUDENT), pack_bytes(tmp_path))
    with pytest.raises(Conflict, match="exercises folder"):
        publish(pdb, user(pdb, "ada"), pack_bytes(tmp_path / "x"), disk=frozenset({"adder"}))


def test_a_hostile_archive_is_refused_and_nothing_is_stored(pdb: Database) -> None:
    traversal = tar_gz([member("pack/../../../etc/cron.d/x")], {"pack/../../../etc/cron.d/x":
                                                                 b"* * * * * root rm -rf /"})
    with pytest.raises(Invalid, match=r"adder.tar.gz: refused: .*'\.\.'"):
        publish(pdb, user(pdb, "ada"), traversal)
    with pdb.session() as session:
        assert session.scalar(select(func.count()).select_from(ExerciseVersion)) == 0


def test_the_verdict_decides_what_students_see(pdb: Database, tmp_path: Path) -> None:
    ada = user(pdb, "ada")
    catalog = Catalog(tmp_path / "no-disk-packs",
                      published=PublishedPacks(pdb, tmp_path / "cache"))
    v1 = publish(pdb, ada, pack_bytes(tmp_path / "1")).version
    assert "adder" not in catalog.reload()  # pending: invisible
    assert proving.prove_version(db=pdb, version_id=v1.id, check=checked([])) is \
        VersionStatus.PROVEN
    assert catalog.reload()["adder"].content_hash == v1.content_hash
    seen = publishing.get_version(db=pdb, user=ada, version_id=v1.id)
    assert seen.active and "solution run 1/2" in (seen.log or "")
    # A redelivered message changes nothing.
    assert proving.prove_version(db=pdb, version_id=v1.id, check=checked([])) is None

    v2 = publish(pdb, ada, pack_bytes(tmp_path / "2", version=2)).version
    status = proving.prove_version(db=pdb, version_id=v2.id,
                                   check=checked(["mutant got full marks 2/2 (passed)"]))
    assert status is VersionStatus.FAILED
    assert catalog.reload()["adder"].content_hash == v1.content_hash  # still version 1
    failed = publishing.get_version(db=pdb, user=ada, version_id=v2.id)
    assert "mutant 'abs': mutant got full marks" in (failed.verdict or "")
    with pytest.raises(Conflict, match="only a proven version"):
        publishing.rollback(db=pdb, user=ada, slug="adder", version_id=v2.id)


def test_rollback_shows_an_earlier_proven_version(pdb: Database, tmp_path: Path) -> None:
    ada, eve = user(pdb, "ada"), user(pdb, "eve")
    ids = []
    for number in (1, 2):
        version = publish(pdb, ada, pack_bytes(tmp_path / str(number), version=number)).version
        proving.prove_version(db=pdb, version_id=version.id, check=checked([]))
        ids.append(version.id)
    assert [v.active for v in publishing.list_versions(db=pdb, user=ada, slug="adder")] == \
        [True, False]
    with pytest.raises(Forbidden):
        publishing.rollback(db=pdb, user=eve, slug="adder", version_id=ids[0])
    with pytest.raises(NotFound):
        publishing.rollback(db=pdb, user=ada, slug="adder", version_id=999)
    assert publishing.rollback(db=pdb, user=ada, slug="adder", version_id=ids[0]).active


def test_an_infrastructure_failure_is_retried_by_publishing_again(
        pdb: Database, tmp_path: Path) -> None:
    ada, queue = user(pdb, "ada"), ProveQueue()

    def no_docker(pack: ExercisePack, progress: proving.ProgressFn) -> ExerciseCheck:
        raise SandboxError("the Docker engine does not answer")

    version = publish(pdb, ada, pack_bytes(tmp_path / "1"), queue).version
    assert proving.prove_version(db=pdb, version_id=version.id, check=no_docker) is \
        VersionStatus.FAILED
    assert (publishing.get_version(db=pdb, user=ada, version_id=version.id).verdict or ""
            ).startswith(publishing.INFRASTRUCTURE)
    again = publish(pdb, ada, pack_bytes(tmp_path / "2"), queue).version
    assert again.id == version.id and again.status is VersionStatus.PENDING
    assert queue.sent == [version.id, version.id]


def test_a_queue_that_cannot_prove_leaves_the_version_pending_and_says_so(
        pdb: Database, tmp_path: Path) -> None:
    ada = user(pdb, "ada")
    result = publishing.publish(db=pdb, queue=object(), user=ada, data=pack_bytes(tmp_path),
                                filename="adder.tar.gz", disk_slugs=frozenset())
    seen = publishing.get_version(db=pdb, user=ada, version_id=result.version.id)
    assert seen.status is VersionStatus.PENDING
    assert "publish again to retry" in (seen.log or "")
