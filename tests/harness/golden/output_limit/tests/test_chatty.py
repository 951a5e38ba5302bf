def test_1_quiet(student):
    assert student.quiet() == 1


def test_2_chatter(student):
    assert student.chatter() == 2
