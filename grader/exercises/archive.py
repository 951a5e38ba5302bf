"""A pack as an archive (.tar.gz or .zip): read from bytes under caps, written
back as regular files only. Pure: no database, nothing run.

An uploaded archive is hostile until proven otherwise, so reading it never
trusts a header: decompression is bounded by the caps themselves (a gzip of
1 GB of zeros stops at `total_bytes`, a zip entry whose header lies about its
size fails its length or CRC check), and every name is checked before
anything is written. Only regular files and folders are accepted: links,
devices and fifos are refused, not skipped, so an author learns their
archive is not what they think. All problems are listed at once.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from grader.exercises.pack import pack_files

if TYPE_CHECKING:
    from grader.settings import Settings


@dataclass(frozen=True)
class ArchiveLimits:
    """The caps on an uploaded pack; the service takes them from the settings
    (GRADER_PUBLISH_MAX_*, see from_settings), these defaults are theirs."""

    compressed_bytes: int = 4_000_000  # the upload itself
    total_bytes: int = 20_000_000  # all files, uncompressed
    file_bytes: int = 5_000_000  # any one file
    files: int = 2_000
    # Uncompressed/compressed: text packs are 3-20x; a bomb is 1000x. Judged
    # only past `ratio_floor` bytes so a tiny archive of padding is not a bomb.
    ratio: float = 100.0
    ratio_floor: int = 1_000_000

    @classmethod
    def from_settings(cls, settings: Settings) -> ArchiveLimits:
        return cls(compressed_bytes=settings.publish_max_upload_bytes,
                   total_bytes=settings.publish_max_total_bytes,
                   file_bytes=settings.publish_max_file_bytes,
                   files=settings.publish_max_files, ratio=settings.publish_max_ratio)


class ArchiveError(ValueError):
    """The archive is refused; `problems` names each entry and the cap it broke."""

    def __init__(self, filename: str, problems: list[str]) -> None:
        super().__init__(f"{filename}: " + "; ".join(problems))
        self.filename = filename
        self.problems = problems


_SKIPPED = {"__MACOSX", "__pycache__", ".pytest_cache", ".mypy_cache", ".DS_Store", ".git"}
_MAX_NAME = 1000


def check_name(raw: str) -> tuple[str, ...] | str:
    """The parts of an entry name, or why it is refused."""
    if not raw or len(raw) > _MAX_NAME:
        return f"entry name of {len(raw)} characters (1-{_MAX_NAME} allowed)"
    if any(ord(c) < 32 or ord(c) == 127 for c in raw):
        return f"entry {raw!r}: control characters in the name"
    if "\\" in raw:
        return f"entry {raw!r}: backslash in the name"
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        return f"entry {raw!r}: absolute path"
    parts = tuple(p for p in PurePosixPath(raw).parts)
    if any(p in ("..", ".") for p in raw.rstrip("/").split("/")):
        return f"entry {raw!r}: '..' or '.' in the path"
    return parts


def _read_tar(data: bytes, limits: ArchiveLimits, out: dict[str, bytes],
              problems: list[str]) -> None:
    # Room for headers and padding: 1 KB per allowed file on top of the content.
    cap = limits.total_bytes + 1024 * (limits.files + 2)
    try:
        raw = gzip.GzipFile(fileobj=io.BytesIO(data)).read(cap + 1)
    except (OSError, EOFError, zlib.error) as exc:
        problems.append(f"not a readable gzip stream ({exc})")
        return
    if len(raw) > cap:
        problems.append(f"decompresses to more than {cap} bytes (cap on total size)")
        return
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
            for member in tar:
                if len(out) + len(problems) > limits.files:
                    problems.append(f"more than {limits.files} entries")
                    return
                _tar_member(tar, member, limits, out, problems)
    except tarfile.TarError as exc:
        problems.append(f"not a readable tar archive ({exc})")
    if len(raw) > limits.ratio_floor and len(raw) / max(1, len(data)) > limits.ratio:
        problems.append(f"compression ratio over {limits.ratio:g}:1 (a zip bomb?)")


def _tar_member(tar: tarfile.TarFile, member: tarfile.TarInfo, limits: ArchiveLimits,
                out: dict[str, bytes], problems: list[str]) -> None:
    if member.isdir():
        return
    if not member.isreg() or member.issparse():
        kind = "link" if member.issym() or member.islnk() else "special file"
        problems.append(f"entry {member.name!r}: a {kind}; only regular files are allowed")
        return
    if member.size > limits.file_bytes:
        problems.append(f"entry {member.name!r}: {member.size} bytes, over the "
                        f"{limits.file_bytes} bytes per file")
        return
    handle = tar.extractfile(member)
    _add(member.name, handle.read() if handle else b"", limits, out, problems)


def _read_zip(data: bytes, limits: ArchiveLimits, out: dict[str, bytes],
              problems: list[str]) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(f"not a readable zip archive ({exc})")
        return
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.files:
            problems.append(f"{len(infos)} entries, over the cap of {limits.files}")
            return
        for info in infos:
            mode = info.external_attr >> 16
            if info.is_dir():
                continue
            # No type bits at all is a regular file (what most zip tools write).
            if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                kind = "link" if stat.S_ISLNK(mode) else "special file"
                problems.append(f"entry {info.filename!r}: a {kind}; only regular files "
                                "are allowed")
                continue
            if info.file_size > limits.file_bytes:
                problems.append(f"entry {info.filename!r}: {info.file_size} bytes, over the "
                                f"{limits.file_bytes} bytes per file")
                continue
            try:
                # Never more than the cap, whatever the header says.
                with archive.open(info) as handle:
                    content = handle.read(limits.file_bytes + 1)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error,
                    NotImplementedError, RuntimeError) as exc:
                problems.append(f"entry {info.filename!r}: unreadable ({exc})")
                continue
            if len(content) != info.file_size:
                problems.append(f"entry {info.filename!r}: its header says {info.file_size} "
                                f"bytes, it holds {len(content)}")
                continue
            if len(content) > limits.ratio_floor and \
                    len(content) / max(1, info.compress_size) > limits.ratio:
                problems.append(f"entry {info.filename!r}: compression ratio over "
                                f"{limits.ratio:g}:1 (a zip bomb?)")
                continue
            _add(info.filename, content, limits, out, problems)


def _add(name: str, content: bytes, limits: ArchiveLimits, out: dict[str, bytes],
         problems: list[str]) -> None:
    parts = check_name(name)
    if isinstance(parts, str):
        problems.append(parts)
        return
    if _SKIPPED.intersection(parts) or parts[-1].endswith(".pyc"):
        return
    if len(content) > limits.file_bytes:
        problems.append(f"entry {name!r}: over the {limits.file_bytes} bytes per file")
        return
    key = "/".join(parts)
    if key.casefold() in {k.casefold() for k in out}:
        problems.append(f"entry {name!r}: duplicate name (names may not differ only in case)")
        return
    out[key] = content
    if sum(len(v) for v in out.values()) > limits.total_bytes:
        problems.append(f"files total more than {limits.total_bytes} bytes")


def _strip_top(files: dict[str, bytes]) -> dict[str, bytes]:
    """`pack/exercise.toml` -> `exercise.toml` when everything is in one folder."""
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1 and all("/" in name for name in files):
        return {name.split("/", 1)[1]: data for name, data in files.items()}
    return files


def _conflicts(files: dict[str, bytes]) -> list[str]:
    folders = {"/".join(n.split("/")[:i]) for n in files for i in range(1, n.count("/") + 1)}
    return [f"entry {n!r}: both a file and a folder" for n in sorted(folders & set(files))]


def read_archive(data: bytes, *, filename: str,
                 limits: ArchiveLimits | None = None) -> dict[str, bytes]:
    """The archive's regular files by relative POSIX path; ArchiveError listing
    every problem otherwise. The format is told by its first bytes, not its name."""
    limits = limits or ArchiveLimits()
    if len(data) > limits.compressed_bytes:
        raise ArchiveError(filename, [f"{len(data)} bytes, over the upload cap of "
                                      f"{limits.compressed_bytes} bytes"])
    out: dict[str, bytes] = {}
    problems: list[str] = []
    if data[:2] == b"\x1f\x8b":
        _read_tar(data, limits, out, problems)
    elif data[:4] == b"PK\x03\x04":
        _read_zip(data, limits, out, problems)
    else:
        problems.append("neither a .tar.gz nor a .zip archive")
    problems.extend(_conflicts(out))
    if not out and not problems:
        problems.append("the archive holds no files")
    if problems:
        raise ArchiveError(filename, problems)
    return _strip_top(out)


def write_files(files: dict[str, bytes], dest: Path) -> None:
    """Write checked files below an empty `dest` (regular files, never through a link)."""
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    for name, content in sorted(files.items()):
        target = root.joinpath(*name.split("/"))
        if not target.resolve().is_relative_to(root):  # defence in depth: names are checked
            raise ArchiveError(name, ["escapes the destination"])
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)


def pack_archive(folder: Path) -> bytes:
    """A pack folder as a .tar.gz of its files (what the CLI uploads), caches left out."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in pack_files(folder):
            info = tarfile.TarInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}")
            content = path.read_bytes()
            info.size, info.mode = len(content), 0o644
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
