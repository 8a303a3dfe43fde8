"""Mixed load for SoakIT: every byte sent is compared with what comes back.

Roles (argv[1]):
  servers ADDR           TCP echo on ADDR:7400 and UDP echo on ADDR:7401, until killed (remote namespace)
  tcp-echo ADDR PORT     TCP echo on ADDR:PORT, until killed (host namespace, behind -T)
  guest SECONDS          in pasta's namespace: TCP echo on port 7403 (for -t clients) and, for SECONDS, clients:
                         short and long TCP through the tap, UDP request/response, ping, short TCP spliced (-T 7402)
  client ADDR PORT SECONDS  short TCP connections to ADDR:PORT (remote through the tap, host loopback spliced)
Each client role prints one line "totals NAME ok N bytes B errors E [lost L]" per kind of load and exits 1 if any
byte came back wrong or a connection failed.
"""
import hashlib
import os
import random
import socket
import socketserver
import subprocess
import sys
import threading
import time

REMOTE = "198.51.100.200"
errors = []
lock = threading.Lock()


def fail(what):
    with lock:
        errors.append(what)
    print("ERROR", what, file=sys.stderr, flush=True)


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            while True:
                d = self.request.recv(1 << 16)
                if not d:
                    return
                self.request.sendall(d)
        except OSError:
            pass


class TcpEcho(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def tcp_echo(addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    TcpEcho.address_family = fam
    srv = TcpEcho((addr, port), Echo)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def udp_echo(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))

    def loop():
        while True:
            d, peer = s.recvfrom(65536)
            s.sendto(d, peer)
    threading.Thread(target=loop, daemon=True).start()


def read_exactly(c, n):
    b = bytearray()
    while len(b) < n:
        d = c.recv(min(1 << 16, n - len(b)))
        if not d:
            raise EOFError("end of stream after %d of %d bytes" % (len(b), n))
        b += d
    return bytes(b)


def echo_once(c, payload):
    c.sendall(payload)
    back = read_exactly(c, len(payload))
    return hashlib.sha256(back).digest() == hashlib.sha256(payload).digest()


class Stats:
    def __init__(self, name):
        self.name, self.ok, self.bytes, self.errors, self.lost = name, 0, 0, 0, 0

    def count(self, name, payload, same):
        if same:
            self.ok += 1
            self.bytes += len(payload)
        else:
            self.errors += 1
            fail("%s: echo differs" % name)

    def line(self):
        return "totals %s ok %d bytes %d errors %d lost %d" % (self.name, self.ok, self.bytes, self.errors, self.lost)


def short_tcp(name, addr, port, until, rnd, out):
    st = Stats(name)
    while time.time() < until:
        payload = rnd.randbytes(rnd.randint(1, 64 << 10))
        try:
            with socket.create_connection((addr, port), timeout=10) as c:
                st.count(name, payload, echo_once(c, payload))
        except OSError as e:
            st.errors += 1
            fail("%s: %r" % (name, e))
        time.sleep(0.02)
    out.append(st)


def long_tcp(name, addr, port, until, rnd, out):
    st = Stats(name)
    try:
        with socket.create_connection((addr, port), timeout=10) as c:
            while time.time() < until:
                payload = rnd.randbytes(256 << 10)
                st.count(name, payload, echo_once(c, payload))
                time.sleep(0.01)
    except OSError as e:
        st.errors += 1
        fail("%s: %r" % (name, e))
    out.append(st)


def udp(name, addr, port, until, rnd, out):
    st = Stats(name)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((addr, port))
    while time.time() < until:
        payload = rnd.randbytes(rnd.randint(1, 1400))
        s.send(payload)
        try:
            back = s.recv(65536)
            while back != payload and back[:8] != payload[:8]:
                back = s.recv(65536)  # a late answer to an earlier request
            if back == payload:
                st.ok += 1
                st.bytes += len(payload)
            else:
                st.errors += 1
                fail("%s: datagram differs" % name)
        except socket.timeout:
            st.lost += 1
        time.sleep(0.01)
    out.append(st)


def ping(name, addr, until, out):
    st = Stats(name)
    while time.time() < until:
        r = subprocess.run(["ping", "-c", "1", "-W", "2", addr], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode == 0:
            st.ok += 1
        else:
            st.lost += 1
        time.sleep(1)
    out.append(st)


def run(jobs):
    out = []
    threads = [threading.Thread(target=j[0], args=j[1:] + (out,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for st in out:
        print(st.line(), flush=True)
    bad = [st for st in out if st.errors] or errors
    # ping and UDP may lose packets under load; everything else must be exact, and every kind must have worked
    if bad or any(st.ok == 0 for st in out):
        sys.exit(1)


def main():
    role = sys.argv[1]
    if role == "servers":
        tcp_echo(sys.argv[2], 7400)
        udp_echo(sys.argv[2], 7401)
        print("listening", flush=True)
        while True:
            time.sleep(3600)
    elif role == "tcp-echo":
        tcp_echo(sys.argv[2], int(sys.argv[3]))
        print("listening", flush=True)
        while True:
            time.sleep(3600)
    elif role == "guest":
        seconds = float(sys.argv[2])
        tcp_echo("0.0.0.0", 7403)
        print("listening", flush=True)
        until = time.time() + seconds
        rnd = random.Random(1)
        run([(short_tcp, "tap-short", REMOTE, 7400, until, random.Random(2)),
             (long_tcp, "tap-long", REMOTE, 7400, until, random.Random(3)),
             (udp, "udp", REMOTE, 7401, until, random.Random(4)),
             (ping, "ping", REMOTE, until),
             (short_tcp, "splice-short", "127.0.0.1", 7402, until, rnd)])
        time.sleep(5)  # the -t clients outside end a little later: serve them until then
    elif role == "client":
        addr, port, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        run([(short_tcp, "client-%s" % addr, addr, port, time.time() + seconds, random.Random(port))])


if __name__ == "__main__":
    main()
