"""Proving a published version (the worker's "grader.prove" task): the stored
archive is extracted and loaded again, its image built (network none) and
`grader exercises check` run on it in the sandbox, twice. Progress lines go
to the version's row as they come (the events stream reads them there), then
the verdict: proven makes it the version students see; failed never does.

The check is injected (CheckFn), so this is tested without Docker; the
worker passes sandbox_check(). An author's tests only ever run in sandboxes.
"""

from __future__ import annotations

import logging
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from grader.db import Database, utcnow
from grader.db.publishing import ExerciseVersion, VersionStatus
from grader.exercises.archive import ArchiveError, read_archive
from grader.exercises.pack import ExercisePack
from grader.exercises.staging import PackInvalid, stage_pack
from grader.selftest import ExerciseCheck, check_pack
from grader.services.publishing import INFRASTRUCTURE, activate, append_log
from grader.settings import Settings
from sandbox.errors import SandboxError

log = logging.getLogger(__name__)
ProgressFn = Callable[[str], None]
CheckFn = Callable[[ExercisePack, ProgressFn], ExerciseCheck]
RUNS = 2  # "two runs agree": a test that changes its outcome is flaky


class LogSink:
    """Progress lines to the version's log, written at most every `interval`
    seconds (an image build prints hundreds of lines)."""

    def __init__(self, db: Database, version_id: int, interval: float = 0.5) -> None:
        self.db, self.version_id, self.interval = db, version_id, interval
        self.lines: list[str] = []
        self.flushed = float("-inf")

    def __call__(self, line: str) -> None:
        self.lines.append(line)
        if time.monotonic() - self.flushed >= self.interval:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            append_log(db=self.db, version_id=self.version_id, lines=self.lines)
            self.lines = []
        self.flushed = time.monotonic()


def _claim(db: Database, version_id: int) -> bytes | None:
    """Mark the version checking and return its archive; None when there is
    nothing to do (unknown, or already judged: a redelivered message)."""
    with db.session() as session:
        row = session.get(ExerciseVersion, version_id)
        if row is None or VersionStatus(row.status).final:
            return None
        row.status, row.started_at, row.log = VersionStatus.CHECKING.value, utcnow(), ""
        return row.archive


def _finish(db: Database, version_id: int, ok: bool, verdict: str,
            junit: str | None = None) -> VersionStatus:
    status = VersionStatus.PROVEN if ok else VersionStatus.FAILED
    with db.session() as session:
        row = session.get(ExerciseVersion, version_id)
        assert row is not None
        row.status, row.verdict, row.junit = status.value, verdict, junit
        row.finished_at = utcnow()
        if ok:
            row.proven_at = row.finished_at
            activate(session, row)  # in the same transaction: proven means visible
    return status


def _verdict(check: ExerciseCheck) -> str:
    if check.ok:
        return (f"proven: {len(check.cases)} cases, {RUNS} runs each, "
                f"in {check.seconds:.1f} s")
    lines = [f"{case.case.label}: {problem}" for case in check.cases for problem in case.problems]
    return "failed:\n" + "\n".join(lines)


def prove_version(*, db: Database, version_id: int, check: CheckFn) -> VersionStatus | None:
    """Prove one version; its final status, or None when there was nothing to do."""
    from grader.junit import junit_xml

    archive = _claim(db, version_id)
    if archive is None:
        return None
    sink = LogSink(db, version_id)
    try:
        with tempfile.TemporaryDirectory(prefix="grader-prove-") as work:
            sink(f"extracting version {version_id}")
            pack, warnings = stage_pack(read_archive(archive, filename=f"version {version_id}"),
                                        root=Path(work))
            for warning in warnings:
                sink(f"lint warning: {warning}")
            result = check(pack, sink)
            root = junit_xml([result]).getroot()
            assert root is not None
            ET.indent(root)
            junit = ET.tostring(root, encoding="unicode")
            verdict = _verdict(result)
            sink(verdict)
            sink.flush()
            return _finish(db, version_id, result.ok, verdict, junit)
    except (ArchiveError, PackInvalid) as exc:  # stored before today's checks: refuse it now
        verdict = "failed: the stored pack no longer loads: " + str(exc)
    except SandboxError as exc:
        verdict = (f"{INFRASTRUCTURE}the sandbox could not run ({type(exc).__name__}: {exc}); "
                   "publish the same archive again to retry")
    except Exception as exc:  # never leave a version checking forever
        log.exception("proving version %s failed", version_id)
        verdict = f"{INFRASTRUCTURE}{type(exc).__name__}: {exc}"
    sink(verdict)
    sink.flush()
    return _finish(db, version_id, False, verdict)


def sandbox_check(settings: Settings) -> CheckFn:
    """The real check: build the exercise's image (network none), then check_pack
    with RUNS runs, every grading in the sandbox."""

    def run(pack: ExercisePack, progress: ProgressFn) -> ExerciseCheck:
        from grader.sandbox_grading import ensure_image, grade_files
        from sandbox import engine

        client = engine.connect(settings.docker_url)

        def build_progress(step: str, detail: str | None = None) -> None:
            progress(f"image {step}: {detail}" if detail else f"image {step}")

        progress(f"building the image for {pack.slug}")
        ensure_image(pack, settings, client=client, progress=build_progress)
        progress("image ready; checking: reference, starter, mutants")
        return check_pack(pack, runs=RUNS, progress=progress,
                          grade=lambda p, files: grade_files(pack=p, files=files,
                                                             settings=settings, client=client))

    return run
