def test_rows(sql):
    sql.assert_same_rows(sql.student(params=[3]), sql.reference(params=[3]))


def test_other(sql):
    assert sql.student_indexes() == []
