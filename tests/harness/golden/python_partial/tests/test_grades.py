import pytest


@pytest.mark.points(3)
@pytest.mark.hint("Look at the boundaries: 90 is an A.")
def test_letter_a_and_b(student):
    """Scores of 80 and above"""
    assert student.letter(95) == "A"
    assert student.letter(90) == "A"
    assert student.letter(85) == "B"


@pytest.mark.points(2)
@pytest.mark.hint("Below 70 is a D, below 60 an F.")
def test_letter_low(student):
    """Low scores"""
    assert student.letter(65) == "D", "a score of 65 should be a D"


@pytest.mark.points(0.5)
@pytest.mark.hint("clamp() has two bounds.")
def test_clamp_high(student):
    """clamp() respects the upper bound"""
    result = student.clamp(15, 0, 10)
    assert result == 10, f"clamp(15, 0, 10) returned {result}, expected 10"


@pytest.mark.hint("never shown: this test passes")
def test_clamp_low(student):
    assert student.clamp(-5, 0, 10) == 0
