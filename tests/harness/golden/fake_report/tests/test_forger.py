def test_answer(student):
    assert student.answer() == 42


def test_answer_type(student):
    assert isinstance(student.answer(), int)
