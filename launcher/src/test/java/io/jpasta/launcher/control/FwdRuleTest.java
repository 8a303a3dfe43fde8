package io.jpasta.launcher.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jpasta.tap.fwd.IpLiteral;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Rules print as pasta logs them and pesto shows them (lines seen from the reference pair). */
class FwdRuleTest {
    private static byte[] addr(String a) {
        return FwdRule.inany(IpLiteral.parse(a));
    }

    @Test
    void textOfRulesIsPastas() {
        assertEquals("TCP [*]:8080  =>  8080 ",
                FwdRule.of(FwdRule.TCP, null, null, 8080, 8080, 8080, FwdRule.DUAL_STACK_ANY).text());
        assertEquals("TCP [*]:8080-8082  =>  9090-9092 ",
                FwdRule.of(FwdRule.TCP, null, null, 8080, 8082, 9090, FwdRule.DUAL_STACK_ANY).text());
        assertEquals("UDP [*]%lo:1-32767  =>  1-32767  (best effort) (auto-scan)", FwdRule.of(FwdRule.UDP, null,
                "lo", 1, 32767, 1, FwdRule.DUAL_STACK_ANY | FwdRule.WEAK | FwdRule.SCAN).text());
        assertEquals("TCP [198.51.100.2]%up0:8081  =>  8081 ",
                FwdRule.of(FwdRule.TCP, addr("198.51.100.2"), "up0", 8081, 8081, 8081, 0).text());
        assertEquals("TCP [0.0.0.0]:8080  =>  8080 ",
                FwdRule.of(FwdRule.TCP, addr("0.0.0.0"), null, 8080, 8080, 8080, 0).text());
        assertEquals("TCP [2001:db8:1::2]:8080  =>  8080 ",
                FwdRule.of(FwdRule.TCP, addr("2001:db8:1::2"), null, 8080, 8080, 8080, 0).text());
        assertEquals("TCP [*]:20000-20010  =>  20000-20010  (auto-scan)",
                FwdRule.of(FwdRule.TCP, null, null, 20000, 20010, 20000, FwdRule.DUAL_STACK_ANY | FwdRule.SCAN)
                        .text());
    }

    @Test
    void dualStackRulesBindAnyAddressOthersTheirs() {
        assertNull(FwdRule.of(FwdRule.TCP, null, null, 1, 1, 1, FwdRule.DUAL_STACK_ANY).bindAddress());
        assertEquals(IpLiteral.parse("198.51.100.2"),
                FwdRule.of(FwdRule.TCP, addr("198.51.100.2"), null, 1, 1, 1, 0).bindAddress());
        assertEquals(IpLiteral.parse("::1"), FwdRule.of(FwdRule.TCP, addr("::1"), null, 1, 1, 1, 0).bindAddress());
    }

    @Test
    void rulesAreEqualByTheirBytes() {
        FwdRule a = FwdRule.of(FwdRule.TCP, null, "lo", 1, 2, 1, FwdRule.DUAL_STACK_ANY);
        assertEquals(a, FwdRule.of(FwdRule.TCP, null, "lo", 1, 2, 1, FwdRule.DUAL_STACK_ANY));
        assertEquals(a.hashCode(), FwdRule.of(FwdRule.TCP, null, "lo", 1, 2, 1, FwdRule.DUAL_STACK_ANY).hashCode());
        assertNotEquals(a, FwdRule.of(FwdRule.TCP, null, "lo", 1, 2, 1, FwdRule.DUAL_STACK_ANY | FwdRule.WEAK));
        byte[] b = new byte[FwdRule.SIZE];
        a.writeTo(b, 0);
        b[FwdRule.IFNAME + 5] = 'x'; // after the NUL: pasta compares whole rules, so do we
        assertNotEquals(a, FwdRule.fromWire(b, 0));
        assertEquals("lo", FwdRule.fromWire(b, 0).ifname());
    }

    @ParameterizedTest
    @CsvSource({"::, ::", "::1, ::1", "2001:db8:1::2, 2001:db8:1::2", "2001:db8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
            "1:0:2:0:0:3:0:4, 1:0:2::3:0:4", "fe80::, fe80::", "1:2:3:4:5:6:7:0, 1:2:3:4:5:6:7:0",
            "::1.2.3.4, ::1.2.3.4", "198.51.100.2, 198.51.100.2", "0.0.0.0, 0.0.0.0"})
    void addressesPrintAsInetNtop(String in, String out) {
        assertEquals(out, FwdRule.ntop(addr(in), 0));
    }
}
