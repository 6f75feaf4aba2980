#!/usr/bin/env bash
# Builds the .deb from a configured build tree and checks it as a distribution would: lintian (no errors
# or warnings), desktop-file-validate, appstreamcli validate --no-net, then unpacks it into a throwaway
# root and runs the installed binary from there: --version, a headless race-counter run and a run with
# child processes.
# Usage: installer/check-package.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$build" && cpack -G DEB -B "$work/out" > "$work/cpack.log") || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/out/threadlab_*.deb)

lintian --fail-on error,warning "$deb"
dpkg-deb -x "$deb" "$work/root"
desktop-file-validate "$work"/root/usr/share/applications/*.desktop
appstreamcli validate --no-net "$work"/root/usr/share/metainfo/*.metainfo.xml > "$work/appstream.log" \
    || { cat "$work/appstream.log"; exit 1; }

exe="$work/root/usr/bin/threadlab"
"$exe" --version | grep -q "^threadlab "
env -u DISPLAY "$exe" run race-counter --set increments=1000 --json > "$work/run.json"
grep -q '"actual": 5000' "$work/run.json"
# Child processes run the installed executable itself, in its child mode.
env -u DISPLAY "$exe" run shared-memory --json > "$work/children.json"
grep -q '"value": 100' "$work/children.json"
# The installed tracee library is found and preloaded: the traced shell's thread is seen by it.
env -u DISPLAY "$exe" trace --json -- /bin/sh -c true > "$work/trace.json"
grep -q '"threads_with_lock_detail": 1' "$work/trace.json"
zcat "$work"/root/usr/share/man/man1/threadlab.1.gz | grep -q "^.SH NAME"
echo "package ok: $(basename "$deb"), lintian clean, desktop and metainfo valid, installed binary runs"
