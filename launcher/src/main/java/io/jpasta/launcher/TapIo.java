package io.jpasta.launcher;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Sys;
import io.jpasta.tap.L2Services;
import io.jpasta.tap.Pcap;
import io.jpasta.tap.TapSink;
import io.jpasta.udp.Icmp;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

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
        unhandled++;
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
        return nextDeadlineNs(nowNs);
    }

    long nextDeadlineNs(long nowNs) {
        long d = l2.nextDeadlineNs(nowNs);
        return icmp != null ? Math.min(d, icmp.nextDeadlineNs()) : d;
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
