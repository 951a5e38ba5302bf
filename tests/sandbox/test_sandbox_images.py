"""Image tags follow content: rebuilt when an exercise changes, and only then."""

from __future__ import annotations

import io
import tarfile
import uuid
from pathlib import Path

import docker
import pytest

from sandbox import container, image_build, images
from tests.helpers.sandbox_standins import BASE_IMAGE, write_pack


def ensure(client: docker.DockerClient, spec: images.ExerciseImageSpec) -> tuple[str, list[str]]:
    steps: list[str] = []

    def progress(step: str, detail: str | None = None) -> None:
        steps.append(step)

    tag = images.ensure_exercise_image(
        client, spec, base_image=BASE_IMAGE, offline_base=True, progress=progress
    )
    return tag, steps


@pytest.mark.docker
def test_exercise_tag_follows_content(
    client: docker.DockerClient, runtime_image: str, tmp_path: Path
) -> None:
    spec = write_pack(tmp_path, "first")
    built: set[str] = set()
    try:
        tag, steps = ensure(client, spec)
        built.add(tag)
        assert tag.startswith("grader-ex-sandbox-selftest:" + spec.content_hash)
        runtime = images.ensure_runtime_image(client, base_image=BASE_IMAGE, offline_base=True)
        assert tag == images.exercise_tag(spec, runtime)
        first_id = client.images.get(tag).id
        # Its tests compiled at build time (grader_harness/precompile.py), root-only.
        listed = client.containers.run(tag, ["sh", "-c", "cd /grader/tests/__pycache__ && "
                                             "stat -c '%a %u %n' . *"],
                                       network_disabled=True, remove=True).decode()  # fmt: skip
        modes = {}  # name -> "mode uid"
        for line in listed.splitlines():
            mode, uid, name = line.split(" ", 2)
            modes[name] = f"{mode} {uid}"
        assert modes.pop(".") == "700 0", listed
        # pytest's rewritten test module, and Python's own bytecode (not the
        # host's junk .pyc of the same name: that never goes into the context).
        rewritten = [n for n in modes if n.startswith("test_hidden.cpython-311-pytest-")]
        assert len(rewritten) == 1 and len(modes) == 2, listed
        assert set(modes.values()) == {"600 0"}, listed
        assert client.containers.run(tag, ["cat", "/grader/tests/__pycache__/"
                                           "test_hidden.cpython-311.pyc"], network_disabled=True,
                                     remove=True) != b"junk"  # fmt: skip

        # Same content: same tag, and nothing is built again.
        again, steps = ensure(client, write_pack(tmp_path, "first"))
        assert again == tag and "exercise" not in steps
        assert client.images.get(again).id == first_id

        # Changed hidden test: a new tag, built now.
        changed, steps = ensure(client, write_pack(tmp_path, "second"))
        built.add(changed)
        assert changed != tag and "exercise" in steps
        assert client.images.get(changed).id != first_id
    finally:
        for name in built:
            client.images.remove(name, force=True)


@pytest.mark.docker
def test_runtime_image_is_built_once(client: docker.DockerClient, runtime_image: str) -> None:
    # Compared with a fresh ensure, not the session's image: the harness may
    # have been edited since the session started (a new tag is then right).
    first = images.ensure_runtime_image(client, base_image=BASE_IMAGE, offline_base=True)
    steps: list[str] = []
    again = images.ensure_runtime_image(
        client, base_image=BASE_IMAGE, offline_base=True, progress=lambda s, d=None: steps.append(s)
    )
    assert again == first and steps == []


def test_exercise_files_are_root_only_in_the_context(tmp_path: Path) -> None:
    # The modes the image gets come from the context tar (no RUN chmod layer).
    write_pack(tmp_path, "x")
    (tmp_path / "tests" / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "tests" / "run.sh").chmod(0o755)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(tmp_path / "tests", "grader/tests", filter=image_build.root_only)
    buffer.seek(0)
    with tarfile.open(fileobj=buffer) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert set(members) == {"grader/tests", "grader/tests/test_hidden.py", "grader/tests/run.sh"}
    assert members["grader/tests"].mode == 0o700
    assert members["grader/tests/test_hidden.py"].mode == 0o600
    assert members["grader/tests/run.sh"].mode == 0o700
    assert all(m.uid == 0 and m.gid == 0 for m in members.values())


def test_offline_base_without_root_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    from sandbox import offline_base
    from sandbox.errors import ImageMissing

    monkeypatch.setattr("sandbox.offline_base.os.geteuid", lambda: 1000)
    with pytest.raises(ImageMissing) as caught:
        offline_base.build_offline_base(None, offline_base.offline_base_tag(), None)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "root" in message and "apt-get install debootstrap" in message
    assert "GRADER_BASE_IMAGE" in message


@pytest.mark.docker
def test_networking_is_disabled_only_where_localhost_resolves_without_docker(
    client: docker.DockerClient, runtime_image: str
) -> None:
    """Docker writes no /etc/hosts into a container with networking disabled:
    the runtime is labelled for it only when its base resolves `localhost`
    on its own (the offline base's libnss-myhostname), as probe_base finds."""
    base, _ = images.current_build(client, base_image=BASE_IMAGE, offline_base=True)
    assert images.probe_base(client, base)["localhost"] is True
    assert container.networking_disabled(client.images.get(runtime_image).attrs)
    # A base without it (an ordinary registry image): localhost unresolved,
    # so its sandboxes would keep Docker's networking (and its /etc/hosts).
    plain = f"grader-selftest-no-myhostname:{uuid.uuid4().hex[:12]}"
    dockerfile = (f"FROM {base}\n"
                  "RUN sed -i 's/ myhostname//' /etc/nsswitch.conf\n").encode()  # fmt: skip
    client.images.build(fileobj=io.BytesIO(dockerfile), tag=plain, rm=True, network_mode="none")
    try:
        assert images.probe_base(client, plain)["localhost"] is False
    finally:
        client.images.remove(plain, force=True)
