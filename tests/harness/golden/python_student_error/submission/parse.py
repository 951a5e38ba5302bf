def parse_int(text):
    return int(text)


def first(items):
    return items[0]
