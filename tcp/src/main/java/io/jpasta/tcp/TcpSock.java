package io.jpasta.tcp;

import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tap.wire.TcpHeader;
import io.jpasta.tap.wire.TcpOptions;

import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The host socket's side of the engine: readiness events (the connect completing, data to send on, the peer's FIN,
 * room to write held data), the socket's data peeked into frame slots behind their headers and sent within the
 * guest's window, and connections accepted on {@code -t} listeners opened toward the guest.
 */
final class TcpSock {
    private final Tcp t;
    private final TcpConn c;
    private final FlowTable flows;
    private final TcpSocks socks;
    private final AddrMap map;
    private final int mtu;
    // the guest's addresses for connections toward it; changed by guestAddrs when the launcher follows the host
    private int v4Guest;
    private long v6GuestHi, v6GuestLo;
    /** {@link Tcp#FRAMES} slots of {@link #stride} bytes: data from a socket lands behind room for its headers. */
    private MemorySegment frames;
    private int stride;

    TcpSock(Tcp t, TcpConn c, FlowTable flows, TcpSocks socks, AddrMap map, int mtu, Inet6Address guest6,
            int guest4) {
        this.t = t;
        this.c = c;
        this.flows = flows;
        this.socks = socks;
        this.map = map;
        this.mtu = mtu;
        guestAddrs(guest6, guest4);
    }

    /** Connections accepted from now on go to these guest addresses (0 / null: none of that family). */
    void guestAddrs(Inet6Address guest6, int guest4) {
        v4Guest = guest4;
        long[] g = halves(guest6);
        v6GuestHi = g[0];
        v6GuestLo = g[1];
    }

    private static long[] halves(Inet6Address a) {
        if (a == null) {
            return new long[] {0, 0};
        }
        ByteBuffer b = ByteBuffer.wrap(a.getAddress());
        return new long[] {b.getLong(), b.getLong()};
    }

    /** Maps the frame slots at first use: an engine that never reads a socket costs none. */
    private void frameSlots() {
        if (frames == null) {
            stride = (Tcp.DATA_AT + mtu + 63) & ~63;
            frames = socks.frameMemory((long) stride * Tcp.FRAMES);
        }
    }

    /**
     * Readiness of the socket of {@code flow}.
     *
     * @param events epoll event bits
     */
    void sockEvent(int flow, int events, long nowNs) {
        int f = flow;
        if (f < 0 || f >= c.capacity() || flows.type(f) != FlowType.TCP || c.events.v[f] == 0) {
            return;
        }
        c.lastActivity.v[f] = nowNs;
        if (c.has(f, TcpConn.TAP_SYN_RCVD) && !c.has(f, TcpConn.TAP_SYN_ACK_SENT)) {
            int err = socks.error(c.fd.v[f]);
            if (err != 0 || (events & (TcpSocks.EPOLLERR | TcpSocks.EPOLLHUP)) != 0) {
                if (Log.trace) {
                    Log.trace("TCP: flow " + f + ": connect failed, errno " + err);
                }
                t.rst(f);
                return;
            }
            if ((events & TcpSocks.EPOLLOUT) == 0) {
                return;
            }
            c.wndToTap.v[f] = Math.min(65535, Math.max(0, socks.sendSpace(c.fd.v[f])));
            c.seqToTap.v[f] = c.seqInitToTap.v[f] + 1;
            sendSynAck(f);
            c.event(f, TcpConn.TAP_SYN_ACK_SENT);
            c.flag(f, TcpConn.ACK_FROM_TAP_DUE);
            c.rtoAt.v[f] = nowNs + Tcp.RTO_INITIAL;
            socks.watch(c.fd.v[f], f, TcpSocks.EPOLLRDHUP);
            t.timers.rearm(f);
            return;
        }
        if (!c.has(f, TcpConn.ESTABLISHED)) {
            return;
        }
        if ((events & TcpSocks.EPOLLERR) != 0) {
            t.rst(f);
            return;
        }
        if ((events & TcpSocks.EPOLLOUT) != 0 && c.flagged(f, TcpConn.WANT_OUT)) {
            t.tapSide.drainToSock(f, nowNs);
            if (c.events.v[f] == 0) {
                return;
            }
        }
        if ((events & (TcpSocks.EPOLLRDHUP | TcpSocks.EPOLLHUP)) != 0) {
            c.event(f, TcpConn.SOCK_FIN_RCVD);
        }
        if ((events & (TcpSocks.EPOLLIN | TcpSocks.EPOLLRDHUP | TcpSocks.EPOLLHUP)) != 0) {
            dataFromSock(f, nowNs);
        }
    }

    void sendSynAck(int f) {
        int ws = c.wsToTap.v[f] == 0 ? TcpOptions.NONE : c.wsToTap.v[f];
        t.emit.syn(f, c.seqInitToTap.v[f], c.seqFromTap.v[f], TcpHeader.SYN | TcpHeader.ACK_FLAG,
                Math.min(65535, c.wndToTap.v[f]), t.maxMss(c.flagged(f, TcpConn.V6)), ws);
    }

    /**
     * Sends what the guest's window allows of the socket's received data, from where we stopped: peeked into frame
     * slots behind their headers, never consumed here (the guest's ACKs consume it). At end of stream, our FIN.
     */
    void dataFromSock(int f, long now) {
        if (!c.has(f, TcpConn.ESTABLISHED) || c.has(f, TcpConn.TAP_FIN_SENT) || c.fd.v[f] < 0) {
            return;
        }
        frameSlots();
        int mss = c.mssToTap.v[f];
        for (;;) {
            int inFlight = c.seqToTap.v[f] - c.seqAckFromTap.v[f];
            long avail = (c.wndFromTap.v[f] & 0xffffffffL) - inFlight;
            if (avail <= 0) {
                c.flag(f, TcpConn.STALLED);
                return;
            }
            c.unflag(f, TcpConn.STALLED);
            int len = (int) Math.min(avail, (long) Tcp.FRAMES * mss);
            // acknowledged data not released yet (see consume) is still in front of what we sent
            long r = socks.peek(c.fd.v[f], c.seqToTap.v[f] - c.seqSockHead.v[f], frames, Tcp.DATA_AT, stride, mss,
                    len);
            if (r == -Errno.EAGAIN) {
                return;
            }
            if (r < 0) {
                if (Log.trace) {
                    Log.trace("TCP: flow " + f + ": receive: errno " + -r);
                }
                t.rst(f);
                return;
            }
            if (r == 0) {
                c.event(f, TcpConn.SOCK_FIN_RCVD); // also when the FIN came with data and no RDHUP was seen
                int ws = c.wsToTap.v[f];
                t.emit.control(f, c.seqToTap.v[f], c.seqFromTap.v[f], TcpHeader.FIN | TcpHeader.ACK_FLAG,
                        c.wndToTap.v[f] >>> ws);
                c.seqAckToTap.v[f] = c.seqFromTap.v[f];
                c.seqToTap.v[f]++;
                c.event(f, TcpConn.TAP_FIN_SENT);
                dataSent(f, now);
                return;
            }
            int ws = c.wsToTap.v[f];
            int wnd = c.wndToTap.v[f] >>> ws;
            int seq = c.seqToTap.v[f];
            int ack = c.seqFromTap.v[f];
            for (int done = 0, i = 0; done < r; i++) {
                int n = (int) Math.min(mss, r - done);
                int fl = TcpHeader.ACK_FLAG | (done + n == r ? TcpHeader.PSH : 0);
                t.emit.data(f, frames, (long) i * stride + Tcp.DATA_AT, seq + done, ack, fl, wnd, n);
                done += n;
            }
            t.stats().add(Tcp.BYTES_TO_TAP, r);
            // frames now; bytes when the guest acknowledges them (TcpTap.ackFromTap): resent data counts once
            flows.count(FlowTable.sidx(f, Tcp.SOCKSIDE), 0, (int) ((r + mss - 1) / mss), now);
            c.seqAckToTap.v[f] = ack;
            c.seqToTap.v[f] = seq + (int) r;
            dataSent(f, now);
            if (r < len && !c.has(f, TcpConn.SOCK_FIN_RCVD)) {
                return; // drained; with the peer's FIN seen, go on to find the end of the stream
            }
        }
    }

    private void dataSent(int f, long now) {
        if (!c.flagged(f, TcpConn.ACK_FROM_TAP_DUE) || c.rtoAt.v[f] == Long.MAX_VALUE) {
            c.flag(f, TcpConn.ACK_FROM_TAP_DUE);
            c.rtoAt.v[f] = now + (Tcp.RTO_INITIAL << Math.min(c.retrans.v[f], 6));
            t.timers.rearm(f);
        }
    }

    /**
     * A client of a {@code -t} listener that takes the tap path (not loopback): the connection is opened toward the
     * guest with the client's address as source. A client on the host itself has the guest's own address (the guest
     * copies the host's) or a loopback one ({@code --no-splice}): the guest would drop either, so such clients appear
     * under the {@code --map-host-loopback} or {@code --map-guest-addr} address, else the gateway's, as in pasta.
     *
     * @param peer the client's struct sockaddr_in or sockaddr_in6, read from position 0 (native byte order for the
     *        family, network order for port and address, as the kernel wrote it)
     * @param guestMac the guest's MAC as the L2 services learnt it, for a connection opened before any TCP segment
     * @return the flow index, or -1 if the connection was refused (the socket was closed with a RST)
     */
    int acceptedClient(int fd, ByteBuffer peer, int guestPort, long guestMac, long nowNs) {
        ByteBuffer be = peer.duplicate().order(ByteOrder.BIG_ENDIAN);
        int port = Short.toUnsignedInt(be.getShort(2));
        boolean v4 = peer.duplicate().order(ByteOrder.nativeOrder()).getShort(0) == Linux.AF_INET;
        long hi = v4 ? Inany.V4_HI : be.getLong(8);
        long lo = v4 ? Inany.v4Lo(be.getInt(4)) : be.getLong(16);
        map.toTap(hi, lo);
        socks.adopt(fd);
        t.emit.guestMac(guestMac);
        long mHi = map.resultHi(), mLo = map.resultLo();
        return accepted(fd, !Inany.isV4(mHi, mLo), mHi, mLo, port, guestPort, nowNs);
    }

    /**
     * A connection accepted on a host listener, to be opened toward the guest. The caller registered nothing yet;
     * the engine watches the socket once the guest completes the handshake.
     *
     * @param peerHi peer address as seen by the listener (IPv4-mapped for IPv4), also the source the guest sees
     * @param guestPort the port of the guest to connect to
     * @return the flow index, or -1 if the connection was refused (the caller's socket was closed with a RST)
     */
    int accepted(int fd, boolean v6, long peerHi, long peerLo, int peerPort, int guestPort, long nowNs) {
        if ((v6 && v6GuestHi == 0 && v6GuestLo == 0) || (!v6 && v4Guest == 0)) {
            socks.reset(fd);
            return -1;
        }
        int f = flows.alloc(FlowType.TCP);
        if (f == FlowTable.NONE) {
            socks.reset(fd);
            return -1;
        }
        long gHi = v6 ? v6GuestHi : Inany.V4_HI, gLo = v6 ? v6GuestLo : Inany.v4Lo(v4Guest);
        flows.side(f, Tcp.TAPSIDE, Pif.TAP, gHi, gLo, guestPort, peerHi, peerLo, peerPort);
        flows.side(f, Tcp.SOCKSIDE, Pif.HOST, peerHi, peerLo, peerPort, 0, 0, 0);
        if (!flows.hash(f, Tcp.TAPSIDE)) {
            flows.free(f);
            socks.reset(fd);
            return -1;
        }
        t.ensure(f);
        c.reset(f);
        if (v6) {
            c.flag(f, TcpConn.V6);
        }
        c.fd.v[f] = fd;
        c.wsToTap.v[f] = Tcp.MAX_WS;
        c.wsFromTap.v[f] = 0;
        c.mssToTap.v[f] = Tcp.MSS_DEFAULT;
        int isn = t.isn(f, nowNs);
        c.seqInitToTap.v[f] = c.recover.v[f] = isn;
        c.seqToTap.v[f] = isn + 1;
        c.seqAckFromTap.v[f] = isn;
        c.lastActivity.v[f] = nowNs;
        c.wndToTap.v[f] = Math.min(65535, Math.max(0, socks.sendSpace(fd)));
        t.timers.activate(f);
        c.event(f, TcpConn.SOCK_ACCEPTED);
        sendSyn(f);
        c.flag(f, TcpConn.ACK_FROM_TAP_DUE);
        c.rtoAt.v[f] = nowNs + Tcp.RTO_INITIAL;
        t.timers.rearm(f);
        return f;
    }

    void sendSyn(int f) {
        t.emit.syn(f, c.seqInitToTap.v[f], 0, TcpHeader.SYN, Math.min(65535, c.wndToTap.v[f]),
                t.maxMss(c.flagged(f, TcpConn.V6)), Tcp.MAX_WS);
    }
}
