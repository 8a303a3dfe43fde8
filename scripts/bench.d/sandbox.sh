#!/bin/bash
# Minimal stand-in for scripts/sandbox (same interface, same addresses), used by scripts/bench until the
# shared one lands on main. Needs root.
#
#   sandbox.sh up NAME      create netns NAME-h (plays the host) and NAME-r (plays the remote network)
#   sandbox.sh down NAME    delete both (idempotent)
#   sandbox.sh exec NAME host|remote CMD...   run CMD (as root) in one of them
#   sandbox.sh prereq       make sure the unprivileged user jpasta-test exists and /dev/net/tun is 0666
#
# NAME-h: lo up; veth up0 198.51.100.2/30 and 2001:db8:1::2/64, default routes via 198.51.100.1 and
#         2001:db8:1::1.
# NAME-r: lo up, carrying the servers' addresses 198.51.100.200/32 and 2001:db8:2::10/128; veth down0
#         198.51.100.1/30 and 2001:db8:1::1/64; forwarding on (it is the host's "router").
# Nothing is created in the init namespace: the veth pair is created inside NAME-h with its peer in NAME-r.
set -euo pipefail

TEST_USER=${JPASTA_TEST_USER:-jpasta-test}

die() { echo "sandbox: $*" >&2; exit 1; }

check_name() {
    [[ ${1:-} =~ ^[A-Za-z0-9_.-]{1,20}$ ]] || die "bad sandbox name '${1:-}' (1-20 of [A-Za-z0-9_.-])"
}

# Wait (bounded) until no address of netns $1 is tentative (IPv6 DAD), so connects do not fail early.
wait_no_tentative() {
    local i
    for i in $(seq 1 200); do
        ip -n "$1" -6 addr show tentative | grep -q inet6 || return 0
        sleep 0.02
    done
    die "IPv6 addresses in $1 still tentative after 4 s"
}

up() {
    local n=$1 h="$1-h" r="$1-r"
    check_name "$n"
    if ip netns list | grep -qw -- "$h"; then die "netns $h exists already (another run? try: $0 down $n)"; fi
    ip netns add "$h"
    ip netns add "$r" || { ip netns del "$h"; die "cannot create netns $r"; }
    {
        ip -n "$h" link set lo up
        ip -n "$r" link set lo up
        ip -n "$h" link add up0 type veth peer name down0 netns "$r"
        ip -n "$h" link set up0 up
        ip -n "$r" link set down0 up
        ip -n "$h" addr add 198.51.100.2/30 dev up0
        ip -n "$h" addr add 2001:db8:1::2/64 dev up0 nodad
        ip -n "$r" addr add 198.51.100.1/30 dev down0
        ip -n "$r" addr add 2001:db8:1::1/64 dev down0 nodad
        ip -n "$r" addr add 198.51.100.200/32 dev lo
        ip -n "$r" addr add 2001:db8:2::10/128 dev lo nodad
        ip -n "$h" route add default via 198.51.100.1 dev up0
        ip -n "$h" -6 route add default via 2001:db8:1::1 dev up0
        ip netns exec "$r" sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
        # Let the unprivileged test user open ICMP echo sockets in the host netns, as on a desktop.
        ip netns exec "$h" sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
        wait_no_tentative "$h"
        wait_no_tentative "$r"
    } || { down "$n"; die "setup of $n failed"; }
}

down() {
    local n=$1
    check_name "$n"
    ip netns del "$n-h" 2>/dev/null || true
    ip netns del "$n-r" 2>/dev/null || true
}

run_in() {
    local n=$1 side=$2
    shift 2
    check_name "$n"
    case $side in
        host) exec ip netns exec "$n-h" "$@" ;;
        remote) exec ip netns exec "$n-r" "$@" ;;
        *) die "exec: side must be host or remote, not '$side'" ;;
    esac
}

prereq() {
    if ! id "$TEST_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$TEST_USER"
    fi
    [[ -c /dev/net/tun ]] || die "/dev/net/tun missing"
    chmod 0666 /dev/net/tun
}

[[ $(id -u) == 0 ]] || die "needs root"
case ${1:-} in
    up) up "${2:?name}" ;;
    down) down "${2:?name}" ;;
    exec) [[ $# -ge 4 ]] || die "usage: exec NAME host|remote CMD..."; run_in "$2" "$3" "${@:4}" ;;
    prereq) prereq ;;
    *) die "usage: $0 up NAME | down NAME | exec NAME host|remote CMD... | prereq" ;;
esac
