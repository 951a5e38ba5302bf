"""Benchmark: a deadline burst, many students submitting within seconds (issue 13).

Starts its own stack on 127.0.0.1 (SQLite in a temporary folder, a
redis-server on a free port, the API under uvicorn, one Celery worker with
`--worker-concurrency` processes), creates `--students` student users with
API tokens (through the services, in this process), then POSTs `--count`
submissions of the exercise's reference solution, spread evenly over the
students, from `--concurrency` requests in flight at once (by default on as
many keep-alive sockets, every request's bytes encoded before the clock
starts, so the client's own CPU, printed, stays small next to the server's;
`--client httpx` is the first round's httpx client). It prints:

- the time to accept all (first POST sent to last 202 received), per-request
  latency p50/p95/p99/max and every answer that was not 202; the CPU the API
  processes used per POST over the burst (/proc user + system time) and this
  client's own CPU per POST (it shares the machine);
- then `--probes` POSTs one at a time (a separate student, `--probe-gap`
  apart) while the backlog is graded: latency without queueing in front of
  the API, where outliers over 100 ms are visible (these are graded too);
- progress until every submission is final; none lost; the order of grading
  against the order of arrival (inversions of started_at against received_at
  and against enqueued_at, the largest displacement, Spearman's rho);
- the worker's RSS (Celery main process and its pool children, VmRSS) before
  the burst, after half the gradings and after all, and the time to grade all;
- the load average before and after (the machine may be shared).

The rate limit and the queue depth cap are raised for the burst (the values
used are printed). Everything it starts is stopped by pid and its temporary
folder removed on exit, Ctrl-C and SIGTERM included.

`--accept-only` stops after the burst and the probes (no waiting for the
gradings: the acceptance figures in a minute); `--api-workers N` runs the API
as N processes (GRADER_API_WORKERS); `--api-http h11 --api-loop asyncio`
compare against uvicorn without httptools and uvloop.

Run on demand (not part of the test suite):
    .venv/bin/python bench/deadline_burst.py [--quick] [--count 1000] [--students 100]
        [--exercise safe-fetch] [--concurrency 100] [--probes 50] [--accept-only]
        [--api-workers N] [--client raw|httpx] [--api-http h11] [--api-loop asyncio]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the repo root: tests.helpers (python -m bench.<name> needs none)

from grader.db import Database, Role, Submission  # noqa: E402
from grader.exercises.submission import read_submission  # noqa: E402
from grader.sandbox_grading import ensure_image  # noqa: E402
from grader.services import accounts  # noqa: E402
from grader.services.catalog import find_pack  # noqa: E402
from grader.settings import Settings  # noqa: E402
from sandbox import engine  # noqa: E402
from tests.helpers.live_service import running_service  # noqa: E402
from tests.helpers.service_processes import RedisServer  # noqa: E402

FINAL = ("graded", "not_gradable")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


# --- the worker's memory -------------------------------------------------------

def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after ')'
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            kids.append(int(entry))
    return kids


def _vmrss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes and their children (the
    uvicorn workers of a multi-process API), from /proc: what a POST costs."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in {*pids, *(kid for parent in pids for kid in _children(parent))}:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def worker_rss(pid: int) -> str:
    """The Celery main process and its pool children, MiB each and in all."""
    parts = [(pid, _vmrss_kib(pid))] + [(kid, _vmrss_kib(kid)) for kid in _children(pid)]
    total = sum(kib for _, kib in parts)
    each = ", ".join(f"{p}: {kib / 1024:.1f}" for p, kib in parts)
    return f"{total / 1024:.1f} MiB in all (pid: MiB, main first: {each})"


# --- the burst -----------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    sent: float  # seconds after the first request
    took: float  # seconds
    status: int  # 0: no answer
    sub_id: str | None
    detail: str
    wall: float = 0.0  # time.time() when sent: against the server's received_at


async def _post(client: httpx.AsyncClient, token: str, body: dict[str, Any],
                origin: float) -> Answer:
    start, wall = time.perf_counter(), time.time()
    try:
        resp = await client.post("/api/v1/submissions", json=body,
                                 headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        return Answer(start - origin, time.perf_counter() - start, 0, None,
                      f"{type(exc).__name__}: {exc!r}")
    took = time.perf_counter() - start
    if resp.status_code == 202:
        return Answer(start - origin, took, 202, resp.json()["id"], "", wall)
    return Answer(start - origin, took, resp.status_code, None, resp.text[:200])


async def burst(url: str, tokens: list[str], body: dict[str, Any], count: int,
                concurrency: int) -> tuple[list[Answer], float, float]:
    """httpx (`--client httpx`): `count` POSTs, round robin over the students,
    `concurrency` in flight. Returns the answers (in sending order), the start
    and the last 202's end. About 5-6 ms of client CPU per POST: on a shared
    2-core machine it competes with the server it measures."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        sem = asyncio.Semaphore(concurrency)
        origin = time.perf_counter()

        async def one(i: int) -> Answer:
            async with sem:
                return await _post(client, tokens[i % len(tokens)], body, origin)

        answers = await asyncio.gather(*(one(i) for i in range(count)))
    ends = [a.sent + a.took for a in answers if a.status == 202]
    return list(answers), origin, max(ends, default=0.0)


PATH = "/api/v1/submissions"


def encoded_requests(host: str, port: int, tokens: list[str], body: dict[str, Any],
                     count: int) -> list[bytes]:
    """Every POST's bytes, built once before the clock starts: the burst then
    costs the client a write and a read per request, not an HTTP library's
    request building, header parsing and JSON encoding."""
    payload = json.dumps(body, separators=(",", ":")).encode()
    heads = [(f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\n"
              f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
              f"Content-Length: {len(payload)}\r\n\r\n").encode() for token in tokens]
    by_student = [head + payload for head in heads]
    return [by_student[i % len(tokens)] for i in range(count)]


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response: the status line's code and the body (uvicorn
    answers with Content-Length; no chunked bodies on this path)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    return status, await reader.readexactly(length) if length else b""


async def raw_burst(url: str, tokens: list[str], body: dict[str, Any], count: int,
                    concurrency: int) -> tuple[list[Answer], float, float]:
    """`count` pre-encoded POSTs over `concurrency` keep-alive sockets (one
    request in flight on each, as many students' browsers would have), taken
    in sending order from one shared counter. Same return as `burst`."""
    parsed = urlsplit(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    requests = encoded_requests(host, port, tokens, body, count)
    answers: list[Answer | None] = [None] * count
    # Connect first (a real burst's browsers are already connected): the
    # clock measures requests, not 100 TCP handshakes at once.
    conns = [await asyncio.open_connection(host, port) for _ in range(min(concurrency, count))]
    next_index = 0
    origin = time.perf_counter()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal next_index
        while next_index < count:
            i = next_index
            next_index += 1  # one thread, no await in between: no lock needed
            start, wall = time.perf_counter(), time.time()
            try:
                writer.write(requests[i])
                status, data = await _read_answer(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                answers[i] = Answer(start - origin, time.perf_counter() - start, 0, None,
                                    f"{type(exc).__name__}: {exc!r}")
                writer.close()  # reconnect: the server may have closed it
                reader, writer = await asyncio.open_connection(host, port)
                continue
            took = time.perf_counter() - start
            if status == 202:
                answers[i] = Answer(start - origin, took, 202, json.loads(data)["id"], "", wall)
            else:
                answers[i] = Answer(start - origin, took, status, None,
                                    data[:200].decode(errors="replace"))
        writer.close()

    await asyncio.gather(*(connection(r, w) for r, w in conns))
    done = [a for a in answers if a is not None]
    ends = [a.sent + a.took for a in done if a.status == 202]
    return done, origin, max(ends, default=0.0)


def probe(url: str, token: str, body: dict[str, Any], n: int, gap: float) -> list[Answer]:
    """One POST at a time, `gap` seconds apart: no queue in front of the API."""
    out: list[Answer] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        origin = time.perf_counter()
        for _ in range(n):
            time.sleep(gap)
            start = time.perf_counter()
            try:
                resp = client.post("/api/v1/submissions", json=body,
                                   headers={"Authorization": f"Bearer {token}"})
            except httpx.HTTPError as exc:
                out.append(Answer(start - origin, time.perf_counter() - start, 0, None,
                                  f"{type(exc).__name__}: {exc!r}"))
                continue
            took = time.perf_counter() - start
            sub_id = resp.json().get("id") if resp.status_code == 202 else None
            out.append(Answer(start - origin, took, resp.status_code, sub_id,
                              "" if sub_id else resp.text[:200]))
    return out


def latency_lines(label: str, answers: list[Answer]) -> list[str]:
    ms = [a.took * 1000 for a in answers]
    if not ms:
        return [f"{label}: no requests"]
    over = [a for a in answers if a.took > 0.1]
    lines = [f"{label}: {len(ms)} requests, p50 {pct(ms, .5):.1f} ms, p95 {pct(ms, .95):.1f} ms,"
             f" p99 {pct(ms, .99):.1f} ms, max {max(ms):.1f} ms, mean "
             f"{statistics.mean(ms):.1f} ms, over 100 ms: {len(over)}"]
    codes = Counter(a.status for a in answers if a.status != 202)
    lines.append("  answers not 202: " + (", ".join(
        f"{code or 'no answer'} x{n}" for code, n in sorted(codes.items())) or "none"))
    for a in [a for a in answers if a.status != 202][:5]:
        lines.append(f"    e.g. {a.status or 'no answer'} (sent {a.sent:.2f} s in, after "
                     f"{a.took * 1000:.0f} ms): {a.detail}")
    return lines


# --- grading order -------------------------------------------------------------

def inversions(seq: list[float]) -> int:
    """Pairs i < j with seq[i] > seq[j] (merge sort, n log n)."""
    def sort(xs: list[float]) -> tuple[list[float], int]:
        if len(xs) <= 1:
            return xs, 0
        mid = len(xs) // 2
        left, a = sort(xs[:mid])
        right, b = sort(xs[mid:])
        merged: list[float] = []
        count, i, j = a + b, 0, 0
        while i < len(left) and j < len(right):
            if left[i] <= right[j]:
                merged.append(left[i])
                i += 1
            else:
                merged.append(right[j])
                count += len(left) - i
                j += 1
        merged += left[i:] + right[j:]
        return merged, count
    return sort(seq)[1]


def ranks(values: list[float]) -> list[int]:
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0] * len(values)
    for rank, index in enumerate(order):
        out[index] = rank
    return out


def order_lines(rows: list[Any]) -> list[str]:
    """rows: (received_at, enqueued_at, started_at) of final submissions."""
    rows = [r for r in rows if r[2] is not None]
    n = len(rows)
    if n < 2:
        return ["order of grading: too few graded"]
    lines = []
    for name, key in (("received_at", 0), ("enqueued_at", 1)):
        def arrival(row: Any, k: int = key) -> float:
            return float((row[k] or row[0]).timestamp())

        ordered = sorted(rows, key=arrival)
        started = [r[2].timestamp() for r in ordered]
        inv = inversions(started)
        arrive = list(range(n))
        start_rank = ranks(started)
        shift = [abs(a - s) for a, s in zip(arrive, start_rank, strict=True)]
        d2 = sum(d * d for d in shift)
        rho = 1 - 6 * d2 / (n * (n * n - 1))
        lines.append(
            f"order of grading (started_at) vs {name}: {inv} inversions of "
            f"{n * (n - 1) // 2} pairs ({inv / (n * (n - 1) / 2):.4%}), submissions out of "
            f"place {sum(s > 0 for s in shift)}, largest displacement {max(shift)} places, "
            f"Spearman rho {rho:.6f}")
    return lines


# --- the run ---------------------------------------------------------------------

def final_counts(db: Database) -> Counter[str]:
    from sqlalchemy import func

    with db.reading() as session:
        rows = session.execute(
            select(Submission.status, func.count()).group_by(Submission.status)).all()
    return Counter({status: int(n) for status, n in rows})


API_PIDS: list[int] = []  # the API process running_service started: ours, by pid


def hold_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def stop_leftovers() -> None:
    """The API if it outlived the clean-up (running_service stops the worker
    first; an exception there skips the API): SIGTERM, then SIGKILL, by pid."""
    for pid in API_PIDS:
        if _ppid(pid) != os.getpid() or "grader.cli.main api" not in _cmdline(pid):
            continue  # gone, or no longer our child
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            time.sleep(0.1)
            if _ppid(pid) != os.getpid():
                break
            try:  # our child: reap it
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    break
            except ChildProcessError:
                break
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        print(f"stopped the API (pid {pid}) left running")


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--exercise", default="safe-fetch",
                        help="slug; the default (python runner) grades in about a second")
    parser.add_argument("--count", type=int, default=1000, help="submissions in the burst")
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=100,
                        help="POSTs in flight at once (connections)")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw",
                        help="raw: pre-encoded requests on keep-alive sockets, cheap enough "
                             "to measure the server; httpx: the first round's client")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--probes", type=int, default=50,
                        help="sequential POSTs while the backlog is graded (graded too)")
    parser.add_argument("--probe-gap", type=float, default=0.2)
    parser.add_argument("--quick", action="store_true",
                        help="count 100, 10 students, 10 probes: to test the script")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--accept-only", action="store_true",
                        help="stop after the burst and the probes (no waiting for grading)")
    parser.add_argument("--api-workers", type=int, default=None,
                        help="GRADER_API_WORKERS for the API (default: the service's)")
    parser.add_argument("--api-http", choices=("auto", "httptools", "h11"), default="auto",
                        help="GRADER_API_HTTP: uvicorn's HTTP parser (h11 to compare)")
    parser.add_argument("--api-loop", choices=("auto", "uvloop", "asyncio"), default="auto",
                        help="GRADER_API_LOOP: uvicorn's event loop (asyncio to compare)")
    args = parser.parse_args()
    if args.quick:
        args.count, args.students, args.probes = 100, 10, 10

    def stop(signum: int, _frame: FrameType | None) -> None:
        hold_signals()  # a second signal must not cut the clean-up short
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)  # the same clean-up as Ctrl-C
    signal.signal(signal.SIGINT, stop)  # also when started in the background (SIGINT ignored)
    tmp = Path(tempfile.mkdtemp(prefix="grader-burst-"))
    try:
        run(args, tmp)
    finally:
        hold_signals()
        stop_leftovers()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> None:
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(f"before: {uptime}")
    settings = Settings(exercises_dir=ROOT / "exercises", data_dir=tmp / "data",
                        database_url=f"sqlite:///{tmp / 'grader.db'}")
    pack = find_pack(args.exercise, settings.exercises_dir)
    files = read_submission(pack.solution, pack.manifest.submission)
    body = {"exercise": pack.slug, "files": files}
    ensure_image(pack, settings, client=engine.connect(settings.docker_url))
    total = args.count + args.probes
    # Raised for the burst: each student sends count/students at once (the
    # default limit is 30 a minute), and the whole burst is queued at once.
    rate_limit = max(1000, 2 * args.count)
    queue_depth = max(1000, 2 * total)
    print(f"exercise {pack.slug} ({pack.manifest.runner}), {args.count} submissions from "
          f"{args.students} students ({args.count / args.students:g} each), {args.concurrency} "
          f"in flight; then {args.probes} probes {args.probe_gap:g} s apart; worker "
          f"concurrency {args.worker_concurrency}, warm sandboxes {settings.warm_sandboxes}; "
          f"client {args.client}, API http {args.api_http} loop {args.api_loop} workers "
          f"{args.api_workers or 'default'}")
    print(f"settings raised for the burst: GRADER_RATE_LIMIT_SUBMISSIONS={rate_limit} "
          f"(default 30) per GRADER_RATE_LIMIT_WINDOW_SECONDS={settings.rate_limit_window_seconds}"
          f", GRADER_QUEUE_MAX_DEPTH={queue_depth} (default 1000); SQLite at {tmp}")

    redis = RedisServer(tmp)
    redis.start()
    settings = settings.model_copy(update={"redis_url": redis.url})
    try:
        with running_service(settings, tmp, name="burst", concurrency=args.worker_concurrency,
                             rate_limit_submissions=rate_limit,
                             queue_max_depth=queue_depth,
                             api_http=args.api_http, api_loop=args.api_loop,
                             **({"api_workers": args.api_workers}
                                if args.api_workers else {})) as (url, _env, worker):
            API_PIDS.extend(pid for pid in _children(os.getpid())
                            if "grader.cli.main api" in _cmdline(pid))
            assert worker.proc is not None
            try:
                measure(args, url, settings, body, worker.proc.pid, total)
            finally:
                hold_signals()  # running_service's clean-up runs whole
    finally:
        redis.stop()
        print(f"after: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


def measure(args: argparse.Namespace, url: str, settings: Settings, body: dict[str, Any],
            worker_pid: int, total: int) -> None:
    db = Database(settings.database_url or "")
    start = time.perf_counter()
    tokens = []
    for i in range(args.students):
        accounts.create_user(db=db, name=f"student{i:03d}", role=Role.STUDENT)
        tokens.append(accounts.create_token(db=db, name=f"student{i:03d}")[1])
    accounts.create_user(db=db, name="prober", role=Role.STUDENT)
    probe_token = accounts.create_token(db=db, name="prober")[1]
    print(f"{args.students + 1} students and tokens created in "
          f"{time.perf_counter() - start:.2f} s")
    # One request first: imports, connections and the catalogue warm (not counted).
    httpx.get(url + "/api/v1/exercises", timeout=30,
              headers={"Authorization": f"Bearer {probe_token}"}).raise_for_status()
    time.sleep(1)  # the worker's start-up work settles
    print(f"worker RSS before the burst: {worker_rss(worker_pid)}")
    print(load_line())

    cpu_before, client_before = cpu_seconds(API_PIDS), time.process_time()
    send = raw_burst if args.client == "raw" else burst
    answers, origin, last_202 = asyncio.run(
        send(url, tokens, body, args.count, args.concurrency))
    cpu_burst = cpu_seconds(API_PIDS) - cpu_before
    client_cpu = time.process_time() - client_before
    accepted = sum(a.status == 202 for a in answers)
    print(f"burst: {accepted}/{args.count} accepted (202) in {last_202:.2f} s, first POST "
          f"to last 202   target: all in < 5 s")
    print(f"API CPU during the burst: {cpu_burst:.2f} s, {1000 * cpu_burst / args.count:.2f} "
          f"ms per POST (user + system, all API processes; {load_line()}); this client "
          f"({args.client}, same machine): {client_cpu:.2f} s, "
          f"{1000 * client_cpu / args.count:.2f} ms per POST")
    for line in latency_lines("burst latency", answers):
        print(line)
    slow = sorted(answers, key=lambda a: -a.took)[:5]
    print("  slowest (sent at s: took ms): " + ", ".join(
        f"{a.sent:.2f}: {a.took * 1000:.0f}" for a in slow))

    probes = probe(url, probe_token, body, args.probes, args.probe_gap)
    for line in latency_lines("probe latency (one at a time, while grading)", probes):
        print(line)
    if probes:
        print("  each, ms: " + " ".join(f"{a.took * 1000:.0f}" for a in probes))

    expected = accepted + sum(a.status == 202 for a in probes)
    if args.accept_only:
        counts = final_counts(db)
        print(f"--accept-only: rows in the database {sum(counts.values())} of {expected} "
              f"accepted ({dict(counts)}); not waiting for grading")
        with db.reading() as session:
            stamps = {row.id: (row.received_at, row.enqueued_at) for row in session.execute(
                select(Submission.id, Submission.received_at, Submission.enqueued_at))}
        print(lag_line(answers, stamps))
        print(load_line())
        db.dispose()
        return
    half_rss = None
    last = -1
    while True:
        counts = final_counts(db)
        done = sum(counts[s] for s in FINAL)
        if half_rss is None and done >= expected // 2:
            half_rss = f"worker RSS after {done} gradings: {worker_rss(worker_pid)}"
            print(half_rss)
        if done != last:
            print(f"  {time.perf_counter() - origin:7.1f} s  final {done}/{expected}  "
                  f"queued {counts['queued']}  running {counts['running']}  "
                  f"not_gradable {counts['not_gradable']}", flush=True)
            last = done
        if done >= expected:
            break
        time.sleep(5 if expected > 200 else 1)
    graded_in = time.perf_counter() - origin
    print(f"worker RSS after {done} gradings: {worker_rss(worker_pid)}")
    report(db, answers, probes, expected, graded_in)
    print(load_line())
    db.dispose()


def lag_line(answers: list[Answer], stamps: dict[str, tuple[Any, Any]]) -> str:
    """Deadlines are judged on received_at: how far behind the client's send it
    is (the client's own queueing included: it shares the machine), and how
    long the server then took to write the row (enqueued_at is set then)."""
    ours = [(a, stamps[a.sub_id]) for a in answers if a.sub_id in stamps]
    if not ours:
        return "received_at: no submissions"
    lags = [1000 * (received.timestamp() - a.wall) for a, (received, _) in ours]
    inside = [1000 * (written - received).total_seconds()
              for _, (received, written) in ours if written is not None]

    def figures(ms: list[float]) -> str:
        return f"p50 {pct(ms, .5):.0f} ms, p95 {pct(ms, .95):.0f} ms, max {max(ms):.0f} ms"

    return (f"received_at behind the client's send (burst; judged against deadlines): "
            f"{figures(lags)}; then arrival to row written (enqueued_at): "
            f"{figures(inside) if inside else 'none'}")


def report(db: Database, burst_answers: list[Answer], probes: list[Answer], expected: int,
           graded_in: float) -> None:
    answers = burst_answers + probes

    with db.reading() as session:
        rows = session.execute(select(
            Submission.id, Submission.status, Submission.received_at, Submission.enqueued_at,
            Submission.started_at, Submission.finished_at, Submission.tries,
            Submission.grading_attempts)).all()
    ids = {a.sub_id for a in answers if a.sub_id}
    by_id = {r.id: r for r in rows}
    missing = [i for i in ids if i not in by_id]
    final = [r for r in rows if r.status in FINAL]
    statuses = Counter(r.status for r in rows)
    print(f"none lost: {len(final)} final of {expected} accepted ({dict(statuses)}), "
          f"accepted but missing from the database: {len(missing)}, rows not ours: "
          f"{len(set(by_id) - ids)}, graded more than once: "
          f"{sum(r.grading_attempts > 1 for r in rows)}")
    first_rx = min(r.received_at for r in rows)
    last_fin = max(r.finished_at for r in final if r.finished_at)
    print(f"graded all in {graded_in:.1f} s from the first POST (by the database: first "
          f"received to last finished {(last_fin - first_rx).total_seconds():.1f} s, "
          f"{len(final) / (last_fin - first_rx).total_seconds():.2f} gradings/s)")
    print(lag_line(burst_answers, {r.id: (r.received_at, r.enqueued_at) for r in rows}))
    for line in order_lines([(r.received_at, r.enqueued_at, r.started_at) for r in final]):
        print(line)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc or 'Ctrl-C'}); stopped what we started")
        sys.exit(130)
