package io.jpasta.tap.fwd;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PortRulesTest {

    private static PortRules rules(String... specs) throws PortSpecException {
        PortRules.Builder b = new PortRules.Builder(true, "-t");
        for (String s : specs) {
            b.add(s);
        }
        return b.build();
    }

    private static String error(String... specs) {
        return assertThrows(PortSpecException.class, () -> rules(specs)).getMessage();
    }

    private static List<Integer> ports(PortRules r) {
        List<Integer> l = new ArrayList<>();
        r.forEachForwarded(l::add);
        return l;
    }

    @Test
    void singlePortForwardsToItself() throws Exception {
        PortRules r = rules("22");
        assertEquals(List.of(22), ports(r));
        assertEquals(22, r.target(22));
        assertTrue(r.isExplicit(22));
        assertNull(r.bindAddress());
        assertNull(r.bindInterface());
        assertFalse(r.isAuto());
        assertFalse(r.hasMapping());
        assertEquals(PortRules.Mode.SPEC, r.mode());
    }

    @Test
    void mappedPortForwardsToTarget() throws Exception {
        PortRules r = rules("22:23");
        assertEquals(List.of(22), ports(r));
        assertEquals(23, r.target(22));
        assertTrue(r.hasMapping());
    }

    @Test
    void commaListForwardsEachPort() throws Exception {
        assertEquals(List.of(22, 25), ports(rules("22,25")));
    }

    @Test
    void rangeForwardsEveryPortOfIt() throws Exception {
        PortRules r = rules("22-80");
        assertEquals(59, r.count());
        assertEquals(22, r.nextForwarded(0));
        assertEquals(80, r.nextForwarded(80));
        assertEquals(-1, r.nextForwarded(81));
    }

    @Test
    void rangeMapsOntoRangeOfSameSize() throws Exception {
        PortRules r = rules("22-80:32-90");
        for (int p = 22; p <= 80; p++) {
            assertEquals(p + 10, r.target(p));
        }
        assertEquals("22-80:32-90", r.toString());
    }

    @Test
    void addressPrefixBindsToAddress() throws Exception {
        PortRules r = rules("203.0.113.1/22");
        assertEquals(List.of(22), ports(r));
        assertEquals(IpLiteral.parse("203.0.113.1"), r.bindAddress());
        assertNull(r.bindInterface());
    }

    @Test
    void addressAndInterfacePrefixBindsToBoth() throws Exception {
        PortRules r = rules("203.0.113.1%eth0/22");
        assertEquals(IpLiteral.parse("203.0.113.1"), r.bindAddress());
        assertEquals("eth0", r.bindInterface());
    }

    @Test
    void interfaceOnlyPrefixBindsDualStackToInterface() throws Exception {
        PortRules r = rules("%eth0/22");
        assertNull(r.bindAddress());
        assertEquals("eth0", r.bindInterface());
    }

    @Test
    void emptyInterfaceAfterAddressMeansNoInterface() throws Exception {
        assertNull(rules("198.51.100.1%/22").bindInterface());
    }

    @Test
    void ipv6AddressPrefixIsAccepted() throws Exception {
        assertEquals(IpLiteral.parse("2001:db8::1"), rules("2001:db8::1/22").bindAddress());
        assertTrue(rules("::/22").bindAddress().isAnyLocalAddress());
        assertTrue(rules("0.0.0.0/22").bindAddress().isAnyLocalAddress());
    }

    @Test
    void excludeInsideRangeLeavesHole() throws Exception {
        PortRules r = rules("2000-5000,~3000-3010");
        assertEquals(3001 - 11, r.count());
        assertFalse(r.isForwarded(3000));
        assertFalse(r.isForwarded(3010));
        assertTrue(r.isForwarded(2999));
        assertTrue(r.isForwarded(3011));
    }

    @Test
    void excludeWithAddressLeavesHole() throws Exception {
        PortRules r = rules("203.0.113.1/20-30,~25");
        assertEquals(List.of(20, 21, 22, 23, 24, 26, 27, 28, 29, 30), ports(r));
        assertEquals(IpLiteral.parse("203.0.113.1"), r.bind(26).address());
    }

    @Test
    void excludeOnlySpecForwardsEverythingElseBestEffort() throws Exception {
        PortRules r = rules("~20000-20010");
        assertEquals(65535 - 11, r.count());
        assertFalse(r.isForwarded(0));
        assertFalse(r.isForwarded(20005));
        assertTrue(r.isForwarded(1));
        assertTrue(r.isForwarded(65535));
        assertFalse(r.isExplicit(1));
    }

    @Test
    void excludeBeforeIncludeStillApplies() throws Exception {
        assertEquals(20, rules("~30-40,20-50").count());
    }

    @Test
    void includeFullyExcludedForwardsNothing() throws Exception {
        assertEquals(0, rules("22,~22").count());
        assertEquals(0, rules("~22,22").count());
    }

    @Test
    void specsAccumulateAcrossOptions() throws Exception {
        PortRules r = rules("22", "80:8080", "198.51.100.1/443");
        assertEquals(List.of(22, 80, 443), ports(r));
        assertEquals(8080, r.target(80));
        assertNull(r.bind(22).address());
        assertEquals(IpLiteral.parse("198.51.100.1"), r.bind(443).address());
        assertEquals(2, r.binds().size());
    }

    @Test
    void excludeOnlyAfterExplicitKeepsEarlierBindAndExplicitness() throws Exception {
        PortRules r = rules("198.51.100.1/30", "~22");
        assertTrue(r.isExplicit(30));
        assertEquals(IpLiteral.parse("198.51.100.1"), r.bind(30).address());
        assertNull(r.bind(31).address());
        assertFalse(r.isForwarded(22));
    }

    @Test
    void noneAndAutoSetTheMode() throws Exception {
        assertEquals(PortRules.Mode.NONE, rules("none").mode());
        assertTrue(rules("auto").isAuto());
        assertEquals(0, rules("auto").count());
        assertTrue(rules().isUnset());
        assertEquals(PortRules.unset(), rules());
    }

    @Test
    void allIsForPasstOnly() throws Exception {
        assertEquals("'all' port forwarding is only allowed for passt", error("all"));
        PortRules r = new PortRules.Builder(false, "-t").add("all").build();
        assertEquals(PortRules.Mode.ALL, r.mode());
        assertEquals(65535, r.count());
        assertFalse(r.isExplicit(80));
    }

    @Test
    void autoIsForPastaOnly() {
        assertEquals("'auto' port forwarding is only allowed for pasta",
                assertThrows(PortSpecException.class, () -> new PortRules.Builder(false, "-t").add("auto"))
                        .getMessage());
    }

    @Test
    void numbersAreReadLikeStrtoul() throws Exception {
        assertEquals(List.of(22), ports(rules(" 22")));
        assertEquals(List.of(22), ports(rules("+22")));
        assertEquals(List.of(22), ports(rules("022")));
        assertEquals(List.of(0), ports(rules("0")));
        assertEquals(List.of(65535), ports(rules("65535")));
        assertEquals(List.of(22), ports(rules("22-22:30-30")));
        assertEquals(30, rules("22-22:30-30").target(22));
        assertEquals(0, rules("22:0").target(22));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ",", "22,", ",22", "a", "22a", "22-a", "65536", "-1", "22-20", "22-", "-22",
        "22:65536", "22-80:32-89", "22-80:32-91", "22-80:32", "22:32-90", "1.2.3.4/", "/22", "%/22",
        "198.51.100.1%aaaaaaaaaaaaaaaa/22", "[2001:db8::1]/22", "abc/22", "22/", "22:23:24", "~", "~22-20", "22 ",
        "0x16", "~22:23", "auto,22", "22,auto", "none,22", "ALL", "Auto", "auto,", "1.2.3.4%lo/auto",
        "198.51.100.1/", "22-25:65534-65537", "1.2.3/22", "01.2.3.4/22", "2001:db8::1::2/22", "22,,23", "~,22",
        "22:", ":22", "22--23", "2001:db8::1%/22x"})
    void malformedSpecIsInvalid(String spec) {
        assertEquals("Invalid port specifier '" + spec + "'", error(spec));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "22,22|22,22",
        "22,20-30|22,20-30",
        "20-30,25|20-30,25",
        "~22,~22|~22,~22",
        "~20-30,~25|~20-30,~25",
    })
    void overlappingItemsInOneSpecAreRejected(String spec, String shown) {
        assertEquals("Overlapping port specifier " + shown, error(spec));
    }

    @Test
    void overlapWithEarlierSpecNamesTheLaterOne() {
        assertEquals("Overlapping port specifier 22", error("22", "22"));
        assertEquals("Overlapping port specifier 198.51.100.1/20-30", error("25", "198.51.100.1/20-30"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "22|auto|Port forwarding mode 'auto' conflicts with previous mode",
        "22|none|Port forwarding mode 'none' conflicts with previous mode",
        "none|none|Port forwarding mode 'none' conflicts with previous mode",
        "auto|auto|Port forwarding mode 'auto' conflicts with previous mode",
        "none|auto|Port forwarding mode 'auto' conflicts with previous mode",
        "auto|none|Port forwarding mode 'none' conflicts with previous mode",
        "auto|22|Specific ports cannot be specified together with all/none/auto",
        "none|~22|Specific ports cannot be specified together with all/none/auto",
    })
    void modeConflictsUsePastaMessages(String first, String second, String message) {
        assertEquals(message, error(first, second));
    }

    @Test
    void nextForwardedClampsBounds() throws Exception {
        PortRules r = rules("0,65535");
        assertEquals(0, r.nextForwarded(-5));
        assertEquals(65535, r.nextForwarded(1));
        assertEquals(-1, r.nextForwarded(65536));
    }

    @Test
    void rulesAreImmutableAfterBuild() throws Exception {
        PortRules.Builder b = new PortRules.Builder(true, "-u");
        b.add("22");
        PortRules first = b.build();
        assertEquals("-u", b.optionName());
        assertEquals(1, first.count());
        assertEquals(List.of(PortRules.Bind.ANY), first.binds());
        assertThrows(UnsupportedOperationException.class, () -> first.binds().add(PortRules.Bind.ANY));
    }

    /** Property: a random valid specification forwards exactly the set computed independently, with targets. */
    @Test
    void randomSpecForwardsIndependentlyComputedSet() throws Exception {
        Random rnd = new Random(0x9a57a);
        for (int round = 0; round < 300; round++) {
            BitSet expected = new BitSet(65536);
            BitSet excluded = new BitSet(65536);
            int[] target = new int[65536];
            BitSet used = new BitSet(65536);
            StringBuilder spec = new StringBuilder();
            int items = 1 + rnd.nextInt(6);
            List<int[]> includes = new ArrayList<>();
            for (int i = 0; i < items; i++) {
                int a = rnd.nextInt(65536 - 100);
                int b = a + rnd.nextInt(100);
                if (used.get(a, b + 1).cardinality() > 0) {
                    continue;                                 // keep items disjoint: overlap is an error case
                }
                used.set(a, b + 1);
                if (!spec.isEmpty()) {
                    spec.append(',');
                }
                if (rnd.nextInt(4) == 0) {
                    spec.append('~').append(a);
                    if (b != a) {
                        spec.append('-').append(b);
                    }
                    excluded.set(a, b + 1);
                    continue;
                }
                spec.append(a);
                if (b != a) {
                    spec.append('-').append(b);
                }
                int t = a;
                if (rnd.nextBoolean()) {
                    t = rnd.nextInt(65536 - (b - a));
                    spec.append(':').append(t);
                    if (b != a) {
                        spec.append('-').append(t + (b - a));
                    }
                }
                includes.add(new int[] {a, b, t});
            }
            if (includes.isEmpty()) {
                expected.set(1, 65536);
                expected.andNot(excluded);
                for (int p = 0; p < 65536; p++) {
                    target[p] = p;
                }
            } else {
                for (int[] inc : includes) {
                    for (int p = inc[0]; p <= inc[1]; p++) {
                        if (!excluded.get(p)) {
                            expected.set(p);
                            target[p] = inc[2] + (p - inc[0]);
                        }
                    }
                }
            }
            PortRules r = rules(spec.toString());
            BitSet actual = new BitSet(65536);
            r.forEachForwarded(actual::set);
            assertEquals(expected, actual, spec::toString);
            for (int p = expected.nextSetBit(0); p >= 0; p = expected.nextSetBit(p + 1)) {
                assertEquals(target[p], r.target(p), spec::toString);
                assertEquals(!includes.isEmpty(), r.isExplicit(p), spec::toString);
                assertTrue(r.isForwarded(p));
            }
        }
    }

    /** Property: toString of explicit, unbound rules parses back to the same rules. */
    @Test
    void toStringRoundTrips() throws Exception {
        Random rnd = new Random(7);
        for (int round = 0; round < 100; round++) {
            PortRules.Builder b = new PortRules.Builder(true, "-t");
            int base = rnd.nextInt(1000);
            for (int i = 0; i < 5; i++) {
                int a = base + i * 1000 + rnd.nextInt(500);
                int len = rnd.nextInt(50);
                b.add(a + "-" + (a + len) + (rnd.nextBoolean() ? ":" + (a + 7) + "-" + (a + 7 + len) : ""));
            }
            PortRules r = b.build();
            assertEquals(r, rules(r.toString()), r::toString);
        }
    }
}
