package io.jpasta.launcher;

/**
 * Texts of {@code --help} and {@code --version}. The first three usage lines are pasta's synopsis (clients and
 * people grep for them); the option descriptions are our own words. Compile-time constants: no static initialiser.
 */
public final class Usage {
    /** Version reported by {@code --version}; the first word must stay {@code pasta} for clients that parse it. */
    public static final String VERSION = "0.1.0 (jpasta)";

    /** Output of {@code --version}: {@code pasta <version>} first, then copyright and licence. */
    public static final String VERSION_TEXT = "pasta " + VERSION + "\n"
            + "Copyright jpasta authors; a Java reimplementation of pasta from the passt project\n"
            + "There is NO WARRANTY, to the extent permitted by law.\n";

    /** @return {@link #TEXT} with the program named {@code prog} in the synopsis, as pasta prints its argv[0] */
    public static String text(String prog) {
        if (prog.equals("pasta")) {
            return TEXT;
        }
        int end = TEXT.indexOf("\n\n");
        return TEXT.substring(0, end).replace(" pasta [OPTION]", " " + prog + " [OPTION]") + TEXT.substring(end);
    }

    /** Output of {@code --help}, also printed on stderr after a getopt error. */
    public static final String TEXT = """
            Usage: pasta [OPTION]... [COMMAND] [ARGS]...
                   pasta [OPTION]... PID
                   pasta [OPTION]... --netns [PATH|NAME]

            Without PID or --netns, start COMMAND (default: a shell) in new user and
            network namespaces, and connect them to the host's network via pasta.

              -d, --debug             Log debugging messages
                  --trace             Log every packet too; implies --debug
              -q, --quiet             Log no informational messages
              -f, --foreground        Stay in the foreground
                default: go to background when started from a terminal
              -e, --stderr            Log to stderr too (accepted for compatibility)
              -l, --log-file PATH     Log only to the file PATH
                  --log-size BYTES    Size limit of the log file, default 1 MiB
                  --runas UID|UID:GID|LOGIN|LOGIN:GROUP
                                      Drop to this user and group, default nobody when root
              -h, --help              Print this help and exit
                  --version           Print the version and exit
              -F, --fd FD             Use the already connected socket FD
              -I, --ns-ifname NAME    Name of the tap interface in the namespace
                default: name of the host's outbound interface
              -p, --pcap FILE         Capture tap traffic into FILE (pcap format)
              -P, --pid FILE          Write our PID into FILE once ready
              -m, --mtu MTU           MTU to announce via DHCP/NDP and set on the tap
                0 disables the announcement; default 65520
              -a, --address ADDR      IPv4 or IPv6 address for the namespace
                at most once per IP version; default: the host's addresses
              -n, --netmask MASK      IPv4 netmask, dotted or prefix length
              -M, --mac-addr ADDR     Our MAC address, as seen by the namespace
              -g, --gateway ADDR      IPv4 or IPv6 default gateway for the namespace
                at most once per IP version; default: the host's gateways
              -i, --interface NAME    Host interface to take addresses and routes from
              -o, --outbound ADDR     Source address for outbound sockets
                at most once per IP version
                  --outbound-if4 NAME Bind IPv4 outbound sockets to interface NAME
                  --outbound-if6 NAME Bind IPv6 outbound sockets to interface NAME
              -D, --dns ADDR          DNS resolver address, may be repeated; 'none': no DNS
              -S, --search LIST       Space separated DNS search domains; 'none': no list
              -H, --hostname NAME     Hostname to give the namespace (and via DHCP)
                  --fqdn NAME         Fully qualified domain name to send via DHCP
                  --dhcp-dns          Pass DNS resolvers via DHCP, DHCPv6 and NDP
                  --dhcp-search       Pass the search list via DHCP, DHCPv6 and NDP
                  --dns-forward ADDR  Forward DNS queries sent to ADDR to the resolver
                  --dns-host ADDR     Host side address DNS queries are forwarded to
                  --no-tcp            Disable TCP
                  --no-udp            Disable UDP
                  --no-icmp           Disable ICMP and ICMPv6 echo
                  --no-dhcp           Disable the DHCP server
                  --no-ndp            Disable NDP responses
                  --no-dhcpv6         Disable the DHCPv6 server
                  --no-ra             Disable router advertisements
                  --no-splice         Never bypass the tap for loopback traffic
                  --splice-only       Forward only loopback traffic (no tap path)
                  --freebind          Bind forwarded ports to addresses not (yet) local
                  --no-map-gw         Do not map the gateway address to the host
                  --map-host-loopback ADDR
                                      Map ADDR to the host's loopback; 'none' disables
                  --map-guest-addr ADDR
                                      Map ADDR to the namespace's address; 'none' disables
                  --host-lo-to-ns-lo  Forward host loopback to namespace loopback
              -4, --ipv4-only         IPv4 only
              -6, --ipv6-only         IPv6 only
              -t, --tcp-ports SPEC    TCP ports to forward into the namespace, may be repeated
                SPEC is one of:
                  'none'  forward nothing
                  'auto'  forward the ports listening in the namespace
                  a comma separated list of ports or ranges A-B, each with an optional
                  target after ':', excludes prefixed with '~', and an optional
                  'ADDR/', 'ADDR%IF/' or '%IF/' prefix to bind to. Examples:
                  -t 22               port 22 to port 22 in the namespace
                  -t 22:23            port 22 to port 23
                  -t 22,25            ports 22 and 25
                  -t 22-80:32-90      ports 22 to 80 to ports 32 to 90
                  -t 203.0.113.1/5      port 5 of 203.0.113.1 only
                  -t 5-25,~10-20      ports 5 to 9 and 21 to 25
                  -t ~25              every port except 25
                default: auto; IPv6 bound ports are forwarded for IPv4 too
              -u, --udp-ports SPEC    UDP ports to forward into the namespace, as for -t
                default: auto
              -T, --tcp-ns SPEC       TCP ports to forward from the namespace to the host
                default: auto
              -U, --udp-ns SPEC       UDP ports to forward from the namespace to the host
                default: auto
                  --userns NSPATH     User namespace to join
                  --netns PATH|NAME   Network namespace to join
                  --netns-only        Join no user namespace
                implied when PATH or NAME are given without --userns
                  --no-netns-quit     Keep running when the joined namespace is deleted
                  --config-net        Configure the tap interface in the namespace
                  --no-copy-routes    With --config-net, copy no routes from the host
                  --no-copy-addrs     With --config-net, copy no addresses from the host
                  --ns-mac-addr ADDR  MAC address of the tap interface in the namespace
                  --stats DELAY       Log statistics every DELAY seconds
              -c, --conf-path PATH    Let pesto show and change the forwarding rules through
                                      the unix socket PATH (mode 0600, removed at exit)
                  --api PATH          jpasta's own: the JSON control API on the unix socket
                                      PATH (flows, stats, forwards; see jpasta-ctl)
                  --no-confine        jpasta's own: once ready, neither jpasta nor its helper
                                      gives up capabilities, system calls (seccomp) or files
                                      (Landlock): for debugging
                  --no-follow-host    jpasta's own: copy the host's addresses, routes and
                                      resolvers once at start, as pasta does, instead of
                                      following them
            """;

    private Usage() {
    }
}
