def test_query():
    assert True
