import pytest

from grader_harness import StudentError


def test_rejects_words(student):
    """parse_int() raises ValueError for words"""
    with pytest.raises(StudentError) as caught:
        student.parse_int("seven")
    assert caught.value.type == "ValueError"
    assert "seven" in caught.value.message


def test_first_of_empty(student):
    """first([]) returns None"""
    assert student.first([]) is None


def test_missing_function(student):
    assert student.last([1, 2]) == 2
