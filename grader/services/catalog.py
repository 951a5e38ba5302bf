"""The exercise catalogue: every pack below the exercises folder, found by slug.

Two ways to read it. The CLI and bench/ load packs on demand (load_all,
find_pack): a broken pack is an error there, and an unknown slug gets the
closest ones suggested. The service keeps a Catalog, reloaded every few
seconds, and one database row per (slug, content hash) so a submission
records exactly which version of an exercise it was graded against; a broken
pack is left out (and logged) instead of taking the service down. `grader
exercises check` is where authors see why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grader.db import Exercise
from grader.exercises.manifest import ManifestError
from grader.exercises.pack import ExercisePack, discover, load_pack, pack_folder
from grader.services.errors import NotFound

log = logging.getLogger(__name__)


def load_all(root: Path) -> list[ExercisePack]:
    return [load_pack(path) for path in discover([root])]


def find_pack(slug: str, root: Path) -> ExercisePack:
    """The pack whose folder (and manifest slug) is `slug`; UnknownPack with
    the closest slugs suggested otherwise.

    Only that pack is loaded and validated, so one broken exercise does not
    stop grading of the others.
    """
    return load_pack(pack_folder(slug, root))


class Catalog:
    """Packs below a root, reloaded at most every `ttl` seconds (authors edit
    packs in place; a new content hash becomes a new exercise version)."""

    def __init__(self, root: Path, *, ttl: float = 10.0,
                 published: Callable[[], dict[str, ExercisePack]] | None = None,
                 published_ttl: float = 0.0) -> None:
        self.root = root
        self.ttl = ttl
        # Proven published versions (services.published_catalog), asked again
        # after `published_ttl` seconds (one query; packs are cached by content
        # hash) so a version proven or rolled back on another host counts
        # within that time; reload() always asks. A disk pack wins over one of
        # the same slug, which publishing refuses anyway.
        self.published = published
        self.published_ttl = published_ttl
        self._published_at = float("-inf")
        self.disk_slugs: frozenset[str] = frozenset()
        self._last_published: dict[str, ExercisePack] = {}
        self._packs: dict[str, ExercisePack] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()
        self._reloading = False

    def reload(self) -> dict[str, ExercisePack]:
        packs: dict[str, ExercisePack] = {}
        paths = discover([self.root]) if self.root.is_dir() else []
        for path in paths:
            try:
                pack = load_pack(path)
            except ManifestError as exc:
                log.error("exercise at %s left out: %s", path, exc)
                continue
            packs[pack.slug] = pack
        with self._lock:
            self.disk_slugs = frozenset(packs)
            self._packs = packs
            self._loaded_at = time.monotonic()
        return self._with_published(packs, fresh=True)

    def _with_published(self, packs: dict[str, ExercisePack], *,
                        fresh: bool = False) -> dict[str, ExercisePack]:
        if self.published is None:
            return packs
        now = time.monotonic()
        if fresh or now - self._published_at >= self.published_ttl:
            try:
                self._last_published = self.published()
                self._published_at = now
            except Exception:  # the database away: the versions we last knew
                log.exception("published exercises could not be read; using the last known")
        return {**self._last_published, **packs}

    def packs(self) -> dict[str, ExercisePack]:
        """The packs as last loaded. Past the ttl a reload starts in the
        background and this answer is the previous one: reading and hashing
        every pack takes 25-30 ms here, which a request that happened to come
        after the ttl paid in full (the POST /submissions outliers)."""
        if self._loaded_at == float("-inf"):
            return self.reload()  # the first use: nothing to answer with yet
        if time.monotonic() - self._loaded_at > self.ttl:
            self._reload_in_background()
        return self._with_published(self._packs)

    def _reload_in_background(self) -> None:
        with self._lock:
            if self._reloading:
                return
            self._reloading = True

        def run() -> None:
            try:
                self.reload()
            except Exception:  # an unreadable folder: keep the packs we have
                log.exception("reloading the exercises under %s failed", self.root)
            finally:
                with self._lock:
                    self._reloading = False

        threading.Thread(target=run, name="catalog-reload", daemon=True).start()

    def get(self, slug: str) -> ExercisePack:
        pack = self.packs().get(slug)
        if pack is None:
            raise NotFound(f"no exercise {slug!r}")
        return pack


def exercise_version(session: Session, pack: ExercisePack) -> Exercise:
    """The row for this pack's current content, created on first use."""
    query = select(Exercise).where(
        Exercise.slug == pack.slug, Exercise.content_hash == pack.content_hash
    )
    row = session.scalar(query)
    if row is not None:
        return row
    try:
        # A savepoint: another process may insert the same version at once.
        with session.begin_nested():
            row = Exercise(
                slug=pack.slug,
                content_hash=pack.content_hash,
                title=pack.manifest.title,
                category=pack.manifest.category.value,
            )
            session.add(row)
    except IntegrityError:
        row = session.scalar(query)
        assert row is not None
    return row
