"""The web pages in-process (TestClient, no browser): session cookie flags,
CSRF, who may see what, Markdown sanitising, forms. Grading is the domain's
own code with the service tests' fake grading function (these tests are about
pages, not sandboxes; test_browser.py grades in Docker)."""

from __future__ import annotations

import io
import zipfile

from fastapi.testclient import TestClient

from grader.services import accounts, grading_jobs
from grader.services.wiring import Services
from grader.web.session import COOKIE
from tests.helpers.service_fakes import fake_grade
from tests.helpers.web_signin import csrf_of, password, sign_in


def _submit(client: TestClient, csrf: str, text: str, nonce: str = "n") -> str:
    answer = client.post("/exercises/hello-api/submit", data={
        "csrf_token": csrf, "nonce": nonce, "path-0": "app/main.py", "fixed-0": "1",
        "content-0": text})
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/submissions/")
    return location.rsplit("/", 1)[1]


def _grade(services: Services, sub_id: str) -> None:
    result, _ = grading_jobs.grade_submission(
        db=services.db, catalog=services.catalog, submission_id=sub_id, claim_id="t",
        grade=fake_grade, settings=None, worker="test", max_retries=0, lease_seconds=60)
    assert result is grading_jobs.Result.GRADED


def test_sign_in_sets_an_httponly_samesite_cookie_and_sign_out_clears_it(
        app_client: TestClient) -> None:
    page = app_client.get("/signin")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Secure" not in cookie  # development: plain http
    answer = app_client.post("/signin", data={"name": "alice", "password": password("alice"),
                                              "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/exercises"
    signed = answer.headers["set-cookie"]
    assert "HttpOnly" in signed and "SameSite=lax" in signed
    home = app_client.get("/exercises")
    assert home.status_code == 200 and "alice" in home.text
    assert home.headers["content-security-policy"].startswith("default-src 'self'")
    out = app_client.post("/signout", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303 and f'{COOKIE}=""' in out.headers["set-cookie"]
    app_client.cookies.clear()
    assert app_client.get("/exercises").headers["location"] == "/signin?next=/exercises"


def test_production_cookie_is_secure(web_services: Services) -> None:
    from grader.app import create_app
    from grader.settings import Settings

    web_services.settings = Settings(**{**web_services.settings.model_dump(),
                                        "environment": "production",
                                        "secret_key": "k" * 40})
    with TestClient(create_app(services=web_services), follow_redirects=False) as client:
        assert "Secure" in client.get("/signin").headers["set-cookie"]


def test_wrong_password_and_open_redirect(app_client: TestClient) -> None:
    page = app_client.get("/signin")
    wrong = app_client.post("/signin", data={"name": "alice", "password": "nope",
                                             "csrf_token": csrf_of(page.text)})
    assert wrong.status_code == 401 and "Wrong name or password" in wrong.text
    good = app_client.post("/signin", data={
        "name": "alice", "password": password("alice"), "csrf_token": csrf_of(wrong.text),
        "next": "//evil.example/x"})
    assert good.headers["location"] == "/exercises"


def test_posts_without_the_csrf_token_are_refused(app_client: TestClient,
                                                   web_services: Services) -> None:
    page = app_client.get("/signin")
    refused = app_client.post("/signin", data={"name": "alice", "password": password("alice")})
    assert refused.status_code == 403 and "security token" in refused.text
    assert "<html" in refused.text and COOKIE not in refused.headers.get("set-cookie", "x")
    csrf = sign_in(app_client, "alice")
    assert csrf != csrf_of(page.text)  # a new token at sign-in
    form = {"path-0": "app/main.py", "content-0": "PASS", "nonce": "x"}
    for token in (None, "forged", csrf_of(page.text)):
        data = form if token is None else {**form, "csrf_token": token}
        answer = app_client.post("/exercises/hello-api/submit", data=data)
        assert answer.status_code == 403, token
    assert web_services.queue.grading == []  # type: ignore[attr-defined]
    assert app_client.post("/signout").status_code == 403
    assert _submit(app_client, csrf, "PASS")  # with the token it goes through


def test_another_students_submission_is_404_everywhere(app_client: TestClient,
                                                        web_services: Services) -> None:
    csrf = sign_in(app_client, "alice")
    sub_id = _submit(app_client, csrf, "PASS  # alice's secret work")
    _grade(web_services, sub_id)
    own = app_client.get(f"/submissions/{sub_id}")
    assert own.status_code == 200 and "2 / 2" in own.text
    app_client.cookies.clear()
    sign_in(app_client, "bob")
    missing = app_client.get("/submissions/00000000-0000-0000-0000-000000000000")
    for path in ("", "/result", "/events"):
        other = app_client.get(f"/submissions/{sub_id}{path}")
        assert other.status_code == 404, path
        assert "alice" not in other.text and "secret work" not in other.text
    assert missing.status_code == 404
    assert app_client.get(f"/submissions/{sub_id}").text == missing.text.replace(
        "00000000-0000-0000-0000-000000000000", sub_id)
    assert sub_id not in app_client.get("/submissions").text


def test_prompt_markdown_is_sanitised_and_highlighted(app_client: TestClient) -> None:
    sign_in(app_client, "alice")
    page = app_client.get("/exercises/hello-api").text
    assert "<script>alert" not in page and "&lt;script&gt;alert('x')&lt;/script&gt;" in page
    assert '<pre class="highlight"><code class="language-python">' in page
    assert "<script" not in page.replace('<script src="/static/', "")
    for secret in ("SOLUTION_SECRET", "HIDDEN_TEST_CODE", "test_hidden"):
        assert secret not in page
    starter = app_client.get("/exercises/hello-api/starter.zip").content
    archive = zipfile.ZipFile(io.BytesIO(starter))
    assert archive.namelist() == ["hello-api/app/main.py"]


def test_submit_form_upload_replaces_text_and_bad_files_are_explained(
        app_client: TestClient, web_services: Services) -> None:
    csrf = sign_in(app_client, "alice")
    answer = app_client.post(
        "/exercises/hello-api/submit",
        data={"csrf_token": csrf, "nonce": "u1", "path-0": "app/main.py", "fixed-0": "1",
              "content-0": "typed text"},
        files={"upload-0": ("main.py", b"PASS = 'uploaded'\n", "text/x-python")})
    assert answer.status_code == 303
    sub_id = answer.headers["location"].rsplit("/", 1)[1]
    stored = web_services.db
    from grader.db import Submission

    with stored.reading() as session:
        row = session.get(Submission, sub_id)
        assert row is not None and row.files == {"app/main.py": "PASS = 'uploaded'\n"}
    refused = app_client.post("/exercises/hello-api/submit", data={
        "csrf_token": csrf, "nonce": "u2", "path-0": "app/main.py", "fixed-0": "1",
        "content-0": "x = 1", "path-1": "../etc/passwd", "content-1": "root"})
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert "x = 1</textarea>" in refused.text  # what the student typed is kept


def test_history_best_score_and_author_stats(app_client: TestClient,
                                             web_services: Services) -> None:
    csrf = sign_in(app_client, "alice")
    _grade(web_services, _submit(app_client, csrf, "FAIL", nonce="a"))
    _grade(web_services, _submit(app_client, csrf, "PASS", nonce="b"))
    listing = app_client.get("/exercises").text
    assert "Your best: <strong>2 / 2</strong>" in listing
    history = app_client.get("/submissions").text
    assert history.count("/submissions/") >= 2 and "<polyline" in history
    assert app_client.get("/author/exercises/hello-api").status_code == 403
    app_client.cookies.clear()
    csrf = sign_in(app_client, "ada")
    stats = app_client.get("/author/exercises/hello-api")
    assert stats.status_code == 200 and 'id="score-chart"' in stats.text
    assert "50-60 %: 1" in stats.text and "90-100 %: 1" in stats.text
    assert "test_body" in stats.text and "1 / 2" in stats.text  # pass rate of one test
    regrade = app_client.post("/author/exercises/hello-api/regrade", data={"csrf_token": csrf})
    assert regrade.status_code == 303 and regrade.headers["location"].endswith("requeued=2")


def test_admin_creates_a_token_once_and_revokes_it(app_client: TestClient,
                                                   web_services: Services) -> None:
    csrf = sign_in(app_client, "ada")
    assert app_client.get("/admin/tokens").status_code == 403
    app_client.cookies.clear()
    csrf = sign_in(app_client, "root")
    made = app_client.post("/admin/tokens", data={"csrf_token": csrf, "name": "bob"})
    assert made.status_code == 201
    token = made.text.split('id="new-token" class="code" readonly value="')[1].split('"')[0]
    assert accounts.user_for_token(db=web_services.db, token=token) is not None
    listing = app_client.get("/admin/tokens").text
    assert token not in listing and token[:10] in listing
    token_id = listing.split("/admin/tokens/")[1].split("/revoke")[0]
    revoked = app_client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert accounts.user_for_token(db=web_services.db, token=token) is None
    role = app_client.post("/admin/users/bob/role", data={"csrf_token": csrf, "role": "author"})
    assert role.status_code == 303
    assert accounts.get_user(db=web_services.db, name="bob").role == "author"
    self_demote = app_client.post("/admin/users/root/role",
                                  data={"csrf_token": csrf, "role": "student"})
    assert self_demote.status_code == 409


def test_error_pages_are_html_and_the_api_keeps_json(app_client: TestClient) -> None:
    sign_in(app_client, "alice")
    page = app_client.get("/no/such/page")
    assert page.status_code == 404 and "Page not found" in page.text
    assert page.headers["content-type"].startswith("text/html")
    api = app_client.get("/api/v1/submissions/nope")
    assert api.status_code == 401 and api.json()["detail"]
    assert app_client.get("/exercises/nope").status_code == 404
    assert app_client.get("/healthz").status_code == 200
    assert app_client.get("/static/style.css").status_code == 200


def test_a_bad_form_field_is_an_html_page_and_the_api_keeps_json_422(
        app_client: TestClient) -> None:
    page = app_client.get("/signin")
    answer = app_client.post("/signin", data={"name": "x" * 200, "password": "p",
                                              "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 422 and "name" in answer.text and "<html" in answer.text
    api = app_client.get("/api/v1/submissions?limit=0", headers={"Authorization": "Bearer x"})
    assert api.status_code in (401, 422) and api.headers["content-type"] == "application/json"


def _timeout_report(**_: object) -> object:
    from grader_harness.report import Outcome, Status, TestResult, Visibility, build_report

    tests = [TestResult(id="t::slow", name="test_slow", outcome=Outcome.ERROR, points=0,
                        max_points=2, duration=5.0, visibility=Visibility.PUBLIC)]
    return build_report(tests, limit_hit=Status.TIMEOUT, message="wall time limit of 5 s",
                        output="<b>printed</b>")


def _broken_sandbox(**_: object) -> object:
    from sandbox.errors import EngineUnavailable

    raise EngineUnavailable("Docker engine is not reachable")


def test_timeout_and_not_gradable_are_worded_for_the_student(
        app_client: TestClient, web_services: Services) -> None:
    csrf = sign_in(app_client, "alice")
    shown = {}
    for name, grade in (("timeout", _timeout_report), ("broken", _broken_sandbox)):
        sub_id = _submit(app_client, csrf, "PASS", nonce=name)
        grading_jobs.grade_submission(
            db=web_services.db, catalog=web_services.catalog, submission_id=sub_id,
            claim_id="t", grade=grade, settings=None, worker="test", max_retries=0,
            lease_seconds=60)
        shown[name] = app_client.get(f"/submissions/{sub_id}").text
    assert "Time limit reached" in shown["timeout"] and "0 / 2" in shown["timeout"]
    assert "&lt;b&gt;printed&lt;/b&gt;" in shown["timeout"]  # output is escaped
    assert "wall time limit of 5 s" in shown["timeout"]
    assert "problem on our side" in shown["broken"] and "did not cost you an attempt" in (
        shown["broken"])
    assert 'http-equiv="refresh"' not in shown["broken"]  # final: no more reloading


def test_a_pending_submission_page_refreshes_itself_without_javascript(
        app_client: TestClient) -> None:
    csrf = sign_in(app_client, "alice")
    page = app_client.get(f"/submissions/{_submit(app_client, csrf, 'PASS')}").text
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert 'id="status"' in page and ">queued<" in page
    assert '<script src="/static/live.js" defer></script>' in page
    assert app_client.get("/static/live.js").status_code == 200
