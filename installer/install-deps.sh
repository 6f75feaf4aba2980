#!/usr/bin/env bash
# Installs the Debian 12 packages ThreadLab needs to build, run and test — only those that are missing,
# so a machine that already has them is left untouched (and no root is needed then).
# Usage: installer/install-deps.sh [--with-dev-tools]
set -euo pipefail

packages=(
    build-essential cmake make pkg-config
    qt6-base-dev qt6-charts-dev qt6-svg-dev qt6-tools-dev libqt6svg6
    # Qt Charts needs Qt OpenGL's CMake files, which qt6-charts-dev does not pull in
    libqt6opengl6-dev
    libgl-dev fonts-dejavu-core
    libbenchmark-dev
    # exact big-integer factorials for the pools scenarios
    libgmp-dev
    # pdftotext: the export test reads the PDF timeline back to check its lanes and legend
    poppler-utils
    # protoc --decode_raw: the Perfetto export test reads the trace back with it
    protobuf-compiler
    # tst_python traces CPython 3.11 scripts under /usr/bin/python3 (its GIL and thread names)
    python3
    # packaging and the distribution's checkers, run by `make test`
    dpkg-dev lintian desktop-file-utils appstream
    # `make lint`, which CI runs: formatting checked, and clang-tidy (with run-clang-tidy)
    clang-format clang-tidy
)
# Screenshots under Xvfb are for developers; CI does not need them.
if [[ "${1:-}" == "--with-dev-tools" ]]; then
    packages+=(xvfb xauth imagemagick)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

echo "ThreadLab: installing missing packages: ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "error: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
