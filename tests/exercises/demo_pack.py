"""The manifest of the small demo pack that the exercises tests build in tmp_path
(security/demo-pack, python runner, one file demo.py)."""

MANIFEST = """\
slug = "demo-pack"
title = "Demo pack"
category = "security"
difficulty = "easy"
runner = "python"

[python]
module = "demo"

[submission]
files = ["demo.py"]
required = ["demo.py"]
"""
