import pytest


@pytest.mark.points(2)
def test_rows(sql):
    for dataset in sql.datasets:
        for kind in (3, 12):
            sql.assert_same_rows(sql.student(dataset=dataset, params=[kind]),
                                 sql.reference(dataset=dataset, params=[kind]))


def test_columns_are_checked_only_when_asked(sql):
    got, want = sql.student(params=[3]), sql.reference(params=[3])
    assert got.columns == ("id", "cost") and want.columns == ("id", "price")
    sql.assert_same_rows(got, want)


@pytest.mark.points(3)
def test_buffers(sql):
    mine, target = sql.explain_student(params=[3]), sql.explain_reference(params=[3])
    sql.assert_buffers_within(mine, target, 2)
    sql.assert_no_seq_scan(mine, "items")
    assert mine.indexes_used() == {"my_kind_idx"}, mine.nodes


def test_student_indexes_are_listed(sql):
    assert sql.student_indexes() == [
        "CREATE INDEX my_kind_idx ON main.items USING btree (kind, id)"]


def test_student_role_cannot_reach_the_reference_or_settings(sql):
    for text in ("SELECT count(*) FROM reference_main.items",
                 "SELECT set_config('enable_seqscan', 'off', false)",
                 "SELECT pg_read_file('PG_VERSION')"):
        try:
            sql.query(text)
        except Exception as exc:  # SqlError: permission denied
            assert "permission denied" in str(exc), str(exc)
        else:
            raise AssertionError(f"{text} ran")


def test_index_role_cannot_touch_the_reference_tables(sql):
    # Past the allow-list (which refuses schema-qualified names), the database
    # itself refuses: the reference's tables have another owner.
    owner = sql.session._conns["owner"]
    try:
        owner.execute("CREATE INDEX evil ON reference_main.items (price)")
    except Exception as exc:
        assert "permission denied for schema reference_main" in str(exc), str(exc)
    else:
        raise AssertionError("the student's index role created an index on the reference")
    finally:
        owner.rollback()
