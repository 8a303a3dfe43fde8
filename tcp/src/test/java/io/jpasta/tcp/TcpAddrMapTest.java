package io.jpasta.tcp;

import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.fwd.AddrMap;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import static io.jpasta.tcp.TapDsl.ACK;
import static io.jpasta.tcp.TapDsl.RST;
import static io.jpasta.tcp.TapDsl.SYN;
import static io.jpasta.tcp.TapDsl.bytes;
import static io.jpasta.tcp.TapDsl.ip;
import static io.jpasta.tcp.TapDsl.seg;
import static io.jpasta.tcp.TapDsl.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections the guest opens toward a mapped address ({@code --map-host-loopback}, {@code --map-guest-addr},
 * {@code --dns-forward}): the host socket connects to the translated address, while every segment toward the guest
 * still comes from the address the guest used.
 */
class TcpAddrMapTest {
    private static final int LOOPBACK4 = 0x7f000001;

    private static TapDsl dsl(java.util.function.UnaryOperator<AddrMap.Builder> options) {
        return new TapDsl(1500, c -> options.apply(AddrMap.builder(c)).build());
    }

    /** @return the source address (4 or 16 bytes) of a frame the engine sent */
    private static byte[] source(byte[] frame) {
        boolean v6 = (frame[12] & 0xff) == 0x86;
        return v6 ? Arrays.copyOfRange(frame, 14 + 8, 14 + 24) : Arrays.copyOfRange(frame, 14 + 12, 14 + 16);
    }

    /** Completes the handshake of the latest connection and checks the SYN-ACK comes from {@code from}. */
    private static void handshake(TapDsl tap, String from) {
        tap.sockEvent(TcpSocks.EPOLLOUT);
        byte[] synAck = tap.out.peek();
        tap.expect(tcp().flags(SYN | ACK).ack(1001));
        assertArrayEquals(ip(from).getAddress(), source(synAck), "the guest sees the address it connected to");
        tap.send(seg().dst(from, tap.socks.last().port).seq(1001).ack(5001));
        assertEquals(TcpConn.ESTABLISHED, tap.tcp.events(tap.flow()));
    }

    @Test
    void mapHostLoopbackAddressReachesHostLoopbackAndAnswersFromIt() {
        TapDsl tap = dsl(b -> b.mapHostLoopback(ip("203.0.113.7")));
        tap.send(seg().syn().seq(1000).mss(1460).dst("203.0.113.7", 8080));
        FakeSocks.Sock s = tap.socks.last();
        assertEquals(Inany.v4Lo(LOOPBACK4), s.addrLo);
        assertEquals(8080, s.port);
        handshake(tap, "203.0.113.7");
        byte[] d = bytes(300, 4);
        s.peerSends(d);
        tap.sockEvent(TcpSocks.EPOLLIN);
        byte[] frame = tap.out.peek();
        assertArrayEquals(d, tap.expect(tcp().flags(ACK | TapDsl.PSH).seq(5001)).data());
        assertArrayEquals(ip("203.0.113.7").getAddress(), source(frame), "data also comes from the mapped address");
    }

    @Test
    void withMapHostLoopbackTheGatewayIsAnOrdinaryAddress() {
        TapDsl tap = dsl(b -> b.mapHostLoopback(ip("203.0.113.7")));
        tap.send(seg().syn().seq(1000).mss(1460).dst(TapDsl.GW4, 8080));
        assertEquals(Inany.v4Lo(ByteBuffer.wrap(ip(TapDsl.GW4).getAddress()).getInt()), tap.socks.last().addrLo);
    }

    @Test
    void noMapGwConnectsToTheGatewayItself() {
        TapDsl tap = dsl(b -> b.noMapGw(true));
        tap.send(seg().syn().seq(1000).mss(1460).dst(TapDsl.GW4, 8080));
        assertEquals(Inany.v4Lo(ByteBuffer.wrap(ip(TapDsl.GW4).getAddress()).getInt()), tap.socks.last().addrLo);
    }

    @Test
    void ipv6GatewayReachesHostLoopback() {
        TapDsl tap = new TapDsl();
        tap.send(seg().v6().syn().seq(1000).mss(1440).dst("2001:db8:1::1", 8080));
        assertEquals(0, tap.socks.last().addrHi);
        assertEquals(1, tap.socks.last().addrLo);
        handshake6(tap, "2001:db8:1::1");
    }

    private static void handshake6(TapDsl tap, String from) {
        tap.sockEvent(TcpSocks.EPOLLOUT);
        byte[] synAck = tap.out.peek();
        tap.expect(tcp().flags(SYN | ACK).ack(1001));
        assertArrayEquals(ip(from).getAddress(), source(synAck));
    }

    @Test
    void mapGuestAddrReachesTheHostsOwnAddress() {
        TapDsl tap = dsl(b -> b.mapGuestAddr(ip("203.0.113.8")));
        tap.send(seg().syn().seq(1000).mss(1460).dst("203.0.113.8", 5000));
        assertEquals(Inany.v4Lo(ByteBuffer.wrap(ip(TapDsl.GUEST4).getAddress()).getInt()), tap.socks.last().addrLo);
        handshake(tap, "203.0.113.8");
    }

    @Test
    void dnsForwardReachesTheDnsHostOnPort53() {
        TapDsl tap = dsl(b -> b.dnsForward(ip("203.0.113.53")).dnsHost(ip("198.51.100.200"))
                .resolvers(List.of(ip("198.51.100.99"))));
        tap.send(seg().syn().seq(1000).mss(1460).dst("203.0.113.53", 53));
        FakeSocks.Sock s = tap.socks.last();
        assertEquals(Inany.v4Lo(ByteBuffer.wrap(ip("198.51.100.200").getAddress()).getInt()), s.addrLo);
        assertEquals(53, s.port);
        handshake(tap, "203.0.113.53");
        tap.send(seg().dst("203.0.113.53", 80).syn().seq(9000).mss(1460).sport(40001));
        assertEquals(Inany.v4Lo(ByteBuffer.wrap(ip("203.0.113.53").getAddress()).getInt()),
                tap.socks.last().addrLo, "other ports of the DNS address are not forwarded");
    }

    @Test
    void failedOutboundBindGivesTheGuestRst() {
        TapDsl tap = dsl(b -> b.outbound(ip("203.0.113.9")));
        tap.socks.connectResult = -99; // EADDRNOTAVAIL from bind, as SysTcpSocks.connect reports it
        long before = tap.tcp.stats().get(Tcp.RSTS_TO_TAP);
        tap.send(seg().syn().seq(1000).mss(1460));
        tap.expect(tcp().flags(RST | ACK).ack(1001));
        assertEquals(before + 1, tap.tcp.stats().get(Tcp.RSTS_TO_TAP));
        assertEquals(0, tap.tcp.connections());
        assertTrue(tap.socks.opened.isEmpty());
    }
}
