package io.jpasta.udp;

import io.jpasta.netns.log.Log;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.TapFrame;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.TapSink;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.EthHeader;
import io.jpasta.tap.wire.IcmpHeader;
import io.jpasta.tap.wire.Icmpv6Header;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.Ipv6Header;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * ICMP and ICMPv6 echo between the guest and any destination, through unprivileged ping sockets: one socket per
 * (guest address, echo identifier, destination), a flow of type {@link FlowType#PING4} or {@link FlowType#PING6}.
 * See the package documentation for the theory of operation.
 *
 * <p>Guest input never throws: {@link #fromTap} answers {@link #HANDLED} when the request went to a socket, and
 * {@link #DROPPED} with a reason counted in {@link #stats()} otherwise.
 * Nothing is allocated until the first ICMP frame, and nothing per frame afterwards. Loop thread only.
 */
public final class Icmp implements TapHandler {
    /** A flow with no request nor reply for this long is closed (pasta's ICMP echo timeout). */
    public static final long IDLE_TIMEOUT_NS = 60_000_000_000L;
    /** TTL / hop limit of the replies we write, as pasta: the remote looks one hop away. */
    static final int REPLY_TTL = 255;
    /** Offset of the echo identifier in both ICMP (RFC 792) and ICMPv6 (RFC 4443 §4.1) echo messages. */
    static final int ECHO_ID = 4;
    /** Where the ICMP message starts in our reply frames. */
    static final int L4_V4 = EthHeader.LEN + Ipv4Header.MIN_LEN, L4_V6 = EthHeader.LEN + Ipv6Header.LEN;
    /** Largest ICMP message in an IPv4 datagram (total length is 16 bits) and in an IPv6 packet (no jumbograms). */
    static final int MAX_MSG_V4 = 0xffff - Ipv4Header.MIN_LEN, MAX_MSG_V6 = 0xffff;
    static final int BUF_SIZE = L4_V6 + MAX_MSG_V6;
    /** Replies read from one socket per readiness event, so that one busy flow cannot starve the loop. */
    static final int RECV_BUDGET = 64;
    static final int EAGAIN = 11, EPERM = 1, EACCES = 13, EADDRINUSE = 98;
    /** IPv4 limited broadcast and the multicast range 224.0.0.0/4: ping sockets cannot serve them. */
    private static final int V4_BROADCAST = -1, V4_MCAST_MASK = 0xf000_0000, V4_MCAST = 0xe000_0000;

    private final Supplier<FlowTable> flowTable;
    private FlowTable flows;
    private final PingSockets socks;
    private final boolean disabled;
    private final long ourMac;
    private final IcmpStats stats = new IcmpStats();
    /** Address translations ({@code --map-host-loopback}, {@code --map-guest-addr}); null: none. */
    private final AddrMap map;
    /** Where the request being handled really goes on the host: set by {@link #target}. */
    private long targetHi, targetLo;

    private final EthHeader eth = new EthHeader();
    private final Ipv4Header ip4 = new Ipv4Header();
    private final Ipv6Header ip6 = new Ipv6Header();
    private final IcmpHeader icmp4 = new IcmpHeader();
    private final Icmpv6Header icmp6 = new Icmpv6Header();

    // Allocated on the first ICMP frame (ensureInit): startup pays nothing for ICMP.
    private MemorySegment buf;
    private int[] sock;
    private char[] guestId;
    private long[] lastNs;
    /** Dense list of our flows, for the expiry scan; pos[flow] is the flow's place in it. */
    private int[] active, pos;
    private int nActive;
    private long nextExpiryNs = Long.MAX_VALUE;
    private boolean notPermittedLogged;

    /**
     * @param conf our MAC and {@code --no-icmp}
     * @param flowTable the flow table shared with the other protocols, fetched on the first ICMP frame (the
     *        full-size table is megabytes of arrays: startup should not pay for it when nothing pings)
     * @param socks the kernel, or a fake
     * @param map where echo requests to a mapped address go on the host (the gateway to the host's loopback, as for
     *        TCP); replies still come from the address the guest pinged. Null: no translation.
     */
    public Icmp(TapConf conf, Supplier<FlowTable> flowTable, PingSockets socks, AddrMap map) {
        this.map = map;
        this.flowTable = flowTable;
        this.socks = socks;
        this.disabled = conf.noIcmp();
        this.ourMac = conf.ourMac();
    }

    private void ensureInit() {
        if (buf != null) {
            return;
        }
        flows = flowTable.get();
        int n = flows.capacity();
        buf = Arena.ofAuto().allocate(BUF_SIZE, 8);
        sock = new int[n];
        Arrays.fill(sock, -1);
        guestId = new char[n];
        lastNs = new long[n];
        active = new int[n];
        pos = new int[n];
    }

    /**
     * Takes an echo request from the guest and sends it through the flow's ping socket, opening the flow first if
     * needed. The classifier sends ICMP and every ICMPv6 message but NDP and MLD here, IP headers checked.
     *
     * @return {@link #HANDLED}, or {@link #DROPPED} with the reason counted in {@link #stats()}
     */
    @Override
    public int fromTap(TapFrame f, long nowNs) {
        if (disabled) {
            return drop(IcmpStats.DISABLED);
        }
        return f.v6() ? ipv6(f, nowNs) : ipv4(f, nowNs);
    }

    private int ipv4(TapFrame f, long nowNs) {
        MemorySegment frame = f.seg();
        long l4 = f.l4();
        int l4Len = f.l4Len();
        if (!IcmpHeader.fits(frame, l4, l4Len)) {
            return drop(IcmpStats.MALFORMED);
        }
        icmp4.wrap(frame, l4);
        if (icmp4.type() != IcmpHeader.ICMP_ECHO || icmp4.code() != 0) {
            return drop(IcmpStats.UNSUPPORTED);
        }
        if (!icmp4.checksumOk(l4Len)) {
            return drop(IcmpStats.BAD_CHECKSUM);
        }
        int dst = Inany.v4(f.dstLo());
        if (dst == V4_BROADCAST || (dst & V4_MCAST_MASK) == V4_MCAST || dst == 0) {
            return drop(IcmpStats.UNSUPPORTED);
        }
        target(f.dstHi(), f.dstLo());
        return echo(false, f.srcHi(), f.srcLo(), f.dstHi(), f.dstLo(), icmp4.id(), frame, l4, l4Len, nowNs);
    }

    private int ipv6(TapFrame f, long nowNs) {
        MemorySegment frame = f.seg();
        long l4 = f.l4();
        int l4Len = f.l4Len();
        icmp6.wrap(frame, l4);
        if (icmp6.type() != Icmpv6Header.ICMPV6_ECHO_REQUEST || icmp6.code() != 0) {
            return drop(IcmpStats.UNSUPPORTED);
        }
        if (!Icmpv6Header.fitsBody(frame, l4, l4Len)) {
            return drop(IcmpStats.MALFORMED);
        }
        if (!icmp6.checksumOk(f.ip6().pseudo(), l4Len)) {
            return drop(IcmpStats.BAD_CHECKSUM);
        }
        long dstHi = f.dstHi();
        long dstLo = f.dstLo();
        // A host socket has no scope for a link-local destination (unless it is mapped to a host address, as a
        // link-local gateway is to ::1), and ping sockets refuse multicast.
        boolean mapped = target(dstHi, dstLo);
        if (Ipv6Header.isMulticast(dstHi) || (Ipv6Header.isLinkLocal(dstHi) && !mapped)
                || Ipv6Header.isUnspecified(dstHi, dstLo)) {
            return drop(IcmpStats.UNSUPPORTED);
        }
        return echo(true, f.srcHi(), f.srcLo(), dstHi, dstLo, icmp6.id(), frame, l4, l4Len, nowNs);
    }

    /** Sets {@link #targetHi}/{@link #targetLo} to where {@code dst} goes on the host. @return true if mapped */
    private boolean target(long dstHi, long dstLo) {
        if (map == null || map.fromTap(Ipv4Header.IPPROTO_ICMP, dstHi, dstLo, 0) == AddrMap.KEEP) {
            targetHi = dstHi;
            targetLo = dstLo;
            return false;
        }
        targetHi = map.resultHi();
        targetLo = map.resultLo();
        return true;
    }

    /** An echo request of the guest to {@code dst}, which goes to {@link #targetHi}/{@link #targetLo}. */
    private int echo(boolean v6, long srcHi, long srcLo, long dstHi, long dstLo, int id,
                     MemorySegment frame, long l4, int l4Len, long nowNs) {
        ensureInit();
        int proto = FlowType.proto(v6 ? FlowType.PING6 : FlowType.PING4);
        int sidx = flows.lookup(proto, Pif.TAP, srcHi, srcLo, id, dstHi, dstLo, id);
        int flow = sidx != FlowTable.NONE ? FlowTable.flowOf(sidx) : open(v6, srcHi, srcLo, dstHi, dstLo, id, nowNs);
        if (flow == FlowTable.NONE) {
            return DROPPED;      // counted by open
        }
        lastNs[flow] = nowNs;
        flows.count(FlowTable.sidx(flow, 0), l4Len, 1, nowNs);
        // The kernel replaces the identifier with the socket's and computes the checksum itself.
        long n = socks.sendTo(sock[flow], v6, frame, l4, l4Len, targetHi, targetLo);
        if (n < 0) {
            return drop(IcmpStats.SEND);
        }
        stats.counters.count(v6 ? IcmpStats.REQUESTS6 : IcmpStats.REQUESTS4);
        return HANDLED;
    }

    /** Opens a flow and its socket, bound to the guest's identifier if free. @return the flow, or NONE (counted) */
    private int open(boolean v6, long srcHi, long srcLo, long dstHi, long dstLo, int id, long nowNs) {
        int flow = flows.alloc(v6 ? FlowType.PING6 : FlowType.PING4);
        if (flow == FlowTable.NONE) {
            stats.drop(IcmpStats.TABLE_FULL);
            return FlowTable.NONE;
        }
        int s = socks.open(v6);
        if (s < 0) {
            flows.free(flow);
            if (s == -EACCES || s == -EPERM) {
                stats.drop(IcmpStats.NOT_PERMITTED);
                if (!notPermittedLogged) {
                    notPermittedLogged = true;
                    Log.debug("ICMP echo: the kernel refuses ping sockets to our group (errno " + -s
                            + "): net.ipv4.ping_group_range excludes it, echo requests from the guest are dropped");
                }
            } else {
                stats.drop(IcmpStats.SOCKET);
                Log.debug("ICMP echo: cannot open a ping socket, errno " + -s);
            }
            return FlowTable.NONE;
        }
        // Another ping socket may hold the identifier (the guest pings two destinations with one id, or a host
        // process uses it): the kernel then picks one, and replies get the guest's identifier back.
        int rc = socks.bind(s, v6, id);
        if (rc == -EADDRINUSE) {
            rc = socks.bind(s, v6, 0);
        }
        int sockId = rc < 0 ? rc : socks.boundId(s, v6);
        if (sockId < 0 || (rc = socks.watch(s, flow)) < 0) {
            socks.close(s);
            flows.free(flow);
            stats.drop(IcmpStats.SOCKET);
            Log.debug("ICMP echo: cannot bind or register a ping socket, errno " + -(sockId < 0 ? sockId : rc));
            return FlowTable.NONE;
        }
        if (sockId != id) {
            stats.counters.count(IcmpStats.ID_REMAPPED);
        }
        flows.side(flow, 0, Pif.TAP, srcHi, srcLo, id, dstHi, dstLo, id);
        flows.side(flow, 1, Pif.HOST, targetHi, targetLo, sockId, 0, 0, sockId);
        flows.hash(flow, 0);    // cannot collide: the lookup before found nothing
        sock[flow] = s;
        guestId[flow] = (char) id;
        pos[flow] = nActive;
        active[nActive++] = flow;
        nextExpiryNs = Math.min(nextExpiryNs, nowNs + IDLE_TIMEOUT_NS);
        stats.counters.count(IcmpStats.FLOWS);
        return flow;
    }

    /**
     * Reads the echo replies waiting on a flow's socket and writes each to the guest as an echo reply from the
     * destination it pinged, with the guest's identifier.
     *
     * @param flow the flow index from the epoll registration
     * @param fd the descriptor from the registration: an event for a socket we closed since is ignored
     * @param guestMac where the replies go (the guest's MAC as last learned)
     * @param nowNs monotonic clock now
     * @param out the tap
     */
    public void fromSock(int flow, int fd, long guestMac, long nowNs, TapSink out) {
        if (sock == null || flow < 0 || flow >= sock.length || sock[flow] != fd) {
            return;
        }
        int type = flows.type(flow);
        if (type != FlowType.PING4 && type != FlowType.PING6) {
            return;
        }
        boolean v6 = type == FlowType.PING6;
        int l4 = v6 ? L4_V6 : L4_V4;
        for (int i = 0; i < RECV_BUDGET; i++) {
            long n = socks.recv(fd, buf, l4, v6 ? MAX_MSG_V6 : MAX_MSG_V4);
            if (n == -EAGAIN) {
                return;
            }
            if (n < 0) {
                stats.drop(IcmpStats.RECV);
                return;
            }
            lastNs[flow] = nowNs;
            flows.count(FlowTable.sidx(flow, 1), n, 1, nowNs);
            reply(flow, v6, (int) n, guestMac, out);
        }
    }

    private void reply(int flow, boolean v6, int n, long guestMac, TapSink out) {
        int s0 = FlowTable.sidx(flow, 0);
        int l4 = v6 ? L4_V6 : L4_V4;
        if (n < IcmpHeader.LEN) {
            stats.drop(IcmpStats.MALFORMED);
            return;
        }
        if (Be.u8(buf, l4) != (v6 ? Icmpv6Header.ICMPV6_ECHO_REPLY : IcmpHeader.ICMP_ECHOREPLY)) {
            stats.drop(IcmpStats.UNSUPPORTED);
            return;
        }
        Be.put16(buf, l4 + ECHO_ID, guestId[flow]);
        if (v6) {
            ip6.wrap(buf, EthHeader.LEN).init(0, n, Ipv6Header.IPPROTO_ICMPV6, REPLY_TTL,
                    flows.oAddrHi(s0), flows.oAddrLo(s0), flows.eAddrHi(s0), flows.eAddrLo(s0));
            icmp6.wrap(buf, l4).fillChecksum(ip6.pseudo(), n);
        } else {
            ip4.wrap(buf, EthHeader.LEN).init(Ipv4Header.MIN_LEN + n, 0, Ipv4Header.IP_DF, REPLY_TTL,
                    Ipv4Header.IPPROTO_ICMP, Inany.v4(flows.oAddrLo(s0)), Inany.v4(flows.eAddrLo(s0)))
                    .fillChecksum();
            icmp4.wrap(buf, l4).fillChecksum(n);
        }
        eth.wrap(buf, 0).dst(guestMac).src(ourMac).type(v6 ? EthHeader.ETH_P_IPV6 : EthHeader.ETH_P_IP);
        int frameLen = l4 + n;
        if (frameLen < EthHeader.MIN_FRAME) {
            Be.zero(buf, frameLen, EthHeader.MIN_FRAME - frameLen);
            frameLen = EthHeader.MIN_FRAME;
        }
        out.send(buf, 0, frameLen);
        stats.counters.count(v6 ? IcmpStats.REPLIES6 : IcmpStats.REPLIES4);
    }

    /** @return when {@link #timer} next has flows to expire, or {@link Long#MAX_VALUE} if none */
    public long nextDeadlineNs() {
        return nextExpiryNs;
    }

    /** Closes the flows idle for {@link #IDLE_TIMEOUT_NS} or more, and computes the next deadline. */
    public void timer(long nowNs) {
        if (nextExpiryNs == Long.MAX_VALUE || nowNs - nextExpiryNs < 0) {
            return;
        }
        long next = Long.MAX_VALUE;
        for (int i = 0; i < nActive; ) {
            int flow = active[i];
            long deadline = lastNs[flow] + IDLE_TIMEOUT_NS;
            if (nowNs - deadline >= 0) {
                close(flow);        // moves the last entry into slot i
                stats.counters.count(IcmpStats.EXPIRED);
            } else {
                next = Math.min(next, deadline);
                i++;
            }
        }
        nextExpiryNs = next;
    }

    private void close(int flow) {
        socks.close(sock[flow]);
        sock[flow] = -1;
        flows.free(flow);
        int p = pos[flow];
        int last = active[--nActive];
        active[p] = last;
        pos[last] = p;
    }

    /** @return number of open echo flows */
    public int flowCount() {
        return nActive;
    }

    public IcmpStats stats() {
        return stats;
    }

    private int drop(int reason) {
        stats.drop(reason);
        if (Log.trace) {
            Log.trace("ICMP: request dropped: " + stats.counters().reasonName(reason));
        }
        return DROPPED;
    }
}
