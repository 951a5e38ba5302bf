def test_x(sql):
    pass
