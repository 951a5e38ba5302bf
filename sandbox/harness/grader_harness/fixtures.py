"""Fixtures every runner offers to test authors (see the package docstring)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader_harness.state import STATE_KEY


@pytest.fixture(scope="session")
def data_dir(request: pytest.FixtureRequest) -> Path:
    """The exercise's data folder (/grader/data in the sandbox)."""
    return request.config.stash[STATE_KEY].layout.data


@pytest.fixture(scope="session")
def workspace(request: pytest.FixtureRequest) -> Path:
    """The student's files. Read them; never write: they are the submission."""
    return request.config.stash[STATE_KEY].workspace


@pytest.fixture(scope="session")
def call_timeout(request: pytest.FixtureRequest) -> float:
    """Seconds one call or request to the student's code may take."""
    return request.config.stash[STATE_KEY].call_timeout
