def test_create_public(client):
    assert client.post("/notes", json={"text": "x"}).status_code == 201
