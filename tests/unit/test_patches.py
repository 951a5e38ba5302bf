"""grader.exercises.patches: the strict unified-diff applier of patch mutants.

Pure, no Docker: make_patch() and apply_patch() round-trip every kind of
change, and hostile or stale patches are refused with the file and the hunk.
"""

from __future__ import annotations

import pytest

from grader.exercises.patches import PatchError, apply_patch, make_patch, split_header

SOLUTION = {
    "app/main.py": "".join(f"line {i}\n" for i in range(1, 31)),
    "query.sql": "-- a comment\nSELECT 1\n",
    "notes.txt": "no newline at the end",
}

SIMPLE = """\
description = "x"
must_fail = ["test_x"]

--- a/app/main.py
+++ b/app/main.py
@@ -4,3 +4,3 @@
 line 4
-line 5
+line five
 line 6
"""


@pytest.mark.parametrize(
    "new",
    [
        {**SOLUTION, "app/main.py": SOLUTION["app/main.py"].replace("line 5\n", "line five\n")},
        {**SOLUTION, "app/main.py": SOLUTION["app/main.py"].replace("line 2\n", "").replace(
            "line 29\n", "line 29\nextra\n")},
        {**SOLUTION, "query.sql": "SELECT 2\n"},  # removes "-- a comment": a "--- " hunk line
        {**SOLUTION, "notes.txt": "changed, still no newline"},
        {**SOLUTION, "notes.txt": "now with a newline\n"},
        {**SOLUTION, "app/extra.py": "x = 1\n"},  # created
        {k: v for k, v in SOLUTION.items() if k != "notes.txt"},  # deleted
        {**SOLUTION, "app/main.py": "\n\n" + SOLUTION["app/main.py"] + "\n"},
    ],
    ids=["one-line", "two-hunks", "sql-comment", "no-newline", "adds-newline", "create",
         "delete", "blank-lines"],
)
def test_make_patch_round_trips(new: dict[str, str]) -> None:
    patch = make_patch(SOLUTION, new)
    assert apply_patch(SOLUTION, patch) == new
    assert apply_patch(SOLUTION, 'description = "a mistake"\n\n' + patch) == new


def test_a_hand_written_patch_applies_and_keeps_the_input() -> None:
    before = dict(SOLUTION)
    result = apply_patch(SOLUTION, SIMPLE)
    assert "line five\n" in result["app/main.py"] and "line 5\n" not in result["app/main.py"]
    assert before == SOLUTION  # applied in memory, to a copy


def test_the_header_is_everything_before_the_diff() -> None:
    header, lines = split_header(SIMPLE)
    assert header == 'description = "x"\nmust_fail = ["test_x"]\n'
    assert lines[0] == "--- a/app/main.py"


def test_an_editor_that_strips_trailing_spaces_keeps_blank_context() -> None:
    old = {"a.py": "x\n\ny\n"}
    patch = "--- a/a.py\n+++ b/a.py\n@@ -1,3 +1,3 @@\n x\n\n-y\n+z\n"
    assert apply_patch(old, patch) == {"a.py": "x\n\nz\n"}


def refused(patch: str, files: dict[str, str] | None = None) -> str:
    with pytest.raises(PatchError) as raised:
        apply_patch(SOLUTION if files is None else files, patch)
    return str(raised.value)


def diff_of(old: str, new: str, body: str = "@@ -1 +1 @@\n-x\n+y\n") -> str:
    return f"--- {old}\n+++ {new}\n{body}"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("a/../etc/passwd", "b/../etc/passwd"),
        ("a/app/../../secret.py", "b/app/../../secret.py"),
        ("/etc/passwd", "/etc/passwd"),
        ("a//etc/passwd", "b//etc/passwd"),
        ("a/app\\main.py", "b/app\\main.py"),
        ("a/./app/main.py", "b/./app/main.py"),
        ("app/main.py", "app/main.py"),  # no a/ b/ prefix
        ("a/app/main.py", "b/app/other.py"),  # a rename
        ("/dev/null", "/dev/null"),
    ],
)
def test_paths_outside_the_solution_are_refused(old: str, new: str) -> None:
    message = refused(diff_of(old, new))
    assert "path" in message or "same file" in message


def test_a_file_the_solution_does_not_have_is_refused() -> None:
    assert refused(diff_of("a/secrets.py", "b/secrets.py")) == (
        "file 'secrets.py': no such file in solution/"
    )
    created = diff_of("/dev/null", "b/query.sql", "@@ -0,0 +1 @@\n+x\n")
    assert "solution/ has it" in refused(created)


def test_a_context_mismatch_names_the_file_and_the_hunk() -> None:
    stale = SIMPLE.replace("-line 5\n", "-line 5 as it was\n")
    message = refused(stale)
    assert message.startswith("file 'app/main.py', hunk 1: @@ -4,3 +4,3 @@")
    assert "'line 5\\n'" in message and "'line 5 as it was\\n'" in message


def test_no_fuzz_and_no_offset() -> None:
    # The same hunk one line off: GNU patch would find it; we refuse.
    message = refused(SIMPLE.replace("@@ -4,3 +4,3 @@", "@@ -5,3 +5,3 @@"))
    assert "hunk 1" in message and "line 5 is 'line 5\\n'" in message
    second = SIMPLE + "@@ -20,1 +20,1 @@\n-line 21\n+x\n"
    assert refused(second).startswith("file 'app/main.py', hunk 2:")


@pytest.mark.parametrize(
    "patch",
    [
        SIMPLE.replace("@@ -4,3 +4,3 @@", "@@ -4,4 +4,3 @@"),  # counts say more lines
        SIMPLE.replace("@@ -4,3 +4,3 @@", "@@ -4,2 +4,3 @@"),  # counts say fewer
        SIMPLE.replace("@@ -4,3 +4,3 @@", "@@ -4,3 +9,3 @@"),  # new start inconsistent
        SIMPLE.replace("@@ -4,3 +4,3 @@", "@@ four @@"),
        SIMPLE + "@@ -1,1 +1,1 @@\n-line 1\n+x\n",  # hunks out of order
        SIMPLE + "@@ -29,3 +29,3 @@\n line 29\n line 30\n line 31\n",  # past the end
        SIMPLE + "trailing garbage\n",  # "line 11: unexpected ..."
        SIMPLE + "Binary files a/x and b/x differ\n",
        SIMPLE + SIMPLE.split("\n\n", 1)[1],  # the same file twice
        'description = "nothing"\nmust_fail = ["x"]\n',  # no diff at all
        "--- a/app/main.py\n+++ b/app/main.py\n",  # a file but no hunk
        "--- a/app/main.py\nline\n",
    ],
)
def test_malformed_or_stale_patches_are_refused(patch: str) -> None:
    assert refused(patch)


def test_a_deletion_must_remove_every_line() -> None:
    partial = "--- a/query.sql\n+++ /dev/null\n@@ -1,1 +0,0 @@\n--- a comment\n"
    assert refused(partial) == "file 'query.sql': deleted, but lines are left"


def test_parse_errors_give_the_line_of_the_patch_file() -> None:
    assert refused(SIMPLE + "trailing garbage\n") == "line 11: unexpected 'trailing garbage'"


def test_crlf_line_endings_are_named() -> None:
    assert "CRLF" in refused(SIMPLE.replace("\n", "\r\n"))
    crlf = {"a.py": "x\r\ny\r\n"}  # files with CRLF are fine: only "\n" ends a line
    new = {"a.py": "x\r\nz\r\n"}
    assert apply_patch(crlf, make_patch(crlf, new)) == new
