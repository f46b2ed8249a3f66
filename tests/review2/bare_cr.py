#!/usr/bin/env python3
"""Regression check (src/body/encode.rs once kept a lone CR): a stored message with
a bare CR goes out with the bare CR, and a dot right after it is not stuffed,
so `line\r.\r\n` is on the wire; issue 8 item 4 says "no bare CR or LF on the
wire". A client that breaks lines on CR sees the terminator early.

    cargo build --example pop3d
    python3 tests/review2/bare_cr.py target/debug/examples/pop3d
"""
import os, socket, subprocess, sys, tempfile, time
pop3d = sys.argv[1]
root = tempfile.mkdtemp(prefix='pop3d-cr-')
md = os.path.join(root, 'md', 'alice')
for sub in ('new', 'cur', 'tmp'):
    os.makedirs(os.path.join(md, sub))
open(os.path.join(md, 'new', 'CR'), 'wb').write(b'Subject: cr\r\n\r\nline\r.\r\n+OK injected\r\n')
open(os.path.join(root, 'users'), 'w').write('alice:pw\n')
p = subprocess.Popen([pop3d, '--listen', '127.0.0.1:0', '--plaintext', '--maildir-root',
                      os.path.join(root, 'md'), '--users', os.path.join(root, 'users')],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    port = int(p.stdout.readline().split()[3].rsplit(':', 1)[1])
    s = socket.create_connection(('127.0.0.1', port)); s.settimeout(5)
    s.sendall(b'USER alice\r\nPASS pw\r\nRETR 1\r\nQUIT\r\n'); time.sleep(0.5)
    wire = s.recv(4096); print(wire)
    sys.exit(1 if b'\r.\r\n' in wire.split(b'octets\r\n', 1)[1][:-5] else 0)
finally:
    p.kill(); p.wait(); subprocess.run(['rm', '-rf', root])
