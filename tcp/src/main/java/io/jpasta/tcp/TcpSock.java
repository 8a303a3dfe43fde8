package io.jpasta.tcp;

import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Structs;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tap.wire.TcpHeader;
import io.jpasta.tap.wire.TcpOptions;

import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The socket side of the engine: readiness of host sockets (a connect completing, data, end of stream, room to
 * write), the socket's data peeked into frame slots and sent to the guest within its window, and connections
 * accepted on host listeners opened toward the guest.
 */
final class TcpSock extends TcpPart {
    /** The second half of an IPv6 address in a struct sockaddr_in6. */
    private static final int SIN6_ADDR_LO = Structs.SIN6_ADDR + 8;

    private final AddrMap map;
    /** The guest's addresses, the destination of connections accepted on host listeners; 0 for none. */
    private final int v4Guest;
    private final long v6GuestHi, v6GuestLo;

    TcpSock(Tcp tcp, TapConf conf, AddrMap map) {
        super(tcp);
        this.map = map;
        v4Guest = conf.addr4() == null ? 0 : ByteBuffer.wrap(conf.addr4().getAddress()).getInt();
        Inet6Address a6 = conf.addr6();
        ByteBuffer b6 = ByteBuffer.wrap(a6 == null ? new byte[16] : a6.getAddress());
        v6GuestHi = b6.getLong();
        v6GuestLo = b6.getLong();
    }

    /** See {@link Tcp#sockEvent}. */
    void sockEvent(int f, int events, long nowNs) {
        if (f < 0 || f >= c.capacity() || flows.type(f) != FlowType.TCP || c.events.v[f] == 0) {
            return;
        }
        c.lastActivity.v[f] = nowNs;
        if (c.has(f, TcpConn.TAP_SYN_RCVD) && !c.has(f, TcpConn.TAP_SYN_ACK_SENT)) {
            connectEvent(f, events, nowNs);
            return;
        }
        if (!c.has(f, TcpConn.ESTABLISHED)) {
            return;
        }
        if ((events & TcpSocks.EPOLLERR) != 0) {
            tcp.rst(f);
            return;
        }
        if ((events & TcpSocks.EPOLLOUT) != 0 && c.flagged(f, TcpConn.WANT_OUT)) {
            tcp.tap.drainToSock(f, nowNs);
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

    /** The connect of a flow the guest opened completed or failed: SYN-ACK or RST to the guest. */
    private void connectEvent(int f, int events, long nowNs) {
        int err = socks.error(c.fd.v[f]);
        if (err != 0 || (events & (TcpSocks.EPOLLERR | TcpSocks.EPOLLHUP)) != 0) {
            if (Log.trace) {
                Log.trace("TCP: flow " + f + ": connect failed, errno " + err);
            }
            tcp.rst(f);
            return;
        }
        if ((events & TcpSocks.EPOLLOUT) == 0) {
            return;
        }
        c.wndToTap.v[f] = Math.min(Tcp.WINDOW_FIELD_MAX, Math.max(0, socks.sendSpace(c.fd.v[f])));
        c.seqToTap.v[f] = c.seqInitToTap.v[f] + 1;
        sendSynAck(f);
        c.event(f, TcpConn.TAP_SYN_ACK_SENT);
        c.flag(f, TcpConn.ACK_FROM_TAP_DUE);
        c.rtoAt.v[f] = nowNs + Tcp.RTO_INITIAL;
        socks.watch(c.fd.v[f], f, TcpSocks.EPOLLRDHUP);
        tcp.timers.rearm(f, nowNs);
    }

    /** Answers the guest's SYN (again, on a retransmission): our window scale only if the guest offered one. */
    void sendSynAck(int f) {
        int ws = c.wsToTap.v[f] == 0 ? TcpOptions.NONE : c.wsToTap.v[f];
        emit.toFlow(f).syn(c.seqInitToTap.v[f], c.seqFromTap.v[f], TcpHeader.SYN | TcpHeader.ACK_FLAG,
                Math.min(Tcp.WINDOW_FIELD_MAX, c.wndToTap.v[f]), ws);
    }

    /** Opens a connection accepted on a host listener toward the guest (again, on a retransmission). */
    void sendSyn(int f) {
        emit.toFlow(f).syn(c.seqInitToTap.v[f], 0, TcpHeader.SYN, Math.min(Tcp.WINDOW_FIELD_MAX, c.wndToTap.v[f]),
                Tcp.MAX_WS);
    }

    /**
     * Sends what the guest's window allows of the socket's received data, from where we stopped: peeked into frame
     * slots behind their headers, never consumed here (the guest's ACKs consume it). At end of stream, our FIN.
     */
    void dataFromSock(int f, long now) {
        if (!c.has(f, TcpConn.ESTABLISHED) || c.has(f, TcpConn.TAP_FIN_SENT) || c.fd.v[f] < 0) {
            return;
        }
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
            // acknowledged data not released yet (see TcpTap.consume) is still in front of what we sent
            long r = socks.peek(c.fd.v[f], c.seqToTap.v[f] - c.seqSockHead.v[f], emit.frames(),
                    TcpEmitter.DATA_AT, emit.stride(), mss, len);
            if (tcp.sockFailed(f, r, "receive")) {
                return;
            }
            if (r == 0) {
                finToTap(f, now);
                return;
            }
            framesToTap(f, (int) r, mss);
            dataSent(f, now);
            if (r < len && !c.has(f, TcpConn.SOCK_FIN_RCVD)) {
                return; // drained; with the peer's FIN seen, go on to find the end of the stream
            }
        }
    }

    /** Sends the {@code len} bytes peeked into the frame slots, {@code mss} per frame, PSH on the last. */
    private void framesToTap(int f, int len, int mss) {
        int wnd = c.wndToTap.v[f] >>> c.wsToTap.v[f];
        int seq = c.seqToTap.v[f];
        int ack = c.seqFromTap.v[f];
        emit.toFlow(f);
        for (int done = 0, i = 0; done < len; i++) {
            int n = Math.min(mss, len - done);
            int fl = TcpHeader.ACK_FLAG | (done + n == len ? TcpHeader.PSH : 0);
            emit.data(i, seq + done, ack, fl, wnd, n);
            done += n;
        }
        stats.add(Tcp.BYTES_TO_TAP, len);
        c.seqAckToTap.v[f] = ack;
        c.seqToTap.v[f] = seq + len;
    }

    /** The socket's end of stream, with everything before it sent: our FIN to the guest. */
    private void finToTap(int f, long now) {
        c.event(f, TcpConn.SOCK_FIN_RCVD); // also when the FIN came with data and no RDHUP was seen
        emit.toFlow(f).control(c.seqToTap.v[f], c.seqFromTap.v[f], TcpHeader.FIN | TcpHeader.ACK_FLAG,
                c.wndToTap.v[f] >>> c.wsToTap.v[f]);
        c.seqAckToTap.v[f] = c.seqFromTap.v[f];
        c.seqToTap.v[f]++;
        c.event(f, TcpConn.TAP_FIN_SENT);
        dataSent(f, now);
    }

    /** Something of ours is unacknowledged: the retransmission timer runs, unless it already does. */
    private void dataSent(int f, long now) {
        if (!c.flagged(f, TcpConn.ACK_FROM_TAP_DUE) || c.rtoAt.v[f] == Long.MAX_VALUE) {
            c.flag(f, TcpConn.ACK_FROM_TAP_DUE);
            c.rtoAt.v[f] = now + (Tcp.RTO_INITIAL << Math.min(c.retrans.v[f], Tcp.MAX_RTO_SHIFT));
            tcp.timers.rearm(f, now);
        }
    }

    /** See {@link Tcp#acceptedClient}. */
    int acceptedClient(int fd, ByteBuffer peer, int guestPort, long guestMac, long nowNs) {
        ByteBuffer be = peer.duplicate().order(ByteOrder.BIG_ENDIAN);
        int port = Short.toUnsignedInt(be.getShort(Structs.SA_PORT));
        boolean v4 = peer.duplicate().order(ByteOrder.nativeOrder()).getShort(Structs.SA_FAMILY) == Linux.AF_INET;
        long hi = v4 ? Inany.V4_HI : be.getLong(Structs.SIN6_ADDR);
        long lo = v4 ? Inany.v4Lo(be.getInt(Structs.SIN_ADDR)) : be.getLong(SIN6_ADDR_LO);
        map.toTap(hi, lo);
        socks.adopt(fd);
        tcp.guestMac(guestMac);
        long mHi = map.resultHi(), mLo = map.resultLo();
        return accepted(fd, !Inany.isV4(mHi, mLo), mHi, mLo, port, guestPort, nowNs);
    }

    /** See {@link Tcp#accepted}. */
    int accepted(int fd, boolean v6, long peerHi, long peerLo, int peerPort, int guestPort, long nowNs) {
        emit.lazyInit();
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
        tcp.open(f, v6);
        c.fd.v[f] = fd;
        c.wsToTap.v[f] = Tcp.MAX_WS;
        c.wsFromTap.v[f] = 0;
        c.mssToTap.v[f] = Tcp.MSS_DEFAULT;
        int isn = tcp.isn(f, nowNs);
        c.seqInitToTap.v[f] = c.recover.v[f] = isn;
        c.seqToTap.v[f] = isn + 1;
        c.seqAckFromTap.v[f] = isn;
        c.lastActivity.v[f] = nowNs;
        c.wndToTap.v[f] = Math.min(Tcp.WINDOW_FIELD_MAX, Math.max(0, socks.sendSpace(fd)));
        tcp.timers.activate(f);
        c.event(f, TcpConn.SOCK_ACCEPTED);
        sendSyn(f);
        c.flag(f, TcpConn.ACK_FROM_TAP_DUE);
        c.rtoAt.v[f] = nowNs + Tcp.RTO_INITIAL;
        tcp.timers.rearm(f, nowNs);
        return f;
    }
}
