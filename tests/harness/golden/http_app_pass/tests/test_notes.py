import httpx
import pytest


@pytest.mark.points(2)
def test_create_then_read(client):
    """A created note can be read back"""
    created = client.post("/notes", json={"text": "hello"})
    assert created.status_code == 201
    note_id = created.json()["id"]
    assert client.get(f"/notes/{note_id}").json()["text"] == "hello"


def test_unknown_is_404(client):
    assert client.get("/notes/9999").status_code == 404


def test_base_url_and_log(base_url, app_log, call_timeout):
    with httpx.Client(timeout=call_timeout) as http:
        assert http.get(f"{base_url}/notes/1").status_code in (200, 404)
    assert "creating a note" in app_log()


def test_workspace_fixture(workspace, data_dir):
    assert (workspace / "app" / "main.py").is_file()
    assert (data_dir / "seed.txt").read_text() == "seed\n"
