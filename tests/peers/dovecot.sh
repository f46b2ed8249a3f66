#!/usr/bin/env bash
# A throwaway Dovecot POP3 server on 127.0.0.1 for tests/interop_dovecot.rs.
#
#   tests/peers/dovecot.sh start   # prints `export POP3_PROTO_DOVECOT=127.0.0.1:PORT`
#   tests/peers/dovecot.sh env     # prints it again for a running peer
#   tests/peers/dovecot.sh stop    # stops exactly the Dovecot that `start` started
#
# `start` puts everything (configuration, passwd file, Maildirs, base_dir,
# state_dir, log) in a fresh temporary directory and records that directory
# in a state file, one per checkout (override with POP3_PROTO_DOVECOT_STATE),
# so that two checkouts on one machine each get their own server. A second
# `start` while the peer runs prints its address again; `stop` with nothing
# running does nothing. Run as root (Dovecot switches to its own users);
# needs the Debian packages dovecot-core and dovecot-pop3d.
#
# The users (every password stored as {PLAIN}, so that Dovecot can serve
# PLAIN, LOGIN, CRAM-MD5 and both SCRAMs from it):
#   alice    secret
#   bob      the password in BOB_PASSWORD below (`,` `=` and spaces)
#   o=d,d    secret (`=` and `,` in the name: SCRAM escapes them as =3D, =2C)
# Each has a Maildir with the same two messages.
set -euo pipefail

BOB_PASSWORD='pa ss,w=rd =x, y'

repo=$(cd "$(dirname "$0")/../.." && pwd)
checkout_id=$(printf '%s' "$repo" | cksum | cut -d' ' -f1)
state=${POP3_PROTO_DOVECOT_STATE:-${TMPDIR:-/tmp}/pop3-proto-dovecot-$(id -u)-$checkout_id.state}
dovecot=${DOVECOT:-$(command -v dovecot || echo /usr/sbin/dovecot)}
# Marks a directory as one of ours, so that `stop` never removes another.
marker=pop3-proto-dovecot-peer

say() { printf 'dovecot.sh: %s\n' "$*" >&2; }

# The running peer's directory, or nothing.
running_dir() {
    [ -f "$state" ] || return 0
    local dir pid
    dir=$(cat "$state")
    [ -f "$dir/$marker" ] && [ -f "$dir/pid" ] || return 0
    pid=$(cat "$dir/pid")
    if is_ours "$pid" "$dir"; then
        printf '%s\n' "$dir"
    fi
}

# True when PID is alive and is the Dovecot master started with DIR's
# configuration.
is_ours() {
    local pid=$1 dir=$2
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "-c $dir/dovecot.conf"
}

free_port() {
    python3 - <<'EOF' 2>/dev/null || echo $((20000 + RANDOM % 40000))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
EOF
}

write_config() {
    local dir=$1 port=$2
    cat >"$dir/dovecot.conf" <<EOF
# Written by tests/peers/dovecot.sh; the server lives in $dir.
protocols = pop3
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
instance_name = $marker-$port
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256
auth_verbose = yes
# Fail wrong passwords at once, and without the per-IP penalty (anvil's
# auth-penalty listener is what the auth process asks; mode 0 disables
# it), so that the wrong-password tests take no seconds.
auth_failure_delay = 0
# Any byte in a user name, so that SCRAM's name escaping is exercised.
auth_username_chars =
mail_location = maildir:$dir/mail/%u/Maildir
pop3_uidl_format = %08Xu%08Xv
protocol pop3 {
  # The tests log in as one user from many connections at once.
  mail_max_userip_connections = 100
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=$mail_uid gid=$mail_gid home=$dir/mail/%u
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $port
  }
  inet_listener pop3s {
    port = 0
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
}

write_users() {
    local dir=$1 user n
    {
        printf 'alice:{PLAIN}secret::::::\n'
        printf 'bob:{PLAIN}%s::::::\n' "$BOB_PASSWORD"
        printf 'o=d,d:{PLAIN}secret::::::\n'
    } >"$dir/passwd"
    chmod 644 "$dir/passwd"
    for user in alice bob 'o=d,d'; do
        local md="$dir/mail/$user/Maildir"
        mkdir -p "$md/cur" "$md/new" "$md/tmp"
        n=0
        for msg in 'From: bob@example.org\r\nTo: alice@example.org\r\nSubject: one\r\n\r\nHello.\r\n' \
            'From: carol@example.org\r\nSubject: two\r\n\r\nSecond message\r\n'; do
            n=$((n + 1))
            # shellcheck disable=SC2059
            printf "$msg" >"$md/cur/100000000$n.M${n}P1.peer:2,"
        done
    done
    chown -R "$mail_uid:$mail_gid" "$dir/mail"
}

# Waits (bounded) until the port sends a POP3 greeting.
wait_ready() {
    local port=$1 i
    for i in $(seq 1 100); do
        if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && read -r line <&3 && [[ \$line == +OK* ]]" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

start() {
    local dir
    dir=$(running_dir)
    if [ -n "$dir" ]; then
        say "already running (PID $(cat "$dir/pid"), $dir)"
        cat "$dir/env"
        return 0
    fi
    if [ ! -x "$dovecot" ]; then
        say "no dovecot binary ($dovecot): apt-get install dovecot-core dovecot-pop3d"
        return 1
    fi
    # Mail is stored as nobody: a uid every Debian system has, and no new
    # account on the machine.
    mail_uid=$(id -u nobody)
    mail_gid=$(getent group nogroup | cut -d: -f3)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/pop3-proto-dovecot.XXXXXX")
    # Dovecot's unprivileged processes read the passwd file and the mail.
    chmod 755 "$dir"
    touch "$dir/$marker"
    printf '%s\n' "$dir" >"$state"
    write_users "$dir"
    local try port=
    for try in 1 2 3 4 5; do
        port=$(free_port)
        write_config "$dir" "$port"
        if "$dovecot" -c "$dir/dovecot.conf" 2>"$dir/start.err"; then
            break
        fi
        port=
        grep -q 'in use' "$dir/start.err" || break
    done
    if [ -z "$port" ]; then
        say "dovecot did not start:"
        cat "$dir/start.err" >&2
        [ -f "$dir/dovecot.log" ] && tail -20 "$dir/dovecot.log" >&2
        return 1
    fi
    # The master writes its PID after it forks into the background.
    local i
    for i in $(seq 1 100); do
        [ -s "$dir/run/master.pid" ] && break
        sleep 0.1
    done
    if [ ! -s "$dir/run/master.pid" ]; then
        say "dovecot wrote no master.pid"
        return 1
    fi
    cp "$dir/run/master.pid" "$dir/pid"
    if ! wait_ready "$port"; then
        say "dovecot (PID $(cat "$dir/pid")) sent no greeting on port $port within 20 s"
        tail -20 "$dir/dovecot.log" >&2 || true
        stop
        return 1
    fi
    printf 'export POP3_PROTO_DOVECOT=127.0.0.1:%s\n' "$port" >"$dir/env"
    say "running: PID $(cat "$dir/pid"), port $port, files in $dir"
    cat "$dir/env"
}

stop() {
    [ -f "$state" ] || return 0
    local dir pid i
    dir=$(cat "$state")
    if [ ! -f "$dir/$marker" ]; then
        rm -f "$state"
        return 0
    fi
    if [ -f "$dir/pid" ]; then
        pid=$(cat "$dir/pid")
        if is_ours "$pid" "$dir"; then
            kill -TERM "$pid"
            for i in $(seq 1 100); do
                is_ours "$pid" "$dir" || break
                sleep 0.1
            done
            if is_ours "$pid" "$dir"; then
                say "PID $pid still running after 10 s; leaving $dir"
                return 1
            fi
            say "stopped PID $pid"
        fi
    fi
    rm -rf -- "$dir"
    rm -f "$state"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env)
    dir=$(running_dir)
    [ -n "$dir" ] || { say "not running"; exit 1; }
    cat "$dir/env"
    ;;
*)
    echo "usage: $0 start|stop|env" >&2
    exit 2
    ;;
esac
