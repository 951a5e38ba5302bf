"""The proven published versions as packs, for the service's Catalog.

Each active version's archive is extracted once per content hash into
`<data_dir>/published/<hash>/<category>/<slug>/` (a cache: the database holds
the archive, so any API or worker process on any host rebuilds it on demand).
Extraction goes to a private temporary folder first and is renamed into
place, so a process never loads a half-written pack.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import select

from grader.db import Database
from grader.db.publishing import ActiveExercise, ExerciseVersion
from grader.exercises.archive import read_archive
from grader.exercises.pack import ExercisePack, load_pack
from grader.exercises.staging import stage_pack
from grader.services import config
from grader.services.catalog import Catalog
from grader.settings import Settings

log = logging.getLogger(__name__)
PUBLISHED_TTL_SECONDS = 1.0  # how stale the active published versions may be (docs/service.md)


class PublishedPacks:
    """Callable: slug -> pack of every active (proven) published version."""

    def __init__(self, db: Database, cache_dir: Path) -> None:
        self.db = db
        self.cache_dir = cache_dir
        # Content-addressed, so never stale: loading (hashing) a pack is the
        # cost a catalogue lookup must not pay every time.
        self._loaded: dict[str, ExercisePack] = {}

    def __call__(self) -> dict[str, ExercisePack]:
        # A read: on SQLite it must not take the write lock (it runs on every
        # catalogue use, so it would queue every request behind the writers).
        with self.db.reading() as session:
            rows = session.execute(
                select(ExerciseVersion.id, ExerciseVersion.slug, ExerciseVersion.category,
                       ExerciseVersion.content_hash)
                .join(ActiveExercise, ActiveExercise.version_id == ExerciseVersion.id)
            ).all()
        packs: dict[str, ExercisePack] = {}
        for version_id, slug, category, digest in rows:
            try:
                packs[slug] = self.pack(version_id, slug=slug, category=category, digest=digest)
            except Exception:  # one unreadable version must not hide the others
                log.exception("published exercise %s (version %s) left out", slug, version_id)
        return packs

    def pack(self, version_id: int, *, slug: str, category: str, digest: str) -> ExercisePack:
        folder = self.cache_dir / digest / category / slug
        known = self._loaded.get(digest)
        if known is not None and folder.is_dir():
            return known
        if not folder.is_dir():
            self._extract(version_id, digest)
        pack = load_pack(folder)
        if pack.content_hash != digest:  # a damaged cache: rebuild it next time
            shutil.rmtree(self.cache_dir / digest, ignore_errors=True)
            raise ValueError(f"cached pack {digest} does not match its hash")
        self._loaded[digest] = pack
        return pack

    def _extract(self, version_id: int, digest: str) -> None:
        with self.db.session() as session:
            row = session.get(ExerciseVersion, version_id)
            assert row is not None
            archive = row.archive
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".extract-", dir=self.cache_dir))
        try:
            stage_pack(read_archive(archive, filename=f"version {version_id}"), root=work)
            # Another process may have got there first: theirs is as good.
            with contextlib.suppress(OSError):
                work.rename(self.cache_dir / digest)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def service_catalog(settings: Settings, db: Database) -> Catalog:
    """The catalogue API and worker processes use: disk packs, then the
    proven published versions."""
    published = PublishedPacks(db, config.data_dir(settings) / "published")
    # Asked at most once a second, not on every request: the query is about
    # 0.8 ms, a real share of a POST /submissions in a deadline burst; a
    # version proven or rolled back on another host counts within 1 s.
    return Catalog(settings.exercises_dir, published=published,
                   published_ttl=PUBLISHED_TTL_SECONDS)
