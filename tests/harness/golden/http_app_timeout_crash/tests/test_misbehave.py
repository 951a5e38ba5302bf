def test_1_ok(client):
    assert client.get("/ok").json() == {"ok": True}


def test_2_slow(client):
    assert client.get("/slow").status_code == 200


def test_3_ok_after_restart(client):
    assert client.get("/ok").status_code == 200


def test_4_crash(client):
    assert client.get("/crash").status_code == 200


def test_5_ok_after_crash(client):
    assert client.get("/ok").status_code == 200
