package io.jpasta.netns;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
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
        List<T> out = new ArrayList<>();
        for (InetAddress a : nameservers) {
            if (family.isInstance(a)) {
                out.add(family.cast(a));
            }
        }
        return List.copyOf(out);
    }

    /**
     * @return the configuration in {@code file}; empty if the file does not exist (as the resolver then has no
     *         configuration either)
     * @throws IOException if the file exists but cannot be read
     */
    public static Resolv read(Path file) throws IOException {
        // java.io rather than Files.readString: its classes are initialised already at start, NIO's file channel
        // classes are not (a millisecond or two of class initialisation on the way to the namespace)
        File f = file.toFile();
        byte[] text;
        try (FileInputStream in = new FileInputStream(f)) {
            text = in.readAllBytes();
        } catch (FileNotFoundException e) {
            if (!f.exists()) {
                return new Resolv(List.of(), List.of());
            }
            throw e;
        }
        return parse(new String(text, StandardCharsets.ISO_8859_1));
    }

    /**
     * @return the configuration in the text of a resolv.conf file (split by hand, not by regular expressions: this
     *         runs on every start, and java.util.regex would cost more than the parse)
     */
    public static Resolv parse(String text) {
        List<InetAddress> ns = new ArrayList<>();
        List<String> search = List.of();
        List<String> w = new ArrayList<>();
        for (int start = 0, n = text.length(); start <= n; ) {
            int eol = text.indexOf('\n', start);
            if (eol < 0) {
                eol = n;
            }
            words(text, start, eol, w);
            start = eol + 1;
            if (w.size() < 2 || isComment(w.getFirst())) {
                continue;
            }
            switch (w.getFirst()) {
                case "nameserver" -> {
                    InetAddress a = literal(w.get(1));
                    if (a != null) {
                        ns.add(a);
                    }
                }
                case "search" -> {
                    List<String> s = new ArrayList<>();
                    for (int i = 1; i < w.size() && !isComment(w.get(i)); i++) {
                        s.add(w.get(i));
                    }
                    search = s;
                }
                case "domain" -> search = List.of(w.get(1));
                default -> {
                }
            }
        }
        return new Resolv(ns, search);
    }

    /** Replaces the contents of {@code out} with the words of {@code text[from, to)}, separated by blanks. */
    static void words(String text, int from, int to, List<String> out) {
        out.clear();
        int i = from;
        while (i < to) {
            while (i < to && isBlank(text.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < to && !isBlank(text.charAt(i))) {
                i++;
            }
            if (i > start) {
                out.add(text.substring(start, i));
            }
        }
    }

    /** Blanks between words: space and tab as resolv.conf(5) says; CR, FF and VT too, so a CRLF file reads the same. */
    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == 0x0b;
    }

    private static boolean isComment(String word) {
        char c = word.charAt(0);
        return c == '#' || c == ';';
    }

    /** @return the address written in {@code s} (zone dropped), or null if it is not an address literal */
    private static InetAddress literal(String s) {
        int zone = s.indexOf('%');
        String bare = zone >= 0 ? s.substring(0, zone) : s;
        // only digits, dots, colons and hex: InetAddress.ofLiteral never resolves names, this just keeps it exact
        if (bare.isEmpty()) {
            return null;
        }
        for (int i = 0; i < bare.length(); i++) {
            char c = bare.charAt(i);
            if (Character.digit(c, 16) < 0 && c != '.' && c != ':') {
                return null;
            }
        }
        try {
            // the family first: InetAddress.ofLiteral tries IPv4 and formats an exception's message for every IPv6
            // address (java.util.Formatter loaded and run on the way to ready)
            return bare.indexOf(':') >= 0 ? Inet6Address.ofLiteral(bare) : Inet4Address.ofLiteral(bare);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
