package io.jpasta.udp;

import io.jpasta.netns.log.Counters;
import io.jpasta.netns.log.Log;
import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
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
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.UdpHeader;

import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.nio.ByteBuffer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * UDP between the guest, host sockets and the namespace's loopback: every UDP flow of pasta (see the package
 * documentation for the theory of operation). Pure: the time comes in as an argument, frames go to a
 * {@link TapSink}, sockets are reached through {@link UdpSocks}. Owned by the event loop thread; nothing is
 * allocated per datagram.
 *
 * <p>Entry points: {@link #fromTap} for datagrams from the guest (the classifier's UDP handler),
 * {@link #fromListener} for datagrams on a {@code -u}/{@code -U} listener, {@link #sockEvent} for a flow's socket,
 * {@link #timer} when {@link #nextDeadlineNs} passes, {@link #listenerClosed} when a listener goes away.
 */
public final class Udp implements TapHandler {
    /** A flow with no datagram either way for this long is closed (conntrack's udp_timeout). */
    public static final long IDLE_NS = 30_000_000_000L;
    /** ... or for this long once both sides sent more than one datagram (conntrack's udp_timeout_stream). */
    public static final long STREAM_NS = 180_000_000_000L;
    /** Datagrams per receive call, and receive calls per readiness event (one busy flow must not starve others). */
    static final int SLOTS = 32, RECV_ROUNDS = 8;
    /** Largest datagram we receive: UDP's 16-bit length (IPv6 has no larger one without jumbograms). */
    static final int MAX_DATAGRAM = 65535;
    /** Datagrams staged for one sendmmsg, and the largest one staged rather than sent at once. */
    static final int STAGE_SLOTS = 32, STAGE_MAX = 2048 - Datagrams.DATA_AT;

    /** Counted events ({@link #stats()}). */
    public static final int FROM_TAP = 0, TO_TAP = 1, RELAYED = 2, FLOWS = 3, EXPIRED = 4, ICMP_TO_TAP = 5;
    /** Drop reasons. */
    public static final int BAD_ADDRESS = 0, TABLE_FULL = 1, SOCKET = 2, SEND = 3, RECV = 4, TOO_BIG = 5,
            NO_GUEST_ADDRESS = 6;
    private static final String[] COUNT_NAMES = {"from-tap", "to-tap", "relayed", "flows", "expired",
        "icmp-to-tap"};
    private static final String[] REASON_NAMES = {"bad address", "flow table full", "socket error", "send error",
        "receive error", "too big for the tap", "no guest address"};

    /** Hands out sockets of the namespace, made ahead of need by nsd (spliced flows from {@code -u} listeners). */
    public interface NsSockets {
        /** @return an unbound UDP socket of the namespace, or -errno */
        int take(boolean v6);
    }

    private final Counters stats = new Counters("udp", COUNT_NAMES, REASON_NAMES);
    private final Supplier<FlowTable> flowTable;
    private final UdpSocks socks;
    private final AddrMap map;
    private final NsSockets ns;
    private final LongSupplier guestMac;
    private final UdpFrames frames;
    private int guest4;
    private long guest6Hi, guest6Lo;
    private boolean hasGuest4, hasGuest6;
    private final SockError err = new SockError();
    private boolean noSplice;
    private long idleNs = IDLE_NS, streamNs = STREAM_NS;

    private FlowTable flows;
    private UdpFlows f;
    private Datagrams dg;
    /**
     * The guest's small datagrams of one flow, copied out of their tap frames (which live in the loop's one frame
     * buffer) to go out together in one sendmmsg: at the end of the burst of tap frames ({@link #flush}), before
     * a datagram of another flow, or when full. Larger datagrams go out at once, from their frame.
     */
    private Datagrams staged;
    private int stagedFlow = -1, stagedCount;
    private long nextExpiryNs = Long.MAX_VALUE;

    /**
     * @param conf our MAC, the guest's addresses, the MTU
     * @param flowTable the flow table shared with the other protocols, fetched on first use
     * @param tap where frames to the guest go; null without a tap ({@code --splice-only}): then every listener's
     *        datagrams are spliced
     * @param map where datagrams the guest sends go on the host, and how host peers appear to the guest
     * @param ns sockets of the namespace for spliced flows from host listeners
     * @param guestMac the guest's MAC as the L2 services learnt it
     */
    public Udp(TapConf conf, Supplier<FlowTable> flowTable, UdpSocks socks, TapSink tap, AddrMap map, NsSockets ns,
               LongSupplier guestMac) {
        this.flowTable = flowTable;
        this.socks = socks;
        this.map = map;
        this.ns = ns;
        this.guestMac = guestMac;
        this.frames = tap == null ? null : new UdpFrames(conf.ourMac(), conf.mtu() == 0 ? 65520 : conf.mtu(), tap);
        hostChanged(conf);
    }

    /**
     * The host changed (the launcher follows it): datagrams of new flows toward the guest go to its address in
     * {@code next}. Existing flows keep their addresses; those the guest no longer uses expire.
     */
    public void hostChanged(TapConf next) {
        hasGuest4 = next.addr4() != null;
        guest4 = hasGuest4 ? ByteBuffer.wrap(next.addr4().getAddress()).getInt() : 0;
        Inet6Address a6 = next.addr6();
        hasGuest6 = a6 != null;
        ByteBuffer b6 = ByteBuffer.wrap(hasGuest6 ? a6.getAddress() : new byte[16]);
        guest6Hi = b6.getLong();
        guest6Lo = b6.getLong();
    }

    /** Shorter timeouts, for tests of expiry that cannot wait 30 s (a system property of the launcher's). */
    public void timeouts(long idle, long stream) {
        idleNs = idle;
        streamNs = stream;
    }

    /** {@code --no-splice}: loopback peers of {@code -u} listeners go through the tap as well. */
    public void noSplice() {
        noSplice = true;
    }

    private void ensureInit() {
        if (dg != null) {
            return;
        }
        flows = flowTable.get();
        f = new UdpFlows(flows.capacity());
        int stride = (Datagrams.DATA_AT + MAX_DATAGRAM + 63) & ~63;
        dg = new Datagrams(socks.slotMemory((long) stride * SLOTS), stride, SLOTS, MAX_DATAGRAM);
        staged = new Datagrams(socks.slotMemory(2048L * STAGE_SLOTS), 2048, STAGE_SLOTS, STAGE_MAX);
    }

    // ---------------------------------------------------------------------------------------------------------
    // From the guest

    /**
     * A datagram from the guest (the classifier checked the IP and UDP headers): sent on the flow's socket, the flow
     * opened first if it has none.
     *
     * @return {@link #HANDLED}, or {@link #DROPPED} with the reason counted in {@link #stats()}
     */
    @Override
    public int fromTap(TapFrame p, long nowNs) {
        ensureInit();
        stats.count(FROM_TAP);
        MemorySegment frame = p.seg();
        long data = p.l4() + UdpHeader.LEN;
        int len = Be.u16(frame, p.l4() + 4) - UdpHeader.LEN;
        int sidx = flows.lookup(Linux.IPPROTO_UDP, Pif.TAP, p.srcHi(), p.srcLo(), p.srcPort(), p.dstHi(), p.dstLo(),
                p.dstPort());
        int fl;
        if (sidx != FlowTable.NONE) {
            fl = FlowTable.flowOf(sidx);
        } else {
            fl = openFromTap(p, nowNs);
            if (fl < 0) {
                return DROPPED;
            }
            sidx = FlowTable.sidx(fl, 0);
        }
        f.saw(fl, FlowTable.sideOf(sidx), nowNs);
        flows.count(sidx, len, 1, nowNs);
        if (fl != stagedFlow || len > STAGE_MAX || stagedCount == STAGE_SLOTS) {
            flush();
        }
        if (len <= STAGE_MAX) {
            MemorySegment.copy(frame, data, staged.slots, staged.data(stagedCount), len);
            staged.len(stagedCount++, len);
            stagedFlow = fl;
            return HANDLED;
        }
        long r;
        if (f.kind.v[fl] == UdpFlows.TAP_OUT) {
            r = socks.send(f.sock.v[fl], frame, data, len);
        } else {
            int peer = FlowTable.sidx(fl, 0);
            r = socks.sendTo(f.lsock.v[fl], f.lsockV6(fl), frame, data, len, flows.eAddrHi(peer), flows.eAddrLo(peer),
                    flows.ePort(peer));
        }
        if (r < 0) {
            return drop(SEND, fl, (int) -r);
        }
        return HANDLED;
    }

    /**
     * Sends the staged datagrams of the guest: at the end of each burst of tap frames, and before anything that could
     * reorder them. A datagram the socket refuses is counted as a send drop, as it would have been one by one.
     */
    public void flush() {
        int n = stagedCount, fl = stagedFlow;
        stagedCount = 0;
        stagedFlow = -1;
        if (n == 0 || !f.inUse(fl)) {
            return;
        }
        int peer = FlowTable.sidx(fl, 0);
        for (int sent = 0; sent < n; ) {
            int r = f.kind.v[fl] == UdpFlows.TAP_OUT ? socks.sendBatch(f.sock.v[fl], staged, sent, n - sent, false, 0, 0, 0)
                    : socks.sendBatch(f.lsock.v[fl], staged, sent, n - sent, f.lsockV6(fl), flows.eAddrHi(peer),
                    flows.eAddrLo(peer), flows.ePort(peer));
            if (r <= 0) {
                for (int k = sent; k < n; k++) {
                    drop(SEND, fl, -r);
                }
                return;
            }
            sent += r;
        }
    }

    /** Opens a flow from the guest to wherever the datagram goes. @return the flow, or -1 (counted) */
    private int openFromTap(TapFrame p, long now) {
        long dHi = p.dstHi(), dLo = p.dstLo();
        int dport = p.dstPort();
        boolean mapped = map != null && map.fromTap(Linux.IPPROTO_UDP, dHi, dLo, dport) != AddrMap.KEEP;
        long tHi = mapped ? map.resultHi() : dHi, tLo = mapped ? map.resultLo() : dLo;
        if (dport == 0 || p.srcPort() == 0 || !unicast(p.v6(), dHi, dLo)
                || (p.v6() && Ipv6Header.isLinkLocal(dHi) && !mapped)) {
            // a host socket can reach neither multicast nor a link-local address without a scope
            drop(BAD_ADDRESS, -1, 0);
            return -1;
        }
        int fl = flows.alloc(FlowType.UDP);
        if (fl == FlowTable.NONE) {
            drop(TABLE_FULL, -1, 0);
            return -1;
        }
        flows.side(fl, 0, Pif.TAP, p.srcHi(), p.srcLo(), p.srcPort(), dHi, dLo, dport);
        flows.side(fl, 1, Pif.HOST, tHi, tLo, dport, 0, 0, 0);
        flows.hash(fl, 0);  // cannot collide: the lookup before found nothing
        int s = socks.open(fl, !Inany.isV4(tHi, tLo), p.srcPort(), tHi, tLo, dport);
        if (s < 0) {
            flows.free(fl);
            drop(SOCKET, fl, -s);
            return -1;
        }
        f.start(fl, UdpFlows.TAP_OUT, s, -1, false, now);
        opened(fl, now);
        return fl;
    }

    private static boolean unicast(boolean v6, long hi, long lo) {
        if (v6) {
            return !Ipv6Header.isMulticast(hi) && !Ipv6Header.isUnspecified(hi, lo);
        }
        int a = Inany.v4(lo);
        return a != 0 && a != -1 && (a >>> 28) != 0xe;
    }

    // ---------------------------------------------------------------------------------------------------------
    // From listeners (-u on the host, -U in the namespace)

    /**
     * Datagrams waiting on a listener: each goes to its flow, opened for a new peer. A listener of the host
     * ({@code -u}) sends a loopback peer's datagrams to the namespace's loopback (spliced), another peer's through
     * the tap to the guest with the peer's address; a listener of the namespace ({@code -U}) splices to the host's
     * loopback.
     *
     * @param fd the listener's socket
     * @param inNs true for a {@code -U} listener, inside the namespace
     * @param v6 true if the listener is an IPv6 (possibly dual-stack) socket
     * @param port the listener's port
     * @param target the port datagrams go to on the other side
     */
    public void fromListener(int fd, boolean inNs, boolean v6, int port, int target, long nowNs) {
        ensureInit();
        int pif = inNs ? Pif.SPLICE : Pif.HOST;
        for (int round = 0; round < RECV_ROUNDS; round++) {
            int n = socks.recv(fd, dg);
            if (n < 0) {
                if (n != -Errno.EAGAIN) {
                    drop(RECV, -1, -n);
                }
                return;
            }
            int runFlow = -1, runStart = 0;
            for (int i = 0; i < n; i++) {
                int sidx = flows.lookup(Linux.IPPROTO_UDP, pif, dg.peerHi[i], dg.peerLo[i], dg.peerPort[i], 0, 0,
                        port);
                int fl = sidx != FlowTable.NONE ? FlowTable.flowOf(sidx)
                        : openFromListener(fd, pif, v6, i, port, target, nowNs);
                if (fl != runFlow) {
                    deliver(runFlow, runStart, i - runStart, nowNs);
                    runFlow = fl;
                    runStart = i;
                }
            }
            deliver(runFlow, runStart, n - runStart, nowNs);
            if (n < dg.count()) {
                return;
            }
        }
    }

    /** Opens the flow for a new peer of a listener, from slot {@code i}. @return the flow, or -1 (counted) */
    private int openFromListener(int lfd, int pif, boolean v6, int i, int port, int target, long now) {
        long pHi = dg.peerHi[i], pLo = dg.peerLo[i];
        int pPort = dg.peerPort[i];
        boolean peer4 = Inany.isV4(pHi, pLo);
        boolean tap = pif == Pif.HOST && frames != null && (noSplice || !loopback(pHi, pLo));
        if (tap && !(peer4 ? hasGuest4 : hasGuest6)) {
            drop(NO_GUEST_ADDRESS, -1, 0);
            return -1;
        }
        int fl = flows.alloc(FlowType.UDP);
        if (fl == FlowTable.NONE) {
            drop(TABLE_FULL, -1, 0);
            return -1;
        }
        flows.side(fl, 0, pif, pHi, pLo, pPort, 0, 0, port);
        if (tap) {
            map.toTap(pHi, pLo);
            long gHi = peer4 ? Inany.V4_HI : guest6Hi, gLo = peer4 ? Inany.v4Lo(guest4) : guest6Lo;
            flows.side(fl, 1, Pif.TAP, gHi, gLo, target, map.resultHi(), map.resultLo(), pPort);
            if (!flows.hash(fl, 0) || !flows.hash(fl, 1)) {
                flows.unhash(fl, 0);
                flows.free(fl);
                drop(TABLE_FULL, -1, 0);
                return -1;
            }
            f.start(fl, UdpFlows.TAP_IN, -1, lfd, v6, now);
        } else {
            // -u: the far socket is the namespace's, from nsd's pool; -U: a host socket, made here
            int far = pif == Pif.HOST ? ns.take(!peer4) : -1;
            int s = pif == Pif.HOST && far < 0 ? far : socks.openSpliced(fl, far, !peer4, pPort, target);
            long lHi = peer4 ? Inany.V4_HI : 0, lLo = peer4 ? Inany.v4Lo(0x7f000001) : 1;
            flows.side(fl, 1, pif == Pif.HOST ? Pif.SPLICE : Pif.HOST, lHi, lLo, target, lHi, lLo, pPort);
            if (s < 0 || !flows.hash(fl, 0)) {
                if (s >= 0) {
                    socks.close(s);
                }
                flows.free(fl);
                drop(s < 0 ? SOCKET : TABLE_FULL, -1, s < 0 ? -s : 0);
                return -1;
            }
            f.start(fl, UdpFlows.SPLICE, s, lfd, v6, now);
        }
        opened(fl, now);
        return fl;
    }

    /** Sends slots {@code from .. from + n - 1}, all from the peer of flow {@code fl}, on toward its other side. */
    private void deliver(int fl, int from, int n, long now) {
        if (fl < 0 || n <= 0) {
            return;
        }
        f.saw(fl, 0, now);
        flows.count(FlowTable.sidx(fl, 0), dg.bytes(from, n), n, now);
        if (f.kind.v[fl] == UdpFlows.SPLICE) {
            int r = socks.sendBatch(f.sock.v[fl], dg, from, n, false, 0, 0, 0);
            if (r < 0) {
                drop(SEND, fl, -r);
            } else {
                stats.add(RELAYED, r);
            }
            return;
        }
        int s1 = FlowTable.sidx(fl, 1);
        for (int i = from; i < from + n; i++) {
            toTap(dg, i, flows.oAddrHi(s1), flows.oAddrLo(s1), flows.oPort(s1), flows.eAddrHi(s1), flows.eAddrLo(s1),
                    flows.ePort(s1), fl);
        }
    }

    private void toTap(Datagrams d, int i, long srcHi, long srcLo, int sport, long dstHi, long dstLo, int dport,
                       int fl) {
        if (d.truncated[i] || !frames.datagram(d.slots, d.data(i), d.len[i], !Inany.isV4(dstHi, dstLo), srcHi, srcLo,
                sport, dstHi, dstLo, dport, guestMac())) {
            drop(TOO_BIG, fl, 0);
            return;
        }
        stats.count(TO_TAP);
    }

    /**
     * @return where frames to the guest go: its MAC as the L2 services learnt it, or broadcast before the guest sent
     *         anything (a peer of a -u port may come first)
     */
    private long guestMac() {
        long mac = guestMac.getAsLong();
        return mac == MacAddr.NONE ? MacAddr.BROADCAST : mac;
    }

    static boolean loopback(long hi, long lo) {
        return Inany.isV4(hi, lo) ? (Inany.v4(lo) >>> 24) == 127 : hi == 0 && lo == 1;
    }

    // ---------------------------------------------------------------------------------------------------------
    // From a flow's socket

    /**
     * Readiness of the socket of {@code flow}: replies to the guest (or to a spliced flow's peer), and errors
     * reported by ICMP (to the guest as ICMP errors quoting its datagram).
     *
     * @param fd the registration's descriptor: an event for a socket closed since is ignored
     */
    public void sockEvent(int flow, int fd, int events, long nowNs) {
        if (f == null || !f.inUse(flow) || f.sock.v[flow] != fd) {
            return;
        }
        if ((events & Linux.EPOLLERR) != 0) {
            errors(flow, fd);
        }
        if ((events & Linux.EPOLLIN) == 0) {
            return;
        }
        int peer = FlowTable.sidx(flow, 0);
        for (int round = 0; round < RECV_ROUNDS; round++) {
            int n = socks.recv(fd, dg);
            if (n < 0) {
                if (n == -Errno.ECONNREFUSED || n == -Errno.EHOSTUNREACH || n == -Errno.ENETUNREACH) {
                    errors(flow, fd); // the error as a pending socket error: its details are in the queue
                } else if (n != -Errno.EAGAIN) {
                    drop(RECV, flow, -n);
                }
                return;
            }
            f.saw(flow, 1, nowNs);
            flows.count(FlowTable.sidx(flow, 1), dg.bytes(0, n), n, nowNs);
            if (f.kind.v[flow] == UdpFlows.SPLICE) {
                int r = socks.sendBatch(f.lsock.v[flow], dg, 0, n, f.lsockV6(flow), flows.eAddrHi(peer),
                        flows.eAddrLo(peer), flows.ePort(peer));
                if (r < 0) {
                    drop(SEND, flow, -r);
                } else {
                    stats.add(RELAYED, r);
                }
            } else {
                for (int i = 0; i < n; i++) {
                    toTap(dg, i, flows.oAddrHi(peer), flows.oAddrLo(peer), flows.oPort(peer), flows.eAddrHi(peer),
                            flows.eAddrLo(peer), flows.ePort(peer), flow);
                }
            }
            if (n < dg.count()) {
                return;
            }
        }
    }

    /** Drains the error queue of a flow's socket; for a flow of the guest, each ICMP error goes to it. */
    private void errors(int flow, int fd) {
        boolean toGuest = f.kind.v[flow] == UdpFlows.TAP_OUT && frames != null;
        int s0 = FlowTable.sidx(flow, 0);
        boolean v6 = !Inany.isV4(flows.eAddrHi(s0), flows.eAddrLo(s0));
        for (int k = 0; k < SLOTS; k++) {
            int n = toGuest ? socks.recvError(fd, err, frames.err, UdpFrames.quoteAt(v6), UdpFrames.quoteCap(v6))
                    : socks.recvError(fd, err, dg.slots, 0, 0);
            if (n < 0) {
                return;
            }
            if (toGuest && icmpOrigin(v6)) {
                icmpToGuest(flow, v6, n);
            }
        }
    }

    private boolean icmpOrigin(boolean v6) {
        return err.origin == (v6 ? Linux.SO_EE_ORIGIN_ICMP6 : Linux.SO_EE_ORIGIN_ICMP);
    }

    /** Sends the guest the ICMP error its datagram caused, as from the destination it addressed or the router. */
    private void icmpToGuest(int flow, boolean v6, int dataLen) {
        int s0 = FlowTable.sidx(flow, 0), s1 = FlowTable.sidx(flow, 1);
        boolean fromTarget = err.offenderHi == flows.eAddrHi(s1) && err.offenderLo == flows.eAddrLo(s1);
        long fromHi = fromTarget ? flows.oAddrHi(s0) : err.offenderHi;
        long fromLo = fromTarget ? flows.oAddrLo(s0) : err.offenderLo;
        if (fromHi == 0 && fromLo == 0) {
            return;
        }
        frames.icmpError(v6, err.type, err.code, err.info, fromHi, fromLo, flows.eAddrHi(s0), flows.eAddrLo(s0),
                flows.ePort(s0), flows.oAddrHi(s0), flows.oAddrLo(s0), flows.oPort(s0), dataLen,
                guestMac());
        stats.count(ICMP_TO_TAP);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Lifetime

    private void opened(int fl, long now) {
        stats.count(FLOWS);
        nextExpiryNs = Math.min(nextExpiryNs, now + idleNs);
        if (Log.debug) {
            Log.debug("UDP flow " + fl + " " + describe(fl) + ": opened");
        }
    }

    /** @return the flow's two sides for a log line: {@code "TAP [a]:p -> [b]:q => HOST [c]:q"} */
    String describe(int fl) {
        int s0 = FlowTable.sidx(fl, 0), s1 = FlowTable.sidx(fl, 1);
        return Pif.name(flows.pif(s0)) + " " + Log.addrPort(flows.eAddrHi(s0), flows.eAddrLo(s0), flows.ePort(s0))
                + " -> " + Log.addrPort(flows.oAddrHi(s0), flows.oAddrLo(s0), flows.oPort(s0)) + " => "
                + Pif.name(flows.pif(s1)) + " " + Log.addrPort(flows.eAddrHi(s1), flows.eAddrLo(s1),
                flows.ePort(s1));
    }

    private void close(int fl, String why) {
        if (fl == stagedFlow) {
            flush();
        }
        if (Log.debug) {
            Log.debug("UDP flow " + fl + " " + describe(fl) + ": " + why);
        }
        if (f.sock.v[fl] >= 0) {
            socks.close(f.sock.v[fl]);
        }
        f.end(fl);
        flows.free(fl);
    }

    /** @return when {@link #timer} next has flows to expire, or {@link Long#MAX_VALUE} if none */
    public long nextDeadlineNs() {
        return nextExpiryNs;
    }

    /** Closes the flows idle for their timeout, and computes the next deadline. */
    public void timer(long nowNs) {
        if (f == null || nextExpiryNs == Long.MAX_VALUE || nowNs - nextExpiryNs < 0) {
            return;
        }
        long next = Long.MAX_VALUE;
        for (int i = 0; i < f.count; ) {
            int fl = f.active[i];
            long deadline = f.lastNs.v[fl] + (f.stream(fl) ? streamNs : idleNs);
            if (nowNs - deadline >= 0) {
                stats.count(EXPIRED);
                close(fl, "expired"); // moves the last entry into slot i
            } else {
                next = Math.min(next, deadline);
                i++;
            }
        }
        nextExpiryNs = next;
    }

    /** Listener {@code fd} was closed: its flows have no way back to their peers and end with it. */
    public void listenerClosed(int fd) {
        if (f == null) {
            return;
        }
        for (int i = 0; i < f.count; ) {
            int fl = f.active[i];
            if (f.lsock.v[fl] == fd) {
                close(fl, "listener closed");
            } else {
                i++;
            }
        }
    }

    private int drop(int reason, int fl, int errno) {
        stats.drop(reason);
        if (Log.trace) {
            Log.trace("UDP: " + (fl >= 0 ? "flow " + fl + ": " : "") + REASON_NAMES[reason]
                    + (errno != 0 ? ": " + Errno.text(errno) : ""));
        }
        return DROPPED;
    }

    /** @return the engine's counters: datagrams each way, flows, ICMP errors to the guest, drops by reason */
    public Counters stats() {
        return stats;
    }

    /** @return UDP flows open now */
    public int flowCount() {
        return f == null ? 0 : f.count;
    }
}
