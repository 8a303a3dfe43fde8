package io.jpasta.tap.wire;

import io.jpasta.tap.Frames;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChecksumTest {
    @Test
    void rfc1071ExampleSumsAsPublished() {
        // RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 (folded).
        MemorySegment s = Frames.offHeap(new byte[] {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5,
            (byte) 0xf6, (byte) 0xf7});
        assertEquals(0xddf2, Checksum.fold(Checksum.sum(s, 0, 8, 0)));
        assertEquals(0x0001 + 0xf203 + 0xf400, Checksum.sum(s, 0, 5, 0), "odd byte padded on the right");
    }

    @Test
    void everyTransportChecksumInTheFixturesVerifies() {
        for (String n : new String[] {"tcp-syn", "tcp-synack", "tcp-ack", "udp-request"}) {
            MemorySegment f = Frames.load(n);
            Ipv4Header ip = new Ipv4Header().wrap(f, 14);
            assertTrue(ip.checksumOk(), n);
            assertTrue(Checksum.verify(f, ip.payload(), ip.payloadLen(), ip.pseudo()), n);
        }
        for (String n : new String[] {"tcp6-syn", "tcp6-synack", "ns-ll", "na-ll", "ra", "dhcpv6-reply"}) {
            MemorySegment f = Frames.load(n);
            Ipv6Header ip = new Ipv6Header();
            assertTrue(ip.parse(f, 14, f.byteSize() - 14), n);
            assertTrue(Checksum.verify(f, ip.upperOff(), ip.upperLen(), ip.pseudo()), n);
        }
    }

    @Test
    void zeroUdpChecksumOverIpv4MeansNoneAndEthernetPaddingIsIgnored() {
        MemorySegment f = Frames.load("udp-response");
        assertEquals(60, f.byteSize());
        Ipv4Header ip = new Ipv4Header().wrap(f, 14);
        assertTrue(Ipv4Header.fits(f, 14, 46));
        assertEquals(34, ip.totalLen());
        UdpHeader udp = new UdpHeader().wrap(f, ip.payload());
        assertEquals(0, udp.checksum());
        assertTrue(udp.checksumOk(ip.pseudo(), true));
        assertFalse(udp.checksumOk(ip.pseudo(), false), "zero is no checksum only over IPv4");
    }

    @Test
    void wordAtATimeSumEqualsTheTextbookSumAtAnyOffsetAndLength() {
        Random rnd = new Random(11);
        byte[] b = new byte[70_000];
        rnd.nextBytes(b);
        MemorySegment seg = MemorySegment.ofArray(b);
        for (int i = 0; i < 2_000; i++) {
            int off = rnd.nextInt(64);
            int len = i < 100 ? i : rnd.nextInt(b.length - off);
            long textbook = 0;
            for (int p = off; p < off + len; p += 2) {
                textbook += ((b[p] & 0xff) << 8) | (p + 1 < off + len ? b[p + 1] & 0xff : 0);
            }
            long start = rnd.nextInt(0x10000);
            assertEquals(Checksum.fold(textbook + start), Checksum.fold(Checksum.sum(seg, off, len, start)),
                    "offset " + off + " length " + len);
        }
    }

    @Test
    void corruptedByteFailsVerification() {
        byte[] b = Frames.bytes("udp-request");
        b[42] ^= 0x10;
        MemorySegment f = Frames.offHeap(b);
        Ipv4Header ip = new Ipv4Header().wrap(f, 14);
        assertFalse(Checksum.verify(f, ip.payload(), ip.payloadLen(), ip.pseudo()));
    }

    @Test
    void incrementalUpdatesMatchFullRecomputation() {
        Random rnd = new Random(7);
        for (int i = 0; i < 2000; i++) {
            byte[] b = new byte[2 + rnd.nextInt(64)];
            rnd.nextBytes(b);
            MemorySegment s = Frames.offHeap(b);
            int pos = rnd.nextInt(b.length / 2) * 2;
            int before = Checksum.finish(Checksum.sum(s, 0, b.length, 0));
            int old16 = Be.u16(s, pos);
            int new16 = rnd.nextInt(0x10000);
            Be.put16(s, pos, new16);
            int full = Checksum.finish(Checksum.sum(s, 0, b.length, 0));
            int inc = Checksum.update16(before, old16, new16);
            // 0x0000 and 0xffff are the same value in ones' complement.
            assertEquals(full % 0xffff, inc % 0xffff, "16-bit case " + i);
            if (b.length >= 4 && pos + 4 <= b.length) {
                int old32 = Be.i32(s, pos);
                int new32 = rnd.nextInt();
                Be.put32(s, pos, new32);
                int full32 = Checksum.finish(Checksum.sum(s, 0, b.length, 0));
                assertEquals(full32 % 0xffff, Checksum.update32(full, old32, new32) % 0xffff, "32-bit case " + i);
            }
        }
    }

    @Test
    void seqComparisonsHoldAcrossWraparound() {
        int[] bases = {0, 1, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff};
        Random rnd = new Random(3);
        for (int base : bases) {
            for (int i = 0; i < 500; i++) {
                int d = 1 + rnd.nextInt(Integer.MAX_VALUE - 1);
                int a = base, b = base + d;
                assertTrue(Seq.lt(a, b) && Seq.le(a, b) && Seq.gt(b, a) && Seq.ge(b, a));
                assertFalse(Seq.lt(b, a) || Seq.ge(a, b));
                assertEquals(d, Seq.diff(b, a));
                assertTrue(Seq.le(a, a) && Seq.ge(a, a) && !Seq.lt(a, a));
            }
        }
        assertTrue(Seq.lt(0xffffffff, 0), "0xffffffff precedes 0");
    }

    @Test
    void macAddressesRoundTrip() {
        long m = MacAddr.parse("9a:55:9a:55:9a:55");
        assertEquals(MacAddr.PASTA_DEFAULT, m);
        assertEquals("9a:55:9a:55:9a:55", MacAddr.toString(m));
        assertTrue(MacAddr.isGroup(MacAddr.BROADCAST));
        assertFalse(MacAddr.isGroup(m));
        assertEquals(MacAddr.parse("33:33:00:00:00:01"), MacAddr.ofIpv6Multicast(1));
    }
}
