package io.jpasta.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResolvTest {
    private static InetAddress ip(String s) {
        return InetAddress.ofLiteral(s);
    }

    @Test
    void nameserversOfBothFamiliesKeepFileOrder() {
        Resolv r = Resolv.parse("""
                # generated
                nameserver 198.51.100.53
                nameserver 2001:db8::53
                nameserver 203.0.113.53
                search example.test corp.example.test
                options edns0 trust-ad
                """);
        assertEquals(List.of(ip("198.51.100.53"), ip("2001:db8::53"), ip("203.0.113.53")), r.nameservers());
        assertEquals(List.of(ip("198.51.100.53"), ip("203.0.113.53")), r.v4());
        assertEquals(List.of(ip("2001:db8::53")), r.v6());
        assertEquals(List.of("example.test", "corp.example.test"), r.search());
    }

    @Test
    void commentsUnknownLinesAndBadAddressesAreIgnored() {
        Resolv r = Resolv.parse("""
                ; comment
                #nameserver 198.51.100.1
                nameserver
                nameserver dns.example.test
                nameserver 198.51.100.300
                   nameserver	198.51.100.2   # trailing words are ignored
                sortlist 198.51.100.0/255.255.255.0
                lookup file bind
                """);
        assertEquals(List.of(ip("198.51.100.2")), r.nameservers());
        assertTrue(r.search().isEmpty());
    }

    @Test
    void zoneOfALinkLocalNameserverIsDropped() {
        assertEquals(List.of(ip("fe80::1")), Resolv.parse("nameserver fe80::1%eth0\n").nameservers());
    }

    @Test
    void lastSearchOrDomainLineWins() {
        assertEquals(List.of("b.test"), Resolv.parse("search a.test x.test\ndomain b.test\n").search());
        assertEquals(List.of("c.test", "d.test"), Resolv.parse("domain b.test\nsearch c.test d.test\n").search());
    }

    @Test
    void blanksOfAnyKindSeparateWordsAndTheLastLineNeedsNoNewline() {
        Resolv r = Resolv.parse("\n \t\n\tnameserver \t 198.51.100.7\t\r\nsearch\ta.test \f b.test\u000b c.test\n"
                + "nameserver 2001:db8::7");
        assertEquals(List.of(ip("198.51.100.7"), ip("2001:db8::7")), r.nameservers());
        assertEquals(List.of("a.test", "b.test", "c.test"), r.search());
        assertTrue(Resolv.parse("").nameservers().isEmpty());
        List<String> w = new java.util.ArrayList<>(List.of("stale"));
        Resolv.words("xx  search a.test  ;x", 2, 20, w);
        assertEquals(List.of("search", "a.test", ";"), w);
    }

    @Test
    void searchStopsAtACommentAndSingleWordLinesAreIgnored() {
        Resolv r = Resolv.parse("nameserver\nsearch a.test b.test # c.test\nsearch\n");
        assertTrue(r.nameservers().isEmpty());
        assertEquals(List.of("a.test", "b.test"), r.search());
    }

    @Test
    void aFileThatExistsButCannotBeReadIsAnError(@TempDir Path dir) {
        assertThrows(IOException.class, () -> Resolv.read(dir));
    }

    @Test
    void missingFileIsAnEmptyConfiguration(@TempDir Path dir) throws IOException {
        Resolv r = Resolv.read(dir.resolve("resolv.conf"));
        assertTrue(r.nameservers().isEmpty() && r.search().isEmpty());
        Path f = dir.resolve("resolv2.conf");
        Files.writeString(f, "nameserver 203.0.113.1\r\nsearch example.test\r\n");
        assertEquals(List.of(ip("203.0.113.1")), Resolv.read(f).nameservers());
        assertEquals(List.of("example.test"), Resolv.read(f).search());
    }
}
