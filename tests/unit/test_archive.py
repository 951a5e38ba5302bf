"""Hostile archives, built here, against grader.exercises.archive: each is
refused with a problem naming the entry and the cap, and nothing is written."""

from __future__ import annotations

import io
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from grader.exercises.archive import ArchiveError, ArchiveLimits, read_archive, write_files
from grader.exercises.staging import PackInvalid, stage_pack
from tests.helpers.publish_packs import member, pack_bytes, tar_gz, write_pack, zip_of


def refused(data: bytes) -> str:
    with pytest.raises(ArchiveError) as caught:
        read_archive(data, filename="up.tar.gz")
    return "; ".join(caught.value.problems)


def test_a_pack_round_trips_with_its_top_folder_stripped(tmp_path: Path) -> None:
    files = read_archive(pack_bytes(tmp_path), filename="adder.tar.gz")
    assert "exercise.toml" in files and "tests/test_adder.py" in files
    assert files["solution/adder.py"].startswith(b"def add")
    pack, _warnings = stage_pack(files, root=tmp_path / "work")
    assert pack.slug == "adder" and pack.path == (tmp_path / "work/security/adder").resolve()


def test_a_zip_of_the_same_pack_reads_the_same(tmp_path: Path) -> None:
    folder = write_pack(tmp_path)
    as_zip = zip_of({f"adder/{p.relative_to(folder).as_posix()}": p.read_bytes()
                     for p in folder.rglob("*") if p.is_file()})
    assert read_archive(as_zip, filename="a.zip") == read_archive(
        pack_bytes(tmp_path / "again"), filename="a.tar.gz")


@pytest.mark.parametrize(("name", "said"), [
    ("../evil.py", "'..'"), ("pack/../../evil.py", "'..'"), ("/etc/passwd", "absolute"),
    ("C:/x.py", "absolute"), ("a\\b.py", "backslash"), ("bad\x1bname.py", "control"),
])
def test_hostile_names_are_refused(name: str, said: str) -> None:
    assert said in refused(tar_gz([member(name)], {name: b"x"}))
    assert said in refused(zip_of({name: b"x"}))


@pytest.mark.parametrize(("kind", "said"), [
    (tarfile.SYMTYPE, "link"), (tarfile.LNKTYPE, "link"), (tarfile.CHRTYPE, "special"),
    (tarfile.BLKTYPE, "special"), (tarfile.FIFOTYPE, "special"),
])
def test_links_devices_and_fifos_are_refused(kind: bytes, said: str) -> None:
    problems = refused(tar_gz([member("pack/ok.py"), member("pack/x", kind, "/etc/passwd")],
                              {"pack/ok.py": b"ok"}))
    assert "'pack/x'" in problems and said in problems


def test_a_symlink_inside_a_zip_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("pack/link")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")
    assert "link" in refused(buffer.getvalue())


def test_ten_thousand_files_are_refused() -> None:
    names = [f"pack/f{i}.py" for i in range(10_000)]
    assert "more than 2000 entries" in refused(tar_gz([member(n) for n in names]))
    assert "10000 entries, over the cap of 2000" in refused(zip_of({n: b"" for n in names}))


def test_a_gigabyte_of_zeros_stops_at_the_cap_without_being_inflated() -> None:
    # A tar holding one 1 GB file of zeros, gzipped chunk by chunk (about 1 MB).
    header = tarfile.TarInfo("pack/zeros")
    header.size = 1 << 30
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunks = [squeeze.compress(header.tobuf())]
    zeros = bytes(1 << 20)
    chunks += [squeeze.compress(zeros) for _ in range(1024)]
    bomb = b"".join(chunks) + squeeze.flush()
    assert len(bomb) < 1_100_000
    assert "decompresses to more than" in refused(bomb)


def test_a_zip_bomb_entry_is_refused_by_its_ratio() -> None:
    limits = ArchiveLimits(file_bytes=4_000_000, ratio_floor=1_000)
    with pytest.raises(ArchiveError, match="compression ratio"):
        read_archive(zip_of({"pack/zeros": bytes(3_000_000)}), filename="z.zip", limits=limits)


def test_a_zip_whose_header_lies_about_the_size_is_refused() -> None:
    data = bytearray(zip_of({"pack/big.py": b"x = 1\n" * 50_000}))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature) + offset
        data[at:at + 4] = struct.pack("<I", 100)  # "100 bytes", it holds 300,000
    problems = refused(bytes(data))
    assert "pack/big.py" in problems and "unreadable" in problems


def test_duplicates_and_case_clashes_are_refused() -> None:
    files = {"pack/a.py": b"1", "pack/A.py": b"2"}
    assert "duplicate" in refused(tar_gz([member(n) for n in files], files))


def test_over_the_upload_cap_and_junk_are_refused_with_the_cap_named() -> None:
    with pytest.raises(ArchiveError, match="over the upload cap of 10 bytes"):
        read_archive(b"\x1f\x8b" + bytes(20), filename="x", limits=ArchiveLimits(
            compressed_bytes=10))
    assert "neither a .tar.gz nor a .zip" in refused(b"hello world")
    assert "gzip" in refused(b"\x1f\x8b\x08garbage")


def test_write_files_never_follows_a_planted_link(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out/a.py").symlink_to(tmp_path / "target")
    with pytest.raises((OSError, ArchiveError)):
        write_files({"a.py": b"x"}, tmp_path / "out")
    assert not (tmp_path / "target").exists()


def test_a_broken_manifest_lists_every_error_with_file_and_field(tmp_path: Path) -> None:
    folder = write_pack(tmp_path)
    text = (folder / "exercise.toml").read_text()
    (folder / "exercise.toml").write_text(
        text.replace('difficulty = "easy"', 'difficulty = "trivial"\nwall = 3'))
    files = read_archive(pack_bytes(tmp_path / "x"), filename="a.tar.gz")
    files["exercise.toml"] = (folder / "exercise.toml").read_bytes()
    with pytest.raises(PackInvalid) as caught:
        stage_pack(files, root=tmp_path / "work")
    text = "\n".join(caught.value.problems)
    assert "exercise.toml" in text and "field 'difficulty'" in text and "field 'wall'" in text
