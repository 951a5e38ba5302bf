"""Sync from a git repository on the server: the service on a real SQLite
database and real git repositories made in tmp_path (no Docker: the proving
queue is recorded), then the API route. Hostile repository and ref values
never reach git as options or run a command; one refused pack does not stop
the others; local sources follow GRADER_SYNC_ALLOW_LOCAL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from grader.db import Database, Role, User
from grader.exercises.archive import ArchiveLimits
from grader.exercises.git_source import GitSourceError, cloned_packs, is_remote
from grader.services import repo_sync
from grader.services.errors import Forbidden, Invalid
from grader.services.repo_sync import SyncedPack
from grader.services.wiring import Services
from tests.helpers.publish_packs import git_commit, write_pack
from tests.service.test_publishing import ProveQueue, pdb, user  # noqa: F401  (fixture)
from tests.service.test_publishing_api import api  # noqa: F401  (fixture)

Api = tuple[TestClient, Services, dict[str, dict[str, str]]]


def sync(db: Database, repo: str, ref: str | None = None, *,
         queue: ProveQueue | None = None, allow_local: bool = True) -> list[SyncedPack]:
    with db.session() as session:
        ada = session.scalar(select(User).where(User.name == "ada"))
        if ada is None:
            ada = User(name="ada", role=Role.AUTHOR.value)
            session.add(ada)
            session.flush()
        session.expunge(ada)
    return repo_sync.sync_repository(
        db=db, queue=queue or ProveQueue(), user=ada, repo=repo, ref=ref,
        disk_slugs=frozenset({"on-disk"}), limits=ArchiveLimits(), allow_local=allow_local)


@pytest.fixture
def two_packs(tmp_path: Path) -> Path:
    """A repository with a good pack (adder), a broken one (a manifest lint
    refuses) and a pack with a symlink out of the clone; tagged v1."""
    repo = tmp_path / "repo"
    write_pack(repo, "adder")
    broken = write_pack(repo, "broken")
    manifest = broken / "exercise.toml"
    manifest.write_text(manifest.read_text().replace('"easy"', '"impossible"'))
    linked = write_pack(repo, "linked")
    (linked / "tests" / "secret.txt").symlink_to("/etc/hostname")
    git_commit(repo, tag="v1")
    return repo


def test_every_pack_is_published_or_refused_on_its_own(pdb: Database,  # noqa: F811
                                                      two_packs: Path) -> None:
    queue = ProveQueue()
    write_pack(two_packs, "adder", version=9)  # uncommitted: ref v1 does not see it
    outcomes = {o.folder: o for o in sync(pdb, str(two_packs), "v1", queue=queue)}
    assert sorted(outcomes) == ["security/adder", "security/broken", "security/linked"]
    good = outcomes["security/adder"]
    assert good.version is not None and good.version.slug == "adder" and good.created
    assert queue.sent == [good.version.id]
    assert "difficulty" in (outcomes["security/broken"].refused or "")
    linked = outcomes["security/linked"].refused or ""
    assert "'tests/secret.txt'" in linked and "only regular files" in linked
    assert outcomes["security/broken"].version is None
    # Again at the same ref: the same version, not a new one.
    again = {o.folder: o for o in sync(pdb, str(two_packs), "v1")}["security/adder"]
    assert again.version is not None and again.version.id == good.version.id
    assert not again.created


def test_hostile_values_never_reach_git_as_options(pdb: Database, tmp_path: Path,  # noqa: F811
                                                  two_packs: Path) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(Invalid, match="may not start with '-'"):
        sync(pdb, f"--upload-pack=touch {marker}")
    with pytest.raises(Invalid, match="transport 'ext' not allowed"):
        sync(pdb, f"ext::sh -c touch% {marker}")
    with pytest.raises(Invalid, match="control characters"):
        sync(pdb, str(two_packs), "main\n--upload-pack=touch /tmp/x")
    with pytest.raises(Invalid, match="may not start with '-'"):
        sync(pdb, str(two_packs), "--output=/tmp/x")
    with pytest.raises(Invalid, match=r"git checkout: .*no-such-tag"):
        sync(pdb, str(two_packs), "no-such-tag")
    with pytest.raises(Invalid, match=r"git clone: \S"):
        sync(pdb, str(tmp_path / "no-such-repo"))
    assert not marker.exists()


def test_local_sources_only_when_allowed(pdb: Database, two_packs: Path) -> None:  # noqa: F811
    for local in (str(two_packs), f"file://{two_packs}"):
        with pytest.raises(Invalid, match="GRADER_SYNC_ALLOW_LOCAL"):
            sync(pdb, local, allow_local=False)
    assert is_remote("https://git.example/c/e.git") and is_remote("git@git.example:c/e.git")
    assert not is_remote("/srv/repos/x") and not is_remote("file:///srv/repos/x")
    assert not is_remote("ext::sh -c x") and not is_remote("ext::ssh://x")


def test_no_pack_and_students_are_refused(pdb: Database, tmp_path: Path) -> None:  # noqa: F811
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("no packs here\n")
    git_commit(empty)
    with pytest.raises(Invalid, match=r"no pack .* at HEAD"):
        sync(pdb, str(empty))
    student = user(pdb, "stu", Role.STUDENT)
    with pytest.raises(Forbidden, match="author or admin"):
        repo_sync.sync_repository(db=pdb, queue=ProveQueue(), user=student, repo=str(empty),
                                  ref=None, disk_slugs=(), limits=ArchiveLimits())


def test_the_clone_is_removed_afterwards(two_packs: Path) -> None:
    with cloned_packs(str(two_packs), "v1") as clone:
        root = clone.root
        assert [clone.name(p) for p in clone.packs] == [
            "security/adder", "security/broken", "security/linked"]
    assert not root.exists()
    with pytest.raises(GitSourceError, match="ref 'a\\\\tb'"), \
            cloned_packs(str(two_packs), "a\tb"):
        pass


def test_the_cli_sync_refuses_hostile_values_and_empty_repositories(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "x.txt").write_text("x\n")
    git_commit(empty)
    for args, said in (([str(empty)], "no pack"), (["--", "--upload-pack=touch /tmp/x"], "'-'"),
                       ([f"ext::sh -c touch% {tmp_path / 'p'}"], "transport 'ext'")):
        done = subprocess.run([sys.executable, "-m", "grader.cli.main", "exercises", "sync",
                               "--token", "t", "--url", "http://127.0.0.1:9", *args],
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 2 and said in done.stdout + done.stderr, done.stderr
    assert not (tmp_path / "p").exists()


def test_the_api_syncs_and_refuses_clearly(api: Api, two_packs: Path) -> None:  # noqa: F811
    client, services, who = api
    sent = client.post("/api/v1/exercises/sync", json={"repo": str(two_packs), "ref": "v1"},
                       headers=who["ada"])
    assert sent.status_code == 200, sent.text
    body = {o["folder"]: o for o in sent.json()}
    assert body["security/adder"]["version"]["status"] == "pending"
    assert "difficulty" in body["security/broken"]["refused"]
    assert services.queue.proving == [body["security/adder"]["version"]["id"]]  # type: ignore[attr-defined]
    for payload, said in (({"repo": "--upload-pack=touch /tmp/x"}, "'-'"),
                          ({"repo": str(two_packs), "ref": "v1\nx"}, "control characters"),
                          ({"repo": "ext::sh -c touch% /tmp/pwned"}, "transport 'ext'")):
        answer = client.post("/api/v1/exercises/sync", json=payload, headers=who["ada"])
        assert answer.status_code == 422 and said in answer.json()["detail"], answer.text
    assert client.post("/api/v1/exercises/sync", json={"repo": str(two_packs)},
                       headers=who["eve"]).status_code == 403
    assert client.post("/api/v1/exercises/sync", json={"repo": str(two_packs), "x": 1},
                       headers=who["ada"]).status_code == 422
    services.settings = services.settings.model_copy(update={"sync_allow_local": False})
    local = client.post("/api/v1/exercises/sync", json={"repo": str(two_packs)},
                        headers=who["ada"])
    assert local.status_code == 422 and "GRADER_SYNC_ALLOW_LOCAL" in local.json()["detail"]


def test_a_clone_that_does_not_answer_is_given_up(tmp_path: Path) -> None:
    # A git daemon that accepts the connection and never answers.
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with pytest.raises(GitSourceError, match=r"git clone: no answer within 1 s"), \
                cloned_packs(f"git://127.0.0.1:{port}/x.git", timeout=1):
            pass
