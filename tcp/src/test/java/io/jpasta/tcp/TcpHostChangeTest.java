package io.jpasta.tcp;

import static io.jpasta.tcp.TapDsl.ACK;
import static io.jpasta.tcp.TapDsl.RST;
import static io.jpasta.tcp.TapDsl.seg;
import static io.jpasta.tcp.TapDsl.tcp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.tap.TapConf;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.fwd.AddrMap;
import org.junit.jupiter.api.Test;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;

/** What the engine does when the launcher follows a change of the host (issue 18). */
class TcpHostChangeTest {
    private static final AddrMap.Addr HOST_OLD = new AddrMap.Addr(Inany.V4_HI, Inany.v4Lo(0xc6336402)); // .2
    private final TapDsl tap = new TapDsl();

    private static TapConf renumbered() throws UnknownHostException {
        return TapConf.builder().addr4((Inet4Address) InetAddress.getByName("198.51.100.6"), 30)
                .gateway4((Inet4Address) InetAddress.getByName("198.51.100.5")).build();
    }

    @Test
    void flowBoundToAnAddressTheHostLostIsResetTowardGuestAndPeer() throws Exception {
        tap.establish(1000, 1460, 65535);
        FakeSocks.Sock s = tap.socks.last();

        assertEquals(1, tap.tcp.hostChanged(renumbered(), Set.of(HOST_OLD)));

        tap.expect(tcp().flags(RST | ACK).ack(1001));
        assertEquals(0, tap.tcp.connections());
        assertTrue(s.reset, "the host socket is closed with a RST");
    }

    @Test
    void flowOnAnAddressTheHostKeepsGoesOn() throws Exception {
        tap.establish(1000, 1460, 65535);
        FakeSocks.Sock s = tap.socks.last();
        s.localLo = Inany.v4Lo(0x7f000001);

        assertEquals(0, tap.tcp.hostChanged(renumbered(), Set.of(HOST_OLD)));

        tap.expectNothing();
        assertEquals(1, tap.tcp.connections());
        assertFalse(s.reset);
        tap.send(seg().seq(1001).ack(5001).data(new byte[] {1, 2, 3}));
        assertEquals(3, s.written.size(), "data still reaches the peer");
    }
}
