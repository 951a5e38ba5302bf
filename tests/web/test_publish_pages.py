"""The publishing pages in-process: the upload form (CSRF, a hostile archive
refused with its problems listed, a pack accepted, the cap from the
settings), sync from a git repository (one line per pack, hostile values
refused), the version page before and after its verdict, and rollback."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from grader.exercises.pack import ExercisePack
from grader.selftest import ExerciseCheck
from grader.services import proving
from grader.services.wiring import Services
from tests.helpers.publish_packs import git_commit, member, pack_bytes, tar_gz, write_pack
from tests.helpers.service_fakes import FakeQueue
from tests.helpers.web_signin import csrf_of, sign_in


@dataclass
class ProvingQueue(FakeQueue):
    proving: list[int] = field(default_factory=list)

    def enqueue_prove(self, version_id: int) -> bool:
        self.proving.append(version_id)
        return True


def proven(pack: ExercisePack, progress: proving.ProgressFn) -> ExerciseCheck:
    progress("adder: solution run 2/2")
    return ExerciseCheck(pack=pack, cases=[], seconds=0.1)


@pytest.fixture
def queue(web_services: Services) -> ProvingQueue:
    web_services.queue = ProvingQueue()
    return web_services.queue


def upload(client: TestClient, data: bytes, name: str = "adder.tar.gz") -> httpx.Response:
    csrf = csrf_of(client.get("/author/publish").text)
    answer: httpx.Response = client.post(
        "/author/publish", data={"csrf_token": csrf},
        files={"archive": (name, data, "application/gzip")})
    return answer


def test_students_cannot_open_the_form(app_client: TestClient) -> None:
    sign_in(app_client, "alice")
    assert app_client.get("/author/publish").status_code == 403


def test_a_hostile_archive_is_refused_on_the_form(app_client: TestClient,
                                                  queue: ProvingQueue) -> None:
    sign_in(app_client, "ada")
    answer = upload(app_client, tar_gz([member("p/<b>x</b>", b"2", "/etc/passwd")]))
    assert answer.status_code == 422
    text = answer.text
    assert "only regular files are allowed" in text and "&lt;b&gt;x&lt;/b&gt;" in text
    assert "<b>x</b>" not in text and queue.proving == []


def test_the_form_needs_its_csrf_token(app_client: TestClient, queue: ProvingQueue,
                                       tmp_path: Path) -> None:
    sign_in(app_client, "ada")
    answer = app_client.post("/author/publish", files={
        "archive": ("a.tar.gz", pack_bytes(tmp_path), "application/gzip")})
    assert answer.status_code == 403 and queue.proving == []


def test_publish_follow_and_roll_back_on_the_pages(app_client: TestClient, queue: ProvingQueue,
                                                   web_services: Services,
                                                   tmp_path: Path) -> None:
    sign_in(app_client, "ada")
    ids = []
    for number in (1, 2):
        answer = upload(app_client, pack_bytes(tmp_path / str(number), version=number))
        assert answer.status_code == 303
        location = answer.headers["location"]
        ids.append(int(location.rsplit("/", 1)[1]))
    assert queue.proving == ids
    page = app_client.get(f"/author/versions/{ids[0]}")
    assert 'data-final="no"' in page.text and "pending" in page.text
    for version_id in ids:
        proving.prove_version(db=web_services.db, version_id=version_id, check=proven)
    page = app_client.get(f"/author/versions/{ids[0]}")
    assert 'data-final="yes"' in page.text and "solution run 2/2" in page.text
    assert "Show this version" in page.text  # version 1 is proven, version 2 is shown
    answer = app_client.post("/author/exercises/adder/rollback",
                             data={"csrf_token": csrf_of(page.text), "version": str(ids[0])})
    assert answer.status_code == 303
    assert "Show this version" in app_client.get(f"/author/versions/{ids[0]}").text  # now v2's
    events = app_client.get(f"/author/versions/{ids[0]}/events")
    assert "event: verdict" in events.text and '"status":"proven"' in events.text


def test_sync_from_a_git_repository_on_the_page(app_client: TestClient, queue: ProvingQueue,
                                                web_services: Services, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_pack(repo, "adder")
    broken = write_pack(repo, "broken")
    (broken / "exercise.toml").write_text("slug = 'broken'\n")
    git_commit(repo, tag="v1")
    sign_in(app_client, "ada")
    form = app_client.get("/author/publish").text
    assert "Sync from a git repository" in form
    assert app_client.post("/author/publish/sync", data={"repo": str(repo)}).status_code == 403
    answer = app_client.post("/author/publish/sync", data={
        "csrf_token": csrf_of(form), "repo": str(repo), "ref": "v1"})
    assert answer.status_code == 200, answer.text
    assert len(queue.proving) == 1
    text = answer.text
    assert f'href="/author/versions/{queue.proving[0]}">adder version {queue.proving[0]}' in text
    assert text.count('class="synced-pack') == 2 and "security/broken</code>: refused" in text
    hostile = app_client.post("/author/publish/sync", data={
        "csrf_token": csrf_of(form), "repo": "ext::sh -c touch% /tmp/pwned", "ref": ""})
    assert hostile.status_code == 422 and "transport &#39;ext&#39; not allowed" in hostile.text
    assert 'id="sync-problems"' in hostile.text and len(queue.proving) == 1
    web_services.settings = web_services.settings.model_copy(update={"sync_allow_local": False})
    local = app_client.post("/author/publish/sync", data={
        "csrf_token": csrf_of(form), "repo": str(repo)})
    assert local.status_code == 422 and "GRADER_SYNC_ALLOW_LOCAL" in local.text


def test_a_lowered_cap_is_shown_and_refuses_on_the_form(app_client: TestClient,
                                                        queue: ProvingQueue,
                                                        web_services: Services,
                                                        tmp_path: Path) -> None:
    web_services.settings = web_services.settings.model_copy(update={
        "publish_max_upload_bytes": 1500})
    sign_in(app_client, "ada")
    assert "at most 1.5 kB" in app_client.get("/author/publish").text
    answer = upload(app_client, pack_bytes(tmp_path) + bytes(2000))
    assert answer.status_code == 413 and "over the upload cap of 1500 bytes" in answer.text
    assert queue.proving == []
