def test_syntax_error_is_the_students(sql):
    sql.student(params=[3])


def test_two_statements_refused(sql):
    sql.student("two.sql")


def test_missing_file(sql):
    sql.student("nothere.sql")


def test_writes_refused(sql):
    sql.student("delete.sql")


def test_statement_timeout(sql):
    sql.student("slow.sql")
