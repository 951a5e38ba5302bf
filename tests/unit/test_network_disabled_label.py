"""Which images' sandboxes run with Docker's networking disabled (sandbox/container.py)."""

from __future__ import annotations

from sandbox.container import LABEL_NETWORK_DISABLED, container_settings, networking_disabled
from sandbox.limits import SandboxLimits


def test_only_an_image_labelled_1_runs_with_networking_disabled() -> None:
    assert networking_disabled({"Config": {"Labels": {LABEL_NETWORK_DISABLED: "1"}}})
    for attrs in (
        {"Config": {"Labels": {LABEL_NETWORK_DISABLED: "0"}}},  # its base needs /etc/hosts
        {"Config": {"Labels": {LABEL_NETWORK_DISABLED: "true"}}},  # not a value we write
        {"Config": {"Labels": None}},  # built before the label existed
        {"Config": None},
        {},
    ):
        assert not networking_disabled(attrs), attrs


def test_either_way_the_sandbox_has_no_network() -> None:
    for disabled in (True, False):
        settings = container_settings(SandboxLimits(), "runc", network_disabled=disabled)
        assert settings["network_mode"] == "none"
        assert settings["network_disabled"] is disabled
