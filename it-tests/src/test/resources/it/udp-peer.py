#!/usr/bin/env python3
"""UDP peers for jpasta's integration tests: servers that answer in known ways, clients that check the answers.

Servers (they create READY once bound, and end after SECONDS without a datagram):
  echo   ADDRS PORT SECONDS READY   answers b'from IP:PORT ' + datagram
  sink   ADDRS PORT SECONDS READY   answers seq (4 bytes) + sha256(datagram)[:8]
  source ADDRS PORT SECONDS READY   answers a request seq + size (8 bytes) with seq + chunk(seq, size)
Clients (they print one line with the result, and exit 0 only if every answer checked out):
  rr   HOST PORT COUNT WINDOW        COUNT numbered requests to an echo server, at most WINDOW in flight
  push HOST PORT TOTAL SIZE          TOTAL bytes in SIZE-byte datagrams to a sink, each acknowledged with its hash
  pull HOST PORT TOTAL SIZE          TOTAL bytes in SIZE-byte datagrams from a source, each checked
ADDRS is a comma-separated list of addresses to bind. Nothing here is random: chunk(seq, size) is derived from
seq, so both ends know what a datagram must hold.
"""
import hashlib
import select
import socket
import struct
import sys
import time

DEADLINE = time.time() + 120


def family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def chunk(seq, size):
    block = hashlib.sha256(struct.pack('!I', seq)).digest()
    return (block * (size // len(block) + 1))[:size]


def serve(mode, addrs, port, seconds, ready):
    socks = []
    for a in addrs.split(','):
        s = socket.socket(family(a), socket.SOCK_DGRAM)
        if family(a) == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((a, port))
        socks.append(s)
    open(ready, 'w').close()
    while time.time() < DEADLINE:
        r, _, _ = select.select(socks, [], [], seconds)
        if not r:
            return
        for s in r:
            d, peer = s.recvfrom(65535)
            if mode == 'echo':
                s.sendto(b'from %s:%d ' % (peer[0].encode(), peer[1]) + d, peer)
            elif mode == 'sink':
                s.sendto(d[:4] + hashlib.sha256(d).digest()[:8], peer)
            elif mode == 'source' and len(d) == 8:
                seq, size = struct.unpack('!II', d)
                s.sendto(d[:4] + chunk(seq, size), peer)


def windowed(host, port, count, window, request, check, seq_of=lambda d: struct.unpack('!I', d[:4])[0]):
    """Sends request(i) for i < count with at most `window` unanswered, resending after 0.5 s (5 times at most).
    seq_of(answer) names the request an answer is for.
    @return (answered, resent, bad) where answered counts the answers check(i, data) accepted."""
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.connect((host, port))
    sent_at, tries, done = {}, {}, set()
    nxt, resent, bad = 0, 0, 0
    while len(done) < count and time.time() < DEADLINE:
        while nxt < count and len(sent_at) < window:
            s.send(request(nxt))
            sent_at[nxt], tries[nxt] = time.time(), 1
            nxt += 1
        r, _, _ = select.select([s], [], [], 0.1)
        if r:
            try:
                d = s.recv(65535)
            except ConnectionRefusedError:
                print('refused')
                sys.exit(2)
            seq = seq_of(d) if len(d) >= 6 else -1
            if seq in sent_at:
                if check(seq, d):
                    done.add(seq)
                    del sent_at[seq]
                else:
                    bad += 1
        now = time.time()
        for seq, t in list(sent_at.items()):
            if now - t > 0.5:
                if tries[seq] >= 5:
                    print('gave up on', seq, 'answered', len(done), 'resent', resent, 'bad', bad)
                    sys.exit(1)
                s.send(request(seq))
                sent_at[seq], tries[seq] = now, tries[seq] + 1
                resent += 1
    return len(done), resent, bad


def main():
    mode = sys.argv[1]
    if mode in ('echo', 'sink', 'source'):
        serve(mode, sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
        return
    host, port = sys.argv[2], int(sys.argv[3])
    if mode == 'rr':
        count, window = int(sys.argv[4]), int(sys.argv[5])
        got, resent, bad = windowed(host, port, count, window, lambda i: struct.pack('!I', i) + b'rr',
                                    lambda i, d: d.endswith(struct.pack('!I', i) + b'rr'),
                                    lambda d: struct.unpack('!I', d[-6:-2])[0])
        print('rr sent %d answered %d resent %d bad %d' % (count, got, resent, bad))
        ok = got == count and bad == 0
    else:
        total, size = int(sys.argv[4]), int(sys.argv[5])
        count = (total + size - 1) // size
        h = hashlib.sha256()
        if mode == 'push':
            got, resent, bad = windowed(host, port, count, 8, lambda i: struct.pack('!I', i) + chunk(i, size - 4),
                                        lambda i, d: d[4:] == hashlib.sha256(struct.pack('!I', i)
                                                                             + chunk(i, size - 4)).digest()[:8])
        else:
            got, resent, bad = windowed(host, port, count, 8, lambda i: struct.pack('!II', i, size - 4),
                                        lambda i, d: d[4:] == chunk(i, size - 4))
        print('%s datagrams %d bytes %d resent %d bad %d' % (mode, got, got * size, resent, bad))
        ok = got == count and bad == 0
    sys.stdout.flush()
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
