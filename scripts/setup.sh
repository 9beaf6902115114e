#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what vexp needs on Debian 12 (as root), prepare the embedded QEMU
# driver, and build into ./build.  Safe to run again: it only adds what is
# missing.  It never installs libvirt-daemon-system and never starts a
# libvirt network.
set -eu
cd "$(dirname "$0")/.."

PKGS="meson ninja-build pkg-config gcc libc6-dev file
libglib2.0-dev libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86
libxml2-dev libssh-dev libsqlite3-dev sqlite3 check
iproute2 nftables iputils-ping kmod cpio gzip xz-utils
busybox-static dropbear-bin time"
if [ "${VEXP_SETUP_TEST:-0}" = 1 ]; then
    # openssh-server: the remote-libvirt end-to-end environment
    # (tests/e2e/remote-env.sh) starts its own sshd inside a namespace;
    # libvirt-clients: its checks that no libvirt network exists (virsh, in
    # the test harness only; vexp itself uses the C API); chromium: the report's
    # pages and charts rendered to PNG (tests/report-screenshot.sh, headless)
    PKGS="$PKGS iperf3 nuttcp valgrind clang libclang-rt-14-dev openssh-server libvirt-clients
chromium"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    echo "vexp setup: installing:$missing"
    if [ ! -f /var/lib/apt/periodic/vexp-updated ] || [ -z "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v lock)" ]; then
        apt-get update -q
        mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/vexp-updated
    fi
    # Installing must never start a system daemon (openssh-server would
    # start the machine's sshd on 0.0.0.0:22): invoke-rc.d obeys
    # /usr/sbin/policy-rc.d, exit 101 = "action forbidden".  Add one only
    # for the install when the machine has none, and remove it after.
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        own_policy=1
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
        trap 'exit 130' INT TERM
    fi
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    if [ $own_policy = 1 ]; then
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT INT TERM
    fi
fi
# The guest image build downloads Debian's kernel package with apt-get
# download; it needs package lists.
if [ -z "$(ls /var/lib/apt/lists/ 2>/dev/null | grep -v -e lock -e partial)" ]; then
    apt-get update -q
fi

# libvirt's QEMU driver looks this user up before it reads qemu.conf
# (it normally comes with libvirt-daemon-system, which we do not install).
if ! getent group libvirt-qemu >/dev/null; then
    groupadd --system libvirt-qemu
fi
if ! getent passwd libvirt-qemu >/dev/null; then
    useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin --gid libvirt-qemu libvirt-qemu
fi

builddir=${VEXP_BUILDDIR:-build}
if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" ${VEXP_MESON_ARGS:-}
fi
ninja -C "$builddir"
