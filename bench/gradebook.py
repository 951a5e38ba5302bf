"""The gradebook at the size of the issue's definition of done: a course of
200 students, 5 assignments of 3 exercises each, 20 graded submissions per
student. Times, in-process through the ASGI app (TestClient, an instructor
signed in on the page and holding an API token), the gradebook page and the
CSV export (the API's ?format=csv and the CLI's service call), and prints
median and max of several runs. Targets: page < 300 ms, CSV < 1 s.

    .venv/bin/python bench/gradebook.py [--runs 15] [--pg postgresql+psycopg://...]

Run on demand; not part of the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the repo root: tests.helpers (python -m bench.<name> needs none)

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert, select, update  # noqa: E402

from grader.app import create_app  # noqa: E402
from grader.db import (  # noqa: E402
    Assignment,
    CourseMember,
    Database,
    Grading,
    Role,
    Submission,
    User,
)
from grader.services import accounts, gradebook  # noqa: E402
from grader.services.catalog import Catalog  # noqa: E402
from grader.services.wiring import Services  # noqa: E402
from grader.settings import Settings  # noqa: E402
from tests.helpers import gradebook_seed as seed  # noqa: E402
from tests.helpers.gradebook_seed import DUE  # noqa: E402
from tests.helpers.service_fakes import FakeQueue  # noqa: E402
from tests.helpers.web_signin import password, sign_in  # noqa: E402

STUDENTS, ASSIGNMENTS, EXERCISES, PER_STUDENT = 200, 5, 3, 20


def build(db: Database) -> None:
    """The course, in bulk inserts (the ORM one row at a time would take minutes)."""
    accounts.create_user(db=db, name="teacher", role=Role.STUDENT, password=password("teacher"))
    with db.session() as s:
        course = seed.course(s, "bench", {"teacher": "instructor"})
        slugs = [f"ex-{i}" for i in range(EXERCISES)]
        works = [seed.assignment(s, course, f"hw{a}", dict.fromkeys(slugs, 1.0),
                                 due_at=DUE + timedelta(days=7 * a), late_policy="per_day",
                                 late_penalty=0.1, late_until=DUE + timedelta(days=7 * a + 3),
                                 score_policy=("best", "last", "last_before_due")[a % 3])
                 for a in range(ASSIGNMENTS)]
        exercise_ids = {slug: seed.exercise(s, slug).id for slug in slugs}
        s.execute(insert(User), [{"name": f"student {n:03}", "role": "student"}
                                 for n in range(STUDENTS)])
        ids = list(s.scalars(select(User.id).where(User.name.like("student %"))))
        s.execute(insert(CourseMember), [{"course_id": course.id, "user_id": uid,
                                          "role": "student", "email": f"s{uid}@example.org"}
                                         for uid in ids])
        rows, gradings = [], []
        for uid in ids:
            for k in range(PER_STUDENT):
                work: Assignment = works[k % ASSIGNMENTS]
                slug = slugs[(k // ASSIGNMENTS) % EXERCISES]
                late = timedelta(hours=(k * 7 + uid) % 60 - 40)
                sid = f"{uid:08d}-0000-0000-0000-{k:012d}"
                rows.append({"id": sid, "user_id": uid, "exercise_id": exercise_ids[slug],
                             "exercise_slug": slug, "files": {"app/main.py": "x" * 2000},
                             "files_bytes": 2000, "status": "graded", "assignment_id": work.id,
                             "received_at": work.due_at + late,
                             "late_penalty": 0.1 if late > timedelta(0) else 0.0})
                gradings.append({"submission_id": sid, "exercise_id": exercise_ids[slug],
                                 "status": "graded", "score": float((uid + k) % 11),
                                 "max_score": 10.0})
        s.execute(insert(Submission), rows)
        s.execute(insert(Grading), gradings)
        s.flush()
        s.execute(update(Submission), [  # ORM bulk update by primary key
            {"id": sid, "current_grading_id": gid}
            for gid, sid in s.execute(select(Grading.id, Grading.submission_id))])


def timed(label: str, runs: int, call: Callable[[], object]) -> None:
    call()  # warm: templates compiled, connections open
    times, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    # CPU time too: on a shared machine the wall time also measures the neighbours.
    print(f"{label:<47} median {statistics.median(times):6.1f} ms  max {max(times):6.1f} ms"
          f"  (CPU median {statistics.median(cpu):6.1f} ms)")


def run(url: str, tmp: Path, runs: int) -> None:
    db = Database(url)
    db.migrate()
    start = time.perf_counter()
    build(db)
    print(f"{url.split(':')[0]}: built {STUDENTS} students x {ASSIGNMENTS} assignments x "
          f"{EXERCISES} exercises, {STUDENTS * PER_STUDENT} graded submissions "
          f"in {time.perf_counter() - start:.1f} s")
    (tmp / "ex").mkdir(exist_ok=True)
    settings = Settings(exercises_dir=tmp / "ex", data_dir=tmp / "data", database_url=url)
    services = Services(settings=settings, db=db, catalog=Catalog(tmp / "ex"), queue=FakeQueue(),
                        redis=None, limiter=None, docker_check=lambda: None)
    _, token = accounts.create_token(db=db, name="teacher")
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(services=services), follow_redirects=False) as client:
        sign_in(client, "teacher")

        def page() -> None:
            answer = client.get("/courses/bench/gradebook?sort=hw2&dir=desc")
            assert answer.status_code == 200 and answer.text.count('class="student"') == STUDENTS

        def api_csv() -> None:
            answer = client.get("/api/v1/courses/bench/gradebook?format=csv", headers=auth)
            assert answer.status_code == 200 and answer.content.count(b"\r\n") == STUDENTS + 1

        timed("GET /courses/bench/gradebook (page)", runs, page)
        timed("GET /api/v1/courses/bench/gradebook?format=csv", runs, api_csv)
        timed("export_gradebook + as_csv (the CLI's work)", runs,
              lambda: gradebook.as_csv(gradebook.export_gradebook(db=db, slug="bench")))
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--pg", help="also on this (empty) PostgreSQL database URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp), args.runs)
        if args.pg:
            run(args.pg, Path(tmp), args.runs)


if __name__ == "__main__":
    main()
