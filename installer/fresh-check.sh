#!/usr/bin/env bash
# Proves the README's two commands on a truly fresh Debian 12: builds a clean bookworm root (debootstrap
# minbase + git), clones this repository's committed state into it and runs, verbatim,
#     installer/install-deps.sh && make test
#     installer/install-deps.sh && make run      (under Xvfb for a few seconds)
# as root, and optionally `... && make test` as a sudo user in a second fresh root.
# Too slow for CI (about 30-45 min on 2 cores); run it before a release or after touching the installer.
#
# Usage: sudo installer/fresh-check.sh [--as-sudo-user [--skip-root]] [--no-cache] [--app-seconds N] [DIR]
#   DIR             work directory (default /var/tmp/threadlab-fresh): base tarball, roots, logs
#   --as-sudo-user  also run `installer/install-deps.sh && make test` as a user with passwordless sudo,
#                   in a second fresh root (packages really missing, so install-deps must use sudo)
#   --skip-root     with --as-sudo-user: only the sudo-user variant
#   --no-cache      debootstrap again instead of reusing DIR/base-bookworm-minbase.tar
#   --app-seconds N how long `make run` may take under Xvfb before timeout stops it (default 30: its
#                   no-op `cmake --build` alone took 10 s on a loaded 2-core machine)
# Exits 0 when every step passed; the summary lists each step's result and duration, logs are in DIR/logs.
set -euo pipefail

as_sudo_user=0 skip_root=0 use_cache=1 app_seconds=30 dir=/var/tmp/threadlab-fresh
while [[ $# -gt 0 ]]; do
    case "$1" in
        --as-sudo-user) as_sudo_user=1 ;;
        --skip-root) skip_root=1 ;;
        --no-cache) use_cache=0 ;;
        --app-seconds) app_seconds=$2; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fresh-check: unknown option $1" >&2; exit 2 ;;
        *) dir=$1 ;;
    esac
    shift
done

[[ $skip_root -eq 0 || $as_sudo_user -eq 1 ]] || { echo "fresh-check: --skip-root needs --as-sudo-user" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "fresh-check: needs root (debootstrap, mount, chroot)" >&2; exit 2; }
for tool in debootstrap chroot unshare mount git; do
    command -v "$tool" >/dev/null || { echo "fresh-check: $tool missing on the host (apt install debootstrap)" >&2; exit 2; }
done

repo=$(git -C "$(dirname "$(readlink -f "$0")")" rev-parse --show-toplevel)
commits=""  # the commit each clone got, read from it (the repository may move on meanwhile)
mkdir -p "$dir/logs" "$dir/apt-archives"
dir=$(readlink -f "$dir")
logs=$dir/logs
base_tar=$dir/base-bookworm-minbase.tar
mirror=http://deb.debian.org/debian

# ---- bookkeeping: every step's result and duration, printed at the end whatever happens ----
steps=() results=() durations=() notes=()
record() { steps+=("$1"); results+=("$2"); durations+=("$3"); notes+=("${4:-}"); }
dur() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
say() { printf '\n=== fresh-check %s: %s\n' "$(date +%T)" "$*"; }

# Runs one step: its output goes to the terminal and to DIR/logs/NAME.log; on failure the last 40 lines
# are repeated so the cause is on screen without opening the log. The step runs as a background job so
# that `set -e` holds inside it (it would be ignored in an `||` context) and a failure ends only the step.
step() {
    local name=$1; shift
    local log=$logs/$name.log start=$SECONDS rc=0
    say "step $name"
    { ("$@") 2>&1 | tee "$log"; exit "${PIPESTATUS[0]}"; } &
    wait $! || rc=$?
    local took=$((SECONDS - start))
    if [[ $rc -eq 0 ]]; then
        record "$name" PASS "$took"
    else
        record "$name" FAIL "$took" "exit $rc, log $log"
        printf '\n--- %s failed (exit %d); last 40 lines of %s:\n' "$name" "$rc" "$log"
        tail -n 40 "$log"
    fi
    return $rc
}
# Appends to the last step's note (the suite's "N tests passed" line).
add_note() { local i=$((${#notes[@]} - 1)); notes[i]="${notes[i]:+${notes[i]}; }$1"; }

# ---- mounts: listed in a file, in order, so the trap can undo them in reverse even after a failure
# (steps run in subshells) and a later run can undo those of a run that was killed ----
mount_list=$dir/mounts.list
mnt() { mount "$@" && echo "${*: -1}" >> "$mount_list"; }

# Processes left inside a root (a stray Xvfb, a test child) keep its mounts busy: they are ours, started
# by this script through chroot, found by their root directory.
kill_in_root() {
    local root=$1 p
    for p in /proc/[0-9]*; do
        [[ "$(readlink "$p/root" 2>/dev/null)" == "$root" ]] && kill -KILL "${p#/proc/}" 2>/dev/null || true
    done
}

unmount_all() {
    [[ -s $mount_list ]] || return 0
    local m
    while read -r m; do
        mountpoint -q "$m" || continue
        umount "$m" 2>/dev/null || umount -l "$m" || echo "fresh-check: could not unmount $m" >&2
    done < <(tac "$mount_list")
    rm -f "$mount_list"
}

summary() {
    local rc=$1 i failed=0
    printf '\n=== fresh-check summary (%s of %s, roots in %s)\n' "${commits:-no clone}" "$repo" "$dir"
    for i in "${!steps[@]}"; do
        printf '  %-4s %-22s %8s  %s\n' "${results[i]}" "${steps[i]}" "$(dur "${durations[i]}")" "${notes[i]}"
        [[ ${results[i]} == PASS ]] || failed=1
    done
    [[ $rc -eq 0 && ${#steps[@]} -gt 0 ]] || failed=1
    printf '  total %s — %s\n' "$(dur $SECONDS)" "$([[ $failed -eq 0 ]] && echo PASS || echo FAIL)"
    return $failed
}

# One run per work directory: a second one would unmount and kill what the first is using.
exec 9> "$dir/lock"
flock -n 9 || { echo "fresh-check: another run is using $dir" >&2; exit 2; }

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    for r in "$dir/root" "$dir/root-sudo"; do kill_in_root "$r"; done
    unmount_all
    summary "$rc" && exit 0 || exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for r in "$dir/root" "$dir/root-sudo"; do kill_in_root "$r"; done
unmount_all  # left by a run that was killed

# Never deletes through a mount (a bound /dev or the repository would go with it).
remove_root() {
    if grep -q " $1/" /proc/self/mountinfo; then
        echo "fresh-check: something is still mounted under $1; unmount it first" >&2
        return 1
    fi
    rm -rf "$1"
}

# ---- 1. the base root: debootstrap once, then reuse its tarball (the root itself is always new) ----
make_base() {
    local tmp=$dir/base.tmp
    remove_root "$tmp"
    debootstrap --variant=minbase --include=git,ca-certificates bookworm "$tmp" "$mirror"
    tar -C "$tmp" -cpf "$base_tar.part" . && mv "$base_tar.part" "$base_tar"
    remove_root "$tmp"
}

# A new root from the base tarball, configured as a freshly installed machine would be: the usual apt
# sources (with updates and security), /etc/hosts naming localhost and this host. policy-rc.d only keeps
# package scripts from starting daemons inside the chroot (they would outlive the check and hold mounts).
new_root() {
    local root=$1
    remove_root "$root"
    mkdir -p "$root"
    tar -C "$root" -xpf "$base_tar"
    cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
EOF
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' "$(hostname)" > "$root/etc/hosts"
    printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
    chmod +x "$root/usr/sbin/policy-rc.d"
}

# What a build and the tests need. /dev is the host's (bound, private so nothing propagates back);
# /dev/shm and /tmp are new tmpfs, so nothing of the host's shared memory or temp files leaks in.
# The repository is bound read-only at /mnt/src so the clone below is a real `git clone` of its commits.
mount_root() {
    local root=$1
    mkdir -p "$root/mnt/src"
    mnt -t proc proc "$root/proc"
    mnt -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
    mnt --bind /dev "$root/dev"
    mount --make-private "$root/dev"
    mnt --bind /dev/pts "$root/dev/pts"
    mnt -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
    mnt -t tmpfs -o mode=1777,nosuid,nodev tmp "$root/tmp"
    mnt --bind "$repo" "$root/mnt/src"
    mount -o remount,bind,ro "$root/mnt/src"
    # Downloaded .debs only, shared between runs and roots to spare the mirror; apt verifies each one.
    mnt --bind "$dir/apt-archives" "$root/var/cache/apt/archives"
}

# A command inside the root as root, with the environment of a plain root shell on that machine. Its own
# IPC namespace: a fresh machine's System V segments and semaphores are its own, not the host's.
in_root() {
    local root=$1; shift
    unshare --ipc chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/bash -c "$1"
}

# ---- the steps ----
if [[ $use_cache -eq 1 && -s $base_tar ]]; then
    record base-root PASS 0 "reused $base_tar"
else
    step base-root make_base || exit 1
fi

if [[ $skip_root -eq 0 ]]; then
    root=$dir/root
    setup_root() { new_root "$root" && mount_root "$root"; }
    step setup-root setup_root || exit 1

    step clone in_root "$root" "git clone --no-hardlinks /mnt/src /root/threadlab && git -C /root/threadlab log -1 --oneline" || exit 1
    commits+="${commits:+, }root's clone at $(tail -n 1 "$logs/clone.log" | cut -d' ' -f1)"

    # 2. The README's second command, verbatim, in the clone.
    if step root-make-test in_root "$root" "cd /root/threadlab && installer/install-deps.sh && make test"; then :; fi
    tests=$(grep -E 'tests passed' "$logs/root-make-test.log" | tail -n 1 || true)
    [[ -z $tests ]] || add_note "$tests"

    # 3. The README's first command. Xvfb and xauth (xvfb-run), x11-utils (xwininfo, to see the window) are
    # this check's own needs, not the product's: installed only now, after the suite ran without them, and
    # purged again afterwards. The app passes if its window appeared, it was still running when timeout
    # stopped it (124), and it printed no error.
    # An X display number free on the host too: the abstract X socket lives in the network namespace we share.
    display=90
    while grep -q "@/tmp/.X11-unix/X$display\$" /proc/net/unix; do display=$((display + 1)); done
    app_run() {
        in_root "$root" "apt-get install -y -qq --no-install-recommends xvfb xauth x11-utils >/dev/null" || return 1
        in_root "$root" "cd /root/threadlab && installer/install-deps.sh && xvfb-run -a -n $display -s '-screen 0 1280x800x24 -nolisten tcp' bash -c '
            timeout $app_seconds make run & t=\$!
            for i in \$(seq 1 $((app_seconds * 2 - 4))); do
                sleep 0.5
                if xwininfo -root -tree 2>/dev/null | grep -qi threadlab; then
                    echo \"fresh-check: window mapped after about \$((i / 2)) s:\"; xwininfo -root -tree | grep -i threadlab | head -n 3; break
                fi
            done
            rc=0; wait \$t || rc=\$?; echo \"fresh-check: make run ended with status \$rc\"; exit \$rc'"
    }
    app_check() {
        local app_rc=$1 out errors
        cat "$logs/app-run.raw"
        # The app's own output: what follows make's echo of the command, minus make's note that it was stopped
        # (the app ends a SIGTERM cleanly with status 143, which make reports as "Error 143").
        out=$(sed -n '\#^\./build/app/threadlab#,$p' "$logs/app-run.raw" | sed 1d \
              | grep -v -E '^fresh-check:|^make: \*\*\* .*(Terminated|Interrupt|Error 143)|^Terminated$' || true)
        errors=$(grep -i -E 'error|fatal|abort|segmentation|core dumped|could not|cannot|failed' <<< "$out" || true)
        echo "--- app check: status $app_rc (want 124), window $(grep -q 'window mapped' "$logs/app-run.raw" && echo seen || echo NOT seen)"
        [[ -z $errors ]] || { echo "--- app printed errors:"; echo "$errors"; }
        [[ $app_rc -eq 124 && -z $errors ]] && grep -q 'window mapped' "$logs/app-run.raw"
    }
    app_step() {
        local rc=0
        app_run > "$logs/app-run.raw" 2>&1 || rc=$?
        app_check "$rc"
    }
    if step root-make-run app_step; then :; fi
    window=$(grep -o 'window mapped after about [0-9]* s' "$logs/app-run.raw" || true)
    [[ -z $window ]] || add_note "$window"
    in_root "$root" "apt-get purge -y -qq --autoremove xvfb xauth x11-utils >/dev/null" || echo "fresh-check: could not purge the Xvfb packages (harmless)"
fi

# 4. Optional: a user with passwordless sudo, in a second fresh root where the packages are really missing,
# so install-deps has to go through sudo. sudo itself is part of such a user's machine, so it is installed
# with the user, not counted as the product's.
if [[ $as_sudo_user -eq 1 ]]; then
    kill_in_root "$dir/root"
    unmount_all  # the first root is done with; its directory stays for inspection
    root=$dir/root-sudo
    setup_sudo_root() {
        new_root "$root" && mount_root "$root" &&
        in_root "$root" "apt-get update -qq && apt-get install -y -qq --no-install-recommends sudo >/dev/null &&
            useradd -m -s /bin/bash -G sudo dev && echo 'dev ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/dev &&
            chmod 0440 /etc/sudoers.d/dev"
    }
    step sudo-setup-root setup_sudo_root || exit 1
    # A login shell of that user (su -), as after logging in.
    as_dev() { in_root "$root" "su - dev -c $(printf '%q' "$1")"; }
    # The source belongs to root, so git refuses it as dubious; a global config given for this one command
    # (git 2.39 ignores safe.directory from -c here) says it is safe, and the user's own config is untouched.
    printf '[safe]\n\tdirectory = /mnt/src/.git\n\tdirectory = /mnt/src\n' > "$root/tmp/fresh-check.gitconfig"
    chmod 644 "$root/tmp/fresh-check.gitconfig"
    step sudo-clone as_dev "GIT_CONFIG_GLOBAL=/tmp/fresh-check.gitconfig git clone --no-hardlinks /mnt/src ~/threadlab && git -C ~/threadlab log -1 --oneline" || exit 1
    commits+="${commits:+, }dev's clone at $(tail -n 1 "$logs/sudo-clone.log" | cut -d' ' -f1)"
    if step sudo-make-test as_dev "cd ~/threadlab && installer/install-deps.sh && make test"; then :; fi
    tests=$(grep -E 'tests passed' "$logs/sudo-make-test.log" | tail -n 1 || true)
    [[ -z $tests ]] || add_note "$tests"
fi
exit 0
