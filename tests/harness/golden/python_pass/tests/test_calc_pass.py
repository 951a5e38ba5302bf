import pytest


@pytest.mark.points(2)
def test_add(student):
    """add() adds two numbers"""
    assert student.add(2, 3) == 5


@pytest.mark.parametrize("values, expected", [([1, 2, 3], 2), ([4], 4)])
def test_mean(student, values, expected):
    """mean() of a list"""
    assert student.mean(values) == expected


def test_kwargs(student):
    assert student.add(a="x", b="y") == "xy"
