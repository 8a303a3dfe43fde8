#!/usr/bin/env python3
"""Load for SoakIT: echo servers and clients that check every byte that comes back.

  soak-load.py tcp-server BIND PORT          echo every connection (a thread each)
  soak-load.py udp-server BIND PORT          echo every datagram
  soak-load.py tcp-short HOST PORT SECONDS   connect, send 1..64 KiB, read it back, close; again
  soak-load.py tcp-long HOST PORT SECONDS    one connection: send and read back chunks for SECONDS
  soak-load.py udp HOST PORT SECONDS         request/response with random payloads

Clients end with one line: "ok N bad M lost L" (bad: a byte differed or a connection failed; lost: a UDP reply
that did not come within 1 s) and exit 0.
"""
import os, socket, sys, threading, time


def echo(c):
    with c:
        while True:
            b = c.recv(65536)
            if not b:
                return
            c.sendall(b)


def tcp_server(bind, port):
    s = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, port))
    s.listen(128)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def udp_server(bind, port):
    s = socket.socket(socket.AF_INET6 if ":" in bind else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind, port))
    while True:
        b, a = s.recvfrom(65536)
        s.sendto(b, a)


def read_exactly(c, n):
    got = bytearray()
    while len(got) < n:
        b = c.recv(n - len(got))
        if not b:
            break
        got += b
    return bytes(got)


def tcp_short(host, port, seconds):
    ok = bad = 0
    end = time.time() + seconds
    while time.time() < end:
        data = os.urandom(1 + int.from_bytes(os.urandom(2), "big"))
        try:
            with socket.create_connection((host, port), timeout=10) as c:
                c.sendall(data)
                c.shutdown(socket.SHUT_WR)
                back = read_exactly(c, len(data))
            if back == data:
                ok += 1
            else:
                bad += 1
        except OSError as e:
            print("error:", e, file=sys.stderr)
            bad += 1
            time.sleep(0.1)
    print("ok", ok, "bad", bad, "lost", 0)


def tcp_long(host, port, seconds):
    ok = bad = 0
    end = time.time() + seconds
    with socket.create_connection((host, port), timeout=10) as c:
        while time.time() < end:
            data = os.urandom(256 * 1024)
            c.sendall(data)
            if read_exactly(c, len(data)) == data:
                ok += 1
            else:
                bad += 1
                break
    print("ok", ok, "bad", bad, "lost", 0)


def udp(host, port, seconds):
    ok = bad = lost = 0
    end = time.time() + seconds
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((host, port))
    while time.time() < end:
        data = os.urandom(1 + int.from_bytes(os.urandom(2), "big") % 1400)
        s.send(data)
        try:
            while True:
                back = s.recv(65536)
                if back == data:
                    ok += 1
                    break
                # a late reply to an earlier request: not this one, read on
        except socket.timeout:
            lost += 1
        except OSError as e:
            print("error:", e, file=sys.stderr)
            bad += 1
            time.sleep(0.1)
        time.sleep(0.005)
    print("ok", ok, "bad", bad, "lost", lost)


if __name__ == "__main__":
    cmd, a, p = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "tcp-server":
        tcp_server(a, p)
    elif cmd == "udp-server":
        udp_server(a, p)
    else:
        {"tcp-short": tcp_short, "tcp-long": tcp_long, "udp": udp}[cmd](a, p, float(sys.argv[4]))
