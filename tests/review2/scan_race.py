#!/usr/bin/env python3
"""Regression check (examples/common/pop3d.rs Pop3d::scan): a mail reader that
moves a message between new/ and cur/ while a POP3 login scans the Maildir
makes the login fail with -ERR [SYS/TEMP] (one vanished file fails the whole
scan: entry.metadata()? / File::open()?), or lists the message twice (same
UID twice) or not at all.

    cargo build --example pop3d
    python3 tests/review2/scan_race.py target/debug/examples/pop3d
"""
import os, socket, subprocess, sys, tempfile, threading, time

pop3d = sys.argv[1]
root = tempfile.mkdtemp(prefix='pop3d-race-')
md = os.path.join(root, 'md', 'alice')
for sub in ('new', 'cur', 'tmp'):
    os.makedirs(os.path.join(md, sub))
for i in range(200):
    open(os.path.join(md, 'cur', f'{1733000000+i}.M{i}P1.h:2,S'), 'wb').write(b'Subject: x\r\n\r\nx\r\n')
open(os.path.join(md, 'new', 'MOVING'), 'wb').write(b'Subject: moving\r\n\r\nx\r\n')
open(os.path.join(root, 'users'), 'w').write('alice:pw\n')
p = subprocess.Popen([pop3d, '--listen', '127.0.0.1:0', '--plaintext', '--maildir-root',
                      os.path.join(root, 'md'), '--users', os.path.join(root, 'users')],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    port = int(p.stdout.readline().split()[3].rsplit(':', 1)[1])
    stop = False
    def mover():
        a, b = os.path.join(md, 'new', 'MOVING'), os.path.join(md, 'cur', 'MOVING:2,S')
        while not stop:
            try:
                os.rename(a, b); time.sleep(0.001); os.rename(b, a); time.sleep(0.001)
            except FileNotFoundError:
                pass
    threading.Thread(target=mover, daemon=True).start()
    counts = {'refused': 0, 'listed twice': 0, 'missing': 0, 'ok': 0}
    for _ in range(200):
        s = socket.create_connection(('127.0.0.1', port)); s.settimeout(5); f = s.makefile('rb')
        f.readline(); s.sendall(b'USER alice\r\nPASS pw\r\n'); f.readline()
        if not f.readline().startswith(b'+OK'):
            counts['refused'] += 1; s.close(); continue
        s.sendall(b'UIDL\r\n'); f.readline(); n = 0
        while (line := f.readline()) != b'.\r\n':
            n += b'MOVING' in line
        counts[{0: 'missing', 1: 'ok'}.get(n, 'listed twice')] += 1
        s.sendall(b'QUIT\r\n'); f.readline(); s.close()
    stop = True
    print(counts)
    sys.exit(0 if counts['ok'] == 200 else 1)
finally:
    p.kill(); p.wait()
    subprocess.run(['rm', '-rf', root])
