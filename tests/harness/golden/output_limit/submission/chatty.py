def quiet():
    return 1


def chatter():
    for i in range(100_000):
        print(f"line {i} " + "x" * 50)
    return 2
