package io.jpasta.launcher.control;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jpasta.launcher.ExitRequest;
import io.jpasta.launcher.Options;

import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The tables a command line starts with, encoded as the greeting, against the bytes the reference pasta sent
 * upstream's pesto for the same options (fixtures in {@code src/test/resources/pesto}, see the README there).
 */
class PestoWireTest {
    static final int ALL_CAPS = 0x3f;
    static final int[] EPHEMERAL = {32768, 60999};

    static byte[] fixture(String name) throws IOException {
        try (InputStream in = PestoWireTest.class.getResourceAsStream("/pesto/" + name)) {
            return in.readAllBytes();
        }
    }

    static RuleSet startRules(int caps, String... argv) throws IOException, ExitRequest {
        List<String> specs = Options.parse(argv).portSpecs();
        return CommandLineRules.build(specs, caps, EPHEMERAL).rules();
    }

    static void assertBytes(byte[] expected, byte[] actual) {
        assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(actual));
    }

    @Test
    void helloCarriesMagicVersionTwoAndFieldSizes() {
        byte[] g = PestoWire.greeting(RuleSet.pasta(ALL_CAPS));
        assertBytes(HexFormat.of().parseHex("626173696c3a7300" + "00000002" + "00000080" + "00000010"),
                java.util.Arrays.copyOf(g, PestoWire.HELLO_SIZE));
    }

    @Test
    void greetingMatchesPastaForExplicitPortsAndDefaults() throws Exception {
        assertBytes(fixture("greeting-t8080-T9090-u5353.bin"),
                PestoWire.greeting(startRules(ALL_CAPS, "-t", "8080", "-T", "9090", "-u", "5353")));
    }

    @Test
    void greetingMatchesPastaWithoutPortOptions() throws Exception {
        assertBytes(fixture("greeting-default.bin"), PestoWire.greeting(startRules(ALL_CAPS)));
    }

    @Test
    void greetingMatchesPastaForIpv4OnlyAddressesInterfacesMappingsAndExcludes() throws Exception {
        assertBytes(fixture("greeting-v4.bin"), PestoWire.greeting(startRules(ALL_CAPS & ~FwdTable.CAP_IPV6,
                "-4", "-t", "198.51.100.2%up0/8081", "-t", "8080-8082:9090-9092,~8081", "-u", "none", "-U", "5353",
                "-T", "none")));
    }

    @Test
    void greetingMatchesPastaForIpv6Only() throws Exception {
        assertBytes(fixture("greeting-v6.bin"), PestoWire.greeting(startRules(ALL_CAPS & ~FwdTable.CAP_IPV4,
                "-6", "-t", "2001:db8:1::2/8080", "-u", "none", "-T", "none", "-U", "none")));
    }

    @Test
    void optionsAreRulesInCommandLineOrderWithDefaultsLast() throws Exception {
        RuleSet s = startRules(ALL_CAPS, "-u", "5353", "-t", "8080", "-t", "22,2222", "-T", "none", "-U", "none");
        assertEquals(List.of("UDP [*]:5353  =>  5353 ", "TCP [*]:8080  =>  8080 ", "TCP [*]:22  =>  22 ",
                "TCP [*]:2222  =>  2222 "), s.table(RuleSet.PIF_HOST).rules().stream().map(FwdRule::text).toList());
        assertEquals(List.of(), s.table(RuleSet.PIF_SPLICE).rules());
    }

    @Test
    void excludeOnlySpecLeavesOutTheEphemeralRangeAndIsBestEffort() throws Exception {
        RuleSet s = startRules(ALL_CAPS, "-t", "~25", "-u", "none", "-T", "none", "-U", "none");
        assertEquals(List.of("TCP [*]:1-24  =>  1-24  (best effort)", "TCP [*]:26-32767  =>  26-32767  (best effort)",
                "TCP [*]:61000-65535  =>  61000-65535  (best effort)"),
                s.table(RuleSet.PIF_HOST).rules().stream().map(FwdRule::text).toList());
    }

    @Test
    void disabledProtocolGetsNoRules() throws Exception {
        RuleSet s = startRules(ALL_CAPS & ~FwdTable.CAP_UDP, "--no-udp", "-t", "8080", "-u", "53", "-T", "none");
        assertEquals(List.of("TCP [*]:8080  =>  8080 "),
                s.table(RuleSet.PIF_HOST).rules().stream().map(FwdRule::text).toList());
        assertEquals(List.of(), s.table(RuleSet.PIF_SPLICE).rules());
    }
}
