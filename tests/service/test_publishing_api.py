"""The publishing API in-process (no Redis: the proving queue is recorded):
multipart and raw uploads, every refusal with a clear status and message,
the versions, one version and its events stream."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from grader.app import create_app
from grader.db import Database, Role
from grader.exercises.archive import ArchiveLimits, pack_archive
from grader.services import accounts, proving
from grader.services.catalog import Catalog
from grader.services.wiring import Services
from grader.settings import Settings
from tests.helpers.publish_packs import pack_bytes, write_pack, zip_of
from tests.helpers.service_fakes import make_pack
from tests.web.test_publish_pages import ProvingQueue, proven


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, Services, dict[str, dict[str, str]]]]:
    root = tmp_path / "exercises"
    make_pack(root)  # slug "hello-api" on disk
    settings = Settings(exercises_dir=root, data_dir=tmp_path / "data",
                        database_url=f"sqlite:///{tmp_path / 'g.db'}")
    db = Database(settings.database_url or "")
    db.migrate()
    headers = {}
    for name, role in (("ada", Role.AUTHOR), ("eve", Role.STUDENT)):
        accounts.create_user(db=db, name=name, role=role, password="pw")
        headers[name] = {"Authorization": f"Bearer {accounts.create_token(db=db, name=name)[1]}"}
    services = Services(settings=settings, db=db, catalog=Catalog(root), queue=ProvingQueue(),
                        redis=None, limiter=None, docker_check=lambda: None)
    with TestClient(create_app(services=services)) as client:
        yield client, services, headers
    db.dispose()


def test_upload_as_multipart_or_raw_and_follow(api: tuple[TestClient, Services, dict[str, dict[
        str, str]]], tmp_path: Path) -> None:
    client, services, who = api
    data = pack_bytes(tmp_path)
    sent = client.post("/api/v1/exercises", headers=who["ada"],
                       files={"archive": ("adder.tar.gz", data, "application/gzip")})
    assert sent.status_code == 202, sent.text
    version = sent.json()["version"]
    assert sent.headers["location"].endswith(f"/api/v1/exercise-versions/{version['id']}")
    again = client.post("/api/v1/exercises", content=data,
                        headers={**who["ada"], "Content-Type": "application/gzip"})
    assert again.status_code == 200 and again.json()["created"] is False
    proving.prove_version(db=services.db, version_id=version["id"], check=proven)
    one = client.get(f"/api/v1/exercise-versions/{version['id']}", headers=who["ada"]).json()
    assert one["status"] == "proven" and "run 2/2" in one["log"]
    listed = client.get("/api/v1/exercises/adder/versions", headers=who["ada"]).json()
    assert [v["active"] for v in listed] == [True]
    events = client.get(f"/api/v1/exercise-versions/{version['id']}/events", headers=who["ada"])
    assert events.text.index("event: log") < events.text.index("event: verdict")


def test_refusals_are_clear(api: tuple[TestClient, Services, dict[str, dict[str, str]]],
                            tmp_path: Path) -> None:
    client, _, who = api
    post = client.post
    gz = {"Content-Type": "application/gzip"}
    assert post("/api/v1/exercises", content=pack_bytes(tmp_path),
                headers={**who["eve"], **gz}).status_code == 403
    assert post("/api/v1/exercises", content=b"{}", headers={
        **who["ada"], "Content-Type": "application/json"}).status_code == 415
    wrong_part = post("/api/v1/exercises", headers=who["ada"],
                      files={"pack": ("a.tgz", b"x", "application/gzip")})
    assert wrong_part.status_code == 422 and "field 'archive'" in wrong_part.json()["detail"]
    big = post("/api/v1/exercises", content=b"\x1f\x8b" + bytes(4_050_000),
               headers={**who["ada"], **gz})
    assert big.status_code == 413 and "4000000" in big.json()["detail"]
    no_manifest = post("/api/v1/exercises", content=zip_of({"p/README.md": b"hi"}),
                       headers={**who["ada"], "Content-Type": "application/zip"})
    assert no_manifest.status_code == 422 and "exercise.toml is missing" in \
        no_manifest.json()["detail"]
    shadow = post("/api/v1/exercises", content=pack_bytes(tmp_path / "h", "hello-api"),
                  headers={**who["ada"], **gz})
    assert shadow.status_code == 409 and "exercises folder" in shadow.json()["detail"]
    assert client.get("/api/v1/exercises/nope/versions", headers=who["ada"]).status_code == 404
    assert client.get("/api/v1/exercise-versions/99", headers=who["eve"]).status_code == 403
    assert client.get(f"/api/v1/exercise-versions/{2**63}", headers=who["ada"]).status_code == 422
    assert client.post("/api/v1/exercises/adder/rollback", json={"version": 2**63},
                       headers=who["ada"]).status_code == 422


def test_lowered_archive_caps_from_the_settings_refuse_naming_the_limit(
        api: tuple[TestClient, Services, dict[str, dict[str, str]]], tmp_path: Path) -> None:
    client, services, who = api
    pack = write_pack(tmp_path / "big")
    (pack / "data.txt").write_text("x" * 3000)
    data = pack_archive(pack)
    gz = {**who["ada"], "Content-Type": "application/gzip"}
    assert Settings().publish_max_file_bytes == ArchiveLimits().file_bytes == 5_000_000
    services.settings = services.settings.model_copy(update={"publish_max_file_bytes": 2048})
    one = client.post("/api/v1/exercises", content=data, headers=gz)
    assert one.status_code == 422, one.text
    assert "'adder/data.txt': 3000 bytes, over the 2048 bytes per file" in one.json()["detail"]
    services.settings = services.settings.model_copy(update={
        "publish_max_file_bytes": 5_000_000, "publish_max_files": 4})
    many = client.post("/api/v1/exercises", content=data, headers=gz)
    assert many.status_code == 422 and "more than 4 entries" in many.json()["detail"]
    services.settings = services.settings.model_copy(update={
        "publish_max_files": 2000, "publish_max_upload_bytes": 1024})
    big = client.post("/api/v1/exercises", content=data + bytes(1100), headers=gz)
    assert big.status_code == 413 and "upload cap of 1024 bytes" in big.json()["detail"]
    services.settings = services.settings.model_copy(update={"publish_max_upload_bytes": 4_000_000})
    assert client.post("/api/v1/exercises", content=data, headers=gz).status_code == 202
