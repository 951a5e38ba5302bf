"""Start a real Celery worker whose grading function is the fake one.

Only the grading call is replaced (no Docker needed); the Celery machinery,
Redis, the database and the worker process are all real. Settings come from
GRADER_* variables. Usage, from the repo root:
python -m tests.helpers.fake_worker worker -n NAME ...
"""

from __future__ import annotations

import sys

import worker.runtime
import worker.tasks
from tests.helpers.service_fakes import fake_grade
from worker.app import app

worker.runtime.grade_function = fake_grade

if __name__ == "__main__":
    app.worker_main(argv=sys.argv[1:])
