#!/usr/bin/env bash
# Runs the README's two commands in a clean clone on a fresh Debian that has nothing but Node:
# a throwaway chroot made with debootstrap (minbase) from the mirror this machine's apt uses, with
# this machine's `node` and `npm` copied in. Phases, each timed:
#
#   1. as a user without root or sudo:  npm ci, then npm start (until it serves the app)
#   2. same user:                       npm test must stop within 30 s with the apt command
#   3. root, os-release says Fedora:    npm test must stop within 30 s with the dnf command
#   4. root on Debian:                  npm ci && npm test installs what is missing and runs the suite
#
# Usage (root, Linux, network to the Debian mirror and the npm registry):
#   bash scripts/fresh-machine-test.sh [--skip-suite]
# Env: FRESH_WORK (default /var/tmp/lymphscope-fresh), FRESH_PORT (4331), FRESH_SUITE_TIMEOUT (s,
# default 5400), FRESH_REBUILD=1 to debootstrap again instead of reusing the cached base.
# Only committed work is tested: the chroot gets a `git clone` of HEAD.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${FRESH_WORK:-/var/tmp/lymphscope-fresh}
PORT=${FRESH_PORT:-4331}
SUITE_TIMEOUT=${FRESH_SUITE_TIMEOUT:-5400}
SKIP_SUITE=0
[ "${1:-}" = --skip-suite ] && SKIP_SUITE=1

[ "$(id -u)" = 0 ] || { echo "needs root (debootstrap, chroot, mounts)" >&2; exit 2; }
# Every mount below lives in a private mount namespace, so none of it can reach this machine's
# /dev, /proc or /sys, and all of it goes away with the script.
if [ -z "${FRESH_IN_NS:-}" ]; then exec unshare --mount --propagation private env FRESH_IN_NS=1 bash "$0" "$@"; fi
. /etc/os-release
SUITE=${FRESH_DEBIAN_SUITE:-${VERSION_CODENAME:?}}
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }

# The mirror apt already uses: first Debian (not security) URI in sources.list / *.sources.
MIRROR=${FRESH_MIRROR:-$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
  grep -oE '(URIs:|^deb) +https?://[^ ]+' | awk '!/security/ { print $2; exit }' || true)}
[ -n "$MIRROR" ] || { echo "no Debian mirror found in /etc/apt" >&2; exit 2; }

mkdir -p "$WORK"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOG="$WORK/run-$STAMP.log"
SUMMARY="$WORK/summary-$STAMP.txt"
BASE="$WORK/base-$SUITE"
ROOTFS="$WORK/root-$STAMP"
: >"$SUMMARY"
note() { echo "$*" | tee -a "$SUMMARY"; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

note "fresh-machine test of $(git -C "$REPO" rev-parse --short HEAD) on Debian $SUITE from $MIRROR ($STAMP)"
note "log: $LOG"

if [ "${FRESH_REBUILD:-0}" = 1 ] || [ ! -e "$BASE/.complete" ]; then
  rm -rf "$BASE"
  t=$(now)
  debootstrap --variant=minbase "$SUITE" "$BASE" "$MIRROR" >>"$LOG" 2>&1
  touch "$BASE/.complete"
  note "debootstrap --variant=minbase: $(secs "$t" "$(now)") s"
fi
cp -a "$BASE" "$ROOTFS"
rm -f "$ROOTFS/.complete"

cleanup() {
  for m in dev/shm dev/pts dev sys proc; do umount -l "$ROOTFS/$m" 2>/dev/null || true; done
  [ "${FRESH_KEEP:-0}" = 1 ] || rm -rf --one-file-system "$ROOTFS"
}
trap cleanup EXIT

# A fresh install's apt sources: the same archive, updates and security suites as this machine.
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1; then
  rm -f "$ROOTFS/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/*.sources "$ROOTFS/etc/apt/sources.list.d/"
fi
# Mirror settings only (e.g. a snapshot mirror's dates), nothing that installs packages.
grep -l 'Acquire::' /etc/apt/apt.conf.d/* 2>/dev/null | xargs -r cp -t "$ROOTFS/etc/apt/apt.conf.d/"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
# Where this machine reaches the registries through a TLS-inspecting proxy, Node inside needs that
# proxy's CA as well (Node's own CA list is all a fresh machine needs otherwise).
EXTRA_CA=
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
  cp "$NODE_EXTRA_CA_CERTS" "$ROOTFS/etc/fresh-test-extra-ca.pem"
  EXTRA_CA=/etc/fresh-test-extra-ca.pem
fi

# Node and npm, as a machine that "has Node" has them; nothing else from this machine.
NODE=$(readlink -f "$(command -v node)")
NPM_DIR=$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")
install -D -m 755 "$NODE" "$ROOTFS/usr/local/bin/node"
mkdir -p "$ROOTFS/usr/local/lib/node_modules"
cp -a "$NPM_DIR" "$ROOTFS/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"

mount -t proc proc "$ROOTFS/proc"
mount -t sysfs sys "$ROOTFS/sys"
mount --bind /dev "$ROOTFS/dev"
mount -t devpts devpts "$ROOTFS/dev/pts" -o newinstance,ptmxmode=0666 || true
mount -t tmpfs shm "$ROOTFS/dev/shm" -o mode=1777

chroot "$ROOTFS" useradd -m -s /bin/bash dev
REV=$(git -C "$REPO" rev-parse HEAD)
for dest in home/dev/lymphscope root/lymphscope; do
  git clone -q "$REPO" "$ROOTFS/$dest"
  git -C "$ROOTFS/$dest" checkout -q "$REV"
done
chroot "$ROOTFS" chown -R dev:dev /home/dev/lymphscope
note "node $("$ROOTFS/usr/local/bin/node" --version), npm $(chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin npm --version); sudo: $(chroot "$ROOTFS" sh -c 'command -v sudo || echo none')"

# in_chroot USER DIR COMMAND: a login-like environment with nothing inherited from this shell.
in_chroot() {
  local user=$1 dir=$2 cmd=$3 home=/root spec=()
  if [ "$user" != root ]; then home=/home/$user; spec=(--userspec="$user:$user"); fi
  chroot "${spec[@]}" "$ROOTFS" /usr/bin/env -i HOME="$home" USER="$user" LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin TEST_PORT="$PORT" \
    ${EXTRA_CA:+NODE_EXTRA_CA_CERTS=$EXTRA_CA} \
    /bin/bash -c "cd '$dir' && $cmd"
}

# --- 1. npm ci && npm start, as a user without root or sudo, on a machine with only Node --------
t=$(now)
in_chroot dev /home/dev/lymphscope 'npm ci' >>"$LOG" 2>&1 || { note "FAIL: npm ci (see $LOG)"; exit 1; }
note "1. [user, bare] npm ci: $(secs "$t" "$(now)") s"
t=$(now)
setsid bash -c "$(declare -f in_chroot); ROOTFS='$ROOTFS' PORT='$PORT' EXTRA_CA='$EXTRA_CA' in_chroot dev /home/dev/lymphscope 'npm start -- --port $PORT'" >>"$LOG" 2>&1 &
START_PID=$!
served=no
for _ in $(seq 600); do
  if node -e "fetch('http://127.0.0.1:$PORT/').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    served=yes
    break
  fi
  kill -0 "$START_PID" 2>/dev/null || break
  sleep 1
done
note "1. [user, bare] npm start until http://127.0.0.1:$PORT/ answers 200: $(secs "$t" "$(now)") s (served: $served)"
kill -- -"$START_PID" 2>/dev/null || true
wait "$START_PID" 2>/dev/null || true
[ "$served" = yes ] || { note "FAIL: npm start did not serve the app"; exit 1; }

# --- 2 and 3. the 'cannot install' paths must stop within 30 s with the exact command ------------
expect_stop() { # LABEL USER DIR WANTED
  local out rc=0 t el
  t=$(now)
  out=$(in_chroot "$2" "$3" 'npm test' 2>&1) || rc=$?
  el=$(secs "$t" "$(now)")
  echo "$out" >>"$LOG"
  note "$1 npm test stopped with exit $rc after $el s; it printed:"
  echo "$out" | grep '\[system deps\]' | sed 's/^/      /' | tee -a "$SUMMARY"
  if [ "$rc" = 0 ] || ! awk -v e="$el" 'BEGIN { exit !(e < 30) }' || ! grep -qF -- "$4" <<<"$out"; then
    note "FAIL: expected a non-zero exit in < 30 s naming: $4"
    exit 1
  fi
}
expect_stop "2. [user, no sudo, Debian]" dev /home/dev/lymphscope \
  'sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core python3 clang lld python3-torch'

printf 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=41\n' >"$ROOTFS/etc/os-release.fedora"
ln -sf os-release.fedora "$ROOTFS/etc/os-release"
expect_stop "3. [root, os-release says Fedora]" root /home/dev/lymphscope \
  'dnf install -y chromium dejavu-sans-fonts python3 clang lld'
ln -sf ../usr/lib/os-release "$ROOTFS/etc/os-release"

[ "$SKIP_SUITE" = 1 ] && { note "suite skipped (--skip-suite)"; exit 0; }

# --- 4. npm ci && npm test as root on the fresh Debian: installs, then the whole suite -----------
t=$(now)
in_chroot root /root/lymphscope 'npm ci' >>"$LOG" 2>&1 || { note "FAIL: npm ci (see $LOG)"; exit 1; }
note "4. [root, Debian] npm ci: $(secs "$t" "$(now)") s"
t=$(now)
rc=0
# Each line time-stamped, to tell the install from the suite's steps.
timeout "$SUITE_TIMEOUT" nice -n 10 bash -c "$(declare -f in_chroot); ROOTFS='$ROOTFS' PORT='$PORT' EXTRA_CA='$EXTRA_CA' in_chroot root /root/lymphscope 'npm test'" 2>&1 |
  perl -MPOSIX -pe '$|=1; print strftime("%H:%M:%S ", gmtime)' >>"$LOG" || rc=${PIPESTATUS[0]}
note "4. [root, Debian] npm test: exit $rc after $(secs "$t" "$(now)") s"
grep -E '\[system deps\]|Setting up (chromium|python3-torch|clang|lld) |lymphscope@[^ ]+ (pretest|check|fixtures|test:unit|test:py|test:browser)$|Test Files |Tests  | passed| failed' "$LOG" |
  grep -vE '^\s*$' | tail -n 30 | sed 's/^/      /' | tee -a "$SUMMARY"
exit "$rc"
