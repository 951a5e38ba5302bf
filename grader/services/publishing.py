"""Publishing packs through the service (authors): upload -> checked archive
-> stored version -> a proving job on the authoring queue -> visible once proven.

Ownership: a slug belongs to the author who first published it and the
co-authors they add; anyone else is refused, admins never are. A slug that is
a pack on disk (exercises/) cannot be published: it would shadow, or be
shadowed by, a pack the site's operators manage.
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader.db import Database, Role, User, utcnow
from grader.db.publishing import ActiveExercise, ExerciseOwner, ExerciseVersion, VersionStatus
from grader.exercises.archive import ArchiveError, ArchiveLimits, pack_archive, read_archive
from grader.exercises.staging import PackInvalid, stage_pack
from grader.services.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from grader.services.publishing_views import PublishResult, VersionView, version_view

OWNER, CO_AUTHOR = "owner", "co-author"
# A verdict starting so failed for the infrastructure's sake (no Docker, a
# build that could not run), not the pack's: publishing it again retries.
INFRASTRUCTURE = "infrastructure: "


@runtime_checkable
class ProveQueue(Protocol):
    def enqueue_prove(self, version_id: int) -> bool: ...


def _require_author(user: User) -> None:
    if Role(user.role) is Role.STUDENT:
        raise Forbidden("publishing exercises needs the author or admin role")


def _owners(session: Session, slug: str) -> list[ExerciseOwner]:
    return list(session.scalars(select(ExerciseOwner).where(ExerciseOwner.slug == slug)))


def check_may_change(session: Session, user: User, slug: str) -> list[ExerciseOwner]:
    """The slug's owners; Forbidden unless `user` is one of them or an admin."""
    _require_author(user)
    owners = _owners(session, slug)
    if owners and Role(user.role) is not Role.ADMIN and user.id not in {o.user_id for o in owners}:
        names = ", ".join(o.user.name for o in owners if o.role == OWNER)
        raise Forbidden(f"exercise {slug!r} belongs to {names}; ask them to add you as a "
                        "co-author")
    return owners


def _active_id(session: Session, slug: str) -> int | None:
    active = session.get(ActiveExercise, slug)
    return active.version_id if active else None


def _load(data: bytes, filename: str, limits: ArchiveLimits) -> tuple[bytes, str, str, str,
                                                                      str, list[str]]:
    """The checked pack, normalised to a .tar.gz: (archive, slug, category, title, hash,
    warnings). Every problem of the archive or the pack at once, as Invalid."""
    if len(data) > limits.compressed_bytes:
        raise TooLarge(f"{filename}: {len(data)} bytes, over the upload cap of "
                       f"{limits.compressed_bytes} bytes")
    try:
        files = read_archive(data, filename=filename, limits=limits)
        with tempfile.TemporaryDirectory(prefix="grader-publish-") as work:
            pack, warnings = stage_pack(files, root=Path(work))
            # What is stored is what was checked: the pack's files, caches left out.
            archive = pack_archive(pack.path)
            manifest = pack.manifest
            return (archive, pack.slug, manifest.category.value, manifest.title,
                    pack.content_hash, warnings)
    except ArchiveError as exc:
        raise Invalid(f"{filename}: refused: " + "; ".join(exc.problems)) from None
    except PackInvalid as exc:
        raise Invalid(f"{filename}: the pack has {len(exc.problems)} error(s):\n"
                      + "\n".join(exc.problems)) from None


def publish(*, db: Database, queue: object, user: User, data: bytes, filename: str,
            disk_slugs: Collection[str], limits: ArchiveLimits | None = None) -> PublishResult:
    """Store a new version (or find the same content published before) and
    queue its proving on `queue` (a ProveQueue: CeleryQueue is one). Nothing
    is visible to students until it is proven."""
    _require_author(user)
    archive, slug, category, title, digest, warnings = _load(data, filename,
                                                             limits or ArchiveLimits())
    if slug in disk_slugs:
        raise Conflict(f"exercise {slug!r} is a pack in the server's exercises folder; "
                       "publish it under another slug")
    try:
        version_id, status, created = _store(db, user, slug, category, title, digest, archive)
    except IntegrityError:
        # Another request stored its owner row or this very version first (the
        # one-owner-per-slug index, the slug+hash one): look again, once. Now
        # another author's slug is Forbidden and the same content is found.
        try:
            version_id, status, created = _store(db, user, slug, category, title, digest,
                                                 archive)
        except IntegrityError:
            raise Conflict(f"exercise {slug!r}: this version is being published just now; "
                           "ask for its versions") from None
    # A pending version's job may have been lost (broker down), and one that
    # failed for the infrastructure's sake (Docker down) deserves another try.
    if status is VersionStatus.PENDING and not (
            isinstance(queue, ProveQueue) and queue.enqueue_prove(version_id)):
        append_log(db=db, version_id=version_id,
                   lines=["the proving queue is unavailable; publish again to retry"])
    return PublishResult(version=get_version(db=db, user=user, version_id=version_id),
                         created=created, warnings=warnings)


def _store(db: Database, user: User, slug: str, category: str, title: str, digest: str,
           archive: bytes) -> tuple[int, VersionStatus, bool]:
    """In one transaction: claim the slug for `user` when it has no owner yet
    (the database keeps one owner row per slug: two first publishers at once
    cannot both win), then add the version or find the same content's."""
    with db.session() as session:
        if not check_may_change(session, user, slug):
            session.add(ExerciseOwner(slug=slug, user_id=user.id, role=OWNER))
            session.flush()
        row = session.scalar(select(ExerciseVersion).where(
            ExerciseVersion.slug == slug, ExerciseVersion.content_hash == digest))
        created = row is None
        if row is None:
            row = ExerciseVersion(slug=slug, category=category, title=title,
                                  content_hash=digest, archive=archive, published_by=user.id,
                                  status=VersionStatus.PENDING.value, log="")
            session.add(row)
        elif row.status == VersionStatus.FAILED.value and \
                (row.verdict or "").startswith(INFRASTRUCTURE):
            row.status, row.verdict = VersionStatus.PENDING.value, None
        session.flush()
        return row.id, VersionStatus(row.status), created


def append_log(*, db: Database, version_id: int, lines: list[str], cap: int = 200_000) -> None:
    """Add progress lines to a version's log, keeping its last `cap` characters."""
    with db.session() as session:
        row = session.get(ExerciseVersion, version_id)
        if row is None:
            return
        text = (row.log or "") + "".join(line.rstrip("\n") + "\n" for line in lines)
        row.log = text[-cap:]


def get_version(*, db: Database, user: User, version_id: int) -> VersionView:
    _require_author(user)
    with db.session() as session:
        row = session.get(ExerciseVersion, version_id)
        if row is None:
            raise NotFound(f"no exercise version {version_id}")
        return version_view(row, active_id=_active_id(session, row.slug), with_log=True)


def list_versions(*, db: Database, user: User, slug: str) -> list[VersionView]:
    """Every published version of a slug, newest first."""
    _require_author(user)
    with db.session() as session:
        rows = session.scalars(select(ExerciseVersion).where(ExerciseVersion.slug == slug)
                               .order_by(ExerciseVersion.id.desc())).all()
        if not rows:
            raise NotFound(f"no published exercise {slug!r}")
        active = _active_id(session, slug)
        return [version_view(row, active_id=active) for row in rows]


def add_coauthor(*, db: Database, user: User, slug: str, name: str) -> list[str]:
    """Let another author publish the slug too; returns every owner's name."""
    with db.session() as session:
        owners = check_may_change(session, user, slug)
        if not owners:
            raise NotFound(f"no published exercise {slug!r}")
        other = session.scalar(select(User).where(User.name == name))
        if other is None or Role(other.role) is Role.STUDENT:
            raise Invalid(f"field 'name': no author called {name!r}")
        if other.id not in {o.user_id for o in owners}:
            session.add(ExerciseOwner(slug=slug, user_id=other.id, role=CO_AUTHOR))
        session.flush()
        return sorted(o.user.name for o in _owners(session, slug))


def rollback(*, db: Database, user: User, slug: str, version_id: int) -> VersionView:
    """Show students an earlier proven version again."""
    with db.session() as session:
        check_may_change(session, user, slug)
        row = session.get(ExerciseVersion, version_id)
        if row is None or row.slug != slug:
            raise NotFound(f"exercise {slug!r} has no version {version_id}")
        if row.status != VersionStatus.PROVEN.value:
            raise Conflict(f"version {version_id} is {row.status}; only a proven version "
                           "can be shown to students")
        activate(session, row)
    return get_version(db=db, user=user, version_id=version_id)


def activate(session: Session, row: ExerciseVersion) -> None:
    """Make a proven version the one students see (its slug's only active one)."""
    active = session.get(ActiveExercise, row.slug)
    if active is None:
        session.add(ActiveExercise(slug=row.slug, version_id=row.id))
    else:
        active.version_id, active.changed_at = row.id, utcnow()
