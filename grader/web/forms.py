"""Reading the submit form: one row per file (`path-N`, `content-N`, and an
optional upload `upload-N` that replaces the text), into {path: text}."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile

from grader.services.errors import Invalid

MAX_ROWS = 50


@dataclass
class FileRow:
    index: int
    path: str
    content: str
    fixed: bool = True  # a starter file's row (path not editable)


async def read_files(form: FormData) -> tuple[dict[str, str], list[FileRow]]:
    """The files to submit, and the rows to show again if they are refused."""
    files: dict[str, str] = {}
    rows: list[FileRow] = []
    for index in range(MAX_ROWS):
        path = form.get(f"path-{index}")
        if path is None:
            break
        if not isinstance(path, str):
            raise Invalid("a file path must be text")
        path = path.strip()
        content = form.get(f"content-{index}", "")
        text = content.replace("\r\n", "\n") if isinstance(content, str) else ""
        upload = form.get(f"upload-{index}")
        if isinstance(upload, UploadFile) and upload.filename:
            raw = await upload.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise Invalid(f"the file uploaded for {path or upload.filename!r} is not "
                              "UTF-8 text") from None
            path = path or upload.filename
        fixed = form.get(f"fixed-{index}") == "1"
        rows.append(FileRow(index=index, path=path, content=text, fixed=fixed))
        if not path and not text.strip():
            continue
        if not path:
            raise Invalid("a file was given without a path: give its path, e.g. app/extra.py")
        # A starter file's row is sent even when empty (an empty __init__.py
        # counts); an extra row only when it has text.
        if fixed or text.strip():
            files[path] = text
    if not any(text.strip() for text in files.values()):
        raise Invalid("nothing to submit: every file is empty")
    return files, rows
