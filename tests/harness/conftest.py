"""The golden cases' own tests are run by the harness, never collected here."""

collect_ignore_glob = ["golden/*"]
