def test_1_first(client):
    assert client.get("/").status_code == 200


def test_2_second(client):
    assert client.get("/").status_code == 200
