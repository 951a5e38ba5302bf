def test_1_count_before(student):
    assert student.count() == 1


def test_2_forever(student):
    """A call that never returns"""
    student.forever()


def test_3_count_after_restart(student):
    """The proxy was restarted: module state starts again"""
    assert student.count() == 1
