import pytest

from grader_harness import Feedback


@pytest.mark.hint("double() multiplies by two")
def test_assert_message(student):
    assert student.double(2) == 4, "double(2) must be 4"


def test_plain_assert(student):
    secret = 3
    assert student.double(secret) == secret * 2


def test_feedback(student):
    if student.double(10) != 20:
        raise Feedback("double(10) is not 20")


def test_error_in_test_code(student):
    answers = {"a": 1}
    assert answers["secret_key"] == student.double(1)


def test_student_error(student):
    assert student.halve(0) == 0


def test_setup_error(student, broken_fixture):
    assert student.double(1) == 2
