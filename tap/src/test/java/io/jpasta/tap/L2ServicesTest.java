package io.jpasta.tap;

import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.Checksum;
import io.jpasta.tap.wire.Ipv4Header;
import io.jpasta.tap.wire.Ipv6Header;
import io.jpasta.tap.wire.MacAddr;
import io.jpasta.tap.wire.UdpHeader;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.jpasta.tap.TapHandler.DROPPED;
import static io.jpasta.tap.TapHandler.HANDLED;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class L2ServicesTest {
    /** l2-services.pcap: our link-local there. */
    static final String LL_L2 = "fe80::7084:3fff:fe69:d209";
    /** dhcpv6.pcap. */
    static final String LL_DHCPV6 = "fe80::1800:c1ff:fecd:a355";
    /** l4.pcap. */
    static final String LL_L4 = "fe80::85c:ddff:fec8:8ca2";
    /** Start of the pasta that made dhcpv6.pcap, from the time in its DUID-LLT. */
    static final long DHCPV6_START_NS = (0x329a1d87L + L2Services.DUID_EPOCH_OFFSET_S) * 1_000_000_000L;

    static Inet4Address v4(String s) {
        return (Inet4Address) addr(s);
    }

    static Inet6Address v6(String s) {
        return (Inet6Address) addr(s);
    }

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The sandbox's configuration: 198.51.100.2/30 via .1, 2001:db8:1::2/64, MTU 65520, pasta defaults. */
    static TapConf conf(String ll) {
        return sandbox(ll).build();
    }

    /** @return the sandbox's configuration with our link-local address {@code ll}, to add to before building */
    static TapConf.Builder sandbox(String ll) {
        return TapConf.builder().addr4(v4("198.51.100.2"), 30).gateway4(v4("198.51.100.1"))
                .addr6(v6("2001:db8:1::2"), 64).gateway6(v6("2001:db8:1::1")).ourLinkLocal6(v6(ll)).mtu(65520);
    }

    static L2Services services(TapConf c) {
        return new L2Services(c, new Random(1), 0, DHCPV6_START_NS);
    }

    /** Passes one frame through a classifier that has the L2 services only (no TCP, UDP or ICMP engine). */
    static int handle(L2Services l2, MemorySegment f, long off, int len, long now, TapSink out) {
        return new Classifier(l2, out).frame(f, off, len, now);
    }

    static byte[] answer(L2Services l2, String request) {
        Frames.Recorder out = new Frames.Recorder();
        MemorySegment f = Frames.load(request);
        assertEquals(HANDLED, handle(l2, f, 0, (int) f.byteSize(), 0, out), request);
        return out.only();
    }

    @Test
    void arpRequestForGatewayGetsPastasReplyByteForByte() {
        assertArrayEquals(Frames.bytes("arp-reply"), answer(services(conf(LL_L2)), "arp-request"));
    }

    @Test
    void arpReplyAndAnnouncementFromGuestAreIgnored() {
        L2Services l2 = services(conf(LL_L4));
        Frames.Recorder out = new Frames.Recorder();
        MemorySegment f = Frames.load("arp-announce-reply");
        assertEquals(HANDLED, handle(l2, f, 0, (int) f.byteSize(), 0, out));
        byte[] b = Frames.bytes("arp-request");
        System.arraycopy(b, 28, b, 38, 4); // target = sender: gratuitous
        MemorySegment g = Frames.offHeap(b);
        assertEquals(HANDLED, handle(l2, g, 0, b.length, 0, out));
        assertEquals(0, out.sent.size());
        assertEquals(2, l2.stats().ignoredBy(L2Stats.ARP));
    }

    @Test
    void arpForTheGuestsOwnAddressIsNotClaimed() {
        byte[] b = Frames.bytes("arp-request");
        b[41] = 2; // who has 198.51.100.2
        b[31] = 3; // tell 198.51.100.3
        Frames.Recorder out = new Frames.Recorder();
        assertEquals(HANDLED, handle(services(conf(LL_L2)), Frames.offHeap(b), 0, b.length, 0, out));
        assertEquals(0, out.sent.size());
    }

    @Test
    void dhcpDiscoverAndRequestGetPastasOfferAndAckWithAValidUdpChecksum() {
        L2Services l2 = services(conf(LL_L2));
        for (String[] pair : new String[][] {{"dhcp-discover", "dhcp-offer"}, {"dhcp-request", "dhcp-ack"}}) {
            byte[] got = answer(l2, pair[0]);
            byte[] want = Frames.bytes(pair[1]);
            assertEquals(want.length, got.length);
            // pasta leaves the UDP checksum zero; we fill it in. Everything else is identical.
            int check = 14 + 20 + 6;
            MemorySegment g = Frames.offHeap(got);
            Ipv4Header ip = new Ipv4Header().wrap(g, 14);
            assertTrue(new UdpHeader().wrap(g, 34).checksumOk(ip.pseudo(), false), pair[0]);
            got[check] = got[check + 1] = 0;
            assertArrayEquals(want, got, pair[0]);
        }
        assertEquals(2, l2.stats().repliedBy(L2Stats.DHCP));
    }

    @Test
    void dhcpRequestForAnotherAddressGetsBroadcastNak() {
        byte[] b = Frames.bytes("dhcp-request");
        // Option 50 (requested address) starts at 14+20+8+240+3: 32 04 c6 33 64 02.
        int opt = 14 + 20 + 8 + 240 + 3;
        assertEquals(50, b[opt]);
        b[opt + 5] = 7;
        fixUdpChecksum(b);
        Frames.Recorder out = new Frames.Recorder();
        assertEquals(HANDLED, handle(services(conf(LL_L2)), Frames.offHeap(b), 0, b.length, 0, out));
        MemorySegment r = Frames.offHeap(out.only());
        assertEquals(MacAddr.BROADCAST, MacAddr.read(r, 0));
        assertEquals(-1, new Ipv4Header().wrap(r, 14).dst());
        assertEquals(0, Be.i32(r, 42 + 16), "no yiaddr in a NAK");
        assertEquals(L2ServicesTest.DHCPNAK_OPTION, Be.i32(r, 42 + 240) >>> 8, "message type NAK first");
    }

    static final int DHCPNAK_OPTION = 0x350106;

    @Test
    void dhcpCarriesHostnameFqdnDnsSearchAndClasslessRouteWhenConfigured() {
        TapConf c = TapConf.builder().addr4(v4("198.51.100.2"), 30).gateway4(v4("203.0.113.1"))
                .dns4(List.of(v4("198.51.100.53"))).search(List.of("example.test")).dhcpDns(true).dhcpSearch(true)
                .hostname("box").fqdn("box.example.test").build();
        byte[] r = answer(services(c), "dhcp-discover");
        byte[] opts = Arrays.copyOfRange(r, 42 + 240, r.length);
        assertContains(opts, new byte[] {12, 3, 'b', 'o', 'x'});
        assertContains(opts, new byte[] {6, 4, (byte) 198, 51, 100, 53});
        assertContains(opts, new byte[] {119, 14, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0});
        assertContains(opts, new byte[] {81, 21, 4, (byte) 255, (byte) 255, 3, 'b', 'o', 'x', 7});
        assertContains(opts, new byte[] {121, 14, 32, (byte) 203, 0, 113, 1, 0, 0, 0, 0, 0, (byte) 203, 0, 113, 1});
    }

    @Test
    void dhcpWithoutDnsFlagsSendsNoResolversOrSearch() {
        TapConf c = sandbox(LL_L2).dns4(List.of(v4("198.51.100.53"))).search(List.of("example.test")).build();
        byte[] r = answer(services(c), "dhcp-discover");
        byte[] want = Frames.bytes("dhcp-offer");
        r[40] = r[41] = 0;
        assertArrayEquals(want, r);
    }

    @Test
    void noDhcpDropsAndCounts() {
        TapConf c = sandbox(LL_L2).noDhcp(true).build();
        L2Services l2 = services(c);
        MemorySegment f = Frames.load("dhcp-discover");
        Frames.Recorder out = new Frames.Recorder();
        assertEquals(DROPPED, handle(l2, f, 0, (int) f.byteSize(), 0, out));
        assertEquals(1, l2.stats().drops(L2Stats.DHCP, L2Stats.DISABLED));
        assertEquals(0, out.sent.size());
    }

    @Test
    void neighbourSolicitationsGetPastasAdvertisementsByteForByte() {
        L2Services l2 = services(conf(LL_L4));
        assertArrayEquals(Frames.bytes("na-ll"), answer(l2, "ns-ll"));
        assertArrayEquals(Frames.bytes("na-gw"), answer(l2, "ns-gw"));
    }

    @Test
    void duplicateAddressDetectionIsNotAnswered() {
        L2Services l2 = services(conf(LL_L2));
        Frames.Recorder out = new Frames.Recorder();
        MemorySegment f = Frames.load("ns-dad");
        assertEquals(HANDLED, handle(l2, f, 0, (int) f.byteSize(), 0, out));
        assertEquals(0, out.sent.size());
        assertEquals(1, l2.stats().ignoredBy(L2Stats.NDP));
    }

    @Test
    void routerSolicitationGetsPastasAdvertisementWithPrefixBitsOnly() {
        for (String[] c : new String[][] {{LL_L2, "rs", "ra"}, {LL_DHCPV6, "rs-2", "ra-2"}}) {
            byte[] got = answer(services(conf(c[0])), c[1]);
            byte[] want = Frames.bytes(c[2]);
            assertEquals(want.length, got.length);
            MemorySegment g = Frames.offHeap(got);
            Ipv6Header ip = new Ipv6Header();
            assertTrue(ip.parse(g, 14, got.length - 14));
            assertTrue(Checksum.verify(g, ip.upperOff(), ip.upperLen(), ip.pseudo()));
            // pasta copies the whole address into the prefix field; RFC 4861 §4.6.2 wants zeroes after /64.
            int prefixLow = 14 + 40 + 16 + 16 + 8;
            assertEquals(0, Be.i32(g, prefixLow) | Be.i32(g, prefixLow + 4));
            System.arraycopy(want, prefixLow, got, prefixLow, 8);
            int check = 14 + 40 + 2;
            got[check] = want[check];
            got[check + 1] = want[check + 1];
            assertArrayEquals(want, got, c[1]);
        }
    }

    @Test
    void routerAdvertisementCarriesRdnssAndDnsslWhenEnabled() {
        TapConf c = sandbox(LL_L2).noDhcpv6(true).dns6(List.of(v6("2001:db8:1::53"))).search(List.of("example.test"))
                .dhcpDns(true).dhcpSearch(true).build();
        byte[] got = answer(services(c), "rs");
        byte[] opts = Arrays.copyOfRange(got, 14 + 40 + 16, got.length);
        assertEquals(0, got[14 + 40 + 5], "no Managed flag without DHCPv6");
        assertContains(opts, new byte[] {25, 3, 0, 0, 0, 0, 7, 8, 0x20, 0x01, 0x0d, (byte) 0xb8, 0, 1});
        assertContains(opts, new byte[] {31, 3, 0, 0, 0, 0, 7, 8, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4});
    }

    @Test
    void noRaAndNoIcmpDisableTheirMessages() {
        L2Services noRa = services(sandbox(LL_L2).noRa(true).build());
        MemorySegment rs = Frames.load("rs");
        Frames.Recorder out = new Frames.Recorder();
        assertEquals(DROPPED, handle(noRa, rs, 0, (int) rs.byteSize(), 0, out));
        assertEquals(Long.MAX_VALUE, noRa.nextDeadlineNs(0));
        L2Services noIcmp = services(sandbox(LL_L4).noIcmp(true).build());
        MemorySegment ns = Frames.load("ns-ll");
        assertEquals(DROPPED, handle(noIcmp, ns, 0, (int) ns.byteSize(), 0, out), "--no-icmp implies --no-ndp");
        assertEquals(1, noIcmp.stats().drops(L2Stats.NDP, L2Stats.DISABLED));
        assertEquals(0, out.sent.size());
    }

    @Test
    void dhcpv6SolicitAndRequestGetPastasAdvertiseAndReplyByteForByte() {
        L2Services l2 = services(conf(LL_DHCPV6));
        assertArrayEquals(Frames.bytes("dhcpv6-advertise"), answer(l2, "dhcpv6-solicit"));
        assertArrayEquals(Frames.bytes("dhcpv6-reply"), answer(l2, "dhcpv6-request"));
    }

    @Test
    void dhcpv6RequestToAnotherServerIsIgnored() {
        byte[] b = Frames.bytes("dhcpv6-request");
        b[0x60] ^= 1; // a byte of the server DUID's MAC
        fixUdp6Checksum(b);
        L2Services l2 = services(conf(LL_DHCPV6));
        Frames.Recorder out = new Frames.Recorder();
        assertEquals(HANDLED, handle(l2, Frames.offHeap(b), 0, b.length, 0, out));
        assertEquals(0, out.sent.size());
        assertEquals(1, l2.stats().ignoredBy(L2Stats.DHCPV6));
    }

    @Test
    void dataTrafficGoesToItsEngineAndNotToTheServices() {
        L2Services l2 = services(conf(LL_L2));
        Frames.Recorder out = new Frames.Recorder();
        List<String> seen = new java.util.ArrayList<>();
        Classifier c = new Classifier(l2, out)
                .tcp((f, now) -> seen.add("tcp " + f.dstPort()) ? HANDLED : DROPPED)
                .udp((f, now) -> seen.add("udp " + f.dstPort()) ? HANDLED : DROPPED)
                .icmp((f, now) -> seen.add((f.v6() ? "icmpv6 " : "icmp ") + f.l4Len()) ? HANDLED : DROPPED);
        for (String n : new String[] {"icmp-echo-request", "icmpv6-echo-request", "tcp-syn", "tcp6-syn",
            "udp-request"}) {
            MemorySegment f = Frames.load(n);
            assertEquals(HANDLED, c.frame(f, 0, (int) f.byteSize(), 0), n);
        }
        assertEquals(List.of("icmp 64", "icmpv6 64", "tcp 9400", "tcp 9402", "udp 7000"), seen);
        assertEquals(0, out.sent.size());
        assertEquals(0, l2.stats().dropsTotal() + l2.stats().receivedBy(L2Stats.ARP)
                + l2.stats().receivedBy(L2Stats.DHCP) + l2.stats().receivedBy(L2Stats.NDP));
        assertEquals(MacAddr.parse("16:1c:35:da:1b:8e"), l2.guestMac(), "learned from the last frame");
    }

    @Test
    void unsolicitedAdvertisementsGoToAllNodesAtRandomIntervalsOnceTheGuestIsSeen() {
        L2Services l2 = services(conf(LL_L2));
        Frames.Recorder out = new Frames.Recorder();
        long t = l2.nextDeadlineNs(0);
        assertTrue(t > 0 && t <= L2Services.INITIAL_RA_MAX_NS);
        l2.timer(t, out);
        assertEquals(0, out.sent.size(), "nothing before the guest has sent a frame");
        MemorySegment f = Frames.load("mld-report");
        handle(l2, f, 0, (int) f.byteSize(), t, out);
        long prev = t;
        for (int i = 0; i < 6; i++) {
            long d = l2.nextDeadlineNs(prev);
            assertTrue(d > prev);
            l2.timer(d - 1, out);
            assertEquals(i, out.sent.size(), "not before the deadline");
            l2.timer(d, out);
            assertEquals(i + 1, out.sent.size());
            long gap = l2.nextDeadlineNs(d) - d;
            if (i >= L2Services.MAX_INITIAL_RTR_ADVERTISEMENTS - 1) {
                assertTrue(gap >= L2Services.MIN_RTR_ADV_INTERVAL_NS && gap <= L2Services.MAX_RTR_ADV_INTERVAL_NS);
            }
            prev = d;
        }
        MemorySegment ra = Frames.offHeap(out.sent.getLast());
        assertEquals(MacAddr.parse("33:33:00:00:00:01"), MacAddr.read(ra, 0));
        assertEquals(0xff02_0000_0000_0000L, ra.get(Be.LONG, 14 + 24));
        assertEquals(134, Be.u8(ra, 54));
    }

    /** An engine of the property test: the frame's parsed view must lie inside the frame. */
    private static int engine(TapFrame f, long[] count) {
        assertTrue(f.l4() >= f.l3() && f.l4() + f.l4Len() <= f.off() + f.len(), "l4 inside the frame");
        count[0]++;
        return HANDLED;
    }

    /** Property: random and mutated frames never throw, and every DROPPED is counted exactly once. */
    @Test
    void randomAndMutatedFramesNeverThrowAndEveryDropIsCounted() {
        String[] seeds = {"arp-request", "dhcp-discover", "dhcp-request", "rs", "ns-ll", "ns-dad", "mld-report",
            "dhcpv6-solicit", "dhcpv6-request", "tcp-syn", "tcp6-syn", "udp-request", "icmpv6-echo-request"};
        Random rnd = new Random(1234);
        L2Services l2 = services(sandbox(LL_L2).hostname("h").fqdn("h.example.test").dns4(List.of(v4("198.51.100.53")))
                .dns6(List.of(v6("2001:db8::53"))).search(List.of("a.example", "b.example")).dhcpDns(true)
                .dhcpSearch(true).build());
        Frames.Recorder out = new Frames.Recorder();
        long[] engines = new long[1];
        Classifier c = new Classifier(l2, out).tcp((f, now) -> engine(f, engines)).udp((f, now) -> engine(f, engines))
                .icmp((f, now) -> engine(f, engines));
        long dropped = 0;
        for (int i = 0; i < 30000; i++) {
            byte[] b;
            if (i % 10 == 0) {
                b = new byte[rnd.nextInt(400)];
                rnd.nextBytes(b);
            } else {
                b = Frames.bytes(seeds[rnd.nextInt(seeds.length)]);
                int flips = 1 + rnd.nextInt(4);
                for (int k = 0; k < flips && b.length > 0; k++) {
                    b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                }
                if (rnd.nextInt(4) == 0) {
                    b = Arrays.copyOf(b, rnd.nextInt(b.length + 1));
                }
                if (rnd.nextInt(3) == 0) {
                    fixChecksums(b);
                }
            }
            int r = c.frame(Frames.offHeap(b), 0, b.length, i);
            assertTrue(r == HANDLED || r == DROPPED);
            if (r == DROPPED) {
                dropped++;
            }
            assertEquals(dropped, l2.stats().dropsTotal() + c.stats().dropsTotal(), "frame " + i);
        }
        assertTrue(engines[0] > 1000, "mutations reach the engines too");
        assertTrue(dropped > 1000, "mutations reach the drop paths");
        assertTrue(l2.stats().repliedBy(L2Stats.DHCP) > 0 && l2.stats().repliedBy(L2Stats.DHCPV6) > 0,
                "and the reply paths");
        for (byte[] sent : out.sent) {
            assertTrue(sent.length <= L2Services.REPLY_SIZE);
        }
    }

    /** Makes mutated frames get past checksum checks so that deeper parsing is exercised. */
    static void fixChecksums(byte[] b) {
        if (b.length < 34) {
            return;
        }
        int type = (b[12] & 0xff) << 8 | (b[13] & 0xff);
        if (type == 0x0800) {
            MemorySegment s = Frames.offHeap(b);
            if (Ipv4Header.fits(s, 14, b.length - 14)) {
                new Ipv4Header().wrap(s, 14).fillChecksum();
                s.asByteBuffer().get(0, b);
                fixUdpChecksum(b);
            }
        } else if (type == 0x86dd) {
            fixUdp6Checksum(b);
        }
    }

    static void fixUdpChecksum(byte[] b) {
        MemorySegment s = Frames.offHeap(b);
        Ipv4Header ip = new Ipv4Header().wrap(s, 14);
        if (ip.proto() != 17 || !UdpHeader.fits(s, ip.payload(), ip.payloadLen())) {
            return;
        }
        UdpHeader u = new UdpHeader().wrap(s, ip.payload());
        u.fillChecksum(Checksum.pseudo4(ip.src(), ip.dst(), 17, u.length()));
        s.asByteBuffer().get(0, b);
    }

    static void fixUdp6Checksum(byte[] b) {
        MemorySegment s = Frames.offHeap(b);
        Ipv6Header ip = new Ipv6Header();
        if (!ip.parse(s, 14, b.length - 14) || ip.upperLen() < 4) {
            return;
        }
        if (ip.upperProto() == 17 && UdpHeader.fits(s, ip.upperOff(), ip.upperLen())) {
            UdpHeader u = new UdpHeader().wrap(s, ip.upperOff());
            u.fillChecksum(Checksum.pseudo6(s, ip.srcOff(), 17, u.length()));
        } else if (ip.upperProto() == 58) {
            new io.jpasta.tap.wire.Icmpv6Header().wrap(s, ip.upperOff()).fillChecksum(ip.pseudo(), ip.upperLen());
        }
        s.asByteBuffer().get(0, b);
    }

    static void assertContains(byte[] hay, byte[] needle) {
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (Arrays.equals(hay, i, i + needle.length, needle, 0, needle.length)) {
                return;
            }
        }
        throw new AssertionError("missing " + Arrays.toString(needle) + " in " + Arrays.toString(hay));
    }
}
