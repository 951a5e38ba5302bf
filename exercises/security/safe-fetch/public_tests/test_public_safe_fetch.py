"""Public tests: a sample of how the grader calls your functions."""

from __future__ import annotations

import grader_harness


def test_upload_paths(student):
    assert student.resolve_upload_path("/srv/uploads", "alice/avatar.png") == (
        "/srv/uploads/alice/avatar.png"
    )
    try:
        student.resolve_upload_path("/srv/uploads", "../etc/passwd")
    except grader_harness.StudentError as exc:
        assert exc.type == "Blocked"
    else:
        raise AssertionError("'../etc/passwd' must raise Blocked")


def test_urls(student):
    dns = {"example.com": ["93.184.215.14"], "localhost": ["127.0.0.1"]}
    assert student.check_url("https://example.com/a.png", dns) is True
    assert student.check_url("http://localhost/admin", dns) is False
    assert student.check_url("http://169.254.169.254/latest/meta-data/", dns) is False
