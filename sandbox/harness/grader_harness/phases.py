"""Which of the student's output the student may see: the output policy.

The student's own code receives the hidden tests' inputs (requests,
arguments) and could print them, so output printed during hidden tests must
not reach the student under the default policy. The rule here is one switch
that never goes back, rather than a window per test:

- `public` (default): output is shown until student code may have seen a
  hidden test's input, and withheld from then on. That moment is the start
  of the first hidden test while a student process exists; the plugin runs
  public tests first, so their output is shown. A process started (or
  restarted) later is withheld too: it may read what an earlier one wrote
  to /tmp. Only a first start inside a hidden test's set-up, before any
  input, is shown (the app or module starting). A warm sandbox's interpreter
  started ahead (prestart.py) runs the student's start-up from its release
  with the files until the runner's fixture takes it: that output is start-up
  output too, as the same output of a cold start would be (`released`).
- `full`: everything is shown; `none`: nothing is.

Sticky, because a per-test window leaks: a student's background thread, a
child process or a buffered stream can print a hidden input after its test
ended, in a later public test. The switch itself is race-free: it happens in
the main thread before the hidden test sends anything, after a drain that
credits what the public phase printed to the public side. What that costs:
output of a public test that arrives after the switch (a background thread,
an unflushed buffer) is withheld, as the author wants it: ambiguous output is
hidden. The author's copy (`author_output`) always has everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from grader_harness.output import OutputMeter

WITHHELD_MARK = "[... output printed during hidden tests is not shown ...]\n"


class OutputPhases:
    def __init__(self, meter: OutputMeter, policy: str = "public") -> None:
        self.meter = meter
        self.policy = policy
        self.started = False  # a student process has been started this run
        self.exposed = False  # student code may have seen a hidden test's input
        self._hidden_test = False
        self._starting = 0
        self._released = False  # an interpreter released ahead, not yet taken
        self._apply()

    @property
    def showing(self) -> bool:
        """Whether what the student prints now reaches the student."""
        return self.meter.visible

    def may_quote_student(self) -> bool:
        """Whether a message may quote what student code says now (an
        exception's text): not once it may have seen a hidden input, unless
        the author chose `full`."""
        return self.policy == "full" or not self.exposed

    def _shown(self) -> bool:
        if self.policy == "full":
            return True
        if self.policy != "public":  # "none", or anything unknown: hide
            return False
        return not self.exposed and (self._starting > 0 or self._released
                                     or not self._hidden_test)

    def _apply(self) -> None:
        shown = self._shown()
        if self.meter.visible and not shown:
            self.meter.drain()  # what the ending phase printed is credited to it
        self.meter.visible = shown

    def test(self, public: bool) -> None:
        """A test's set-up begins (the plugin), before any of its fixtures."""
        self._hidden_test = not public
        if not public and self.started:
            self.exposed = True
        self._apply()

    def released(self) -> None:
        """The interpreter started ahead got its command (prestart.release):
        it imports the student's code now, before a fixture takes it."""
        self._released = True
        self._apply()

    def process_started(self) -> None:
        """A student process is about to start (student.py), or the runner
        takes the released one, inside startup() (its start-up ends there)."""
        self.started = True
        if self._hidden_test and not self._starting:
            self.exposed = True  # not a start the runner announced: be safe
        self._released = False  # taken, or another process came first: as before
        self._apply()

    @contextmanager
    def startup(self) -> Iterator[None]:
        """Around a runner starting the student's app or module, until it is ready."""
        self._starting += 1
        self._apply()
        try:
            yield
        finally:
            self._starting -= 1
            if self._hidden_test:
                self.exposed = True  # ready: the test sends its inputs next
            self._apply()

    def student_text(self) -> str:
        """The report's `output`: what was shown, and a note if some was not."""
        if self.policy not in ("public", "full"):
            return ""
        text = self.meter.shown.text()
        if self.meter.withheld:
            text += WITHHELD_MARK
        return text
