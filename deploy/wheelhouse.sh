#!/usr/bin/env bash
# Download the service image's Python packages on this host into deploy/wheels/,
# for an image build that cannot reach PyPI itself (worker/Dockerfile installs
# from there when wheels are present). The wheels are for the Python, libc and
# machine of BASE_IMAGE, which is asked directly, so they fit whatever base the
# build uses. Idempotent: nothing is downloaded again while pyproject.toml and
# the base's Python stay the same.
# Usage: deploy/wheelhouse.sh BASE_IMAGE     (PYTHON=... picks the host's pip)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/deploy/wheels"
BASE="${1:?usage: deploy/wheelhouse.sh BASE_IMAGE (an image with python3, e.g. the offline base)}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY="$(command -v python3)"

# The base's Python, libc and machine: the wheels must fit it, not this host.
probe='import platform, sys; print("%d.%d" % sys.version_info[:2], platform.libc_ver()[1] or "0.0", platform.machine())'
read -r pyver libc machine < <(docker run --rm --network none "$BASE" python3 -c "$probe") \
  || { echo "error: cannot run python3 in $BASE" >&2; exit 1; }

want="$(cat "$ROOT/pyproject.toml" - <<<"$pyver $libc $machine" | sha256sum | cut -c1-16)"
[ "$(cat "$DEST/.complete" 2>/dev/null)" = "$want" ] && exit 0

platforms=(--platform "manylinux2014_$machine")
minor="${libc#*.}"
for m in $(seq 17 "${minor:-17}"); do platforms+=(--platform "manylinux_2_${m}_$machine"); done
abi="cp${pyver/./}"
requirements="$(mktemp)"
trap 'rm -f "$requirements"' EXIT
"$PY" - "$ROOT/pyproject.toml" >"$requirements" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["dependencies"]))
print("setuptools>=77")  # the build backend of the image's `pip install -e .`
PY

download() {  # download REQUIREMENT_ARGS...: wheels for the base, into $DEST
  "$PY" -m pip download --quiet --progress-bar off --only-binary=:all: \
    --python-version "$pyver" --implementation cp --abi "$abi" --abi abi3 --abi none \
    "${platforms[@]}" -d "$DEST" "$@" 2>&1 \
    | { grep -v 'is ignored: it is neither a file nor a directory' || true; } >&2
}

mkdir -p "$DEST"
find "$DEST" -name '*.whl' -delete  # old versions would only confuse pip's choice
echo "==> downloading the service image's Python packages for Python $pyver ($machine) into $DEST" >&2
download -r "$requirements"
# This host's pip judges environment markers by its own Python, not the
# base's (redis wants async-timeout below Python 3.11.3 only): ask the base's
# pip, offline, what it still misses, and fetch that, until nothing is missing.
for _ in 1 2 3 4 5; do
  answer="$(docker run --rm --network none -v "$DEST:/wheels:ro" -v "$requirements:/req.txt:ro" \
    "$BASE" sh -c 'python3 -m venv /tmp/v && /tmp/v/bin/pip install --dry-run --quiet \
      --no-index --find-links /wheels -r /req.txt 2>&1 && echo WHEELHOUSE-COMPLETE' || true)"
  if [[ "$answer" == *WHEELHOUSE-COMPLETE* ]]; then
    echo "$want" >"$DEST/.complete"
    exit 0
  fi
  missing="$(sed -n 's/.*No matching distribution found for \([^;]*\).*/\1/p' <<<"$answer" | head -1)"
  if [ -z "$missing" ]; then
    printf '%s\n' "$answer" >&2
    echo "error: pip in $BASE cannot install from $DEST (its output above)" >&2
    exit 1
  fi
  echo "==> the base also needs $missing" >&2
  download "$missing"
done
echo "error: $BASE still misses Python packages after five rounds (see above)" >&2
exit 1
