#!/usr/bin/env bash
# A throwaway Dovecot POP3 server on 127.0.0.1 for tests/interop_dovecot.rs
# and tests/interop_dovecot_client.rs.
#
#   tests/peers/dovecot.sh start         # prints the exports below
#   tests/peers/dovecot.sh env           # prints them again for a running peer
#   tests/peers/dovecot.sh reseed USER   # gives USER's Maildir the seeds again
#   tests/peers/dovecot.sh stop          # stops exactly the Dovecot that `start` started
#
# `start` prints (and `.ci/run` evals):
#   export POP3_PROTO_DOVECOT=127.0.0.1:PORT         plain POP3; STLS offered
#   export POP3_PROTO_DOVECOT_POP3S=127.0.0.1:PORT2  implicit TLS (POP3S)
#   export POP3_PROTO_DOVECOT_CA=DIR/tls/ca.pem      the CA that signed the
#                                                    server's certificate
#   export POP3_PROTO_DOVECOT_SEED=DIR/seed          pristine copies of the
#                                                    hostile messages
#   export POP3_PROTO_DOVECOT_DIR=DIR                the peer's directory
# and, when 127.0.0.2 can be bound (Linux's loopback is all of 127/8):
#   export POP3_PROTO_DOVECOT_POP3S_UNNAMED=127.0.0.2:PORT2
#     the same POP3S listener at an address the certificate does not name.
#
# `start` puts everything (configuration, TLS keys, passwd file, Maildirs,
# seeds, base_dir, state_dir, log) in a fresh temporary directory DIR and
# records that directory in a state file, one per checkout (override with
# POP3_PROTO_DOVECOT_STATE), so that two checkouts on one machine each get
# their own server. A second `start` while the peer runs prints its
# exports again; `stop` with nothing running does nothing. Run as root
# (Dovecot switches to its own users, and refuses to touch mail as root:
# the mail belongs to `nobody`); needs the Debian packages dovecot-core and
# dovecot-pop3d, and openssl.
#
# TLS: a throwaway CA (EC P-256) and a server certificate it signs for
# DNS:localhost and IP:127.0.0.1 (subjectAltName), made with openssl at
# `start`. `ssl = yes`: STLS is offered on the plain port, and the pop3s
# listener is TLS from the first byte. Plaintext logins stay allowed
# without TLS (`disable_plaintext_auth = no`).
#
# Logins: USER/PASS, APOP (the greeting carries a timestamp) and SASL
# PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256. The users (every
# password stored as {PLAIN}, so that Dovecot can serve APOP, CRAM-MD5 and
# both SCRAMs from it):
#   alice    secret
#   bob      the password in BOB_PASSWORD below (`,` `=` and spaces)
#   o=d,d    secret (`=` and `,` in the name: SCRAM escapes them as =3D, =2C)
#   carol    secret   the hostile seeds below (tests never remove them)
#   dave     secret   the same seeds, for tests that delete (`reseed dave`)
# alice, bob and o=d,d each have a Maildir with the same two messages.
#
# The hostile seeds, written into DIR/seed as NN-name (their exact bytes:
# see write_seeds) and copied into carol's and dave's Maildirs in that
# order, so message N is the Nth file. Dovecot renames Maildir files once
# it has read them; the copies in DIR/seed stay as they were.
#   01-dots            CRLF; body lines `.`, `..`, `...`, `.x`, `. x`, a
#                      fake `+OK` after a `.` line
#   02-attachment      a MIME message with a 5 MB base64 attachment
#   03-8bit-headers    raw 8-bit header bytes: UTF-8, Latin-1 (not UTF-8),
#                      0x80-0x9F, 0xFF; an 8-bit body line
#   04-long-line       a 1500-octet header line, a 1500-octet body line and
#                      a 1500-octet body line that starts with `.`
#   05-empty-body      headers, the blank line, nothing after
#   06-no-final-crlf   the last body line has no CRLF
#   07-lf-only         every line ends in a bare LF, `.` and `.x` lines too
#   08-dot-at-eof      the file ends in `.` with no CRLF after it
#   09-headers-only    headers and no blank line at all
#   10-bare-cr-nul     a bare CR inside a line, a NUL, and a bare CR at EOF
#   11-empty-file      zero octets
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

# True when this machine lets a server bind 127.0.0.2.
second_loopback() {
    python3 - <<'EOF' 2>/dev/null
import socket
s = socket.socket()
s.bind(("127.0.0.2", 0))
EOF
}

# The CA and the server certificate (EC P-256: fast to make).
write_tls() {
    local tls=$1/tls
    mkdir -p "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 30 -subj '/CN=pop3-proto test CA' \
        -addext 'basicConstraints=critical,CA:TRUE' \
        -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$tls/server.key" -out "$tls/server.csr" -subj '/CN=localhost' 2>/dev/null
    printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
        'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
        'extendedKeyUsage=serverAuth' >"$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
        -set_serial "0x$(openssl rand -hex 8)" -days 30 -extfile "$tls/server.ext" \
        -out "$tls/server.pem" 2>/dev/null
    rm -f "$tls/server.csr" "$tls/ca.key"
    # Read by the master, as root, when it starts.
    chmod 600 "$tls/server.key"
    chmod 644 "$tls/ca.pem" "$tls/server.pem"
}

write_config() {
    local dir=$1 port=$2 port2=$3 pop3s_addresses=$4
    cat >"$dir/dovecot.conf" <<EOF
# Written by tests/peers/dovecot.sh; the server lives in $dir.
protocols = pop3
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
instance_name = $marker-$port
# STLS on the plain port, and the pop3s listener below.
ssl = yes
ssl_cert = <$dir/tls/server.pem
ssl_key = <$dir/tls/server.key
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 apop scram-sha-1 scram-sha-256
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
  # Dovecot 2.3.19 holds a failed login for its 500 ms failure timer even
  # with auth_failure_delay = 0, unless the passdb says `nodelay`. This
  # says it for the lookups that find the user (CRAM-MD5, SCRAM); a
  # password that does not match (USER/PASS, PLAIN, LOGIN) drops the
  # passdb's fields, `nodelay` with them, and still waits.
  override_fields = nodelay=yes
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
    address = $pop3s_addresses
    port = $port2
    ssl = yes
  }
}
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF
}

# The hostile messages, byte for byte (printf's escapes: \r \n \xHH).
write_seeds() {
    local seed=$1/seed long
    mkdir -p "$seed"
    # shellcheck disable=SC2059
    {
        printf 'From: dots@example.org\r\nTo: carol@example.org\r\nSubject: lines that start with dots\r\n\r\n'
        printf '.\r\n..\r\n...\r\n.leading dot\r\n. space after a dot\r\nmiddle . dot\r\n'
        printf '.\r\n+OK not a reply\r\n.\r\n\r\n.\r\nend\r\n'
    } >"$seed/01-dots"
    {
        printf 'From: big@example.org\r\nTo: carol@example.org\r\nSubject: a 5 MB attachment\r\n'
        printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        printf -- '--b1\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n'
        printf -- '--b1\r\nContent-Type: application/octet-stream\r\n'
        printf 'Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="x.bin"\r\n\r\n'
        # 3,932,160 random octets: 5,242,880 octets of base64 in 76-column lines.
        head -c 3932160 /dev/urandom | base64 -w 76 | sed 's/$/\r/'
        printf -- '--b1--\r\n'
    } >"$seed/02-attachment"
    {
        printf 'From: J\xc3\xb6rg M\xc3\xbcller <joerg@example.org>\r\n'
        printf 'To: \xe6\x97\xa5\xe6\x9c\xac <carol@example.org>\r\n'
        printf 'Subject: caf\xe9 na\xefve (Latin-1, not UTF-8)\r\n'
        printf 'X-Raw: \x80\x81\x9f\xa0\xff\xfe end\r\n'
        printf '\r\nbody: caf\xc3\xa9 caf\xe9\r\n'
    } >"$seed/03-8bit-headers"
    long=$(head -c 1500 /dev/zero | tr '\0' 'x')
    {
        printf 'From: long@example.org\r\nTo: carol@example.org\r\nSubject: 1500-octet lines\r\n'
        printf 'X-Long: %s\r\n' "${long:8}"
        printf '\r\n%s\r\n.%s\r\nshort\r\n' "$long" "${long:1}"
    } >"$seed/04-long-line"
    printf 'From: empty@example.org\r\nTo: carol@example.org\r\nSubject: empty body\r\n\r\n' \
        >"$seed/05-empty-body"
    printf 'From: nofinal@example.org\r\nTo: carol@example.org\r\nSubject: no final CRLF\r\n\r\nfirst\r\nthe last line has no CRLF' \
        >"$seed/06-no-final-crlf"
    printf 'From: lf@example.org\nTo: carol@example.org\nSubject: LF only\n\nline one\n.\n..\n.dot\n\nlast\n' \
        >"$seed/07-lf-only"
    printf 'From: dot@example.org\r\nTo: carol@example.org\r\nSubject: a dot at the end of the file\r\n\r\nbody\r\n.' \
        >"$seed/08-dot-at-eof"
    printf 'From: headers@example.org\r\nTo: carol@example.org\r\nSubject: headers only, no blank line\r\n' \
        >"$seed/09-headers-only"
    printf 'From: cr@example.org\r\nTo: carol@example.org\r\nSubject: bare CR and NUL\r\n\r\na\rb\r\nnul:\x00:\r\nends in a bare CR\r' \
        >"$seed/10-bare-cr-nul"
    : >"$seed/11-empty-file"
    chmod -R a+rX "$seed"
}

# A Maildir for USER holding the seeds, in order, as if never read.
seed_user() {
    local dir=$1 user=$2 md f n=0
    md="$dir/mail/$user/Maildir"
    rm -rf -- "$md"
    mkdir -p "$md/cur" "$md/new" "$md/tmp"
    for f in "$dir"/seed/*; do
        n=$((n + 1))
        cp -- "$f" "$md/cur/$((1000000000 + n)).M${n}P1.peer:2,"
    done
    chown -R "$mail_uid:$mail_gid" "$dir/mail/$user"
}

write_users() {
    local dir=$1 user n
    {
        printf 'alice:{PLAIN}secret::::::\n'
        printf 'bob:{PLAIN}%s::::::\n' "$BOB_PASSWORD"
        printf 'o=d,d:{PLAIN}secret::::::\n'
        printf 'carol:{PLAIN}secret::::::\n'
        printf 'dave:{PLAIN}secret::::::\n'
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
    write_seeds "$dir"
    for user in carol dave; do
        seed_user "$dir" "$user"
    done
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

# Waits (bounded) until the port accepts connections.
wait_listening() {
    local port=$1 i
    for i in $(seq 1 100); do
        if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
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
    if ! command -v openssl >/dev/null; then
        say "no openssl: apt-get install openssl"
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
    printf '%s:%s\n' "$mail_uid" "$mail_gid" >"$dir/mail-owner"
    write_tls "$dir"
    write_users "$dir"
    local unnamed= addresses=127.0.0.1
    if second_loopback; then
        unnamed=127.0.0.2
        addresses="127.0.0.1 127.0.0.2"
    fi
    local try port= port2=
    for try in 1 2 3 4 5; do
        port=$(free_port)
        port2=$(free_port)
        [ "$port" != "$port2" ] || continue
        write_config "$dir" "$port" "$port2" "$addresses"
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
    if ! wait_ready "$port" || ! wait_listening "$port2"; then
        say "dovecot (PID $(cat "$dir/pid")) is not ready on ports $port and $port2 within 20 s"
        tail -20 "$dir/dovecot.log" >&2 || true
        stop
        return 1
    fi
    {
        printf 'export POP3_PROTO_DOVECOT=127.0.0.1:%s\n' "$port"
        printf 'export POP3_PROTO_DOVECOT_POP3S=127.0.0.1:%s\n' "$port2"
        if [ -n "$unnamed" ]; then
            printf 'export POP3_PROTO_DOVECOT_POP3S_UNNAMED=%s:%s\n' "$unnamed" "$port2"
        fi
        printf 'export POP3_PROTO_DOVECOT_CA=%s\n' "$dir/tls/ca.pem"
        printf 'export POP3_PROTO_DOVECOT_SEED=%s\n' "$dir/seed"
        printf 'export POP3_PROTO_DOVECOT_DIR=%s\n' "$dir"
    } >"$dir/env"
    say "running: PID $(cat "$dir/pid"), ports $port (STLS) and $port2 (POP3S), files in $dir"
    cat "$dir/env"
}

# USER's Maildir gets the seeds again (after a test deleted them). The
# peer is the one in POP3_PROTO_DOVECOT_DIR, else this checkout's.
reseed() {
    local user=$1 dir
    dir=${POP3_PROTO_DOVECOT_DIR:-$(running_dir)}
    if [ -z "$dir" ] || [ ! -f "$dir/$marker" ]; then
        say "not running"
        return 1
    fi
    case $user in
    carol | dave) ;;
    *)
        say "only carol and dave have the seeds"
        return 2
        ;;
    esac
    IFS=: read -r mail_uid mail_gid <"$dir/mail-owner"
    seed_user "$dir" "$user"
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
reseed)
    [ -n "${2:-}" ] || { echo "usage: $0 reseed USER" >&2; exit 2; }
    reseed "$2"
    ;;
env)
    dir=$(running_dir)
    [ -n "$dir" ] || { say "not running"; exit 1; }
    cat "$dir/env"
    ;;
*)
    echo "usage: $0 start|stop|env|reseed USER" >&2
    exit 2
    ;;
esac
