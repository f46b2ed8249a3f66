#!/usr/bin/env python3
"""Writes the seeds of the `client` fuzz target to seeds/client/.

Each seed is `[c0, c1, c2, c3, seed, n, script..., data...]` (see the top of
fuzz_targets/client.rs). Most use c2 & 7 == 7: the server's bytes are cut at
0xff, one chunk per reply, so that each reply comes once its command is out.
The server bytes are real where we have them: the Dovecot 2.3.19 captures in
tests/fixtures/ and RFC 1939 §10's example session. The SCRAM exchanges at
64 iterations are computed here (RFC 5802 §3), for the fixed nonce and the
credentials the target uses, so that the client accepts the server's
signature.

    python3 fuzz/client_seeds.py
"""

import base64
import hashlib
import hmac
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures")
OUT = os.path.join(HERE, "seeds", "client")

# c0
DEPTH = {1: 0, 2: 1, 4: 2, 16: 3}
COLLECT = 0x04
REQUIRE_TLS = 0x08
BARE_LF = 0x10
# c1
POP3S = 0x02
PLAINTEXT = 0x04
APOP_OK = 0x08
IDLE = 0x80
# c2
SPLIT = 0x07
BYTE_BY_BYTE = 0x00
JUMPS = 0x18
AS_BYTES = 0x20
TLS_AT_ONCE = 0x40
EOF = 0x80

# actions
LOGIN, APOP, PLAIN, SCRAM1, SCRAM256 = 0x00, 0x01, 0x02, 0x03, 0x13
CAPA, STAT, QUIT, NOOP, STLS, CLOSE, WAIT = 0x04, 0x05, 0x0C, 0x0D, 0x0B, 0x0F, 0x1F
RSET, UTF8, LANG, AUTH_LIST, XTND = 0x0E, 0x1E, 0x2E, 0x3E, 0x4E
CHAIN = 0x80


def LIST(n=0):
    return 0x06 | n << 4


def UIDL(n=0):
    return 0x07 | n << 4


def RETR(n):
    return 0x08 | (n - 1) << 4


def TOP(n):  # TOP n 3*(n-1)
    return 0x09 | (n - 1) << 4


def DELE(n):
    return 0x0A | (n - 1) << 4


def steps(prng, c2):
    """The target's time steps in JUMPS mode, in ms (its xorshift32)."""
    x = ((prng | c2 << 8) * 0x9E3779B9 & 0xFFFFFFFF) | 1
    while True:
        x ^= x << 13 & 0xFFFFFFFF
        x ^= x >> 17
        x ^= x << 5 & 0xFFFFFFFF
        yield [0, 1, 29_999, 30_000, 60_000, 90_000, 600_000, 0][x % 8]


def prng_for(c2, want):
    """A seed byte whose first time steps pass `want`, one test a step."""
    for prng in range(256):
        gen = steps(prng, c2)
        if all(ok(next(gen)) for ok in want):
            return prng
    raise ValueError("no seed byte fits")


# c3: the default deadlines (60 s reply, 30 s TLS, 30 s greeting)
DEADLINES = 0x00
REPLY_10S = 0x01


def seed(name, c0, c1, c2, script, chunks, prng=0, c3=DEADLINES):
    assert len(script) < 32
    data = bytes([c0, c1, c2, c3, prng, len(script)]) + bytes(script)
    data += b"\xff".join(chunks)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


MULTI = {b"CAPA", b"AUTH", b"LIST", b"UIDL", b"TOP", b"RETR", b"LANG"}


def replies(server, commands):
    """Cuts a server capture into the greeting and one (command, reply) per
    command."""
    lines = server.splitlines(keepends=True)
    greeting = lines.pop(0)
    out = []
    for command in commands:
        words = command.split()
        reply = [lines.pop(0)]
        multi = words[0] in MULTI and (
            words[0] not in (b"LIST", b"UIDL", b"AUTH") or len(words) == 1
        )
        if reply[0].startswith(b"+OK") and multi:
            while reply[-1] != b".\r\n":
                reply.append(lines.pop(0))
        out.append((command, b"".join(reply)))
    assert not lines, lines
    return greeting, out


# ------------------------------------------------------- Dovecot's session

_GREETING, _REPLIES = replies(
    fixture("dovecot-session.server"), fixture("dovecot-session.client").splitlines()
)
# Our client refuses UTF8 in TRANSACTION (RFC 6856 §2): its -ERR goes.
DOVECOT = [_GREETING] + [r for c, r in _REPLIES if c != b"UTF8"]
# The same commands, as actions (LIST 9 becomes LIST 7: the -ERR fits both;
# UTF8 is refused locally and the script goes on).
DOVECOT_SCRIPT = [
    CAPA, AUTH_LIST, XTND, LOGIN, CAPA, STAT, LIST(), LIST(1), LIST(7), UIDL(),
    UIDL(2), TOP(1), RETR(1), RETR(2), DELE(1), RETR(1), LIST(), RSET, NOOP,
    LANG, UTF8, STAT, QUIT,
]

# ------------------------------------------------------------ RFC 1939 §10

RFC1939_MESSAGE_1 = b"From: a\r\n\r\n..dotted\r\nbody\r\n.\r\n"
RFC1939 = [
    b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
    b"+OK mrose's maildrop has 2 messages (320 octets)\r\n",
    b"+OK 2 320\r\n",
    b"+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n",
    b"+OK 120 octets\r\n" + RFC1939_MESSAGE_1,
    b"+OK message 1 deleted\r\n",
    b"+OK dewey POP3 server signing off (maildrop empty)\r\n",
]
RFC1939_SCRIPT = [APOP, STAT, LIST(), RETR(1), DELE(1), QUIT]

# -------------------------------------------------------------------- SCRAM

NONCE = b"pop3-proto/fixed+nonce"


def scram(hash_name, iterations=64):
    """The server's challenges of a SCRAM exchange with our client."""
    client_first_bare = b"n=alice,r=" + NONCE
    server_nonce = NONCE + b"3rfcNHYJY1ZVvWVs7j"
    salt = b"QSXCR+Q6sek8bf92"
    server_first = b"r=%s,s=%s,i=%d" % (
        server_nonce,
        base64.b64encode(salt),
        iterations,
    )
    without_proof = b"c=biws,r=" + server_nonce
    auth_message = client_first_bare + b"," + server_first + b"," + without_proof
    salted = hashlib.pbkdf2_hmac(hash_name, b"secret", salt, iterations)
    server_key = hmac.new(salted, b"Server Key", hash_name).digest()
    signature = hmac.new(server_key, auth_message, hash_name).digest()
    server_final = b"v=" + base64.b64encode(signature)
    challenge = lambda data: b"+ " + base64.b64encode(data) + b"\r\n"
    return challenge(server_first), challenge(server_final)


def main():
    os.makedirs(OUT, exist_ok=True)
    seq = DEPTH[1]
    seed("dovecot_session", seq, PLAINTEXT, SPLIT, DOVECOT_SCRIPT, DOVECOT)
    seed("dovecot_session_bytes", seq, PLAINTEXT, BYTE_BY_BYTE | AS_BYTES,
         DOVECOT_SCRIPT, [b"".join(DOVECOT)])
    seed("dovecot_session_collect", seq | COLLECT, PLAINTEXT, BYTE_BY_BYTE | EOF,
         DOVECOT_SCRIPT, [b"".join(DOVECOT)])
    # Pipelined: after the second CAPA, everything at once (16 in flight).
    piped = DOVECOT_SCRIPT[:5] + [a | CHAIN for a in DOVECOT_SCRIPT[5:-1]] + [QUIT]
    first = 7  # the greeting and six replies (USER and PASS are two), one by one
    seed("dovecot_pipelined", DEPTH[16], PLAINTEXT, SPLIT, piped,
         DOVECOT[:first]
         + [b"".join(DOVECOT[first:first + 16]), b"".join(DOVECOT[first + 16:])])

    seed("rfc1939", seq, PLAINTEXT | APOP_OK, SPLIT, RFC1939_SCRIPT, RFC1939)
    seed("rfc1939_bytes", seq, PLAINTEXT | APOP_OK, BYTE_BY_BYTE | AS_BYTES,
         RFC1939_SCRIPT, [b"".join(RFC1939)])

    # SASL: Dovecot's PLAIN session (a refused login, then one answering
    # the empty challenge), and its SCRAM-SHA-1 login at 4096 iterations,
    # more than the target's client accepts: it cancels with `*`.
    sasl = fixture("dovecot-sasl.server").splitlines(keepends=True)
    seed("dovecot_plain", seq, PLAINTEXT, SPLIT, [PLAIN, PLAIN, QUIT], sasl)
    seed("dovecot_scram_4096", seq, 0, SPLIT, [SCRAM1, QUIT],
         fixture("dovecot-scram-sha-1.server").splitlines(keepends=True))
    # The same after a CAPA that offers SCRAM: the client-first goes on
    # the AUTH line, and the server-first's 4096 iterations get `*`.
    scram_4096 = fixture("dovecot-scram-sha-1.server").splitlines(keepends=True)
    seed("dovecot_scram_4096_capa", seq, 0, SPLIT, [CAPA, SCRAM1, QUIT],
         scram_4096[:1] + [b"+OK\r\nSASL SCRAM-SHA-1 PLAIN\r\n.\r\n"] + scram_4096[1:])
    # SCRAM at 64 iterations, verified: with SASL advertised (the initial
    # response on the AUTH line) and without (after the empty challenge).
    for name, hash_name, action in [("sha1", "sha1", SCRAM1), ("sha256", "sha256", SCRAM256)]:
        first_c, final_c = scram(hash_name)
        seed(f"scram_{name}_capa", seq, 0, SPLIT, [CAPA, action, STAT, QUIT], [
            b"+OK Dovecot ready.\r\n",
            b"+OK\r\nSASL SCRAM-SHA-1 SCRAM-SHA-256\r\nUSER\r\n.\r\n",
            first_c, final_c, b"+OK Logged in.\r\n", b"+OK 0 0\r\n", b"+OK bye\r\n",
        ])
        seed(f"scram_{name}", seq, 0, SPLIT, [action, QUIT], [
            b"+OK ready\r\n", b"+ \r\n", first_c, final_c, b"+OK Logged in.\r\n",
            b"+OK bye\r\n",
        ])

    # STLS: the handshake after the next chunk, or at once; TLS required;
    # plaintext injected after the +OK (SPEC S2).
    stls = [
        b"+OK ready <1.2@host>\r\n",
        b"+OK\r\nSTLS\r\nUSER\r\nSASL PLAIN\r\n.\r\n",
        b"+OK Begin TLS negotiation\r\n",
        b"+OK\r\nUSER\r\nSASL PLAIN\r\nPIPELINING\r\n.\r\n",
        b"+OK\r\n", b"+OK logged in\r\n", b"+OK 1 5\r\n", b"+OK bye\r\n",
    ]
    stls_script = [CAPA, STLS, CAPA, LOGIN, STAT, QUIT]
    seed("stls", seq, PLAINTEXT, SPLIT, stls_script, stls)
    seed("stls_at_once", seq, 0, SPLIT | TLS_AT_ONCE, stls_script, stls)
    seed("stls_required", seq | REQUIRE_TLS, 0, SPLIT, stls_script, stls)
    seed("stls_refused_required", seq | REQUIRE_TLS, 0, SPLIT, stls_script,
         stls[:2] + [b"-ERR not now\r\n"])
    seed("stls_injection", seq, PLAINTEXT, SPLIT, stls_script,
         stls[:2] + [stls[2] + stls[3]])

    # Pipelined RETR and DELE after a login, 16 in flight.
    body2 = b"Subject: two\r\n\r\n...\r\n..\r\nend\r\n.\r\n"
    seed("pipelined_retr", DEPTH[16], PLAINTEXT | POP3S, SPLIT,
         [CAPA, LOGIN, CAPA, RETR(1) | CHAIN, RETR(2) | CHAIN, TOP(2) | CHAIN,
          DELE(1) | CHAIN, UIDL() | CHAIN, QUIT],
         [b"+OK hi\r\n", b"+OK\r\nPIPELINING\r\nUSER\r\n.\r\n", b"+OK\r\n", b"+OK in\r\n",
          b"+OK\r\nPIPELINING\r\nTOP\r\nUIDL\r\n.\r\n",
          b"+OK 30 octets\r\n" + RFC1939_MESSAGE_1 + b"+OK\r\n" + body2
          + b"+OK\r\nSubject: two\r\n\r\n...\r\n.\r\n+OK deleted\r\n"
          + b"+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n"
          + b"+OK bye\r\n"])

    # Time: an idle timeout answered with NOOP, as Options::idle_timeout
    # suggests; long silences.
    short, long = (lambda ms: ms < 30_000), (lambda ms: ms >= 90_000)
    seed("idle_noop", seq, PLAINTEXT | IDLE, SPLIT | JUMPS, [LOGIN, WAIT, NOOP, NOOP, QUIT],
         [b"+OK ready\r\n", b"+OK\r\n", b"+OK\r\n", b"", b"+OK\r\n", b"",
          b"+OK\r\n", b"+OK bye\r\n"],
         prng=prng_for(SPLIT | JUMPS, [short, short, short, long]))
    seed("silence", seq, 0, SPLIT | JUMPS, [CAPA, QUIT], [b"", b"", b"+OK\r\n", b""],
         prng=0x11)

    # The greeting refused; a lenient server with bare LF lines (Mailtrap).
    seed("greeting_err", seq, 0, SPLIT, [CAPA], [b"-ERR [SYS/TEMP] try later\r\n"])
    seed("bare_lf", seq | BARE_LF, PLAINTEXT, SPLIT,
         [LOGIN, LIST(), RETR(1), CLOSE],
         [b"+OK ready\n", b"+OK\n", b"+OK\n", b"+OK\n1 5\n.\n", b"+OK\nabc\n.\n"])


if __name__ == "__main__":
    main()
