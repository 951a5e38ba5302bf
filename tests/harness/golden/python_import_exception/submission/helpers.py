def load():
    raise RuntimeError("settings.ini is missing")
