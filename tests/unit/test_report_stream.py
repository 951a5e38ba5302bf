"""The report read off a sandbox's attachment (sandbox/report_stream.py), on a
real socket pair carrying Docker's multiplexed frames."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from sandbox.report_stream import ReportStream


def frame(data: bytes, stream: int = 1) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


@pytest.fixture
def pair() -> Iterator[tuple[ReportStream, socket.socket]]:
    ours, theirs = socket.socketpair()
    stream = ReportStream(ours, limit=64)
    yield stream, theirs
    stream.close()
    theirs.close()


def test_the_first_stdout_line_is_the_report_even_split_across_frames_and_reads(
    pair: tuple[ReportStream, socket.socket],
) -> None:
    stream, container = pair
    data = (frame(b'{"status": ') + frame(b"noise on stderr\n", stream=2)
            + frame(b'"passed"}\nafter'))
    for i in range(0, len(data), 5):  # a header split between reads too
        container.sendall(data[i : i + 5])
    assert stream.read_report(time.monotonic() + 5) == b'{"status": "passed"}\n'


@pytest.mark.parametrize("sent", [frame(b'{"no newline"}'), b"\x01\x00"])
def test_no_whole_line_before_the_end_is_no_report(
    pair: tuple[ReportStream, socket.socket], sent: bytes
) -> None:
    stream, container = pair
    container.sendall(sent)
    container.shutdown(socket.SHUT_WR)  # the container's end
    assert stream.read_report(time.monotonic() + 5) is None


def test_output_past_the_limit_without_a_line_is_given_up_at_once(
    pair: tuple[ReportStream, socket.socket],
) -> None:
    stream, container = pair
    container.sendall(frame(b"x" * 100))  # limit 64; the stream stays open
    began = time.monotonic()
    assert stream.read_report(began + 30) is None
    assert time.monotonic() - began < 20  # not the deadline: the limit ended it


def test_the_deadline_ends_the_wait(pair: tuple[ReportStream, socket.socket]) -> None:
    stream, container = pair
    container.sendall(frame(b"half a rep"))
    assert stream.read_report(time.monotonic() + 0.2) is None
