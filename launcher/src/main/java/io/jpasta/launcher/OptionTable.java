package io.jpasta.launcher;

import java.util.ArrayList;
import java.util.List;

/**
 * pasta's long options, in pasta's order, with the codes {@link OptionParser} dispatches on. Built per call (about 70
 * small records), not held in a static: it is used once per start.
 */
final class OptionTable {
    // Codes of long-only options: above any character. Plain switches are SWITCH + their ordinal in Switch.
    static final int O_USERNS = 256, O_NETNS = 257, O_NS_MAC = 258, O_NO_DHCP_DNS = 260,
            O_NO_DHCP_SEARCH = 262, O_DNS_FORWARD = 263, O_TRACE = 265, O_RUNAS = 266, O_LOG_SIZE = 267,
            O_VERSION = 268, O_OUT_IF4 = 269, O_OUT_IF6 = 270, O_NETNS_ONLY = 274, O_MAP_HOST_LO = 275,
            O_MAP_GUEST = 276, O_DNS_HOST = 278, O_FQDN = 279, O_STATS = 280, O_SOCKET = 281, O_ONE_OFF = 282,
            O_NO_SPLICE = 290, O_SPLICE_ONLY = 293, O_REPAIR_PATH = 294, O_MIGRATE_EXIT = 295,
            O_MIGRATE_NO_LINGER = 296, O_VHOST_USER = 297, O_PRINT_CAPS = 298, O_CHROOT_FALLBACK = 299, O_API = 400, O_NO_CONFINE = 401, SWITCH = 512;

    private static final int NO = Getopt.NO_ARGUMENT, REQ = Getopt.REQUIRED_ARGUMENT;

    private OptionTable() {
    }

    /** How many options of our own end the table. */
    private static final int OWN_OPTIONS = 3;

    /**
     * The long option table, in pasta's order (it decides the order of candidates in ambiguity messages); options
     * newer than Debian's pasta are placed where upstream puts them, those of ours at the end.
     */
    static LongOptionTable table() {
        Getopt.LongOption[] all = {
            opt("debug", NO, 'd'),
            opt("quiet", NO, 'q'),
            opt("foreground", NO, 'f'),
            opt("stderr", NO, 'e'),
            opt("log-file", REQ, 'l'),
            opt("help", NO, 'h'),
            opt("socket", REQ, O_SOCKET),
            opt("fd", REQ, 'F'),
            opt("ns-ifname", REQ, 'I'),
            opt("pcap", REQ, 'p'),
            opt("pid", REQ, 'P'),
            opt("mtu", REQ, 'm'),
            opt("address", REQ, 'a'),
            opt("netmask", REQ, 'n'),
            opt("mac-addr", REQ, 'M'),
            opt("gateway", REQ, 'g'),
            opt("interface", REQ, 'i'),
            opt("outbound", REQ, 'o'),
            opt("dns", REQ, 'D'),
            opt("search", REQ, 'S'),
            opt("hostname", REQ, 'H'),
            flag("no-tcp", Options.Switch.NO_TCP),
            flag("no-udp", Options.Switch.NO_UDP),
            flag("no-icmp", Options.Switch.NO_ICMP),
            flag("no-dhcp", Options.Switch.NO_DHCP),
            flag("no-dhcpv6", Options.Switch.NO_DHCPV6),
            flag("no-ndp", Options.Switch.NO_NDP),
            flag("no-ra", Options.Switch.NO_RA),
            opt("no-splice", NO, O_NO_SPLICE),
            opt("splice-only", NO, O_SPLICE_ONLY),
            flag("freebind", Options.Switch.FREEBIND),
            flag("no-map-gw", Options.Switch.NO_MAP_GW),
            opt("ipv4-only", NO, '4'),
            opt("ipv6-only", NO, '6'),
            opt("one-off", NO, O_ONE_OFF),
            opt("tcp-ports", REQ, 't'),
            opt("udp-ports", REQ, 'u'),
            opt("tcp-ns", REQ, 'T'),
            opt("udp-ns", REQ, 'U'),
            opt("userns", REQ, O_USERNS),
            opt("netns", REQ, O_NETNS),
            opt("ns-mac-addr", REQ, O_NS_MAC),
            flag("dhcp-dns", Options.Switch.DHCP_DNS),
            opt("no-dhcp-dns", NO, O_NO_DHCP_DNS),
            flag("dhcp-search", Options.Switch.DHCP_SEARCH),
            opt("no-dhcp-search", NO, O_NO_DHCP_SEARCH),
            opt("dns-forward", REQ, O_DNS_FORWARD),
            flag("no-netns-quit", Options.Switch.NO_NETNS_QUIT),
            opt("trace", NO, O_TRACE),
            opt("runas", REQ, O_RUNAS),
            opt("log-size", REQ, O_LOG_SIZE),
            opt("version", NO, O_VERSION),
            opt("outbound-if4", REQ, O_OUT_IF4),
            opt("outbound-if6", REQ, O_OUT_IF6),
            flag("config-net", Options.Switch.CONFIG_NET),
            flag("no-copy-routes", Options.Switch.NO_COPY_ROUTES),
            flag("no-copy-addrs", Options.Switch.NO_COPY_ADDRS),
            opt("netns-only", NO, O_NETNS_ONLY),
            opt("map-host-loopback", REQ, O_MAP_HOST_LO),
            opt("map-guest-addr", REQ, O_MAP_GUEST),
            flag("host-lo-to-ns-lo", Options.Switch.HOST_LO_TO_NS_LO),
            opt("dns-host", REQ, O_DNS_HOST),
            opt("vhost-user", NO, O_VHOST_USER),
            opt("print-capabilities", NO, O_PRINT_CAPS),
            opt("socket-path", REQ, 's'),
            opt("fqdn", REQ, O_FQDN),
            opt("repair-path", REQ, O_REPAIR_PATH),
            opt("migrate-exit", NO, O_MIGRATE_EXIT),
            opt("migrate-no-linger", NO, O_MIGRATE_NO_LINGER),
            opt("stats", REQ, O_STATS),
            opt("conf-path", REQ, 'c'),
            opt("chroot-fallback", NO, O_CHROOT_FALLBACK),
            opt("api", REQ, O_API), // ours: the JSON control API
            opt("no-confine", NO, O_NO_CONFINE), // ours: no seccomp filter and no-new-privs after ready
            flag("no-follow-host", Options.Switch.NO_FOLLOW_HOST), // ours: the host's state read once at start
        };
        return new LongOptionTable(all, all.length - OWN_OPTIONS);
    }

    private static Getopt.LongOption opt(String name, int hasArg, int val) {
        return new Getopt.LongOption(name, hasArg, val);
    }

    /** @return the table entry of a long option that only turns {@code s} on */
    private static Getopt.LongOption flag(String name, Options.Switch s) {
        return new Getopt.LongOption(name, NO, SWITCH + s.ordinal());
    }

    /**
     * Wrapper so tests can read the table without exposing a mutable array.
     *
     * @param ours index of the first option of jpasta's own (they come last)
     */
    record LongOptionTable(Getopt.LongOption[] options, int ours) {
        List<String> names() {
            List<String> n = new ArrayList<>(options.length);
            for (Getopt.LongOption o : options) {
                n.add(o.name());
            }
            return n;
        }
    }
}
