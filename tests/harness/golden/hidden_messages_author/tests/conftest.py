import pytest


@pytest.fixture
def broken_fixture():
    raise RuntimeError("the fixture broke")
