import os

calls = 0


def forever():
    # A child process as well: the harness must end it too.
    if os.fork() == 0:
        while True:
            pass
    while True:
        pass


def count():
    global calls
    calls += 1
    return calls
