"""Sync from a git repository on the server (authors): clone REPO at REF,
publish every pack in it through publishing.publish, one outcome per pack.
A pack refused (archive, lint, ownership, a symlink) does not stop the
others. The clone is grader.exercises.git_source's, which refuses values git
could read as options and transports that run commands; local paths and
file:// URLs only when the caller allows them (GRADER_SYNC_ALLOW_LOCAL)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from pydantic import BaseModel

from grader.db import Database, Role, User
from grader.exercises.archive import ArchiveLimits, pack_archive
from grader.exercises.git_source import CLONE_TIMEOUT, GitSourceError, cloned_packs, links_in
from grader.services import publishing
from grader.services.errors import Forbidden, Invalid, ServiceError
from grader.services.publishing_views import VersionView


class SyncedPack(BaseModel):
    """What became of one pack of the repository."""

    folder: str  # the pack's folder, relative to the repository's root
    version: VersionView | None = None  # published (or found published before)
    created: bool = False  # False with a version: this content was published before
    refused: str | None = None  # why it was not published; every problem


def _publish_folder(*, db: Database, queue: object, user: User, folder: Path, name: str,
                    disk_slugs: Collection[str], limits: ArchiveLimits) -> SyncedPack:
    links = links_in(folder)
    if links:
        return SyncedPack(folder=name, refused=f"{name}: refused: " + "; ".join(
            f"entry {link!r}: a link or special file; only regular files are allowed"
            for link in links))
    try:
        data = pack_archive(folder)
        result = publishing.publish(db=db, queue=queue, user=user, data=data,
                                    filename=f"{name}.tar.gz", disk_slugs=disk_slugs,
                                    limits=limits)
    except ServiceError as exc:
        return SyncedPack(folder=name, refused=exc.message)
    except OSError as exc:
        return SyncedPack(folder=name, refused=f"{name}: unreadable ({exc.strerror})")
    return SyncedPack(folder=name, version=result.version, created=result.created)


def sync_repository(*, db: Database, queue: object, user: User, repo: str, ref: str | None,
                    disk_slugs: Collection[str], limits: ArchiveLimits,
                    allow_local: bool = True, timeout: float = CLONE_TIMEOUT
                    ) -> list[SyncedPack]:
    """Publish every pack of `repo` at `ref` (default HEAD), in folder order.
    Invalid when the repository or ref is refused, cannot be cloned or holds
    no pack; per pack, the version or the refusal."""
    if Role(user.role) is Role.STUDENT:
        raise Forbidden("publishing exercises needs the author or admin role")
    ref = ref or None
    try:
        with cloned_packs(repo, ref, allow_local=allow_local, timeout=timeout) as clone:
            if not clone.packs:
                raise Invalid(f"no pack (exercise.toml) in {repo} at {ref or 'HEAD'}")
            outcomes = []
            for folder in clone.packs:
                name = clone.name(folder)
                outcomes.append(_publish_folder(db=db, queue=queue, user=user, folder=folder,
                                                name=name, disk_slugs=disk_slugs,
                                                limits=limits))
            return outcomes
    except GitSourceError as exc:
        raise Invalid(str(exc)) from None

