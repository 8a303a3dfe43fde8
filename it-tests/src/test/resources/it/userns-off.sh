#!/bin/bash
# usage (as root): userns-off.sh UID CMD...
# Runs CMD as UID inside a new user namespace that maps ids 0..UID to themselves and whose
# user.max_user_namespaces is 0, so that CMD cannot create a user namespace of its own: a host where
# unprivileged user namespaces are disabled, as far as CMD can tell. The namespace's root writes the sysctl; the
# mapping is written from outside, then the inner shell re-executes so that it holds its capabilities as uid 0.
set -u
uid=$1
shift
go=$(mktemp -u)
unshare --user bash -c '
    for i in $(seq 500); do [ -e "$0" ] && break; sleep 0.01; done
    rm -f "$0"
    exec bash -c '"'"'echo 0 > /proc/sys/user/max_user_namespaces || exit 99
        exec setpriv --reuid="$0" --regid="$0" --clear-groups "$@"'"'"' "$@"' "$go" "$uid" "$@" &
pid=$!
for i in $(seq 500); do [ "$(readlink /proc/$pid/ns/user)" != "$(readlink /proc/self/ns/user)" ] && break; sleep 0.01; done
echo "0 0 $((uid + 1))" >/proc/$pid/uid_map
echo "0 0 $((uid + 1))" >/proc/$pid/gid_map
touch "$go"
wait $pid
