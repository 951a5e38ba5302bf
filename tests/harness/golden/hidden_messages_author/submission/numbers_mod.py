def double(x):
    return x * 3


def halve(x):
    if x == 0:
        return 1 / x  # ZeroDivisionError, on purpose
    return x / 2
