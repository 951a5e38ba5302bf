"""Regrade previews in the domain (SQLite, a fake grading for "the new
version"): asking stores each final submission's score now; running grades
them again and records nothing on the submissions; the prediction equals
what the real regrade then records; who may ask and read; the cap; a
rerun after a lost worker skips what is done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grader.db import Database, ExerciseOwner, Role, User
from grader.db.regrade_previews import ItemOutcome, PreviewStatus
from grader.services import accounts, publish_regrade, regrade, regrade_preview
from grader.services.catalog import Catalog
from grader.services.errors import Forbidden, NotFound
from grader.services.regrade_preview_run import run_preview
from grader.services.submissions import get_submission
from tests.helpers.assignment_setup import add_assignment, make_course, spec, submit
from tests.helpers.regrade_preview_setup import (
    PreviewFakeQueue,
    grade_with,
    new_version_grade,
    settings_for,
    stored,
)
from tests.helpers.service_fakes import FakeQueue, make_pack
from tests.helpers.sqlite_db import sqlite_db  # noqa: F401  (the `db` fixture)
from tests.service.test_postgres import pg_url  # noqa: F401  (the fixture)


@pytest.fixture
def exercises_root(tmp_path: Path) -> Path:
    make_pack(tmp_path / "exercises")
    return tmp_path / "exercises"


@pytest.fixture
def pq() -> PreviewFakeQueue:
    return PreviewFakeQueue()


@pytest.fixture
def people(db: Database) -> dict[str, User]:
    return make_people(db)


def make_people(db: Database) -> dict[str, User]:
    users = make_course(db, "cs101", {"ines": "instructor", "asa": "assistant", "stu": "student",
                                      "sam": "student"})
    users |= make_course(db, "other", {"olga": "instructor"})
    for name, role in (("ada", Role.AUTHOR), ("bo", Role.AUTHOR), ("root", Role.ADMIN)):
        users[name] = accounts.create_user(db=db, name=name, role=role)
    return users


def graded_class(db: Database, catalog: Catalog, pq: PreviewFakeQueue, people: dict[str, User],
                 tmp_path: Path) -> dict[str, str]:
    """Four final submissions in cs101/hw1 graded by the old version: two at
    full marks, one at half, one whose files the new version refuses."""
    add_assignment(db, catalog, people["ines"], "cs101", spec())
    subs = {"full": submit(db, catalog, pq, people["stu"], "cs101/hw1", "PASS\n").id,
            "half": submit(db, catalog, pq, people["sam"], "cs101/hw1", "FAIL\n").id,
            "refused": submit(db, catalog, pq, people["stu"], "cs101/hw1", "PASS\nREFUSE\n").id}
    subs["practice"] = submit(db, catalog, pq, people["sam"], None, "PASS\n").id
    for sub_id in subs.values():
        grade_with(db, catalog, tmp_path, sub_id)
    return subs


def run(db: Database, catalog: Catalog, tmp_path: Path, preview_id: int,
        grade: Any = new_version_grade) -> PreviewStatus | None:
    return run_preview(db=db, catalog=catalog, preview_id=preview_id, grade=grade,
                       settings=settings_for(tmp_path))


def test_a_preview_predicts_the_regrade_exactly_and_records_nothing(
    db: Database, catalog: Catalog, pq: PreviewFakeQueue, people: dict[str, User],
    tmp_path: Path
) -> None:
    subs = graded_class(db, catalog, pq, people, tmp_path)
    asked = publish_regrade.preview_exercise(db=db, catalog=catalog, queue=pq,
                                             user=people["ada"], slug="hello-api")
    assert (asked.status, asked.total, asked.done_count, asked.capped) == (
        PreviewStatus.PENDING, 4, 0, False)
    assert asked.plan is not None and asked.plan.submissions == 4 and asked.summary is None
    assert pq.previews == [asked.id] and pq.grading == list(subs.values())  # submits only
    before = stored(db)
    assert run(db, catalog, tmp_path, asked.id) is PreviewStatus.DONE
    assert stored(db) == before  # no grading, no submission touched
    assert pq.webhooks == [] and pq.passbacks == []
    done = regrade_preview.get_preview(db=db, user=people["ada"], preview_id=asked.id)
    assert (done.status, done.done_count) == (PreviewStatus.DONE, 4)
    items = {item.submission_id: item for item in done.items}
    assert (items[subs["full"]].old_score, items[subs["full"]].new_score) == (2, 1)
    assert (items[subs["half"]].student, items[subs["half"]].change_points) == ("sam", 1)
    assert items[subs["refused"]].outcome is ItemOutcome.NOT_GRADABLE
    assert "refuses these files" in (items[subs["refused"]].error or "")
    summary = done.summary
    assert summary is not None
    assert (summary.changed, summary.up, summary.down, summary.would_lose_score) == (4, 1, 2, 1)
    assert summary.mean_change_points == pytest.approx(-1 / 3)
    assert summary.max_change_fraction == pytest.approx(-0.5)  # the first of the largest

    # The real regrade with the same grading records exactly what was predicted.
    regrade.regrade_exercise(db=db, catalog=catalog, queue=pq, user=people["ada"],
                             slug="hello-api")
    for sub_id in subs.values():
        grade_with(db, catalog, tmp_path, sub_id, grade=new_version_grade, claim="again")
        now = get_submission(db=db, user=people["ada"], submission_id=sub_id)
        assert (now.score, now.max_score) == (items[sub_id].new_score, items[sub_id].new_max)
        assert (now.status == "not_gradable") == (items[sub_id].outcome is ItemOutcome.NOT_GRADABLE)


def test_an_assignment_preview_is_for_its_course_staff(
    db: Database, catalog: Catalog, pq: PreviewFakeQueue, people: dict[str, User],
    tmp_path: Path
) -> None:
    subs = graded_class(db, catalog, pq, people, tmp_path)
    asked = regrade_preview.preview_assignment(db=db, catalog=catalog, queue=pq,
                                               user=people["asa"], course="cs101",
                                               assignment="hw1")
    assert (asked.kind, asked.course, asked.assignment, asked.total) == (
        "assignment", "cs101", "hw1", 3)  # not the practice submission
    run(db, catalog, tmp_path, asked.id)
    done = regrade_preview.get_preview(db=db, user=people["ines"], preview_id=asked.id)
    assert {item.submission_id for item in done.items} == set(subs.values()) - {
        subs["practice"]}
    with pytest.raises(Forbidden):
        regrade_preview.preview_assignment(db=db, catalog=catalog, queue=pq, user=people["stu"],
                                           course="cs101", assignment="hw1")
    with pytest.raises(NotFound):
        regrade_preview.preview_assignment(db=db, catalog=catalog, queue=pq, user=people["olga"],
                                           course="cs101", assignment="hw1")
    for outsider in ("stu", "olga", "ada"):
        with pytest.raises(NotFound, match=f"no regrade preview {asked.id}"):
            regrade_preview.get_preview(db=db, user=people[outsider], preview_id=asked.id)


def test_an_exercise_preview_is_for_its_owners_and_admins(
    db: Database, catalog: Catalog, pq: PreviewFakeQueue, people: dict[str, User],
    tmp_path: Path
) -> None:
    graded_class(db, catalog, pq, people, tmp_path)
    with db.session() as session:
        session.add(ExerciseOwner(slug="hello-api", user_id=people["ada"].id, role="owner"))
    asked = regrade_preview.preview_exercise(db=db, catalog=catalog, queue=pq,
                                             user=people["ada"], slug="hello-api")
    assert regrade_preview.get_preview(db=db, user=people["root"], preview_id=asked.id).id \
        == asked.id
    for outsider in ("bo", "stu", "ines"):
        with pytest.raises(NotFound):
            regrade_preview.get_preview(db=db, user=people[outsider], preview_id=asked.id)
    with pytest.raises(Forbidden, match="belongs to ada"):
        regrade_preview.preview_exercise(db=db, catalog=catalog, queue=pq, user=people["bo"],
                                         slug="hello-api")
    with pytest.raises(NotFound, match="no exercise 'nope'"):
        regrade_preview.preview_exercise(db=db, catalog=catalog, queue=pq, user=people["ada"],
                                         slug="nope")
    with pytest.raises(NotFound, match="no regrade preview 999"):
        regrade_preview.get_preview(db=db, user=people["root"], preview_id=999)


def test_the_cap_keeps_the_oldest_and_says_so(
    db: Database, catalog: Catalog, pq: PreviewFakeQueue, people: dict[str, User],
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subs = graded_class(db, catalog, pq, people, tmp_path)
    monkeypatch.setattr(regrade_preview, "CAP", 2)
    asked = regrade_preview.preview_exercise(db=db, catalog=catalog, queue=pq,
                                             user=people["ada"], slug="hello-api")
    assert (asked.total, asked.eligible, asked.capped) == (2, 4, True)
    run(db, catalog, tmp_path, asked.id)
    done = regrade_preview.get_preview(db=db, user=people["ada"], preview_id=asked.id)
    assert [item.submission_id for item in done.items] == [subs["full"], subs["half"]]


class WorkerDied(BaseException):
    """Stands in for a worker killed mid-preview (not an Exception: not caught)."""


def test_a_rerun_skips_what_is_done_and_a_finished_preview_is_left_alone(
    db: Database, catalog: Catalog, pq: PreviewFakeQueue, people: dict[str, User],
    tmp_path: Path
) -> None:
    graded_class(db, catalog, pq, people, tmp_path)
    asked = regrade_preview.preview_exercise(db=db, catalog=catalog, queue=pq,
                                             user=people["ada"], slug="hello-api")
    calls: list[str] = []

    def dies_on_the_second(**kwargs: Any) -> Any:
        calls.append(kwargs["files"]["app/main.py"])
        if len(calls) == 2:
            raise WorkerDied
        return new_version_grade(**kwargs)

    with pytest.raises(WorkerDied):
        run(db, catalog, tmp_path, asked.id, grade=dies_on_the_second)
    midway = regrade_preview.get_preview(db=db, user=people["ada"], preview_id=asked.id)
    assert (midway.status, midway.done_count, midway.items) == (PreviewStatus.RUNNING, 1, [])
    calls.clear()
    assert run(db, catalog, tmp_path, asked.id, grade=counting(calls)) is PreviewStatus.DONE
    assert len(calls) == 3  # the three left, not the one done
    done = regrade_preview.get_preview(db=db, user=people["ada"], preview_id=asked.id)
    assert (done.done_count, len(done.items)) == (4, 4)
    assert run(db, catalog, tmp_path, asked.id, grade=counting(calls)) is None
    assert len(calls) == 3


def counting(calls: list[str]) -> Any:
    def grade(**kwargs: Any) -> Any:
        calls.append(kwargs["files"]["app/main.py"])
        return new_version_grade(**kwargs)
    return grade


def test_a_queue_that_refuses_fails_the_preview_and_nothing_final_is_done_at_once(
    db: Database, catalog: Catalog, pq: PreviewFakeQueue, people: dict[str, User],
    tmp_path: Path
) -> None:
    empty = regrade_preview.preview_exercise(db=db, catalog=catalog, queue=pq,
                                             user=people["ada"], slug="hello-api")
    assert (empty.status, empty.total, pq.previews) == (PreviewStatus.DONE, 0, [])
    assert empty.summary is not None and empty.summary.submissions == 0
    graded_class(db, catalog, pq, people, tmp_path)
    pq.up = False
    for queue in (pq, FakeQueue()):  # refused, and a queue that takes no previews
        refused = regrade_preview.preview_exercise(db=db, catalog=catalog, queue=queue,
                                                   user=people["ada"], slug="hello-api")
        assert refused.status is PreviewStatus.FAILED
        assert "ask for the dry run again" in (refused.error or "")
        assert run(db, catalog, tmp_path, refused.id) is None


def test_a_preview_on_postgresql(pg_url: str, catalog: Catalog, tmp_path: Path) -> None:  # noqa: F811
    database = Database(pg_url)
    database.migrate()
    try:
        people, pq = make_people(database), PreviewFakeQueue()
        subs = graded_class(database, catalog, pq, people, tmp_path)
        asked = regrade_preview.preview_assignment(db=database, catalog=catalog, queue=pq,
                                                   user=people["ines"], course="cs101",
                                                   assignment="hw1")
        before = stored(database)
        assert run(database, catalog, tmp_path, asked.id) is PreviewStatus.DONE
        assert stored(database) == before
        done = regrade_preview.get_preview(db=database, user=people["asa"], preview_id=asked.id)
        assert done.summary is not None and (done.summary.up, done.summary.down) == (1, 1)
        assert {i.submission_id for i in done.items} == set(subs.values()) - {subs["practice"]}
    finally:
        database.dispose()
