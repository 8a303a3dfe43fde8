package io.jpasta.tap.fwd;

import io.jpasta.netns.log.Log;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.flow.Inany;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The address translations pasta documents, and no others: which host address a flow the guest opens really goes
 * to, which address the guest sees for a peer on the host, and which source address or interface outbound host
 * sockets use. Built from the options and the tap configuration; what comes from the host (the guest's address, the
 * gateway, the resolvers) changes only through {@link #hostChanged}, when the launcher follows the host. The result
 * of the last {@link #fromTap}/{@link #toTap} call is read by the caller at once (one event-loop thread; no
 * allocation per call).
 *
 * <p>Guest to host ({@link #fromTap}), first match wins, each per address family:
 * <ol>
 * <li>{@code --dns-forward ADDR}: TCP or UDP to ADDR port 53 or 853 goes to {@code --dns-host} (default: the first
 *     name server of that family in the host's resolv.conf). Without {@code --dns-forward}, a host name server that
 *     is a loopback address or the {@code --map-host-loopback} address makes that address the DNS one, so that a
 *     guest resolving through the gateway reaches the host's own resolver (127.0.0.53, say) and not 127.0.0.1.</li>
 * <li>{@code --map-host-loopback ADDR} (default: the gateway; {@code none} or {@code --no-map-gw} turns the default
 *     off): ADDR goes to the host's 127.0.0.1 or ::1.</li>
 * <li>{@code --map-guest-addr ADDR} (default: none): ADDR goes to the guest's assigned address, which is the host's
 *     own unless {@code -a} said otherwise.</li>
 * <li>Anything else keeps its address.</li>
 * </ol>
 *
 * <p>Host to guest ({@link #toTap}): a peer the guest could not answer appears under an address it can. 127.0.0.1
 * and ::1 appear as the {@code --map-host-loopback} address; the guest's own address (the host's) as the
 * {@code --map-guest-addr} address; any other loopback or unspecified address, and those two when their option is
 * off, as the gateway. Every other address is kept.
 */
public final class AddrMap {
    /** What {@link #fromTap} or {@link #toTap} did. */
    public static final int KEEP = 0, HOST_LOOPBACK = 1, GUEST_ADDR = 2, DNS = 3, GATEWAY = 4;
    /** DNS over TCP/UDP (RFC 1035 §4.2) and over TLS (RFC 7858 §3.1) */
    public static final int DNS_PORT = 53, DNS_TLS_PORT = 853;
    static final int IPPROTO_TCP = 6, IPPROTO_UDP = 17;
    private static final long LOOPBACK4_LO = Inany.v4Lo(0x7f000001);

    /** An address as {@link Inany} halves. */
    public record Addr(long hi, long lo) {
        /** @return {@code a} as halves (IPv4-mapped for IPv4), null for null */
        public static Addr of(InetAddress a) {
            if (a == null) {
                return null;
            }
            byte[] b = a.getAddress();
            ByteBuffer bb = ByteBuffer.wrap(b);
            return b.length == 4 ? new Addr(Inany.V4_HI, Inany.v4Lo(bb.getInt()))
                    : new Addr(bb.getLong(), bb.getLong());
        }

        boolean is(long h, long l) {
            return hi == h && lo == l;
        }

        /** @return true for an IPv4 (mapped) address */
        public boolean v4() {
            return Inany.isV4(hi, lo);
        }
    }

    /** The options, kept to derive the translations again when the host changes */
    private final Builder options;
    private final Addr mapGuest4, mapGuest6, out4, out6;
    private final String outIf4, outIf6;
    // what the tap's configuration and the host's resolvers give, derived again by hostChanged
    private Addr hostLo4, hostLo6, dnsMatch4, dnsMatch6, dnsHost4, dnsHost6;
    private Addr guest4, guest6, gateway4, gateway6;

    private long resultHi, resultLo;

    private AddrMap(Builder b) {
        options = b;
        mapGuest4 = b.mapGuest[0];
        mapGuest6 = b.mapGuest[1];
        out4 = b.out[0];
        out6 = b.out[1];
        outIf4 = b.outIf4;
        outIf6 = b.outIf6;
        derive(b.conf, b.resolvers);
    }

    /**
     * The host changed (the launcher follows it): the guest's address, the gateway and the host's resolvers are
     * {@code conf}'s and {@code resolvers} from now on; every option keeps its value, so the gateway mapping and
     * the {@code --dns-forward} target follow the new values where no option fixed them.
     */
    public void hostChanged(TapConf conf, List<InetAddress> resolvers) {
        derive(conf, List.copyOf(resolvers));
    }

    private void derive(TapConf c, List<InetAddress> resolvers) {
        Builder b = options;
        guest4 = Addr.of(c.addr4());
        guest6 = Addr.of(c.addr6());
        gateway4 = Addr.of(c.gateway4());
        gateway6 = Addr.of(c.gateway6() != null ? c.gateway6() : c.ourLinkLocal6());
        hostLo4 = b.hostLo[0] != null ? b.hostLo[0] : b.noMapGw ? null : Addr.of(c.gateway4());
        hostLo6 = b.hostLo[1] != null ? b.hostLo[1] : b.noMapGw ? null : Addr.of(c.gateway6());
        Addr ns4 = null, ns6 = null;
        boolean local4 = false, local6 = false;
        for (InetAddress a : resolvers) {
            Addr n = Addr.of(a);
            if (n.v4()) {
                ns4 = ns4 != null ? ns4 : n;
                local4 |= a.isLoopbackAddress() || matches(hostLo4, n.hi(), n.lo());
            } else {
                ns6 = ns6 != null ? ns6 : n;
                local6 |= a.isLoopbackAddress() || matches(hostLo6, n.hi(), n.lo());
            }
        }
        dnsHost4 = b.dnsHost[0] != null ? b.dnsHost[0] : ns4;
        dnsHost6 = b.dnsHost[1] != null ? b.dnsHost[1] : ns6;
        dnsMatch4 = dnsHost4 == null ? null : b.dnsForward[0] != null ? b.dnsForward[0] : local4 ? hostLo4 : null;
        dnsMatch6 = dnsHost6 == null ? null : b.dnsForward[1] != null ? b.dnsForward[1] : local6 ? hostLo6 : null;
    }

    /** @return a builder for the translations of a tap configured as {@code conf} */
    public static Builder builder(TapConf conf) {
        return new Builder(conf);
    }

    /** @return pasta's defaults: the gateway maps to the host's loopback unless {@code mapGateway} is false */
    public static AddrMap defaults(TapConf conf, boolean mapGateway) {
        return builder(conf).noMapGw(!mapGateway).build();
    }

    /**
     * Where a flow the guest opens toward {@code (dstHi, dstLo):dport} goes on the host. The address is in
     * {@link #resultHi()}/{@link #resultLo()} afterwards, also for {@link #KEEP}.
     *
     * @param proto IP protocol number (DNS forwarding applies to TCP and UDP only)
     * @return {@link #KEEP}, {@link #DNS}, {@link #HOST_LOOPBACK} or {@link #GUEST_ADDR}
     */
    public int fromTap(int proto, long dstHi, long dstLo, int dport) {
        boolean v4 = Inany.isV4(dstHi, dstLo);
        if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP) && (dport == DNS_PORT || dport == DNS_TLS_PORT)
                && matches(v4 ? dnsMatch4 : dnsMatch6, dstHi, dstLo)) {
            return result(DNS, v4 ? dnsHost4 : dnsHost6);
        }
        if (matches(v4 ? hostLo4 : hostLo6, dstHi, dstLo)) {
            resultHi = 0;
            resultLo = v4 ? LOOPBACK4_LO : 1;
            return HOST_LOOPBACK;
        }
        if (matches(v4 ? mapGuest4 : mapGuest6, dstHi, dstLo) && (v4 ? guest4 : guest6) != null) {
            return result(GUEST_ADDR, v4 ? guest4 : guest6);
        }
        resultHi = dstHi;
        resultLo = dstLo;
        return KEEP;
    }

    /**
     * The address the guest sees for a host-side peer at {@code (srcHi, srcLo)}, in {@link #resultHi()} and
     * {@link #resultLo()} afterwards.
     *
     * @return {@link #KEEP}, {@link #HOST_LOOPBACK}, {@link #GUEST_ADDR} or {@link #GATEWAY}: which rule applied
     */
    public int toTap(long srcHi, long srcLo) {
        boolean v4 = Inany.isV4(srcHi, srcLo);
        Addr guest = v4 ? guest4 : guest6;
        boolean own = guest != null && guest.is(srcHi, srcLo);
        if (v4 ? srcLo == LOOPBACK4_LO : srcHi == 0 && srcLo == 1) {
            Addr m = v4 ? hostLo4 : hostLo6;
            if (m != null) {
                return result(HOST_LOOPBACK, m);
            }
        } else if (own) {
            Addr m = v4 ? mapGuest4 : mapGuest6;
            if (m != null) {
                return result(GUEST_ADDR, m);
            }
        }
        Addr gw = v4 ? gateway4 : gateway6;
        if ((own || isLoopback(srcHi, srcLo) || isUnspecified(srcHi, srcLo)) && gw != null) {
            return result(GATEWAY, gw);
        }
        resultHi = srcHi;
        resultLo = srcLo;
        return KEEP;
    }

    /** @return high half of the address the last {@link #fromTap} or {@link #toTap} gave */
    public long resultHi() {
        return resultHi;
    }

    /** @return low half of the address the last {@link #fromTap} or {@link #toTap} gave */
    public long resultLo() {
        return resultLo;
    }

    /** @return the source address for outbound host sockets of a family ({@code -o}), or null: the kernel picks */
    public Addr outbound(boolean v6) {
        return v6 ? out6 : out4;
    }

    /** @return the interface outbound host sockets of a family are bound to ({@code --outbound-if4/6}), or null */
    public String outboundIf(boolean v6) {
        return v6 ? outIf6 : outIf4;
    }

    /** @return true for 127.0.0.0/8 and ::1 */
    public static boolean isLoopback(long hi, long lo) {
        return Inany.isV4(hi, lo) ? (Inany.v4(lo) >>> 24) == 127 : hi == 0 && lo == 1;
    }

    private static boolean isUnspecified(long hi, long lo) {
        return hi == 0 && (lo == 0 || lo == Inany.v4Lo(0));
    }

    private static boolean matches(Addr a, long hi, long lo) {
        return a != null && a.is(hi, lo);
    }

    private int result(int what, Addr a) {
        resultHi = a.hi();
        resultLo = a.lo();
        return what;
    }

    /** @return the translations for a debug line, addresses as addresses: "none" where an option is off */
    public String describe() {
        return "Address mapping: host loopback " + text(hostLo4) + " " + text(hostLo6) + ", guest address "
                + text(mapGuest4) + " " + text(mapGuest6) + ", DNS " + text(dnsMatch4) + " -> " + text(dnsHost4)
                + " " + text(dnsMatch6) + " -> " + text(dnsHost6) + ", outbound " + text(out4) + " " + text(out6)
                + " interfaces " + (outIf4 == null ? "none" : outIf4) + " " + (outIf6 == null ? "none" : outIf6);
    }

    private static String text(Addr a) {
        return a == null ? "none" : Log.addr(a.hi(), a.lo());
    }

    @Override
    public String toString() {
        return describe();
    }

    /** Collects the options; every address setter picks the family from its argument, null leaves it unset. */
    public static final class Builder {
        private final TapConf conf;
        /** Per option, the address of each family: [0] IPv4, [1] IPv6 */
        private final Addr[] hostLo = new Addr[2], mapGuest = new Addr[2], dnsForward = new Addr[2],
                dnsHost = new Addr[2], out = new Addr[2];
        private String outIf4, outIf6;
        private boolean noMapGw;
        private List<InetAddress> resolvers = List.of();

        private Builder(TapConf conf) {
            this.conf = conf;
        }

        /** {@code --map-host-loopback ADDR}: ADDR (of its family) reaches the host's loopback. */
        public Builder mapHostLoopback(InetAddress a) {
            put(hostLo, a);
            return this;
        }

        /** {@code --no-map-gw} or {@code --map-host-loopback none}: no default mapping of the gateway. */
        public Builder noMapGw(boolean no) {
            noMapGw = no;
            return this;
        }

        /** {@code --map-guest-addr ADDR}: ADDR reaches the guest's assigned address on the host. */
        public Builder mapGuestAddr(InetAddress a) {
            put(mapGuest, a);
            return this;
        }

        /** {@code --dns-forward ADDR}: DNS to ADDR goes to the DNS host of its family. */
        public Builder dnsForward(InetAddress a) {
            put(dnsForward, a);
            return this;
        }

        /** {@code --dns-host ADDR}: where forwarded DNS of ADDR's family goes, instead of the first resolver. */
        public Builder dnsHost(InetAddress a) {
            put(dnsHost, a);
            return this;
        }

        /** The host's name servers (resolv.conf), in file order. */
        public Builder resolvers(List<InetAddress> ns) {
            resolvers = List.copyOf(ns);
            return this;
        }

        /** {@code -o ADDR}: source address of outbound sockets of ADDR's family. */
        public Builder outbound(InetAddress a) {
            put(out, a);
            return this;
        }

        /** {@code --outbound-if4 NAME}, {@code --outbound-if6 NAME}: null for none. */
        public Builder outboundIf(String if4, String if6) {
            outIf4 = if4;
            outIf6 = if6;
            return this;
        }

        public AddrMap build() {
            return new AddrMap(this);
        }

        private static void put(Addr[] byFamily, InetAddress a) {
            if (a != null) {
                byFamily[a instanceof Inet4Address ? 0 : 1] = Addr.of(a);
            }
        }
    }
}
