import os
import signal


def small():
    return 1


def huge():
    # What the kernel's OOM killer does to a process over the memory limit.
    os.kill(os.getpid(), signal.SIGKILL)
