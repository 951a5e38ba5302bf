def test_1_small(student):
    assert student.small() == 1


def test_2_huge(student):
    assert student.huge() == []


def test_3_small_after(student):
    assert student.small() == 1
