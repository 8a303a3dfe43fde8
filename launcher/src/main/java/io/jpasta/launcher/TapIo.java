package io.jpasta.launcher;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Sys;
import io.jpasta.tap.L2Services;
import io.jpasta.tap.Pcap;
import io.jpasta.tap.TapSink;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.fwd.AddrMap;
import io.jpasta.netns.sys.Linux;
import io.jpasta.tcp.SysTcpSocks;
import io.jpasta.tcp.Tcp;
import io.jpasta.udp.Icmp;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Supplier;

/**
 * Frame I/O on the tap device: every frame from the tap is captured ({@code -p}), offered to the L2/L3 services
 * (ARP, NDP, DHCP, DHCPv6) and counted; frames toward the guest are captured and written with one write(2) each
 * (IFF_NO_PI: one frame per write). A write the tap refuses (queue full: EAGAIN) is counted as a drop, as a
 * full transmit queue drops on any link.
 */
final class TapIo implements TapSink {
    private final int fd;
    private final Pcap pcap;
    private final L2Services l2;
    /** ICMP echo (udp module), set once by {@link #icmp(Icmp)} after the loop exists; null: not wired. */
    private Icmp icmp;

    /** Frames from the tap no handler claimed (protocols not implemented yet, or not for us). */
    long unhandled;
    long framesOut, bytesOut, dropsOut;

    TapIo(int fd, Pcap pcap, L2Services l2) {
        this.fd = fd;
        this.pcap = pcap;
        this.l2 = l2;
    }

    /** Handles one frame read from the tap. */
    void frameFromTap(MemorySegment frame, int len, long nowNs) {
        if (pcap != null) {
            pcap.record(frame, 0, len, Sys.realtimeNs());
        }
        if (l2.handle(frame, 0, len, nowNs, this) != L2Services.NOT_MINE) {
            return;
        }
        if (icmp != null && icmp.fromTap(frame, 0, len, nowNs) != L2Services.NOT_MINE) {
            return;
        }
        if (tcpFromTap(frame, len, nowNs) != Tcp.NOT_MINE) {
            return;
        }
        unhandled++;
    }

    // TCP over the tap (issue 5): the engine is built on the first TCP frame, so that start-up pays nothing for it
    private Supplier<Tcp> tcpInit;
    private Tcp tcp;
    private AddrMap addrMap;

    /**
     * Enables TCP over the tap ({@code --no-tcp} leaves it off); {@code init} builds the engine on first use.
     *
     * @param map the address translations, for the source address the guest sees of clients of {@code -t} ports
     */
    void tcp(Supplier<Tcp> init, AddrMap map) {
        tcpInit = init;
        addrMap = map;
    }

    /**
     * A client of a {@code -t} listener that takes the tap path (non-loopback): the engine opens the connection
     * toward the guest with the client's address as source.
     *
     * @param peer the client's struct sockaddr_in or sockaddr_in6 (native byte order for the family)
     * @return true if the engine took {@code fd}, false with TCP off ({@code --no-tcp})
     */
    boolean tcpAccepted(int fd, ByteBuffer peer, int guestPort, long nowNs) {
        if (tcp == null) {
            if (tcpInit == null) {
                return false;
            }
            tcp = tcpInit.get();
        }
        ByteBuffer be = peer.duplicate().order(ByteOrder.BIG_ENDIAN);
        int port = Short.toUnsignedInt(be.getShort(2));
        long hi, lo;
        if (peer.getShort(0) == Linux.AF_INET) {
            hi = Inany.V4_HI;
            lo = Inany.v4Lo(be.getInt(4));
        } else {
            hi = be.getLong(8);
            lo = be.getLong(16);
        }
        // A client on the host itself has the guest's own address (the guest copies the host's) or a loopback one
        // (--no-splice): the guest would drop either, so such clients appear under the --map-host-loopback or
        // --map-guest-addr address, else the gateway's, as in pasta.
        addrMap.toTap(hi, lo);
        hi = addrMap.resultHi();
        lo = addrMap.resultLo();
        SysTcpSocks.sendBuffer(fd);
        tcp.guestMac(l2.guestMac());
        tcp.accepted(fd, !Inany.isV4(hi, lo), hi, lo, port, guestPort, nowNs);
        return true;
    }

    private int tcpFromTap(MemorySegment frame, int len, long nowNs) {
        if (tcp == null) {
            if (tcpInit == null || !isTcp(frame, len)) {
                return Tcp.NOT_MINE;
            }
            tcp = tcpInit.get();
        }
        return tcp.fromTap(frame, 0, len, nowNs);
    }

    /** Cheap first look (EtherType and IP protocol field, no extension headers) to decide on building the engine. */
    private static boolean isTcp(MemorySegment frame, int len) {
        if (len < 54) {
            return false;
        }
        int type = (frame.get(ValueLayout.JAVA_BYTE, 12) & 0xff) << 8 | (frame.get(ValueLayout.JAVA_BYTE, 13) & 0xff);
        return (type == 0x0800 && frame.get(ValueLayout.JAVA_BYTE, 23) == 6)
                || (type == 0x86dd && frame.get(ValueLayout.JAVA_BYTE, 20) == 6);
    }

    /** @return true while TCP connections over the tap still carry what the guest wrote (see Tcp#busy) */
    boolean busy() {
        return tcp != null && tcp.busy();
    }

    /** End of a burst of tap frames: coalesced writes to sockets and ACKs to the guest. */
    void endOfBurst(long nowNs) {
        if (tcp != null) {
            tcp.flush(nowNs);
        }
    }

    /** Readiness of the TCP socket of {@code flow}. */
    void tcpEvent(int flow, int events, long nowNs) {
        if (tcp != null) {
            tcp.sockEvent(flow, events, nowNs);
        }
    }

    /** Wires ICMP echo: frames from the tap, its socket events ({@link #icmpFromSock}) and its expiry timer. */
    void icmp(Icmp icmp) {
        this.icmp = icmp;
    }

    /** An epoll event on ping socket {@code fd} of flow {@code flow}: replies go to the guest. */
    void icmpFromSock(int flow, int fd, long nowNs) {
        if (icmp != null) {
            icmp.fromSock(flow, fd, l2.guestMac(), nowNs, this);
        }
    }

    @Override
    public void send(MemorySegment frame, long offset, int length) {
        if (pcap != null) {
            pcap.record(frame, offset, length, Sys.realtimeNs());
        }
        long n = Sys.write(fd, frame.address() + offset, length);
        if (n == length) {
            framesOut++;
            bytesOut += n;
        } else {
            dropsOut++;
            if (Log.trace) {
                Log.trace("tap write: " + (n < 0 ? Errno.text((int) -n) : "short " + n + "/" + length));
            }
        }
    }

    /** Runs the services' timers (unsolicited router advertisements, ICMP flow expiry). @return the next deadline */
    long timer(long nowNs) {
        l2.timer(nowNs, this);
        if (icmp != null) {
            icmp.timer(nowNs);
        }
        if (tcp != null) {
            tcp.timer(nowNs);
        }
        return nextDeadlineNs(nowNs);
    }

    long nextDeadlineNs(long nowNs) {
        long d = l2.nextDeadlineNs(nowNs);
        if (icmp != null) {
            d = Math.min(d, icmp.nextDeadlineNs());
        }
        return tcp != null ? Math.min(d, tcp.nextDeadlineNs()) : d;
    }

    void flush() {
        if (pcap != null) {
            try {
                pcap.flush();
            } catch (IOException e) {
                Log.warn("pcap: " + e.getMessage());
            }
        }
    }

    /** @return the counters {@code --stats} prints: tap frames both ways, then each service's, drops included */
    String statsText(long framesIn, long bytesIn) {
        StringBuilder sb = new StringBuilder();
        sb.append("tap     rx ").append(framesIn).append(" frames ").append(bytesIn).append(" bytes, tx ")
                .append(framesOut).append(" frames ").append(bytesOut).append(" bytes, tx drops ").append(dropsOut)
                .append(", unhandled ").append(unhandled).append('\n');
        sb.append(l2.stats().format());
        if (icmp != null) {
            sb.append(icmp.stats().format());
        }
        return sb.toString().strip();
    }

    L2Services services() {
        return l2;
    }
}
