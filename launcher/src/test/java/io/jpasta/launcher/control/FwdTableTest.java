package io.jpasta.launcher.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jpasta.tap.fwd.IpLiteral;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

/** Rules are checked as pasta checks them, and refused with pasta's words (seen in its log with -d). */
class FwdTableTest {
    private static final byte[] ANY = new byte[16];

    private final FwdTable table = new FwdTable(RuleSet.PIF_HOST, "HOST", 0x3f);

    private static byte[] addr(String a) {
        return FwdRule.inany(IpLiteral.parse(a));
    }

    private static FwdRule tcp(int first, int last, int to) {
        return FwdRule.of(FwdRule.TCP, ANY, null, first, last, to, FwdRule.DUAL_STACK_ANY);
    }

    /** @return {@code r} with its wire byte {@code at} set to {@code value}, bypassing {@link FwdRule#of} */
    private static FwdRule patched(FwdRule r, int at, int value) {
        byte[] b = new byte[FwdRule.SIZE];
        r.writeTo(b, 0);
        b[at] = (byte) value;
        return FwdRule.fromWire(b, 0);
    }

    @Test
    void rangesAndPortsAreChecked() {
        assertEquals("Rule has invalid port range 8091-8090", table.add(tcp(8091, 8090, 8091)));
        assertEquals("Forwarding rule attempts to map from port 0", table.add(tcp(0, 0, 1)));
        assertEquals("Forwarding rule attempts to map to port 0", table.add(tcp(1, 1, 0)));
        assertEquals("Forwarding rule attempts to map to port 0", table.add(tcp(10, 11, 65535)));
        assertNull(table.add(tcp(10, 11, 65534)));
    }

    @Test
    void flagsProtocolsAndFamiliesAreChecked() {
        assertEquals("Rule has invalid flags 0x80", table.add(patched(tcp(1, 1, 1), FwdRule.FLAGS, 0x81)));
        assertEquals("Unsupported protocol 0x1 (ICMP) for forwarding rule",
                table.add(patched(tcp(1, 1, 1), FwdRule.PROTO, FwdRule.ICMP)));
        assertEquals("Unsupported protocol 0x2f (<unknown protocol>) for forwarding rule",
                table.add(patched(tcp(1, 1, 1), FwdRule.PROTO, 47)));
        FwdRule dualWithAddr = FwdRule.fromWire(bytes(FwdRule.of(FwdRule.TCP, addr("127.0.0.1"), null, 1, 1, 1, 0),
                FwdRule.FLAGS, FwdRule.DUAL_STACK_ANY), 0);
        assertEquals("Dual stack rule has non-wildcard address 127.0.0.1", table.add(dualWithAddr));
        FwdTable v4only = new FwdTable(RuleSet.PIF_HOST, "HOST", 0x3d);
        assertEquals("Dual stack forward, but IPv6 not enabled", v4only.add(tcp(1, 1, 1)));
        assertEquals("IPv6 forward, but IPv6 not enabled",
                v4only.add(FwdRule.of(FwdRule.TCP, addr("::1"), null, 1, 1, 1, 0)));
        assertNull(v4only.add(FwdRule.of(FwdRule.TCP, addr("0.0.0.0"), null, 1, 1, 1, 0)));
        FwdTable noUdp = new FwdTable(RuleSet.PIF_HOST, "HOST", 0x37);
        assertEquals("Can't add UDP forwarding rule, UDP not enabled",
                noUdp.add(FwdRule.of(FwdRule.UDP, ANY, null, 1, 1, 1, FwdRule.DUAL_STACK_ANY)));
    }

    @Test
    void overlapsWithRulesAlreadyThereAreConflicts() {
        assertNull(table.add(tcp(8080, 8090, 8080)));
        assertEquals("Forwarding configuration conflict: TCP [*]:8090  =>  8090  versus "
                + "TCP [*]:8080-8090  =>  8080-8090 ", table.add(tcp(8090, 8090, 8090)));
        assertEquals(1, table.rules().size());
        assertNull(table.add(FwdRule.of(FwdRule.UDP, ANY, null, 8080, 8080, 8080, FwdRule.DUAL_STACK_ANY)),
                "another protocol does not conflict");
        FwdRule lo4 = FwdRule.of(FwdRule.TCP, addr("127.0.0.1"), null, 9000, 9000, 9000, 0);
        assertNull(table.add(lo4));
        assertEquals("Forwarding configuration conflict: TCP [0.0.0.0]:9000  =>  9000  versus "
                + "TCP [127.0.0.1]:9000  =>  9000 ",
                table.add(FwdRule.of(FwdRule.TCP, addr("0.0.0.0"), null, 9000, 9000, 9000, 0)),
                "the unspecified address of a family matches its addresses");
        assertNull(table.add(FwdRule.of(FwdRule.TCP, addr("::1"), null, 9000, 9000, 9000, 0)),
                "another family does not conflict");
        assertNull(table.add(FwdRule.of(FwdRule.TCP, addr("127.0.0.2"), null, 9000, 9000, 9000, 0)));
    }

    @Test
    void targetAddressesAreRefused() {
        byte[] b = bytes(FwdRule.of(FwdRule.TCP, addr("198.51.100.2"), null, 1, 1, 1, 0), 0, 0);
        System.arraycopy(addr("224.0.0.1"), 0, b, FwdRule.TADDR, 16);
        assertEquals("Multicast target address 224.0.0.1 for forwarding rule", table.add(FwdRule.fromWire(b, 0)));
        System.arraycopy(addr("2001:db8::1"), 0, b, FwdRule.TADDR, 16);
        assertEquals("Forward from IPv4 (198.51.100.2) to IPv6 (2001:db8::1) unsupported",
                table.add(FwdRule.fromWire(b, 0)));
        System.arraycopy(addr("198.51.100.3"), 0, b, FwdRule.TADDR, 16);
        assertEquals("Target address 198.51.100.3 for forwarding rule not supported",
                table.add(FwdRule.fromWire(b, 0)));
        System.arraycopy(addr("0.0.0.0"), 0, b, FwdRule.TADDR, 16);
        assertNull(table.add(FwdRule.fromWire(b, 0)), "0.0.0.0 is no target address");
    }

    @Test
    void tableHoldsAtMost255Rules() {
        for (int p = 1; p <= FwdTable.MAX_RULES; p++) {
            assertNull(table.add(tcp(p, p, p)));
        }
        assertEquals("Too many rules (maximum 255)", table.add(tcp(1000, 1000, 1000)));
    }

    private static byte[] bytes(FwdRule r, int at, int value) {
        byte[] b = new byte[FwdRule.SIZE];
        r.writeTo(b, 0);
        if (at > 0) {
            b[at] = (byte) value;
        }
        return Arrays.copyOf(b, b.length);
    }
}
