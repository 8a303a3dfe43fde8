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
 * Frames from the engine to the guest: Ethernet, IPv4 or IPv6 and TCP headers written in front of data already in
 * place, checksummed and sent to the tap. The data is either in a frame slot, where a peek of the socket put it
 * ({@link #data}), or nothing but the options of a control segment in a small buffer of its own ({@link #control},
 * {@link #syn}).
 *
 * <p>The emitter is also the descriptor of the frames it sends, reused for every one: {@link #toFlow} (the guest
 * side of a flow) or {@link #reply} (the sender of a segment of no flow) sets the addresses and ports of the frames
 * that follow, each sending method the sequence, acknowledgment, flags and window of its one segment.
 */
final class TcpEmitter {
    /** Data of a frame slot starts here: room for Ethernet, IPv6 and TCP headers with options before it. */
    static final int DATA_AT = 96;
    /** Where options or data of control frames (SYN, ACK, FIN, RST) start in their own small buffer. */
    static final int CTL_AT = 128;
    private static final int CTL_SIZE = 256, ALIGN = 64, MAX_MSS = 65535;
    /** Hop limit and TTL of our frames, as the seed sets them. */
    private static final int HOP_LIMIT = 255, TTL = 64;

    private final TapConf conf;
    private final FlowTable flows;
    private final TcpConn c;
    private final TcpSocks socks;
    private final TapSink tap;
    private final Counters stats;
    private final int mtu;

    private final EthHeader eth = new EthHeader();
    private final Ipv4Header ip4 = new Ipv4Header();
    private final Ipv6Header ip6 = new Ipv6Header();
    private final TcpHeader th = new TcpHeader();

    private MemorySegment frames;
    private MemorySegment ctl;
    private int stride;
    private long guestMac;

    // The descriptor of the next frame: addresses and ports from toFlow/reply, the rest from the sending method.
    private boolean v6;
    private long srcHi, srcLo, dstHi, dstLo;
    private int sport, dport;
    private int seq, ack, flags, wnd;

    TcpEmitter(TapConf conf, FlowTable flows, TcpConn c, TcpSocks socks, TapSink tap, Counters stats) {
        this.conf = conf;
        this.flows = flows;
        this.c = c;
        this.socks = socks;
        this.tap = tap;
        this.stats = stats;
        this.mtu = conf.mtu() == 0 ? 65520 : conf.mtu();
        this.guestMac = conf.guestMac();
    }

    /** Allocates the frame slots and the control buffer on the first TCP frame, not at start. */
    void lazyInit() {
        if (frames != null) {
            return;
        }
        stride = (DATA_AT + mtu + ALIGN - 1) & -ALIGN;
        frames = socks.frameMemory((long) stride * Tcp.FRAMES);
        ctl = Arena.ofAuto().allocate(CTL_SIZE, ALIGN);
    }

    /** @return the frame slots: {@link Tcp#FRAMES} of {@link #stride} bytes, data at {@link #DATA_AT} in each */
    MemorySegment frames() {
        return frames;
    }

    /** @return bytes from one frame slot to the next */
    int stride() {
        return stride;
    }

    /** @return the largest segment a frame of our MTU carries */
    int maxMss(boolean v6) {
        return Math.min(MAX_MSS, mtu - (v6 ? Ipv6Header.LEN : Ipv4Header.MIN_LEN) - TcpHeader.MIN_LEN);
    }

    /** The guest's MAC as its last frame gave it: the destination of everything we send. */
    void guestMac(long mac) {
        guestMac = mac;
    }

    /** @return the MAC the next frames go to */
    long guestMac() {
        return guestMac;
    }

    /** The frames that follow go to the guest side of flow {@code f}, from the address the guest connected to. */
    TcpEmitter toFlow(int f) {
        int s = FlowTable.sidx(f, Tcp.TAPSIDE);
        v6 = c.flagged(f, TcpConn.V6);
        srcHi = flows.oAddrHi(s);
        srcLo = flows.oAddrLo(s);
        sport = flows.oPort(s);
        dstHi = flows.eAddrHi(s);
        dstLo = flows.eAddrLo(s);
        dport = flows.ePort(s);
        return this;
    }

    /** The frames that follow answer the sender of {@code p}, from the address it sent to. */
    TcpEmitter reply(TapFrame p) {
        v6 = p.v6();
        srcHi = p.dstHi();
        srcLo = p.dstLo();
        sport = p.dstPort();
        dstHi = p.srcHi();
        dstLo = p.srcLo();
        dport = p.srcPort();
        return this;
    }

    /** Sends a segment without data or options (ACK, FIN, RST). */
    void control(int seq, int ack, int flags, int wnd) {
        segment(seq, ack, flags, wnd);
        frame(ctl, CTL_AT, 0, 0);
    }

    /**
     * Sends a SYN or SYN-ACK with our MSS and, unless {@code ws} is {@link TcpOptions#NONE}, window scale option.
     */
    void syn(int seq, int ack, int flags, int wnd, int ws) {
        int optLen = TcpOptions.writeSyn(ctl, CTL_AT, maxMss(v6), false, false, 0, 0, ws);
        segment(seq, ack, flags, wnd);
        frame(ctl, CTL_AT + optLen, optLen, 0);
    }

    /** Sends the {@code len} bytes of data in frame slot {@code slot}. */
    void data(int slot, int seq, int ack, int flags, int wnd, int len) {
        segment(seq, ack, flags, wnd);
        frame(frames, (long) slot * stride + DATA_AT, 0, len);
    }

    private void segment(int seq, int ack, int flags, int wnd) {
        this.seq = seq;
        this.ack = ack;
        this.flags = flags;
        this.wnd = wnd;
    }

    /**
     * Writes the headers of the described segment in front of {@code dataLen} bytes of data (and {@code optLen}
     * bytes of options before them) at {@code dataAt}, pads the frame to Ethernet's minimum and sends it.
     */
    private void frame(MemorySegment m, long dataAt, int optLen, int dataLen) {
        int tcpLen = TcpHeader.MIN_LEN + optLen;
        int ipLen = v6 ? Ipv6Header.LEN : Ipv4Header.MIN_LEN;
        long tcpOff = dataAt - tcpLen;
        long ipOff = tcpOff - ipLen;
        long ethOff = ipOff - EthHeader.LEN;
        int l4Len = tcpLen + dataLen;
        eth.wrap(m, ethOff).dst(guestMac == MacAddr.NONE ? MacAddr.BROADCAST : guestMac).src(conf.ourMac())
                .type(v6 ? EthHeader.ETH_P_IPV6 : EthHeader.ETH_P_IP);
        long pseudo;
        if (v6) {
            ip6.wrap(m, ipOff).init(0, l4Len, Ipv6Header.IPPROTO_TCP, HOP_LIMIT, srcHi, srcLo, dstHi, dstLo);
            pseudo = Checksum.pseudo6(m, ip6.srcOff(), Ipv6Header.IPPROTO_TCP, l4Len);
        } else {
            ip4.wrap(m, ipOff).init(ipLen + l4Len, 0, Ipv4Header.IP_DF, TTL, Ipv4Header.IPPROTO_TCP,
                    Inany.v4(srcLo), Inany.v4(dstLo)).fillChecksum();
            pseudo = Checksum.pseudo4(Inany.v4(srcLo), Inany.v4(dstLo), Ipv4Header.IPPROTO_TCP, l4Len);
        }
        th.wrap(m, tcpOff).init(sport, dport, seq, ack, tcpLen, flags, wnd).fillChecksum(pseudo, l4Len);
        int frameLen = EthHeader.LEN + ipLen + l4Len;
        if (frameLen < EthHeader.MIN_FRAME) {
            Be.zero(m, ethOff + frameLen, EthHeader.MIN_FRAME - frameLen);
            frameLen = EthHeader.MIN_FRAME;
        }
        stats.count(Tcp.SEGS_TO_TAP);
        tap.send(m, ethOff, frameLen);
    }
}
