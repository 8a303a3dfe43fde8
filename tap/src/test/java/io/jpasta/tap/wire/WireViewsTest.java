package io.jpasta.tap.wire;

import io.jpasta.tap.Frames;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WireViewsTest {
    static final int IP_198_51_100_1 = 0xc6336401, IP_198_51_100_2 = 0xc6336402, IP_198_51_100_200 = 0xc63364c8;

    @Test
    void ethernetHeaderParsesFixtureAndRejectsShortFrames() {
        MemorySegment f = Frames.load("arp-request");
        assertTrue(EthHeader.fits(f, 0, f.byteSize()));
        EthHeader eth = new EthHeader().wrap(f, 0);
        assertEquals(MacAddr.BROADCAST, eth.dst());
        assertEquals(MacAddr.parse("7a:ca:43:0d:a3:ce"), eth.src());
        assertEquals(EthHeader.ETH_P_ARP, eth.type());
        assertFalse(EthHeader.fits(f, 0, 13));
        assertFalse(EthHeader.fits(f, 30, 14), "past the end of the segment");
    }

    @Test
    void arpRequestParsesAndReplyIsBuiltByteForByte() {
        MemorySegment f = Frames.load("arp-request");
        assertTrue(ArpHeader.fits(f, 14, f.byteSize() - 14));
        ArpHeader a = new ArpHeader().wrap(f, 14);
        assertEquals(ArpHeader.ARPOP_REQUEST, a.op());
        assertEquals(IP_198_51_100_2, a.spa());
        assertEquals(IP_198_51_100_1, a.tpa());
        assertFalse(ArpHeader.fits(f, 14, 27));

        byte[] want = Frames.bytes("arp-reply");
        MemorySegment b = Frames.offHeap(new byte[want.length]);
        new EthHeader().wrap(b, 0).dst(a.sha()).src(MacAddr.PASTA_DEFAULT).type(EthHeader.ETH_P_ARP);
        new ArpHeader().wrap(b, 14).init(ArpHeader.ARPOP_REPLY).sender(MacAddr.PASTA_DEFAULT, a.tpa())
                .target(a.sha(), a.spa());
        assertArrayEquals(want, b.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void arpOtherThanEthernetIpv4IsRejected() {
        byte[] b = Frames.bytes("arp-request");
        b[14 + 5] = 16; // protocol address length
        MemorySegment f = Frames.offHeap(b);
        assertFalse(ArpHeader.fits(f, 14, b.length - 14));
    }

    @Test
    void ipv4AndIcmpEchoParseFromFixtureAndChecksumsVerify() {
        MemorySegment f = Frames.load("icmp-echo-request");
        long len = f.byteSize() - 14;
        assertTrue(Ipv4Header.fits(f, 14, len));
        Ipv4Header ip = new Ipv4Header().wrap(f, 14);
        assertEquals(20, ip.headerLen());
        assertEquals(84, ip.totalLen());
        assertEquals(0x0ec8, ip.id());
        assertEquals(Ipv4Header.IP_DF, ip.fragOff());
        assertFalse(ip.isFragment());
        assertEquals(64, ip.ttl());
        assertEquals(Ipv4Header.IPPROTO_ICMP, ip.proto());
        assertEquals(IP_198_51_100_2, ip.src());
        assertEquals(IP_198_51_100_200, ip.dst());
        assertTrue(ip.checksumOk());
        assertTrue(IcmpHeader.fits(f, ip.payload(), ip.payloadLen()));
        IcmpHeader icmp = new IcmpHeader().wrap(f, ip.payload());
        assertEquals(IcmpHeader.ICMP_ECHO, icmp.type());
        assertEquals(0xed47, icmp.id());
        assertEquals(1, icmp.seq());
        assertTrue(icmp.checksumOk(ip.payloadLen()));
    }

    @Test
    void ipv4HeaderIsBuiltByteForByteFromFields() {
        byte[] want = Frames.bytes("icmp-echo-reply");
        MemorySegment f = Frames.offHeap(want.clone());
        Ipv4Header in = new Ipv4Header().wrap(f, 14);
        int check = in.checksum();
        in.init(84, 0, Ipv4Header.IP_DF, 255, Ipv4Header.IPPROTO_ICMP, IP_198_51_100_200, IP_198_51_100_2)
                .fillChecksum();
        assertEquals(check, in.checksum());
        IcmpHeader icmp = new IcmpHeader().wrap(f, 34);
        int icmpCheck = icmp.checksum();
        icmp.initEcho(IcmpHeader.ICMP_ECHOREPLY, 0xed47, 1).fillChecksum(64);
        assertEquals(icmpCheck, icmp.checksum());
        assertArrayEquals(want, f.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void ipv4ImpossibleLengthsAreRejected() {
        byte[] b = Frames.bytes("icmp-echo-request");
        int len = b.length - 14;
        assertFalse(Ipv4Header.fits(Frames.offHeap(b), 14, 19));
        assertFalse(Ipv4Header.fits(Frames.offHeap(b), 14, 83), "total length beyond the bytes present");
        byte[] ihl = b.clone();
        ihl[14] = 0x44;
        assertFalse(Ipv4Header.fits(Frames.offHeap(ihl), 14, len), "IHL below 5");
        byte[] big = b.clone();
        big[14] = 0x4f;
        big[16] = 0;
        big[17] = 40;
        assertFalse(Ipv4Header.fits(Frames.offHeap(big), 14, len), "IHL beyond total length");
        byte[] v6 = b.clone();
        v6[14] = 0x65;
        assertFalse(Ipv4Header.fits(Frames.offHeap(v6), 14, len), "version 6");
    }

    @Test
    void ipv4FragmentsAreRecognised() {
        byte[] b = Frames.bytes("icmp-echo-request");
        b[20] = 0x20; // MF
        assertTrue(new Ipv4Header().wrap(Frames.offHeap(b), 14).isFragment());
        b[20] = 0;
        b[21] = 1; // offset 8
        assertTrue(new Ipv4Header().wrap(Frames.offHeap(b), 14).isFragment());
    }

    @Test
    void ipv6ExtensionWalkFindsIcmpv6AfterHopByHop() {
        MemorySegment f = Frames.load("mld-report");
        Ipv6Header ip = new Ipv6Header();
        assertTrue(ip.parse(f, 14, f.byteSize() - 14));
        assertEquals(Ipv6Header.IPPROTO_HOPOPTS, ip.nextHeader());
        assertEquals(Ipv6Header.IPPROTO_ICMPV6, ip.upperProto());
        assertEquals(14 + 40 + 8, ip.upperOff());
        assertEquals(28, ip.upperLen());
        assertFalse(ip.isFragment());
        Icmpv6Header icmp = new Icmpv6Header().wrap(f, ip.upperOff());
        assertEquals(Icmpv6Header.MLD2_LISTENER_REPORT, icmp.type());
        assertTrue(icmp.checksumOk(ip.pseudo(), ip.upperLen()));
    }

    @Test
    void ipv6TruncatedExtensionChainIsRejected() {
        byte[] b = Frames.bytes("mld-report");
        b[14 + 40 + 1] = 4; // Hop-by-Hop length 40 bytes, beyond the payload
        assertFalse(new Ipv6Header().parse(Frames.offHeap(b), 14, b.length - 14));
        byte[] c = Frames.bytes("mld-report");
        assertFalse(new Ipv6Header().parse(Frames.offHeap(c), 14, c.length - 15), "payload length beyond frame");
    }

    @Test
    void ipv6FragmentHeaderIsRecognised() {
        byte[] b = Frames.bytes("mld-report");
        b[14 + 6] = Ipv6Header.IPPROTO_FRAGMENT;
        Ipv6Header ip = new Ipv6Header();
        assertTrue(ip.parse(Frames.offHeap(b), 14, b.length - 14));
        assertTrue(ip.isFragment());
    }

    @Test
    void ipv6EchoParsesAndBuildsByteForByte() {
        byte[] want = Frames.bytes("icmpv6-echo-reply");
        MemorySegment f = Frames.offHeap(want.clone());
        Ipv6Header ip = new Ipv6Header();
        assertTrue(ip.parse(f, 14, want.length - 14));
        assertEquals(64, ip.payloadLen());
        assertEquals(255, ip.hopLimit());
        assertEquals(0x20010db800020000L, ip.srcHi());
        assertEquals(0x10L, ip.srcLo());
        Icmpv6Header icmp = new Icmpv6Header().wrap(f, ip.upperOff());
        assertEquals(Icmpv6Header.ICMPV6_ECHO_REPLY, icmp.type());
        assertEquals(0xed48, icmp.id());
        long sh = ip.srcHi(), sl = ip.srcLo(), dh = ip.dstHi(), dl = ip.dstLo();
        new Ipv6Header().wrap(f, 14).init(0, 64, Ipv6Header.IPPROTO_ICMPV6, 255, sh, sl, dh, dl);
        icmp.init(Icmpv6Header.ICMPV6_ECHO_REPLY, 0).fillChecksum(ip.pseudo(), 64);
        assertArrayEquals(want, f.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void udpParsesFixtureAndBuildsByteForByte() {
        byte[] want = Frames.bytes("udp-request");
        MemorySegment f = Frames.offHeap(want.clone());
        Ipv4Header ip = new Ipv4Header().wrap(f, 14);
        assertTrue(UdpHeader.fits(f, ip.payload(), ip.payloadLen()));
        UdpHeader udp = new UdpHeader().wrap(f, ip.payload());
        assertEquals(40032, udp.srcPort());
        assertEquals(7000, udp.dstPort());
        assertEquals(11, udp.length());
        assertEquals(3, udp.payloadLen());
        assertTrue(udp.checksumOk(ip.pseudo(), true));
        udp.init(40032, 7000, 11).fillChecksum(ip.pseudo());
        assertArrayEquals(want, f.toArray(ValueLayout.JAVA_BYTE));
        assertFalse(UdpHeader.fits(f, ip.payload(), 10), "length field beyond the bytes present");
        assertFalse(UdpHeader.fits(f, ip.payload(), 7));
    }

    @Test
    void tcpSynParsesOptionsAndIsBuiltByteForByte() {
        byte[] want = Frames.bytes("tcp-syn");
        MemorySegment f = Frames.offHeap(want.clone());
        Ipv4Header ip = new Ipv4Header().wrap(f, 14);
        assertTrue(TcpHeader.fits(f, ip.payload(), ip.payloadLen()));
        TcpHeader tcp = new TcpHeader().wrap(f, ip.payload());
        assertEquals(39582, tcp.srcPort());
        assertEquals(9400, tcp.dstPort());
        assertEquals(TcpHeader.SYN, tcp.flags());
        assertEquals(40, tcp.headerLen());
        assertEquals(65480, tcp.window());
        assertTrue(tcp.checksumOk(ip.pseudo(), ip.payloadLen()));
        TcpOptions o = new TcpOptions().parse(f, tcp.options(), tcp.optionsLen());
        assertEquals(65480, o.mss());
        assertEquals(10, o.wscale());
        assertTrue(o.sackPermitted());
        assertTrue(o.hasTimestamps());
        assertEquals(1784485818, o.tsVal());
        assertEquals(0, o.tsEcr());

        int seq = tcp.seq();
        int n = TcpOptions.writeSyn(f, tcp.options(), o.mss(), true, true, o.tsVal(), 0, o.wscale());
        assertEquals(20, n);
        tcp.init(39582, 9400, seq, 0, 20 + n, TcpHeader.SYN, 65480).fillChecksum(ip.pseudo(), 20 + n);
        assertArrayEquals(want, f.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void tcpSynAckFromPastaHasMssAndWindowScaleOnly() {
        byte[] want = Frames.bytes("tcp6-synack");
        MemorySegment f = Frames.offHeap(want.clone());
        Ipv6Header ip = new Ipv6Header();
        assertTrue(ip.parse(f, 14, want.length - 14));
        TcpHeader tcp = new TcpHeader().wrap(f, ip.upperOff());
        assertTrue(tcp.checksumOk(ip.pseudo(), ip.upperLen()));
        assertEquals(TcpHeader.SYN | TcpHeader.ACK_FLAG, tcp.flags());
        TcpOptions o = new TcpOptions().parse(f, tcp.options(), tcp.optionsLen());
        assertEquals(61440, o.mss());
        assertEquals(8, o.wscale());
        assertFalse(o.sackPermitted());
        assertFalse(o.hasTimestamps());
        int n = TcpOptions.writeSyn(f, tcp.options(), 61440, false, false, 0, 0, 8);
        tcp.init(tcp.srcPort(), tcp.dstPort(), tcp.seq(), tcp.ack(), 20 + n, tcp.flags(), tcp.window())
                .fillChecksum(ip.pseudo(), ip.upperLen());
        assertArrayEquals(want, f.toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void tcpImpossibleDataOffsetIsRejectedAndBadOptionsStopTheParse() {
        byte[] b = Frames.bytes("tcp-syn");
        MemorySegment f = Frames.offHeap(b);
        long l4 = 34;
        assertFalse(TcpHeader.fits(f, l4, 39), "options beyond the bytes present");
        b[34 + 12] = 0x40; // data offset 4 words
        assertFalse(TcpHeader.fits(Frames.offHeap(b), l4, 40));
        byte[] c = Frames.bytes("tcp-syn");
        c[34 + 20 + 1] = 0; // MSS option length 0: the rest cannot be trusted
        TcpOptions o = new TcpOptions().parse(Frames.offHeap(c), 54, 20);
        assertEquals(TcpOptions.NONE, o.mss());
        assertFalse(o.hasTimestamps());
    }

    @Test
    void truncationAtEveryLengthNeverPassesFits() {
        MemorySegment f = Frames.load("tcp-syn");
        for (int len = 0; len < 74 - 14; len++) {
            assertFalse(Ipv4Header.fits(f, 14, len) && TcpHeader.fits(f, 34, len - 20), "len " + len);
        }
    }
}
