package io.jpasta.tcp;

import io.jpasta.netns.log.Counters;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.TapFrame;
import io.jpasta.tap.TapSink;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.Checksum;
import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.TcpHeader;
import io.jpasta.tap.wire.TcpOptions;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Frames from the engine to the guest: Ethernet, IPv4 or IPv6 and TCP headers written in front of data that is
 * already in place (a frame slot the socket's data was peeked into, or the small buffer of control segments), then
 * handed to the tap. A flow's frames take its addresses and ports from the flow table, turned around: what the
 * guest sent to is our source.
 */
final class TcpEmitter {
    /** Where options or data of control frames (SYN, ACK, FIN, RST) start in their own small buffer. */
    static final int CTL_AT = 128;

    private final TapConf conf;
    private final TapSink tap;
    private final FlowTable flows;
    private final TcpConn c;
    private final Counters stats;
    private final MemorySegment ctl = Arena.ofAuto().allocate(256, 64);
    private final EthHeader eth = new EthHeader();
    private final Ipv4Header ip4 = new Ipv4Header();
    private final Ipv6Header ip6 = new Ipv6Header();
    private final TcpHeader th = new TcpHeader();
    private long guestMac;

    // the addresses of the frame being written ({@link #to})
    private boolean v6;
    private long srcHi, srcLo, dstHi, dstLo;
    private int sport, dport;

    TcpEmitter(TapConf conf, TapSink tap, FlowTable flows, TcpConn c, Counters stats) {
        this.conf = conf;
        this.tap = tap;
        this.flows = flows;
        this.c = c;
        this.stats = stats;
        this.guestMac = conf.guestMac();
    }

    /** The guest's MAC, once known; until then frames go to the broadcast address. */
    void guestMac(long mac) {
        if (mac != MacAddr.NONE) {
            guestMac = mac;
        }
    }

    /** A segment of flow {@code f} without data or options (ACK, FIN, RST). */
    void control(int f, int seq, int ack, int fl, int wndField) {
        flow(f);
        emit(ctl, CTL_AT, seq, ack, fl, wndField, 0, 0);
    }

    /** A SYN or SYN-ACK of flow {@code f} announcing {@code mss} and window scale {@code ws} (NONE: none). */
    void syn(int f, int seq, int ack, int fl, int wndField, int mss, int ws) {
        flow(f);
        int optLen = TcpOptions.writeSyn(ctl, CTL_AT, mss, false, false, 0, 0, ws);
        emit(ctl, CTL_AT + optLen, seq, ack, fl, wndField, optLen, 0);
    }

    /** A data segment of flow {@code f}: {@code len} bytes at {@code dataAt} of {@code m}, room before them. */
    void data(int f, MemorySegment m, long dataAt, int seq, int ack, int fl, int wndField, int len) {
        flow(f);
        emit(m, dataAt, seq, ack, fl, wndField, 0, len);
    }

    /**
     * Answers segment {@code p} of no connection with a RST (RFC 9293 §3.10.7.1): with the acknowledged point as its
     * sequence if it carried an ACK, else acknowledging all it occupied.
     */
    void rstNoFlow(TapFrame p, int seq, int ack, int fl, int dataLen) {
        to(p.v6(), p.dstHi(), p.dstLo(), p.dstPort(), p.srcHi(), p.srcLo(), p.srcPort());
        if ((fl & TcpHeader.ACK_FLAG) != 0) {
            emit(ctl, CTL_AT, ack, 0, TcpHeader.RST, 0, 0, 0);
        } else {
            int seg = dataLen + ((fl & TcpHeader.SYN) != 0 ? 1 : 0) + ((fl & TcpHeader.FIN) != 0 ? 1 : 0);
            emit(ctl, CTL_AT, 0, seq + seg, TcpHeader.RST | TcpHeader.ACK_FLAG, 0, 0, 0);
        }
    }

    private void flow(int f) {
        int s = FlowTable.sidx(f, Tcp.TAPSIDE);
        to(c.flagged(f, TcpConn.V6), flows.oAddrHi(s), flows.oAddrLo(s), flows.oPort(s), flows.eAddrHi(s),
                flows.eAddrLo(s), flows.ePort(s));
    }

    private void to(boolean isV6, long sHi, long sLo, int sp, long dHi, long dLo, int dp) {
        v6 = isV6;
        srcHi = sHi;
        srcLo = sLo;
        sport = sp;
        dstHi = dHi;
        dstLo = dLo;
        dport = dp;
    }

    /**
     * Writes headers for the addresses of {@link #to} in front of {@code dataLen} bytes of data (and {@code optLen}
     * bytes of options) at {@code dataAt}, and sends the frame.
     */
    private void emit(MemorySegment m, long dataAt, int seq, int ack, int fl, int wndField, int optLen,
                      int dataLen) {
        int tcpLen = TcpHeader.MIN_LEN + optLen;
        int ipLen = v6 ? Ipv6Header.LEN : Ipv4Header.MIN_LEN;
        long tcpOff = dataAt - optLen - TcpHeader.MIN_LEN;
        long ipOff = tcpOff - ipLen;
        long ethOff = ipOff - EthHeader.LEN;
        int l4Len = tcpLen + dataLen;
        eth.wrap(m, ethOff).dst(guestMac == MacAddr.NONE ? MacAddr.BROADCAST : guestMac).src(conf.ourMac())
                .type(v6 ? EthHeader.ETH_P_IPV6 : EthHeader.ETH_P_IP);
        long pseudo;
        if (v6) {
            ip6.wrap(m, ipOff).init(0, l4Len, Ipv6Header.IPPROTO_TCP, 255, srcHi, srcLo, dstHi, dstLo);
            pseudo = Checksum.pseudo6(m, ip6.srcOff(), Ipv6Header.IPPROTO_TCP, l4Len);
        } else {
            ip4.wrap(m, ipOff).init(ipLen + l4Len, 0, Ipv4Header.IP_DF, 64, Ipv4Header.IPPROTO_TCP,
                    Inany.v4(srcLo), Inany.v4(dstLo)).fillChecksum();
            pseudo = Checksum.pseudo4(Inany.v4(srcLo), Inany.v4(dstLo), Ipv4Header.IPPROTO_TCP, l4Len);
        }
        th.wrap(m, tcpOff).init(sport, dport, seq, ack, tcpLen, fl, wndField).fillChecksum(pseudo, l4Len);
        int frameLen = EthHeader.LEN + ipLen + l4Len;
        if (frameLen < EthHeader.MIN_FRAME) {
            Be.zero(m, ethOff + frameLen, EthHeader.MIN_FRAME - frameLen);
            frameLen = EthHeader.MIN_FRAME;
        }
        stats.count(Tcp.SEGS_TO_TAP);
        tap.send(m, ethOff, frameLen);
    }
}
