package io.jpasta.tap;

import static io.jpasta.tap.L2ServicesTest.LL_L2;
import static io.jpasta.tap.L2ServicesTest.answer;
import static io.jpasta.tap.L2ServicesTest.assertContains;
import static io.jpasta.tap.L2ServicesTest.sandbox;
import static io.jpasta.tap.L2ServicesTest.services;
import static io.jpasta.tap.L2ServicesTest.v4;
import static io.jpasta.tap.L2ServicesTest.v6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

/** What the L2 services answer after the launcher followed a change of the host (issue 18). */
class L2HostChangeTest {
    /** Ethernet, IPv4 and UDP headers, then BOOTP: yiaddr at 16, options after the 240-byte fixed part */
    private static final int BOOTP = 14 + 20 + 8, YIADDR = BOOTP + 16, OPTIONS = BOOTP + 240;
    private static final int OPT_ROUTER = 3, OPT_LEASE_TIME = 51, OPT_END = 255, OPT_PAD = 0;
    private static final long S = 1_000_000_000L;

    private static TapConf renumbered() {
        return TapConf.builder().addr4(v4("198.51.100.6"), 30).gateway4(v4("198.51.100.5"))
                .addr6(v6("2001:db8:3::2"), 64).gateway6(v6("2001:db8:3::1")).ourLinkLocal6(v6(LL_L2)).mtu(65520)
                .build();
    }

    /** @return the value of DHCP option {@code code} in reply {@code r} */
    private static byte[] option(byte[] r, int code) {
        for (int p = OPTIONS; p < r.length && (r[p] & 0xff) != OPT_END; ) {
            int c = r[p] & 0xff;
            if (c == OPT_PAD) {
                p++;
                continue;
            }
            int len = r[p + 1] & 0xff;
            if (c == code) {
                return Arrays.copyOfRange(r, p + 2, p + 2 + len);
            }
            p += 2 + len;
        }
        throw new AssertionError("no option " + code);
    }

    @Test
    void dhcpOffersTheNewAddressAndRouterWithAShortLeaseWhileTheHostIsUnstable() {
        L2Services l2 = services(sandbox(LL_L2).build());
        byte[] before = answer(l2, "dhcp-discover");
        assertArrayEquals(new byte[] {-1, -1, -1, -1}, option(before, OPT_LEASE_TIME), "pasta's infinite lease");

        l2.hostChanged(renumbered(), 5 * S);
        byte[] after = answer(l2, "dhcp-discover");
        assertArrayEquals(v4("198.51.100.6").getAddress(), Arrays.copyOfRange(after, YIADDR, YIADDR + 4));
        assertArrayEquals(v4("198.51.100.5").getAddress(), option(after, OPT_ROUTER));
        assertArrayEquals(new byte[] {0, 0, 0, (byte) L2Services.UNSTABLE_LEASE_S}, option(after, OPT_LEASE_TIME));

        assertTrue(l2.nextDeadlineNs(5 * S) <= 5 * S + L2Services.UNSTABLE_NS, "the loop wakes to end it");
        l2.timer(5 * S + L2Services.UNSTABLE_NS - 1, new Frames.Recorder());
        assertArrayEquals(new byte[] {0, 0, 0, (byte) L2Services.UNSTABLE_LEASE_S},
                option(answer(l2, "dhcp-discover"), OPT_LEASE_TIME), "still short just before");
        l2.timer(5 * S + L2Services.UNSTABLE_NS, new Frames.Recorder());
        assertArrayEquals(new byte[] {-1, -1, -1, -1}, option(answer(l2, "dhcp-discover"), OPT_LEASE_TIME),
                "infinite again once the host has been stable");
    }

    @Test
    void newIpv6PrefixGoesOutInAnUnsolicitedRouterAdvertisementAtOnce() {
        L2Services l2 = services(sandbox(LL_L2).build());
        answer(l2, "rs"); // the guest is seen
        l2.hostChanged(renumbered(), 7 * S);
        assertEquals(7 * S, l2.nextDeadlineNs(7 * S));
        Frames.Recorder out = new Frames.Recorder();
        l2.timer(7 * S, out);
        byte[] ra = out.only();
        assertContains(ra, Arrays.copyOf(v6("2001:db8:3::").getAddress(), 8));
    }
}
