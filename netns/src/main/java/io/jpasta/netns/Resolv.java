package io.jpasta.netns;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What jpasta takes from the host's resolver configuration (resolv.conf(5)): the name servers, in file order, and
 * the search list. Everything else ({@code options}, {@code sortlist}, comments, unknown keywords, malformed
 * addresses) is ignored, as the C library ignores it.
 *
 * <p>Rules: a line is a keyword and its arguments separated by blanks; lines starting with {@code #} or {@code ;}
 * are comments. {@code nameserver ADDR} adds one address (a literal, never looked up; a zone such as {@code %eth0}
 * is dropped because it names a host interface). {@code search D...} and {@code domain D} set the search list, and
 * the last of them wins. No limit on the number of name servers: the caller picks what it uses.
 *
 * @param nameservers IPv4 and IPv6 name servers in file order
 * @param search      the search domains, in order
 */
public record Resolv(List<InetAddress> nameservers, List<String> search) {
    public static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");

    public Resolv {
        nameservers = List.copyOf(nameservers);
        search = List.copyOf(search);
    }

    /** @return the IPv4 name servers, in file order */
    public List<Inet4Address> v4() {
        return only(Inet4Address.class);
    }

    /** @return the IPv6 name servers, in file order */
    public List<Inet6Address> v6() {
        return only(Inet6Address.class);
    }

    private <T extends InetAddress> List<T> only(Class<T> family) {
        return nameservers.stream().filter(family::isInstance).map(family::cast).toList();
    }

    /**
     * @return the configuration in {@code file}; empty if the file does not exist (as the resolver then has no
     *         configuration either)
     * @throws IOException if the file exists but cannot be read
     */
    public static Resolv read(Path file) throws IOException {
        try {
            return parse(Files.readString(file, StandardCharsets.ISO_8859_1));
        } catch (NoSuchFileException e) {
            return new Resolv(List.of(), List.of());
        }
    }

    /** @return the configuration in the text of a resolv.conf file */
    public static Resolv parse(String text) {
        List<InetAddress> ns = new ArrayList<>();
        List<String> search = List.of();
        for (String line : text.split("\n", -1)) {
            String[] w = line.strip().split("[ \t]+");
            if (w.length < 2 || w[0].startsWith("#") || w[0].startsWith(";")) {
                continue;
            }
            switch (w[0]) {
                case "nameserver" -> {
                    InetAddress a = literal(w[1]);
                    if (a != null) {
                        ns.add(a);
                    }
                }
                case "search" -> {
                    List<String> s = new ArrayList<>();
                    for (int i = 1; i < w.length && !w[i].startsWith("#") && !w[i].startsWith(";"); i++) {
                        s.add(w[i]);
                    }
                    search = s;
                }
                case "domain" -> search = List.of(w[1]);
                default -> {
                }
            }
        }
        return new Resolv(ns, search);
    }

    /** @return the address written in {@code s} (zone dropped), or null if it is not an address literal */
    private static InetAddress literal(String s) {
        int zone = s.indexOf('%');
        String bare = zone >= 0 ? s.substring(0, zone) : s;
        // only digits, dots, colons and hex: InetAddress.ofLiteral never resolves names, this just keeps it exact
        if (bare.isEmpty() || !bare.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == '.' || c == ':')) {
            return null;
        }
        try {
            return InetAddress.ofLiteral(bare);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
