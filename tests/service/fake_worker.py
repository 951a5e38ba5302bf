"""Start a real Celery worker whose grading function is the fake one.

Only the grading call is replaced (no Docker needed); the Celery machinery,
Redis, the database and the worker process are all real. Settings come from
GRADER_* variables. Usage: python fake_worker.py worker -n NAME ...
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from svc_helpers import fake_grade

import worker.runtime
import worker.tasks
from worker.app import app

worker.runtime.grade_function = fake_grade

if __name__ == "__main__":
    app.worker_main(argv=sys.argv[1:])
