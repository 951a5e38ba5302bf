def test_health(client):
    assert client.get("/health").status_code == 200


def test_other(client):
    assert client.get("/other").status_code == 200
