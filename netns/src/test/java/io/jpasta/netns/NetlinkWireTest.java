package io.jpasta.netns;

import static io.jpasta.netns.sys.Linux.AF_INET6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Every request {@link NetlinkWire} builds, byte for byte against the hand-checked fixtures, and a few edges. */
class NetlinkWireTest {
    /** direct and in native order, as {@link Netlink} has it */
    private final ByteBuffer buf = Sys.buffer(Netlink.BUFFER_SIZE);

    private void fill(byte b) {
        byte[] junk = new byte[buf.capacity()];
        Arrays.fill(junk, b);
        buf.put(0, junk);
    }

    private void assertRequest(String fixture, int len) {
        assertEquals(Fixtures.hex(Fixtures.hex(fixture)), Fixtures.hex(Fixtures.toBytes(buf, len)), fixture);
    }

    private static InetAddress ip(String s) {
        return InetAddress.ofLiteral(s);
    }

    @Test
    void dumpRequestsCarryTheFamilyHeaderOfTheirType() {
        assertRequest("dump-links-request.hex", NetlinkWire.dumpRequest(buf, 7, NetlinkWire.RTM_GETLINK, 0));
        assertRequest("dump-addrs-request.hex", NetlinkWire.dumpRequest(buf, 7, NetlinkWire.RTM_GETADDR, 0));
        assertRequest("dump-routes6-request.hex",
                NetlinkWire.dumpRequest(buf, 7, NetlinkWire.RTM_GETROUTE, AF_INET6));
    }

    @Test
    void linkLookupByNameIsNulTerminatedAndPadded() {
        assertRequest("getlink-tap0.hex", NetlinkWire.getLinkRequest(buf, 7, "tap0"));
    }

    @Test
    void linkChangesTouchOnlyWhatTheyName() {
        assertRequest("link-up.hex", NetlinkWire.linkUpRequest(buf, 7, 2));
        assertRequest("link-mtu.hex", NetlinkWire.linkMtuRequest(buf, 7, 2, 65520));
        assertRequest("link-mac.hex", NetlinkWire.linkMacRequest(buf, 7, 2, NetlinkLink.parseMac("02:00:00:00:00:07")));
        assertRequest("link-addrgenmode.hex",
                NetlinkWire.linkAddrGenModeRequest(buf, 7, 2, Netlink.IN6_ADDR_GEN_MODE_NONE));
    }

    @Test
    void addressRequestsPutTheAddressInLocalAndAddress() {
        assertRequest("newaddr-v4.hex",
                NetlinkWire.newAddrRequest(buf, 7, 2, ip("198.51.100.2"), 30, 0, Netlink.RT_SCOPE_UNIVERSE));
        assertRequest("newaddr-v6-nodad.hex", NetlinkWire.newAddrRequest(buf, 7, 2, ip("2001:db8:1::2"), 64,
                Netlink.IFA_F_NODAD, Netlink.RT_SCOPE_UNIVERSE));
    }

    @Test
    void addressFlagsAboveEightBitsGoInIfaFlags() {
        assertRequest("newaddr-v6-flags32.hex", NetlinkWire.newAddrRequest(buf, 7, 2, ip("fe80::ff:fe00:7"), 64,
                Netlink.IFA_F_NODAD | Netlink.IFA_F_NOPREFIXROUTE, Netlink.RT_SCOPE_LINK));
    }

    @Test
    void routeRequestsOmitWhatIsUnset() {
        assertRequest("newroute-v4-default.hex", NetlinkWire.newRouteRequest(buf, 7, ip("0.0.0.0"), 0,
                ip("198.51.100.1"), 2, 0, Netlink.RTPROT_BOOT, Netlink.RT_SCOPE_UNIVERSE, 0));
        assertRequest("newroute-v4-onlink.hex", NetlinkWire.newRouteRequest(buf, 7, ip("203.0.113.0"), 24,
                ip("198.51.100.77"), 2, 5, Netlink.RTPROT_BOOT, Netlink.RT_SCOPE_UNIVERSE, Netlink.RTNH_F_ONLINK));
        assertRequest("newroute-v4-direct.hex", NetlinkWire.newRouteRequest(buf, 7, ip("198.51.100.0"), 30, null,
                2, 0, Netlink.RTPROT_BOOT, Netlink.RT_SCOPE_LINK, 0));
        assertRequest("newroute-v6-default.hex", NetlinkWire.newRouteRequest(buf, 7, ip("::"), 0, ip("fe80::1"),
                2, 0, Netlink.RTPROT_BOOT, Netlink.RT_SCOPE_UNIVERSE, 0));
    }

    @Test
    void aReusedBufferLeavesNoBytesOfTheLongerRequestBefore() {
        fill((byte) 0xee);
        NetlinkWire.newRouteRequest(buf, 7, ip("2001:db8::"), 32, ip("fe80::1"), 9, 77, 3, 0, 0);
        assertRequest("link-mac.hex", NetlinkWire.linkMacRequest(buf, 7, 2, NetlinkLink.parseMac("02:00:00:00:00:07")));
        fill((byte) 0xee);
        assertRequest("getlink-tap0.hex", NetlinkWire.getLinkRequest(buf, 7, "tap0"));
    }

    @Test
    void requestsParseBackIntoWhatWasAsked() throws IOException {
        int len = NetlinkWire.newRouteRequest(buf, 7, ip("203.0.113.0"), 24, ip("198.51.100.77"), 2, 5,
                Netlink.RTPROT_BOOT, Netlink.RT_SCOPE_UNIVERSE, Netlink.RTNH_F_ONLINK);
        NetlinkRoute r = NetlinkWire.parseRoute(buf, 0, len);
        assertEquals(ip("203.0.113.0"), r.dst());
        assertEquals(24, r.dstLen());
        assertEquals(ip("198.51.100.77"), r.gateway());
        assertEquals(2, r.oif());
        assertEquals(5, r.metric());
        assertEquals(Netlink.RT_TABLE_MAIN, r.table());
        assertEquals(Netlink.RTNH_F_ONLINK, r.flags());
        len = NetlinkWire.newAddrRequest(buf, 7, 2, ip("2001:db8:1::2"), 64, Netlink.IFA_F_NODAD, 0);
        assertEquals(new NetlinkAddr(2, ip("2001:db8:1::2"), 64, 0, Netlink.IFA_F_NODAD),
                NetlinkWire.parseAddr(buf, 0, len));
    }

    @Test
    void parsersReadAtTheOffsetGivenWhateverTheBufferPosition() throws IOException {
        int len = NetlinkWire.newAddrRequest(buf, 7, 2, ip("198.51.100.2"), 30, 0, Netlink.RT_SCOPE_UNIVERSE);
        byte[] msg = Fixtures.toBytes(buf, len);
        ByteBuffer heap = ByteBuffer.allocate(100 + len).order(java.nio.ByteOrder.nativeOrder());
        heap.put(100, msg).position(37).limit(100 + len);
        assertEquals(new NetlinkAddr(2, ip("198.51.100.2"), 30, Netlink.RT_SCOPE_UNIVERSE, 0),
                NetlinkWire.parseAddr(heap, 100, len));
        assertEquals(37, heap.position());
        assertEquals(0, buf.position());
        assertEquals(buf.capacity(), buf.limit());
    }

    @Test
    void ipv6TextIsCompressedAsRfc5952Says() {
        assertEquals("2001:db8:1::2", NetlinkWire.text(ip("2001:db8:1:0:0:0:0:2")));
        assertEquals("fe80::1", NetlinkWire.text(ip("fe80::1")));
        assertEquals("::", NetlinkWire.text(ip("::")));
        assertEquals("::1", NetlinkWire.text(ip("::1")));
        assertEquals("2001:db8::1:0:0:1", NetlinkWire.text(ip("2001:db8:0:0:1:0:0:1")));
        assertEquals("2001:0:1:1:1:1:1:1", NetlinkWire.text(ip("2001:0:1:1:1:1:1:1")));
        assertEquals("2001:db8::", NetlinkWire.text(ip("2001:db8::")));
        assertEquals("198.51.100.2", NetlinkWire.text(ip("198.51.100.2")));
        assertEquals("::ffff:0:0", NetlinkWire.text(NetlinkWire.address(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                (byte) 0xff, (byte) 0xff, 0, 0, 0, 0})));
    }

    @Test
    void macsPackAndPrintInWireOrder() {
        long mac = NetlinkLink.parseMac("c6:fe:b3:b6:1e:25");
        assertEquals(0xc6feb3b61e25L, mac);
        assertEquals("c6:fe:b3:b6:1e:25", NetlinkLink.macString(mac));
        assertArrayEquals(new byte[] {(byte) 0xc6, (byte) 0xfe, (byte) 0xb3, (byte) 0xb6, 0x1e, 0x25},
                NetlinkLink.macBytes(mac));
        assertThrows(IllegalArgumentException.class, () -> NetlinkLink.parseMac("c6:fe:b3:b6:1e"));
        assertThrows(IllegalArgumentException.class, () -> NetlinkLink.parseMac("c6:fe:b3:b6:1e:zz"));
    }
}
