#!/usr/bin/env python3
"""Python's poplib as a client of examples/pop3d, for tests/interop_pop3d.rs.

Logs in with USER/PASS, APOP, or STLS (the certificate checked against
--ca) then USER/PASS; then, with --out DIR, writes the UIDL listing to
DIR/uidl, the LIST listing to DIR/list and each message to DIR/<n>, as
poplib gives it (its lines, unstuffed, each ended with CRLF again);
with --dele N,M marks those messages; ends with QUIT, or with --drop
closes the connection without it.

poplib refuses lines over poplib._MAXLINE (2048 octets); the longest
line the test serves is 1500 octets, so the limit stays as it is.

A refusal is printed on stderr as the server sent it and the exit
status is 1.
"""

import argparse
import os
import poplib
import ssl
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--mode", choices=["user", "apop", "stls"], default="user")
    parser.add_argument("--ca")
    parser.add_argument("--out")
    parser.add_argument("--dele", default="")
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args()

    client = poplib.POP3(args.host, args.port, timeout=30)
    try:
        if args.mode == "stls":
            context = ssl.create_default_context(cafile=args.ca)
            client.stls(context)
        if args.mode == "apop":
            client.apop(args.user, args.password)
        else:
            client.user(args.user)
            client.pass_(args.password)
        count, _size = client.stat()
        if args.out:
            with open(os.path.join(args.out, "uidl"), "wb") as f:
                for line in client.uidl()[1]:
                    f.write(line + b"\n")
            with open(os.path.join(args.out, "list"), "wb") as f:
                for line in client.list()[1]:
                    f.write(line + b"\n")
            for n in range(1, count + 1):
                _resp, lines, _octets = client.retr(n)
                with open(os.path.join(args.out, str(n)), "wb") as f:
                    f.write(b"".join(line + b"\r\n" for line in lines))
        for n in filter(None, args.dele.split(",")):
            client.dele(int(n))
        if args.drop:
            # Gone without QUIT: the server must delete nothing.
            client.sock.close()
        else:
            client.quit()
    except poplib.error_proto as e:
        reply = e.args[0]
        if isinstance(reply, bytes):
            reply = reply.decode("ascii", "backslashreplace")
        print(reply, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
