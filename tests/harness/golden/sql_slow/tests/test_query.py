import pytest


@pytest.mark.points(2)
def test_rows(sql):
    sql.assert_same_rows(sql.student(params=[3]), sql.reference(params=[3]))


@pytest.mark.points(3)
@pytest.mark.hint("Use the index.")
def test_buffers_within_2x(sql):
    sql.assert_buffers_within(sql.explain_student(params=[3]), sql.explain_reference(params=[3]), 2)


def test_no_seq_scan(sql):
    sql.assert_no_seq_scan(sql.explain_student(dataset="alt", params=[3]), "items")
