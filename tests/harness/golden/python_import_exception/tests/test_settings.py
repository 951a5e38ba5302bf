def test_value(student):
    assert student.value() == 1


def test_other(student):
    assert student.other() == 2
