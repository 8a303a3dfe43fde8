package io.jpasta.launcher;

import io.jpasta.netns.log.Counters;
import io.jpasta.tap.Classifier;
import io.jpasta.tap.L2Services;
import io.jpasta.tap.L2Stats;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.TapFrame;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.tcp.Tcp;
import io.jpasta.udp.Icmp;
import io.jpasta.udp.Udp;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The protocol engines behind the tap and their wiring for the loop: frames read from the tap go through
 * {@link TapIo} (counting, capture) to the {@link Classifier}, which hands each to the L2 services, ICMP echo, TCP
 * or UDP; the loop also brings them socket events, the end of each burst of tap frames and their timers. The UDP
 * engine also serves the {@code -u}/{@code -U} listeners, with or without a tap.
 *
 * <p>The TCP and UDP engines are built on their first use (a TCP frame from the guest, or a client of a {@code -t} port taking
 * the tap path): its per-flow arrays and frame slots cost nothing to a start that never carries TCP.
 */
final class TapEngines {
    private final TapIo io;
    private final L2Services l2;
    private TapConf conf;
    private final Classifier classifier;
    private Icmp icmp;
    private Supplier<Tcp> tcpInit;
    private Tcp tcp;
    private Supplier<Udp> udpInit;
    private Udp udp;

    TapEngines(TapIo io, L2Services l2, TapConf conf) {
        this.io = io;
        this.conf = conf;
        this.l2 = l2;
        this.classifier = new Classifier(l2, io);
    }

    /** Wires ICMP echo: frames from the tap, its socket events ({@link #icmpEvent}) and its expiry timer. */
    void icmp(Icmp engine) {
        icmp = engine;
        classifier.icmp(engine);
    }

    /** Enables TCP over the tap ({@code --no-tcp} leaves it off); {@code init} builds the engine on first use. */
    void tcp(Supplier<Tcp> init) {
        tcpInit = init;
        classifier.tcp(new TapHandler() {
            @Override
            public int fromTap(TapFrame f, long nowNs) {
                return tcp().fromTap(f, nowNs);
            }
        });
    }

    /** Enables UDP ({@code --no-udp} leaves it off); {@code init} builds the engine on first use. */
    void udp(Supplier<Udp> init) {
        udpInit = init;
        classifier.udp(new TapHandler() {
            @Override
            public int fromTap(TapFrame f, long nowNs) {
                return udp().fromTap(f, nowNs);
            }
        });
    }

    /** @return the UDP engine, built now if it was not; null with UDP off */
    Udp udp() {
        if (udp == null && udpInit != null) {
            udp = udpInit.get();
        }
        return udp;
    }

    /** @return the UDP engine if it was built, else null */
    Udp udpIfBuilt() {
        return udp;
    }

    /** @return the TCP engine if it was built, else null */
    Tcp tcpIfBuilt() {
        return tcp;
    }

    /** Readiness of the UDP socket {@code fd} of {@code flow}. */
    void udpEvent(int flow, int fd, int events, long nowNs) {
        if (udp != null) {
            udp.sockEvent(flow, fd, events, nowNs);
        }
    }

    /**
     * Builds the TCP engine now, if TCP over the tap is enabled: an idle task right after start, so that the first
     * connection finds it built (and its code run once) instead of paying for it.
     */
    void buildTcp() {
        if (tcpInit != null) {
            tcp();
        }
    }

    private Tcp tcp() {
        if (tcp == null) {
            tcp = tcpInit.get();
        }
        return tcp;
    }

    /**
     * The host changed (issue 18): the services answer with {@code conf} from now on, the engines address the
     * guest with it, and TCP flows bound to an address of {@code gone} are reset. An engine built later is built
     * with {@code conf} ({@link #conf()}).
     */
    void hostChanged(TapConf next, Set<AddrMap.Addr> gone, long nowNs) {
        conf = next;
        l2.hostChanged(next, nowNs);
        if (tcp != null) {
            tcp.hostChanged(next, gone);
        }
        if (udp != null) {
            udp.hostChanged(next);
        }
    }

    /** @return the tap configuration in use now: the one at start, or the last the host changed to */
    TapConf conf() {
        return conf;
    }

    /** Handles one frame read from the tap. */
    void frame(MemorySegment frame, int len, long nowNs) {
        io.received(frame, len);
        classifier.frame(frame, 0, len, nowNs);
    }

    /**
     * A client of a {@code -t} listener that takes the tap path (non-loopback).
     *
     * @param peer the client's struct sockaddr_in or sockaddr_in6 (native byte order for the family)
     * @return true if the engine took {@code fd}, false with TCP off ({@code --no-tcp})
     */
    boolean tcpAccepted(int fd, ByteBuffer peer, int guestPort, long nowNs) {
        if (tcpInit == null) {
            return false;
        }
        tcp().acceptedClient(fd, peer, guestPort, l2.guestMac(), nowNs);
        return true;
    }

    /** @return true while TCP connections over the tap still carry what the guest wrote (see Tcp#busy) */
    boolean busy() {
        return tcp != null && tcp.busy();
    }

    /** End of a burst of tap frames: coalesced writes to sockets (TCP, UDP) and ACKs to the guest. */
    void endOfBurst(long nowNs) {
        if (tcp != null) {
            tcp.flush(nowNs);
        }
        if (udp != null) {
            udp.flush();
        }
    }

    /** Readiness of the TCP socket of {@code flow}. */
    void tcpEvent(int flow, int events, long nowNs) {
        if (tcp != null) {
            tcp.sockEvent(flow, events, nowNs);
        }
    }

    /** An epoll event on ping socket {@code fd} of flow {@code flow}: replies go to the guest. */
    void icmpEvent(int flow, int fd, long nowNs) {
        if (icmp != null) {
            icmp.fromSock(flow, fd, l2.guestMac(), nowNs, io);
        }
    }

    /** Runs the engines' timers (unsolicited router advertisements, flow expiry, TCP). @return the next deadline */
    long timer(long nowNs) {
        l2.timer(nowNs, io);
        if (icmp != null) {
            icmp.timer(nowNs);
        }
        if (tcp != null) {
            tcp.timer(nowNs);
        }
        if (udp != null) {
            udp.timer(nowNs);
        }
        return nextDeadlineNs(nowNs);
    }

    long nextDeadlineNs(long nowNs) {
        long d = l2.nextDeadlineNs(nowNs);
        if (icmp != null) {
            d = Math.min(d, icmp.nextDeadlineNs());
        }
        if (udp != null) {
            d = Math.min(d, udp.nextDeadlineNs());
        }
        return tcp != null ? Math.min(d, tcp.nextDeadlineNs()) : d;
    }

    /** @return every counter line of the tap path for {@code --stats}: frames, classifier, services, engines */
    List<Counters> stats() {
        List<Counters> all = new ArrayList<>(List.of(io.stats(), classifier.stats()));
        for (int s = 0; s < L2Stats.SERVICES; s++) {
            all.add(l2.stats().of(s));
        }
        if (icmp != null) {
            all.add(icmp.stats().counters());
        }
        if (tcp != null) {
            all.add(tcp.stats());
        }
        if (udp != null) {
            all.add(udp.stats());
        }
        return all;
    }

    void flush() {
        io.flush();
    }
}
