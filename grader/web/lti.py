"""LTI 1.3 pages: OIDC login initiation, the launch (which signs the user in
and opens the linked assignment, or the deep-linking picker), the tool's
JWKS, the deep-linking answer, the course's LTI page (failed passbacks,
roster sync) and the admin's platform registry.

The login and launch come from the LMS, not from our forms: the id token is
their credential (no CSRF token), and every refusal is a plain error page.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response

from grader.courses.rules import CourseRole
from grader.http.deps import ServicesDep
from grader.lti import deep_linking, launch, nrps, provision
from grader.lti.keys import tool_key
from grader.services import config, lti_passback, lti_platforms
from grader.services.course_access import staff_access
from grader.services.errors import ServiceError, status_of
from grader.services.wiring import Services
from grader.web import session as web_session
from grader.web.pages import domain_errors, redirect, render
from grader.web.session import AdminUser, Csrf, WebUser

router = APIRouter()


def _secure(request: Request, services: Services) -> bool:
    return request.url.scheme == "https" or services.settings.environment == "production"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _params(request: Request) -> dict[str, str]:
    params = {k: v for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


@router.api_route("/lti/login", methods=["GET", "POST"])
async def lti_login(request: Request, services: ServicesDep) -> Response:
    params = await _params(request)
    secure = _secure(request, services)
    with domain_errors():
        answer = await run_in_threadpool(
            lambda: launch.login(db=services.db, key=tool_key(services.settings), params=params,
                                 cookies=dict(request.cookies), secure=secure,
                                 launch_url=_base(request) + "/lti/launch"))
    response = RedirectResponse(answer.location, status_code=302)
    for cookie in answer.cookies:
        # SameSite=None needs Secure; over plain http Lax (see grader.lti.adapters).
        response.set_cookie(cookie.name, cookie.value, max_age=cookie.max_age, path="/lti/",
                            httponly=True, secure=secure, samesite="none" if secure else "lax")
    return response


@router.post("/lti/launch")
async def lti_launch(request: Request, services: ServicesDep) -> Response:
    params = await _params(request)
    key = tool_key(services.settings)

    def work() -> tuple[launch.ValidLaunch, provision.Provisioned]:
        valid = launch.validate(db=services.db, key=key, params=params,
                                cookies=dict(request.cookies), secure=_secure(request, services))
        return valid, provision.provision(db=services.db, launch=valid)

    with domain_errors():
        valid, done = await run_in_threadpool(work)
    web_session.begin(request, done.user)
    request.state.web_user = done.user
    if valid.deep_linking:
        return _picker(request, services, valid, done)
    target = f"/courses/{done.course.slug}"
    if done.assignment is not None:
        target += f"/assignments/{done.assignment.slug}"
    return redirect(request, target)


def _picker(request: Request, services: Services, valid: launch.ValidLaunch,
            done: provision.Provisioned) -> Response:
    if done.role is not CourseRole.INSTRUCTOR:
        return render(request, "error.html", {
            "status": 403, "title": "Not allowed",
            "detail": "Only the course's instructors may add assignments to the LMS."},
            status=403)
    with domain_errors():
        token = deep_linking.picker_token(secret=config.secret_key(services.settings),
                                          launch=valid, user_id=done.user.id,
                                          course_id=done.course.id)
    assignments = deep_linking.course_assignments(db=services.db, course_id=done.course.id)
    return render(request, "lti_picker.html", {
        "course": done.course, "assignments": assignments, "token": token})


@router.post("/lti/deep-link", dependencies=[Csrf])
async def lti_deep_link(request: Request, services: ServicesDep, user: WebUser,
                        token: Annotated[str, Form(max_length=20000)] = "",
                        assignment: Annotated[list[str] | None, Form()] = None) -> Response:
    slugs = [s for s in (assignment or []) if s][:100]
    with domain_errors():
        answer = await run_in_threadpool(lambda: deep_linking.respond(
            db=services.db, key=tool_key(services.settings),
            secret=config.secret_key(services.settings), token=token, user_id=user.id,
            slugs=slugs, launch_url=_base(request) + "/lti/launch"))
    response = render(request, "lti_return.html", {"answer": answer})
    # The answer form posts to the LMS: allow that origin (and ours: sign-out).
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(answer.return_url))
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        f"form-action 'self' {origin}")
    return response


def _jwks(services: Services) -> Response:
    return JSONResponse(tool_key(services.settings).jwks(),
                        headers={"Cache-Control": "public, max-age=300"})


@router.get("/lti/jwks")
def lti_jwks(services: ServicesDep) -> Response:
    return _jwks(services)


@router.get("/.well-known/jwks.json")
def well_known_jwks(services: ServicesDep) -> Response:
    return _jwks(services)


def _course_page(request: Request, services: Services, user: Any, course: str, *,
                 sync: nrps.RosterSync | None = None, error: str | None = None,
                 status: int = 200) -> Response:
    with domain_errors(), services.db.reading() as session:
        access = staff_access(session, course, user)
    problems = lti_passback.course_passbacks(db=services.db, user=user, course=course)
    return render(request, "lti_course.html", {
        "course": access.course, "problems": problems, "sync": sync, "error": error,
        "instructor": access.role is CourseRole.INSTRUCTOR}, status=status)


@router.get("/courses/{course}/lti")
def course_lti(request: Request, course: str, services: ServicesDep, user: WebUser
               ) -> Response:
    return _course_page(request, services, user, course)


@router.post("/courses/{course}/lti/sync", dependencies=[Csrf])
async def course_lti_sync(request: Request, course: str, services: ServicesDep,
                          user: WebUser) -> Response:
    try:
        result = await run_in_threadpool(lambda: nrps.sync_roster(
            db=services.db, key=tool_key(services.settings), user=user, course=course))
    except ServiceError as exc:
        return _course_page(request, services, user, course, error=exc.message,
                            status=status_of(exc))
    return _course_page(request, services, user, course, sync=result)


def _admin_page(request: Request, services: Services, *, error: str | None = None,
                status: int = 200) -> Response:
    return render(request, "lti_admin.html", {
        "platforms": lti_platforms.list_platforms(db=services.db), "error": error,
        "urls": lti_platforms.ToolUrls.at(_base(request)),
        "notice": request.query_params.get("done")}, status=status)


@router.get("/admin/lti")
def admin_lti(request: Request, services: ServicesDep, user: AdminUser) -> Response:
    return _admin_page(request, services)


@router.post("/admin/lti", dependencies=[Csrf])
def admin_lti_register(
    request: Request, services: ServicesDep, user: AdminUser,
    issuer: Annotated[str, Form(max_length=2000)] = "",
    client_id: Annotated[str, Form(max_length=255)] = "",
    auth_login_url: Annotated[str, Form(max_length=2000)] = "",
    auth_token_url: Annotated[str, Form(max_length=2000)] = "",
    key_set_url: Annotated[str, Form(max_length=2000)] = "",
    deployment_ids: Annotated[str, Form(max_length=4000)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        made = lti_platforms.register_platform(
            db=services.db, issuer=issuer, client_id=client_id, auth_login_url=auth_login_url,
            auth_token_url=auth_token_url, key_set_url=key_set_url,
            deployment_ids=deployment_ids.replace(",", " ").split(), name=name or None)
    except ServiceError as exc:
        return _admin_page(request, services, error=exc.message, status=status_of(exc))
    return redirect(request, f"/admin/lti?done=registered+{made.name}")
