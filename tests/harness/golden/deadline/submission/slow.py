import time


def fast():
    return "done"


def sleepy():
    time.sleep(60)
