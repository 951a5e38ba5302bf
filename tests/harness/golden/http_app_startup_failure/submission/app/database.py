def connect():
    raise ConnectionError("cannot reach db:5432")
