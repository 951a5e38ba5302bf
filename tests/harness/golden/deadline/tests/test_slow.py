import pytest


def test_1_fast(student):
    assert student.fast() == "done"


@pytest.mark.points(2)
@pytest.mark.hint("shown: the test failed when the time ran out")
def test_2_sleepy(student):
    """A call longer than the whole run"""
    student.sleepy()


def test_3_never_reached(student):
    assert student.fast() == "done"


@pytest.mark.points(4)
def test_4_never_reached(student):
    assert student.fast() == "done"
