# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# remote-env.sh: a "remote" libvirt host and a "remote" tester host on this
# one machine, for end-to-end tests of remote libvirt URIs and ssh:// testers.
# Source it from bash (root needed):
#
#   . tests/e2e/remote-env.sh
#   trap 'remote_env_down vxr' EXIT
#   remote_env_up vxr            # namespace vxr: br0 198.18.0.1/15,
#                                # sshd on 127.0.0.1:22, private libvirtd
#   remote_env_tester_up vxr     # namespace vxr-t: 198.18.0.3/15 on vxr's
#                                # br0 (veth), sshd on 198.18.0.3:22
#   ip netns exec vxr virsh -c "$REMOTE_ENV_URI_LIBSSH" version
#   remote_env_down vxr          # idempotent, safe from a trap
#
# Nothing is configured in the root network namespace and nothing is
# mounted in the root mount namespace: every daemon runs inside a namespace
# created here, listens on 127.0.0.1 or 198.18.0.3 there, and the mounts
# live in the private mount namespace that `ip netns exec` gives it (they
# vanish with its last process).  Clients must run inside namespace NAME
# (`ip netns exec NAME ...`): 127.0.0.1 there is NAME's own loopback.
#
# Exported by remote_env_up NAME:
#   REMOTE_ENV_NS           NAME
#   REMOTE_ENV_DIR          private state: keys, configs, pid files, logs
#                           (libvirt's logs in $REMOTE_ENV_DIR/libvirt/log)
#   REMOTE_ENV_BRIDGE       br0 (in NAME), REMOTE_ENV_BRIDGE_ADDR 198.18.0.1
#   REMOTE_ENV_KEY          client private key (ed25519, no passphrase);
#                           REMOTE_ENV_KEY.pub next to it
#   REMOTE_ENV_KNOWN_HOSTS  OpenSSH-format known_hosts: 127.0.0.1's host key
#                           (remote_env_tester_up appends 198.18.0.3's)
#   REMOTE_ENV_SSH_WRAPPER  ssh wrapper used by REMOTE_ENV_URI_SSH
#   REMOTE_ENV_URI_SSH      qemu+ssh://root@127.0.0.1/system?keyfile=..&command=WRAPPER&no_tty=1
#   REMOTE_ENV_URI_LIBSSH   qemu+libssh://root@127.0.0.1/system?keyfile=..&known_hosts=..&known_hosts_verify=normal&sshauth=privkey
#   REMOTE_ENV_LIBVIRTD_PID pid of the private libvirtd (nsenter -t PID -m -n
#                           reaches its view: /run/libvirt, /etc/libvirt ...)
# Exported by remote_env_tester_up NAME:
#   REMOTE_ENV_TESTER_NS, REMOTE_ENV_TESTER_ADDR (198.18.0.3),
#   REMOTE_ENV_TESTER_URI (ssh://root@198.18.0.3),
#   REMOTE_ENV_TESTER_KNOWN_HOSTS (one line: 198.18.0.3 ssh-ed25519 ...),
#   REMOTE_ENV_TESTER_HOSTKEY_PUB (the tester sshd's host key, .pub format)
#
# What each URI form needs (libvirt 9.0.0 Debian, OpenSSH 9.2, libssh 0.10.6):
# - qemu+libssh:// : built in (libvirt.so.0 links libssh.so.4).  keyfile=
#   (unencrypted key), known_hosts= (a file in OpenSSH format; libssh writes
#   nothing when known_hosts_verify=normal and the host is known),
#   known_hosts_verify=normal (unknown or changed key = failure).
#   sshauth=privkey avoids trying an ssh-agent/password first.
# - qemu+ssh:// : libvirt execs the `ssh` binary with
#   `[-p port] [-l user] [-i keyfile] -T -e none [-o BatchMode=yes]
#   [-o StrictHostKeyChecking=no] -- host sh -c '...'` and a CLEARED
#   environment.  That ssh reads only ~/.ssh/known_hosts (of the passwd home,
#   not $HOME) and /etc/ssh/ssh_known_hosts, and libvirt has no parameter to
#   name another file: `known_hosts=` is ignored by this transport.  So
#   without writing into /root/.ssh, the plain form fails with
#   "Host key verification failed." (or, without no_tty=1, asks on a tty).
#   What works: command=WRAPPER, a script generated here that execs
#   `ssh -F none -o UserKnownHostsFile=FILE -o GlobalKnownHostsFile=/dev/null
#   -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes "$@"`
#   (the file name is baked in: the environment is cleared).  Host keys are
#   still verified strictly.  no_verify=1 also "works" but verifies nothing
#   AND makes ssh create /root/.ssh/known_hosts (seen: a hashed 127.0.0.1
#   line appeared): never use it here.  The lead's form
#   `qemu+ssh://root@127.0.0.1/system?keyfile=K&no_verify=0` (or without
#   no_verify) fails: "Cannot recv data: Host key verification failed.:
#   Connection reset by peer".
#   On the server side (both transports) libvirt's shell snippet runs
#   virt-ssh-helper qemu:///system (seen; in libvirt-clients), which connects
#   to /run/libvirt/libvirt-sock: sshd must therefore run in libvirtd's mount
#   namespace (it does here).
# - qemu+libssh2:// with the same keyfile=/known_hosts=/known_hosts_verify=
#   also works (libvirt.so.0 links libssh2 too).
# - All clients must run inside namespace NAME (ip netns exec NAME ...):
#   127.0.0.1 and 198.18.0.0/15 are NAME's, nothing listens outside.
# - A domain created over these URIs with <interface type='bridge'><source
#   bridge='br0'/> gets its tap inside NAME, enslaved to br0 (seen with a
#   diskless 64 MiB domain, type 'qemu'); its log is in
#   $REMOTE_ENV_DIR/libvirt/log/qemu/.  remote_env_down kills such QEMUs.
#
# Gotchas hit:
# - /etc/libvirt holds only libvirt.conf (from libvirt-clients), or does not
#   exist at all on a machine without libvirt-clients, and /var/lib/libvirt,
#   /var/cache/libvirt, /var/log/libvirt do not exist: the whole /etc/libvirt
#   is bind-mounted from $REMOTE_ENV_DIR/libvirt/etc, and the four dirs are
#   created as empty mount points if missing (and removed again by
#   remote_env_down when it created them and they are empty).
# - /run/sshd (sshd's privilege separation dir) does not exist without
#   systemd: a tmpfs is mounted on /run inside the namespaces' private mount
#   namespaces, so nothing is created in the machine's /run.
# - sshd's StrictModes rejects an authorized_keys file under /tmp (seen:
#   "Authentication refused: bad ownership or modes for directory /tmp"):
#   StrictModes no (the file and its dir are ours, modes 600/700).
# - root's password field is "*" (not locked "!"), so UsePAM no works with
#   key-only login.
# - `ip netns identify` / `ip netns exec` do not work from a shell inside
#   the namespaces' daemons (their /run is the private tmpfs).
# - the first connection makes libvirtd probe QEMU (~8 s under TCG):
#   remote_env_up does that once, so later connects take ~0.3 s.
# - libvirtd's pid file and sockets are in the private /run: pid files are
#   put in $REMOTE_ENV_DIR with -p so remote_env_down finds them.
# - a daemon killed by pid is first checked to be in our network namespace
#   (pids get reused); the rest of the namespace's processes (ssh sessions,
#   virt-ssh-helper, QEMU) are found with `ip netns pids`.

REMOTE_ENV_BRIDGE_ADDR=198.18.0.1
REMOTE_ENV_TESTER_ADDR_DEFAULT=198.18.0.3

_remote_env_log() { echo "remote-env: $*" >&2; }

_remote_env_dir() { printf '%s/vexp-remote-env.%s' "${TMPDIR:-/tmp}" "$1"; }

_remote_env_ns_exists() { [ -e "/run/netns/$1" ]; }

# _remote_env_wait SECONDS CMD... : poll CMD every 0.1 s
_remote_env_wait() {
    local n=$(($1 * 10))
    shift
    while [ $n -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    "$@"
}

_remote_env_pid_in_ns() { # pid ns
    local want
    want=$(stat -L -c 'net:[%i]' "/run/netns/$2" 2>/dev/null) || return 1
    [ "$(readlink "/proc/$1/ns/net" 2>/dev/null)" = "$want" ]
}

_remote_env_listening() { # ns addr:port
    ip netns exec "$1" ss -Hltn "sport = :${2##*:}" 2>/dev/null | grep -q "${2%:*}:${2##*:}"
}

_remote_env_sshd_config() { # dir hostkey listen pidfile
    cat <<EOF
Port 22
ListenAddress $3
HostKey $2
PidFile $4
AuthorizedKeysFile $1/authorized_keys
PermitRootLogin prohibit-password
AllowUsers root
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
LogLevel VERBOSE
EOF
}

_remote_env_keyline() { # addr pubfile -> known_hosts line
    awk -v h="$1" '{ print h, $1, $2 }' "$2"
}

remote_env_up() {
    local name=${1:?usage: remote_env_up NAME} dir
    case $name in
        *[!A-Za-z0-9_-]* | '' ) _remote_env_log "bad name '$name'"; return 1 ;;
    esac
    if [ ${#name} -gt 20 ]; then _remote_env_log "name too long"; return 1; fi
    dir=$(_remote_env_dir "$name")
    if _remote_env_ns_exists "$name" || _remote_env_ns_exists "$name-t" || [ -e "$dir" ]; then
        _remote_env_log "$name is already up (or left over): remote_env_down $name first"
        return 1
    fi
    for c in sshd:/usr/sbin/sshd libvirtd:/usr/sbin/libvirtd virtlogd:/usr/sbin/virtlogd \
             virt-ssh-helper:/usr/bin/virt-ssh-helper ssh-keygen:/usr/bin/ssh-keygen; do
        if [ ! -x "${c#*:}" ]; then
            _remote_env_log "${c%%:*} missing (${c#*:}); run scripts/setup.sh with VEXP_SETUP_TEST=1"
            return 1
        fi
    done
    mkdir -m 700 "$dir" || return 1
    if ! _remote_env_up "$name" "$dir"; then
        _remote_env_log "remote_env_up $name failed; logs:"
        tail -n 20 "$dir"/*.log "$dir"/libvirt/log/*.log 2>/dev/null >&2
        remote_env_down "$name"
        return 1
    fi
    export REMOTE_ENV_NS=$name
    export REMOTE_ENV_DIR=$dir
    export REMOTE_ENV_BRIDGE=br0
    export REMOTE_ENV_BRIDGE_ADDR
    export REMOTE_ENV_KEY=$dir/client_key
    export REMOTE_ENV_KNOWN_HOSTS=$dir/known_hosts
    export REMOTE_ENV_SSH_WRAPPER=$dir/ssh-wrapper
    export REMOTE_ENV_URI_SSH="qemu+ssh://root@127.0.0.1/system?keyfile=$dir/client_key&command=$dir/ssh-wrapper&no_tty=1"
    export REMOTE_ENV_URI_LIBSSH="qemu+libssh://root@127.0.0.1/system?keyfile=$dir/client_key&known_hosts=$dir/known_hosts&known_hosts_verify=normal&sshauth=privkey"
    REMOTE_ENV_LIBVIRTD_PID=$(cat "$dir/libvirtd.pid")
    export REMOTE_ENV_LIBVIRTD_PID
    return 0
}

_remote_env_up() {
    local name=$1 dir=$2 d lvpid nets
    # network: lo, br0 with the "host" address; nothing outside the namespace
    ip netns add "$name" || return 1
    ip -n "$name" link set lo up || return 1
    ip -n "$name" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
    ip -n "$name" addr add "$REMOTE_ENV_BRIDGE_ADDR/15" dev br0 || return 1
    ip -n "$name" link set br0 up || return 1

    # keys: one client key, one host key per sshd
    ssh-keygen -q -t ed25519 -N '' -C vexp-remote-env-client -f "$dir/client_key" || return 1
    ssh-keygen -q -t ed25519 -N '' -C vexp-remote-env-host -f "$dir/ssh_host_ed25519_key" || return 1
    install -m 600 "$dir/client_key.pub" "$dir/authorized_keys" || return 1
    _remote_env_keyline 127.0.0.1 "$dir/ssh_host_ed25519_key.pub" >"$dir/known_hosts" || return 1
    _remote_env_sshd_config "$dir" "$dir/ssh_host_ed25519_key" 127.0.0.1 "$dir/sshd.pid" \
        >"$dir/sshd_config" || return 1

    # libvirt's ssh transport runs `ssh` with a cleared environment and no
    # way to name a known_hosts file: the file name is baked in here
    cat >"$dir/ssh-wrapper" <<EOF
#!/bin/sh
# generated by tests/e2e/remote-env.sh: ssh with this environment's known_hosts
exec /usr/bin/ssh -F none -o UserKnownHostsFile=$dir/known_hosts \\
    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \\
    -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=10 "\$@"
EOF
    chmod 755 "$dir/ssh-wrapper" || return 1

    # libvirt's private state, bind-mounted over the machine's paths inside
    # the namespace's own mount namespace only
    mkdir -p "$dir/libvirt/etc" "$dir/libvirt/lib" "$dir/libvirt/cache" "$dir/libvirt/log" || return 1
    cat >"$dir/libvirt/etc/qemu.conf" <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
EOF
    cat >"$dir/libvirt/etc/libvirtd.conf" <<'EOF'
# private libvirtd of tests/e2e/remote-env.sh: UNIX socket only, in a
# private /run of a private mount namespace
listen_tls = 0
listen_tcp = 0
unix_sock_group = "root"
unix_sock_ro_perms = "0700"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
    cat >"$dir/libvirt/etc/virtlogd.conf" <<'EOF'
log_outputs = "3:file:/var/log/libvirt/virtlogd.log"
EOF
    : >"$dir/created-dirs"
    for d in /etc/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
        if [ ! -d "$d" ]; then
            mkdir -m 755 "$d" || return 1
            echo "$d" >>"$dir/created-dirs"
        fi
    done

    # one mount namespace for virtlogd, libvirtd and sshd: sshd's children
    # (virt-ssh-helper) must see libvirtd's socket in the private /run
    # shellcheck disable=SC2016
    ip netns exec "$name" sh -c '
        set -e
        d=$1
        mount -t tmpfs -o mode=755 vexp-remote-run /run
        mkdir -m 755 /run/libvirt /run/sshd
        mount --bind "$d/libvirt/etc" /etc/libvirt
        mount --bind "$d/libvirt/lib" /var/lib/libvirt
        mount --bind "$d/libvirt/cache" /var/cache/libvirt
        mount --bind "$d/libvirt/log" /var/log/libvirt
        /usr/sbin/virtlogd -d -f /etc/libvirt/virtlogd.conf -p "$d/virtlogd.pid"
        /usr/sbin/libvirtd -d -f /etc/libvirt/libvirtd.conf -p "$d/libvirtd.pid"
        /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log"
    ' remote-env "$dir" </dev/null >"$dir/start.log" 2>&1 || { cat "$dir/start.log" >&2; return 1; }

    _remote_env_wait 30 test -s "$dir/libvirtd.pid" || { _remote_env_log "no libvirtd pid file"; return 1; }
    lvpid=$(cat "$dir/libvirtd.pid")
    _remote_env_wait 30 test -S "/proc/$lvpid/root/run/libvirt/libvirt-sock" ||
        { _remote_env_log "libvirtd socket did not appear"; return 1; }
    _remote_env_wait 10 _remote_env_listening "$name" 127.0.0.1:22 ||
        { _remote_env_log "sshd not listening on 127.0.0.1:22"; return 1; }

    # no libvirt network may exist, let alone run (no default NAT network)
    nets=$(nsenter -t "$lvpid" -m -n virsh -q -c qemu:///system net-list --all --name 2>&1) ||
        { _remote_env_log "virsh net-list: $nets"; return 1; }
    nets=$(printf '%s' "$nets" | tr -d '[:space:]')
    if [ -n "$nets" ]; then _remote_env_log "unexpected libvirt networks: $nets"; return 1; fi
    if ip -n "$name" -o link show | grep -q virbr; then _remote_env_log "a virbr appeared"; return 1; fi
    # the first QEMU call makes libvirtd probe QEMU's capabilities (~8 s
    # under TCG here): do it now rather than inside the first timed connect
    nsenter -t "$lvpid" -m -n virsh -q -c qemu:///system version >/dev/null 2>&1 ||
        { _remote_env_log "libvirtd does not answer qemu:///system"; return 1; }
    return 0
}

remote_env_tester_up() {
    local name=${1:?usage: remote_env_tester_up NAME} dir tns addr
    dir=$(_remote_env_dir "$name")
    tns=$name-t
    addr=$REMOTE_ENV_TESTER_ADDR_DEFAULT
    if ! _remote_env_ns_exists "$name" || [ ! -f "$dir/client_key" ]; then
        _remote_env_log "remote_env_up $name first"; return 1
    fi
    if _remote_env_ns_exists "$tns"; then _remote_env_log "$tns already up"; return 1; fi
    if ! _remote_env_tester_up "$name" "$dir" "$tns" "$addr"; then
        _remote_env_log "remote_env_tester_up $name failed"
        tail -n 20 "$dir/sshd-tester.log" "$dir/start-tester.log" 2>/dev/null >&2
        return 1
    fi
    export REMOTE_ENV_TESTER_NS=$tns
    export REMOTE_ENV_TESTER_ADDR=$addr
    export REMOTE_ENV_TESTER_URI=ssh://root@$addr
    export REMOTE_ENV_TESTER_KNOWN_HOSTS=$dir/known_hosts.tester
    export REMOTE_ENV_TESTER_HOSTKEY_PUB=$dir/ssh_host_tester_ed25519_key.pub
    return 0
}

_remote_env_tester_up() {
    local name=$1 dir=$2 tns=$3 addr=$4
    ip netns add "$tns" || return 1
    ip -n "$tns" link set lo up || return 1
    # both ends created from inside the namespaces: nothing in the root one
    ip -n "$name" link add vt0 type veth peer name eth0 netns "$tns" || return 1
    ip -n "$name" link set vt0 master br0 || return 1
    ip -n "$name" link set vt0 up || return 1
    ip -n "$tns" addr add "$addr/15" dev eth0 || return 1
    ip -n "$tns" link set eth0 up || return 1

    ssh-keygen -q -t ed25519 -N '' -C vexp-remote-env-tester -f "$dir/ssh_host_tester_ed25519_key" || return 1
    _remote_env_keyline "$addr" "$dir/ssh_host_tester_ed25519_key.pub" >"$dir/known_hosts.tester" || return 1
    cat "$dir/known_hosts.tester" >>"$dir/known_hosts" || return 1
    _remote_env_sshd_config "$dir" "$dir/ssh_host_tester_ed25519_key" "$addr" "$dir/sshd-tester.pid" \
        >"$dir/sshd_config.tester" || return 1
    # shellcheck disable=SC2016
    ip netns exec "$tns" sh -c '
        set -e
        mount -t tmpfs -o mode=755 vexp-remote-run /run
        mkdir -m 755 /run/sshd
        /usr/sbin/sshd -f "$1/sshd_config.tester" -E "$1/sshd-tester.log"
    ' remote-env "$dir" </dev/null >"$dir/start-tester.log" 2>&1 || return 1
    _remote_env_wait 10 _remote_env_listening "$tns" "$addr:22" ||
        { _remote_env_log "tester sshd not listening on $addr:22"; return 1; }
    return 0
}

# kill the processes named by pid files, if they are still in namespace ns
_remote_env_kill_pidfiles() { # ns pidfile...
    local ns=$1 pf pid pids="" n
    shift
    for pf in "$@"; do
        [ -s "$pf" ] || continue
        pid=$(cat "$pf" 2>/dev/null)
        case $pid in '' | *[!0-9]*) continue ;; esac
        if _remote_env_pid_in_ns "$pid" "$ns"; then
            kill -TERM "$pid" 2>/dev/null && pids="$pids $pid"
        fi
    done
    n=50
    while [ $n -gt 0 ]; do
        local alive=""
        for pid in $pids; do
            kill -0 "$pid" 2>/dev/null && alive="$alive $pid"
        done
        pids=$alive
        [ -z "$pids" ] && return 0
        sleep 0.1
        n=$((n - 1))
    done
    for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
    return 0
}

# whatever else still runs in namespace ns (ssh sessions, virt-ssh-helper,
# QEMU started by the private libvirtd): all of it was started by us
_remote_env_kill_ns() { # ns
    local ns=$1 pids n
    _remote_env_ns_exists "$ns" || return 0
    pids=$(ip netns pids "$ns" 2>/dev/null)
    [ -z "$pids" ] && return 0
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null
    n=50
    while [ $n -gt 0 ]; do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -z "$pids" ] && return 0
        sleep 0.1
        n=$((n - 1))
    done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null
    sleep 0.2
    return 0
}

remote_env_down() {
    local name=${1:?usage: remote_env_down NAME} dir d lvpid pf
    case $name in *[!A-Za-z0-9_-]* | '') return 1 ;; esac
    dir=$(_remote_env_dir "$name")
    if [ -L "$dir" ]; then _remote_env_log "$dir is a symlink; not touching it"; return 1; fi
    if [ -d "$dir" ]; then
        _remote_env_kill_pidfiles "$name-t" "$dir/sshd-tester.pid"
        # QEMU processes of the private libvirtd, then the daemons
        lvpid=$(cat "$dir/libvirtd.pid" 2>/dev/null)
        case $lvpid in
            '' | *[!0-9]*) ;;
            *)
                if _remote_env_pid_in_ns "$lvpid" "$name"; then
                    for pf in "/proc/$lvpid/root/run/libvirt/qemu/"*.pid; do
                        [ -e "$pf" ] && _remote_env_kill_pidfiles "$name" "$pf"
                    done
                fi
                ;;
        esac
        _remote_env_kill_pidfiles "$name" "$dir/sshd.pid" "$dir/libvirtd.pid" "$dir/virtlogd.pid"
    fi
    _remote_env_kill_ns "$name-t"
    _remote_env_kill_ns "$name"
    # the namespaces' mount namespaces (tmpfs /run, bind mounts) die with
    # their last process; deleting a network namespace deletes its links
    if _remote_env_ns_exists "$name-t"; then ip netns del "$name-t" || true; fi
    if _remote_env_ns_exists "$name"; then ip netns del "$name" || true; fi
    if [ -d "$dir" ]; then
        if [ -f "$dir/created-dirs" ]; then
            while read -r d; do
                case $d in /etc/libvirt | /var/lib/libvirt | /var/cache/libvirt | /var/log/libvirt)
                    rmdir "$d" 2>/dev/null ;;
                esac
            done <"$dir/created-dirs"
        fi
        if [ "${REMOTE_ENV_KEEP_DIR:-0}" = 1 ]; then
            _remote_env_log "kept $dir"
        else
            rm -rf "$dir"
        fi
    fi
    if [ "${REMOTE_ENV_NS:-}" = "$name" ]; then
        unset REMOTE_ENV_NS REMOTE_ENV_DIR REMOTE_ENV_BRIDGE REMOTE_ENV_KEY \
            REMOTE_ENV_KNOWN_HOSTS REMOTE_ENV_SSH_WRAPPER REMOTE_ENV_URI_SSH \
            REMOTE_ENV_URI_LIBSSH REMOTE_ENV_LIBVIRTD_PID REMOTE_ENV_TESTER_NS \
            REMOTE_ENV_TESTER_ADDR REMOTE_ENV_TESTER_URI REMOTE_ENV_TESTER_KNOWN_HOSTS \
            REMOTE_ENV_TESTER_HOSTKEY_PUB
    fi
    return 0
}
