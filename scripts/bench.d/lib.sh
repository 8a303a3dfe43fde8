# Functions of scripts/bench (sourced). Every wait is bounded; every process started is tracked by PID and
# ended by cleanup(), which also removes the sandbox and the work directory (EXIT trap, also after Ctrl-C).
# shellcheck shell=bash

TEST_USER=${JPASTA_TEST_USER:-jpasta-test}
LOCK_FILE=${BENCH_LOCK:-/run/lock/jpasta-bench.lock}
LOCK_WAIT=${BENCH_LOCK_WAIT:-60}
JAVA_HOME=${BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA=$JAVA_HOME/bin/java
SB=bench-$$                 # sandbox name: netns bench-PID-h and bench-PID-r
HOLD_S=900                  # the helper's namespace command (sleep) lives at most this long
HOST_V4=198.51.100.2 HOST_V6=2001:db8:1::2
HOSTX_V4=203.0.113.1 HOSTX_V6=2001:db8:3::1        # extra host address on lo: target of tap-ns-host
REMOTE_V4=198.51.100.200 REMOTE_V6=2001:db8:2::10
declare -a PIDS=()
WORK= SANDBOX= SB_UP=0 HPID= NSPID= HLOG= GCLOG= PORT_SEQ=0 MEASURED=0

log() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

check_tools() {
    local missing=() t
    for t in iperf3 hyperfine socat nsenter setpriv flock timeout ip; do
        command -v "$t" >/dev/null || missing+=("$t")
    done
    [[ -x $JAVA ]] || die "Java 25 not found at $JAVA (set BENCH_JAVA_HOME)"
    [[ ${#missing[@]} == 0 ]] || die "missing tools: ${missing[*]} (apt-get install iperf3 hyperfine socat util-linux iproute2)"
    command -v gnuplot >/dev/null || log "gnuplot not installed: the report will have no plots (apt-get install gnuplot-nox)"
    [[ -x /usr/bin/pasta ]] || log "/usr/bin/pasta missing: the reference column will fail (apt-get install passt)"
}

take_lock() {
    exec 9>"$LOCK_FILE" || die "cannot open lock $LOCK_FILE"
    if ! flock -n 9; then
        log "another benchmark holds $LOCK_FILE: waiting up to ${LOCK_WAIT}s"
        flock -w "$LOCK_WAIT" 9 || die "another benchmark still holds $LOCK_FILE"
    fi
}

# Kill $1 and all its descendants (collected first, so re-parenting cannot hide them): TERM, up to 2 s, KILL.
kill_tree() {
    local pid=$1 all p i
    [[ -n $pid && -d /proc/$pid ]] || return 0
    all="$pid $(descendants "$pid")"
    for p in $all; do kill -TERM "$p" 2>/dev/null; done
    for i in $(seq 1 100); do
        local alive=0
        for p in $all; do is_alive "$p" && alive=1; done
        [[ $alive == 0 ]] && break
        sleep 0.02
    done
    for p in $all; do kill -KILL "$p" 2>/dev/null; done
    wait "$pid" 2>/dev/null
    forget "$pid"
    return 0
}

# Stop tracking a PID that is gone, so cleanup never signals a reused PID.
forget() {
    local keep=() p
    for p in "${PIDS[@]}"; do [[ $p != "$1" ]] && keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# A zombie (exited, not yet reaped) counts as dead.
is_alive() {
    local st
    st=$(sed 's/^.*) //' /proc/"$1"/stat 2>/dev/null) || return 1
    [[ -n $st && ${st:0:1} != Z ]]
}

descendants() {
    local kids k
    kids=$(cat /proc/"$1"/task/*/children 2>/dev/null)
    for k in $kids; do
        echo "$k"
        descendants "$k"
    done
}

cleanup() {
    local rc=$? p
    trap - EXIT INT TERM HUP
    [[ -n $NSPID ]] && kill -KILL "$NSPID" 2>/dev/null
    for p in "${PIDS[@]}"; do kill_tree "$p"; done
    if [[ $SB_UP == 1 ]]; then
        "$SANDBOX" down "$SB" || log "could not remove sandbox $SB"
    fi
    [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
    exit "$rc"
}

# Start "$@" in the background, remember its PID in BG.
bg() {
    "$@" 9>&- &     # fd 9 holds the lock: a straggler must not keep it
    BG=$!
    PIDS+=("$BG")
}

# Wait until file $1 contains regex $2, at most $3 seconds; fail early when PID $4 (optional) is gone.
wait_for() {
    local file=$1 re=$2 secs=$3 pid=${4:-} i
    for i in $(seq 1 $((secs * 50))); do
        grep -qE -- "$re" "$file" 2>/dev/null && return 0
        if [[ -n $pid && ! -d /proc/$pid ]]; then
            grep -qE -- "$re" "$file" 2>/dev/null && return 0
            return 1
        fi
        sleep 0.02
    done
    return 1
}

next_port() {
    PORT_SEQ=$((PORT_SEQ + 1))
    PORT=$((20000 + (PORT_SEQ % 20000)))
}

# ---- preparation ----

prepare_work() {
    WORK=$(mktemp -d /tmp/jpasta-bench.XXXXXX) || die "mktemp failed"
    chmod 755 "$WORK"
    mkdir -p "$WORK/gc" "$WORK/tmp" && chmod 1777 "$WORK/gc" "$WORK/tmp"
    local src=$ROOT/it-tests/src/main/java/io/jpasta/bench cache=$ROOT/it-tests/target/bench-classes
    if [[ ! -f $cache/io/jpasta/bench/RrTool.class ]] || [[ -n $(find "$src" -newer "$cache/io/jpasta/bench/RrTool.class" -name '*.java' 2>/dev/null) ]]; then
        rm -rf "$cache" && mkdir -p "$cache"
        "$JAVA_HOME/bin/javac" -d "$cache" "$src"/*.java || die "cannot compile the bench tools ($src)"
        touch "$cache/io/jpasta/bench/RrTool.class"
    fi
    cp -r "$cache" "$WORK/classes" && chmod -R a+rX "$WORK/classes"
    ulimit -n 65536 2>/dev/null || ulimit -n 16384 2>/dev/null || log "cannot raise the fd limit: $(ulimit -n)"
}

sandbox_up() {
    SANDBOX=$ROOT/scripts/sandbox
    "$ROOT/scripts/setup" || die "scripts/setup failed: cannot prepare user $TEST_USER and /dev/net/tun"
    "$SANDBOX" up "$SB" || die "sandbox up failed"
    SB_UP=1
    # A host address that is neither the namespace's copy nor the gateway: target of the tap-ns-host path.
    "$SANDBOX" exec "$SB" host ip addr add "$HOSTX_V4/32" dev lo || die "cannot add $HOSTX_V4"
    "$SANDBOX" exec "$SB" host ip addr add "$HOSTX_V6/128" dev lo nodad || die "cannot add $HOSTX_V6"
    HOST_NETNS=$(stat -L -c %i /run/netns/"$SB-h") || die "no /run/netns/$SB-h"
}

as_user() { setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups -- "$@"; }
in_host() { "$SANDBOX" exec "$SB" host setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups -- "$@"; }
in_remote() { "$SANDBOX" exec "$SB" remote setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups -- "$@"; }
in_ns() { nsenter -t "$NSPID" -n setpriv --reuid="$TEST_USER" --regid="$TEST_USER" --clear-groups -- "$@"; }
java_run() { "$JAVA" -XX:+UseSerialGC -XX:-UsePerfData -cp "$WORK/classes" "$@"; }
rrtool() { "$JAVA" -XX:+UseSerialGC -XX:-UsePerfData -Xss512k -cp "$WORK/classes" io.jpasta.bench.RrTool "$@"; }
# Run "$@" on side $1: host, remote or ns (the current helper's namespace).
on() {
    local side=$1
    shift
    case $side in host) in_host "$@" ;; remote) in_remote "$@" ;; ns) in_ns "$@" ;; esac
}

write_conditions() {
    local f=$OUT/conditions.tsv i
    if [[ $1 == start ]]; then
        {
            printf 'timestamp\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
            printf 'group\t%s\n' "$GROUP"
            printf 'helpers\t%s\n' "${HELPER_NAMES[*]}"
            for i in "${!HELPER_NAMES[@]}"; do
                printf 'helper %s\t%s (%s)\n' "${HELPER_NAMES[$i]}" "${HELPER_PATHS[$i]}" "$(helper_version "${HELPER_PATHS[$i]}")"
            done
            if [[ ${HELPER_NAMES[0]} == jpasta && -e ${HELPER_PATHS[0]} && $(readlink -f "${HELPER_PATHS[0]}") == $(readlink -f /usr/bin/pasta) ]]; then
                printf 'jpasta_is_reference\t%s\n' "the same binary as /usr/bin/pasta"
            fi
            printf 'repetitions\t%s\n' "$REPS"
            printf 'run duration\t%s s (iperf3 interval %s s)\n' "$DUR" "$INTERVAL"
            printf 'families\t%s\n' "$(for f4 in $FAMILIES; do printf 'v%s ' "$f4"; done)"
            printf 'udp rate limit\t%s\n' "$UDP_RATE"
            printf 'nproc\t%s\n' "$(nproc)"
            printf 'cpu\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
            printf 'kernel\t%s\n' "$(uname -r)"
            printf 'memory\t%s\n' "$(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}')"
            printf 'cpu governor\t%s\n' "$(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null || echo n/a)"
            printf 'load at start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
            printf 'tools\t%s; %s; %s; %s\n' "$(iperf3 --version | head -1)" "$(hyperfine --version)" \
                "$("$JAVA" -version 2>&1 | head -1)" "$(socat -V 2>/dev/null | grep -m1 'socat version' | cut -d' ' -f1-3)"
            printf 'sandbox\t%s\n' "$SANDBOX"
        } >"$f"
    else
        printf 'load at end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$f"
        printf 'measurements\t%s in %s s\n' "$MEASURED" "$SECONDS" >>"$f"
    fi
}

helper_version() {
    [[ -x $1 ]] || { echo "not found"; return; }
    timeout 10 "$1" --version 2>/dev/null | head -1 || echo "version unknown"
}

# ---- rows ----

row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; }
failed_row() { row "$1" "$2" "$3" failed 1 "" "$(echo "$4" | tr '\t\n' '  ' | cut -c1-300)"; log "  $1 $2 rep $3: failed: $4"; }
# parse_rows KIND OUTPUT CASE HELPER REP [STDERR]: queue a tool output for parsing; parse_all turns the queue
# into rows with one JVM at the end (a JVM per measurement would add half a second to each).
parse_rows() {
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "${6:-}" >>"$OUT/raw/parse-jobs.tsv"
}

parse_all() {
    [[ -s $OUT/raw/parse-jobs.tsv ]] || return 0
    java_run io.jpasta.bench.Rows --jobs "$OUT/raw/parse-jobs.tsv" >>"$RAW" 2>>"$OUT/raw/parse-errors.log" \
        || die "could not parse the tool outputs (see $OUT/raw/parse-errors.log)"
}

# ---- helpers (pasta-compatible binaries) ----

# helper_start NAME PATH TAG FWD-OPTIONS...: start the helper as the test user in the host netns with a sleep as
# its namespace command; sets HPID (helper), NSPID (the sleep, inside the helper's namespace), HLOG, GCLOG.
# Returns 1 with HFAIL set when it does not come up within 15 s.
helper_start() {
    local name=$1 path=$2 tag=$3 i nsi p
    shift 3
    HLOG=$OUT/raw/$tag.helper.log HPID= NSPID= HFAIL= GCLOG=
    if [[ ! -x $path ]]; then
        HFAIL="helper binary not found or not executable: $path"
        return 1
    fi
    local jopts=${JPASTA_JAVA_OPTS:-}
    if [[ $name == jpasta ]]; then
        GCLOG=$WORK/gc/$tag.log
        jopts="$jopts -Xlog:gc:file=$GCLOG"
    fi
    JPASTA_JAVA_OPTS=$jopts bg in_host "$path" -f --config-net "$@" -- sleep "$HOLD_S" >"$HLOG" 2>&1
    HPID=$BG
    for i in $(seq 1 300); do
        if [[ ! -d /proc/$HPID ]]; then
            wait "$HPID" 2>/dev/null
            HFAIL="helper exited with status $? before its namespace was up: $(tail -n1 "$HLOG" 2>/dev/null)"
            return 1
        fi
        if [[ -z $NSPID ]]; then
            for p in $(descendants "$HPID"); do
                nsi=$(stat -L -c %i /proc/"$p"/ns/net 2>/dev/null) || continue
                if [[ $nsi != "$HOST_NETNS" && $(cat /proc/"$p"/comm 2>/dev/null) == sleep ]]; then
                    NSPID=$p
                    # Tracked on its own: it is init of the helper's PID namespace and outlives a dead helper.
                    PIDS+=("$NSPID")
                fi
            done
        fi
        if [[ -n $NSPID ]] && ns_configured; then
            return 0
        fi
        sleep 0.05
    done
    HFAIL="namespace not configured within 15 s (addresses/routes missing): $(tail -n1 "$HLOG" 2>/dev/null)"
    helper_stop
    return 1
}

# The namespace has the host's addresses (v6 no longer tentative) and default routes, as --config-net promises.
ns_configured() {
    local a
    a=$(nsenter -t "$NSPID" -n ip addr show 2>/dev/null) || return 1
    grep -q "inet $HOST_V4/" <<<"$a" || return 1
    nsenter -t "$NSPID" -n ip -4 route show default | grep -q default || return 1
    if [[ $FAMILIES == *6* ]]; then
        grep "inet6 $HOST_V6/" <<<"$a" | grep -qv tentative || return 1
        nsenter -t "$NSPID" -n ip -6 route show default | grep -q default || return 1
    fi
}

helper_stop() {
    # The sleep is init of the helper's PID namespace: it ignores TERM from outside, so it gets KILL at once.
    [[ -n $NSPID ]] && kill -KILL "$NSPID" 2>/dev/null
    [[ -n $HPID ]] && kill_tree "$HPID"
    [[ -n $NSPID ]] && forget "$NSPID"
    HPID= NSPID=
}

# Processes of the helper: its tree without our own wrappers (shell, ip netns exec, setpriv, timeout) and
# without its namespace command (the sleep).
helper_procs() {
    local p
    for p in $HPID $(descendants "$HPID"); do
        [[ $p == "$NSPID" ]] && continue
        case $(cat /proc/"$p"/comm 2>/dev/null) in bash|sh|dash|ip|setpriv|nsenter|timeout|sandbox|sandbox.sh|'') continue ;; esac
        echo "$p"
    done
}

# CPU seconds (user+system, children included) of the helper's processes.
helper_cpu() {
    local p total=0 t
    for p in $(helper_procs); do
        t=$(sed 's/^.*) //' /proc/"$p"/stat 2>/dev/null | awk '{print $12 + $13 + $14 + $15}') || continue
        total=$((total + ${t:-0}))
    done
    awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.4f", t / hz}'
}

# RSS in MiB of the helper's processes.
helper_rss() {
    local p total=0 kb
    for p in $(helper_procs); do
        kb=$(awk '/^VmRSS:/ {print $2}' /proc/"$p"/status 2>/dev/null)
        total=$((total + ${kb:-0}))
    done
    awk -v k="$total" 'BEGIN {printf "%.2f", k / 1024}'
}

# grep -c prints 0 (and fails) when there was no pause: that is a count, not a missing log
gc_count() { if [[ -n $GCLOG && -f $GCLOG ]]; then grep -c 'Pause' "$GCLOG" || true; else echo -; fi; }

# ---- case geometry ----

# set SRV (side of the server), CLI (side of the client), DST (address the client connects to), FWD (helper
# port options) for path $1, family $2, port $3.
geometry() {
    local path=$1 fam=$2 port=$3 none="-t none -u none -T none -U none"
    local h=$HOST_V4 hx=$HOSTX_V4 r=$REMOTE_V4 lo=127.0.0.1
    if [[ $fam == 6 ]]; then h=$HOST_V6 hx=$HOSTX_V6 r=$REMOTE_V6 lo=::1; fi
    case $path in
        tap-host-ns) SRV=ns CLI=host DST=$h FWD="-t $port -u $port -T none -U none" ;;
        splice-host-ns) SRV=ns CLI=host DST=$lo FWD="-t $port -u $port -T none -U none" ;;
        tap-ns-host) SRV=host CLI=ns DST=$hx FWD=$none ;;
        splice-ns-host) SRV=host CLI=ns DST=$lo FWD="-t none -u none -T $port -U $port" ;;
        tap-ns-remote) SRV=remote CLI=ns DST=$r FWD=$none ;;
        bare-loopback) SRV=host CLI=host DST=$lo FWD= ;;
        bare-veth) SRV=remote CLI=host DST=$r FWD= ;;
        *) die "unknown path $path" ;;
    esac
    # A server on the host or remote side binds the address its client targets: those netns have several
    # addresses, and a UDP answer from a wildcard socket would leave from another one and miss the flow.
    BIND=()
    case $SRV in host|remote) BIND=(-B "$DST") ;; esac
}

# Helpers for one repetition, rotated so no helper always runs first.
helpers_for_rep() {
    local rep=$1 n=${#HELPER_NAMES[@]} i
    ORDER=()
    for i in $(seq 0 $((n - 1))); do ORDER+=($(((i + rep - 1) % n))); done
}

# run_case FUNCTION TEST PATH FAMILY: all repetitions, helpers alternating run by run (bare: kernel only).
run_case() {
    local fn=$1 test=$2 path=$3 fam=$4 rep i
    local case_id="$test/$path/v$fam"
    [[ -z ${ONLY:-} || $case_id =~ $ONLY ]] || return 0
    log "${case_id//v-/-}"
    for rep in $(seq 1 "$REPS"); do
        if [[ $path == bare-* ]]; then
            "$fn" "$test" "$path" "$fam" bare "" "$rep"
            continue
        fi
        helpers_for_rep "$rep"
        for i in "${ORDER[@]}"; do
            "$fn" "$test" "$path" "$fam" "${HELPER_NAMES[$i]}" "${HELPER_PATHS[$i]}" "$rep"
        done
    done
}

# ---- measurements ----

# One iperf3 run through one helper (or bare). Rows: throughput/goodput..., cpu_s, gc.
measure_iperf() {
    local test=$1 path=$2 fam=$3 name=$4 bin=$5 rep=$6 args
    local case_id="$test/$path/v$fam" tag
    tag=$(echo "$case_id-$name-$rep" | tr '/' '_')
    MEASURED=$((MEASURED + 1))
    case $test in
        tcp1) args=(-P 1) ;;
        tcp4) args=(-P 4) ;;
        udp-max) args=(-u -l 1400 -b 0) ;;
        udp-rate) args=(-u -l 1400 -b "$UDP_RATE") ;;
    esac
    next_port
    geometry "$path" "$fam" "$PORT"
    if [[ $name != bare ]]; then
        # shellcheck disable=SC2086
        helper_start "$name" "$bin" "$tag" $FWD || { failed_row "$case_id" "$name" "$rep" "$HFAIL"; return; }
    fi
    local srv_out=$OUT/raw/$tag.server.txt cli_out=$OUT/raw/$tag.iperf3.json cli_err=$OUT/raw/$tag.iperf3.err
    bg on "$SRV" timeout $((DUR + 30)) iperf3 -s -1 --forceflush -p "$PORT" "${BIND[@]}" >"$srv_out" 2>&1
    local spid=$BG
    if ! wait_for "$srv_out" 'listening' 10 "$spid"; then
        failed_row "$case_id" "$name" "$rep" "iperf3 server did not start: $(tail -n1 "$srv_out")"
        kill_tree "$spid"; helper_stop; return
    fi
    local cpu0 gc0 cpu1 gc1
    [[ $name != bare ]] && cpu0=$(helper_cpu) && gc0=$(gc_count)
    on "$CLI" timeout $((DUR + 20)) iperf3 -c "$DST" -p "$PORT" -t "$DUR" -i "$INTERVAL" -J --connect-timeout 3000 \
        "${args[@]}" >"$cli_out" 2>"$cli_err"
    [[ $? == 124 ]] && echo "bench: iperf3 client stopped after $((DUR + 20)) s (timeout)" >>"$cli_err"
    if [[ $name != bare ]]; then
        cpu1=$(helper_cpu) gc1=$(gc_count)
        if [[ ! -d /proc/$HPID ]]; then
            failed_row "$case_id" "$name" "$rep" "helper died during the transfer: $(tail -n1 "$HLOG")"
        fi
    fi
    parse_rows iperf3 "$cli_out" "$case_id" "$name" "$rep" "$cli_err"
    if [[ $name != bare ]] && grep -q '"bits_per_second"' "$cli_out" && ! grep -q '"error"' "$cli_out"; then
        row "$case_id" "$name" "$rep" cpu_s "$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN {printf "%.4f", b - a}')" s ""
        [[ $gc0 != - && $gc1 != - ]] && row "$case_id" "$name" "$rep" gc $((gc1 - gc0)) count ""
    fi
    kill_tree "$spid"
    helper_stop
}

# One request/response run (tcp-rr, udp-rr, tcp-crr) through one helper (or bare).
measure_rr() {
    local test=$1 path=$2 fam=$3 name=$4 bin=$5 rep=$6 mode
    local case_id="$test/$path/v$fam" tag
    tag=$(echo "$case_id-$name-$rep" | tr '/' '_')
    MEASURED=$((MEASURED + 1))
    next_port
    geometry "$path" "$fam" "$PORT"
    if [[ $name != bare ]]; then
        # shellcheck disable=SC2086
        helper_start "$name" "$bin" "$tag" $FWD || { failed_row "$case_id" "$name" "$rep" "$HFAIL"; return; }
    fi
    local srv_out=$OUT/raw/$tag.server.txt cli_out=$OUT/raw/$tag.rr.txt cli_err=$OUT/raw/$tag.rr.err
    bg on "$SRV" timeout $((DUR + 40)) "$JAVA" -XX:+UseSerialGC -XX:-UsePerfData -cp "$WORK/classes" \
        io.jpasta.bench.RrTool server --port "$PORT" "${BIND[@]}" --life $((DUR + 35)) >"$srv_out" 2>&1
    local spid=$BG
    if ! wait_for "$srv_out" '^listening' 15 "$spid"; then
        failed_row "$case_id" "$name" "$rep" "RrTool server did not start: $(tail -n1 "$srv_out")"
        kill_tree "$spid"; helper_stop; return
    fi
    case $test in
        tcp-rr) mode=(rr) ;;
        udp-rr) mode=(rr --udp) ;;
        tcp-crr) mode=(crr) ;;
    esac
    on "$CLI" timeout $((DUR + 25)) "$JAVA" -XX:+UseSerialGC -XX:-UsePerfData -cp "$WORK/classes" \
        io.jpasta.bench.RrTool "${mode[@]}" --to "$DST" --port "$PORT" --duration "$DUR" >"$cli_out" 2>"$cli_err"
    [[ $? == 124 ]] && echo "bench: RrTool client stopped after $((DUR + 25)) s (timeout)" >>"$cli_err"
    parse_rows tool "$cli_out" "$case_id" "$name" "$rep" "$cli_err"
    kill_tree "$spid"
    helper_stop
}

# Startup: hyperfine over `HELPER --config-net -- true`, median of this repetition's runs.
measure_startup() {
    local name=$4 bin=$5 rep=$6 case_id="startup/-/-" tag
    tag="startup-$name-$rep"
    MEASURED=$((MEASURED + 1))
    [[ -x $bin ]] || { failed_row "$case_id" "$name" "$rep" "helper binary not found or not executable: $bin"; return; }
    local json=$OUT/raw/$tag.hyperfine.json err=$OUT/raw/$tag.hyperfine.err tmp=$WORK/tmp/$tag.json
    # hyperfine runs as the test user, so it exports into the world-writable work directory first.
    (cd "$WORK/tmp" && in_host timeout 300 hyperfine -N --style basic --warmup 1 --runs "$STARTUP_RUNS" \
        --export-json "$tmp" "$bin --config-net -- true") >"$err" 2>&1
    [[ -f $tmp ]] && cp "$tmp" "$json" && rm -f "$tmp"
    parse_rows hyperfine "$json" "$case_id" "$name" "$rep" "$err"
}

# Time from spawning the helper (socat server as its command) until a forwarded port sends its first byte.
measure_ready() {
    local path=$2 name=$4 bin=$5 rep=$6 case_id="ready/$2/v4" tag dst
    tag="ready-$path-$name-$rep"
    MEASURED=$((MEASURED + 1))
    [[ -x $bin ]] || { failed_row "$case_id" "$name" "$rep" "helper binary not found or not executable: $bin"; return; }
    next_port
    if [[ $path == tap-host-ns ]]; then dst=$HOST_V4; else dst=127.0.0.1; fi
    local out=$OUT/raw/$tag.txt err=$OUT/raw/$tag.err
    in_host timeout 40 "$JAVA" -XX:+UseSerialGC -XX:-UsePerfData -cp "$WORK/classes" io.jpasta.bench.RrTool ready \
        --to "$dst" --port "$PORT" --life 20 -- "$bin" -f --config-net -t "$PORT" -u none -T none -U none \
        -- socat "TCP-LISTEN:$PORT,reuseaddr,fork" "SYSTEM:echo R" >"$out" 2>"$err"
    parse_rows tool "$out" "$case_id" "$name" "$rep" "$err"
}

# RSS of the helper idle, then holding CONNS connections through the tap path and through the splice path.
measure_rss() {
    local name=$4 bin=$5 rep=$6 tag path dst
    tag="rss-$name-$rep"
    MEASURED=$((MEASURED + 1))
    next_port
    helper_start "$name" "$bin" "$tag" -t "$PORT" -u none -T none -U none \
        || { failed_row "rss/-/-" "$name" "$rep" "$HFAIL"; return; }
    local srv_out=$OUT/raw/$tag.server.txt
    bg in_ns timeout 120 "$JAVA" -XX:+UseSerialGC -XX:-UsePerfData -Xss256k -cp "$WORK/classes" \
        io.jpasta.bench.RrTool server --port "$PORT" --life 110 >"$srv_out" 2>&1
    local spid=$BG
    if ! wait_for "$srv_out" '^listening' 15 "$spid"; then
        failed_row "rss/-/-" "$name" "$rep" "RrTool server did not start: $(tail -n1 "$srv_out")"
        kill_tree "$spid"; helper_stop; return
    fi
    row "rss/-/-" "$name" "$rep" rss_idle "$(helper_rss)" MiB ""
    for path in tap-host-ns splice-host-ns; do
        if [[ $path == tap-host-ns ]]; then dst=$HOST_V4; else dst=127.0.0.1; fi
        # a spliced connection costs the helper 6 descriptors (2 sockets, 2 pipes): stay under the test user's
        # hard limit of open files (ulimit -Hn, 20000 here)
        local n=$CONNS max_splice=$(( ($(in_host sh -c 'ulimit -Hn') - 1000) / 6 ))
        if [[ $path == splice-host-ns ]] && ((n > max_splice)); then n=$max_splice; fi
        local hold_out=$OUT/raw/$tag-$path.hold.txt
        bg in_host timeout 90 "$JAVA" -XX:+UseSerialGC -XX:-UsePerfData -cp "$WORK/classes" io.jpasta.bench.RrTool \
            hold --to "$dst" --port "$PORT" --count "$n" --life 60 >"$hold_out" 2>&1
        local hpid_hold=$BG
        if wait_for "$hold_out" '^(held|error)' 60 "$hpid_hold" && grep -q '^held' "$hold_out"; then
            row "rss/$path/v4" "$name" "$rep" rss "$(helper_rss)" MiB "with $n connections"
            row "rss/$path/v4" "$name" "$rep" held "$n" count ""
        else
            failed_row "rss/$path/v4" "$name" "$rep" "could not hold $n connections: $(tail -n1 "$hold_out")"
        fi
        kill_tree "$hpid_hold"
    done
    kill_tree "$spid"
    helper_stop
}

# ---- groups ----

run_iperf_case() { run_case measure_iperf "$1" "$2" "$3"; }

run_startup_group() {
    run_case measure_startup startup - -
    run_case measure_ready ready tap-host-ns 4
    run_case measure_ready ready splice-host-ns 4
    run_case measure_rss rss - -
}

run_tcp_group() {
    local kind=$1 t p f paths
    if [[ $kind == tap ]]; then paths="tap-host-ns tap-ns-host tap-ns-remote bare-veth"; else paths="splice-host-ns splice-ns-host bare-loopback"; fi
    for t in tcp1 tcp4; do for p in $paths; do for f in $FAMILIES; do run_iperf_case "$t" "$p" "$f"; done; done; done
}

run_udp_group() {
    local t p f
    for t in udp-max udp-rate; do
        for p in tap-host-ns tap-ns-host tap-ns-remote splice-host-ns splice-ns-host bare-loopback bare-veth; do
            for f in $FAMILIES; do run_iperf_case "$t" "$p" "$f"; done
        done
    done
}

run_latency_group() {
    local t p f
    for t in tcp-rr udp-rr tcp-crr; do
        for p in tap-host-ns tap-ns-host tap-ns-remote splice-host-ns splice-ns-host bare-loopback bare-veth; do
            for f in $FAMILIES; do run_case measure_rr "$t" "$p" "$f"; done
        done
    done
}

# ---- smoke ----

# The harness works when the reference pasta moved data, the row parsed, and the report names the case.
smoke_check() {
    local dir=$1
    awk -F'\t' '$1 == "tcp1/tap-host-ns/v4" && $2 == "pasta" && $4 == "throughput" && $5 > 0 {ok = 1} END {exit !ok}' \
        "$dir/raw.tsv" || { log "smoke: no positive throughput row for pasta in $dir/raw.tsv"; cat "$dir/raw.tsv" >&2; return 1; }
    awk -F'\t' '$4 == "cpu_s" {ok = 1} END {exit !ok}' "$dir/raw.tsv" || { log "smoke: no cpu_s row"; return 1; }
    grep -q 'TCP bulk, 1 stream' "$dir/report.md" || { log "smoke: report.md lacks the case"; return 1; }
    grep -q 'tap-host-ns v4 | throughput' "$dir/report.md" || { log "smoke: report.md lacks the row"; return 1; }
}
