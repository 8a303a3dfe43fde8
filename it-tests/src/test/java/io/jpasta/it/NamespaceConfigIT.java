package io.jpasta.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What {@code --config-net} sets up in the namespace: addresses, routes, MTU, lo, tap name and MAC, read with
 * {@code ip -j} from inside and compared, in canonical form ({@link IpJson}), with what the reference pasta sets
 * on the same sandbox.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NamespaceConfigIT {
    @RegisterExtension
    static final SandboxExtension SANDBOX = new SandboxExtension();

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String SEP = "@@jpasta@@";
    private static final String SHOW = "ip -j addr; echo " + SEP + "; ip -j route; echo " + SEP + "; ip -j -6 route";

    private Sandbox sb;
    private View ref;
    private View test;

    /** The namespace as {@code ip -j} shows it: addresses, IPv4 routes, IPv6 routes, raw. */
    record View(String addr, String routes4, String routes6, Proc.Result run) {
    }

    @BeforeAll
    void setUp() {
        sb = SANDBOX.get();
        ref = show(Pasta.reference());
        test = show(Pasta.underTest());
    }

    private View show(String pasta, String... options) {
        List<String> argv = new ArrayList<>(List.of(pasta, "--config-net"));
        argv.addAll(List.of(options));
        argv.addAll(List.of("--", "sh", "-c", SHOW));
        Proc.Result r = sb.user(TIMEOUT, "show", argv.toArray(String[]::new));
        assertEquals(0, r.exit(), "pasta --config-net -- ip ... failed:" + r.describe());
        String[] parts = r.out().split(SEP);
        assertEquals(3, parts.length, "expected three ip -j outputs:" + r.describe());
        return new View(parts[0].strip(), parts[1].strip(), parts[2].strip(), r);
    }

    private static String why(View ref, View test) {
        return "\nreference run:" + ref.run().describe() + "\nrun under test:" + test.run().describe();
    }

    @Test
    void addressesMatchReference() {
        assertEquals(IpJson.addresses(ref.addr()), IpJson.addresses(test.addr()), why(ref, test));
    }

    @Test
    void ipv4RoutesMatchReference() {
        assertEquals(IpJson.routes(ref.routes4()), IpJson.routes(test.routes4()), why(ref, test));
    }

    @Test
    void ipv6RoutesMatchReference() {
        assertEquals(IpJson.routes(ref.routes6()), IpJson.routes(test.routes6()), why(ref, test));
    }

    @Test
    void tapTakesTemplateInterfaceNameWithHostAddressesAndMtu65520() {
        String tap = IpJson.jq(".[] | select(.ifname == \"up0\") | {mtu, up: (.flags | index(\"UP\") != null),"
                + " a: [.addr_info[] | select(.scope == \"global\") | \"\\(.local)/\\(.prefixlen)\"] | sort}",
                test.addr());
        assertEquals("{\"a\":[\"198.51.100.2/30\",\"2001:db8:1::2/64\"],\"mtu\":65520,\"up\":true}", tap,
                "tap up0 as configured:" + test.run().describe());
    }

    @Test
    void loopbackIsUp() {
        String lo = IpJson.jq(".[] | select(.ifname == \"lo\") | .flags | index(\"UP\") != null", test.addr());
        assertEquals("true", lo, "lo flags:" + test.run().describe());
    }

    @Test
    void defaultRoutesGoThroughHostGateways() {
        String v4 = IpJson.jq("[.[] | select(.dst == \"default\") | .gateway]", test.routes4());
        String v6 = IpJson.jq("[.[] | select(.dst == \"default\" and .protocol != \"ra\") | .gateway]",
                test.routes6());
        assertEquals("[\"198.51.100.1\"]", v4, test.run().describe());
        assertEquals("[\"2001:db8:1::1\"]", v6, test.run().describe());
    }

    @Test
    void nsIfnameOptionNamesTheTap() {
        View r = show(Pasta.reference(), "-I", "tap7");
        View t = show(Pasta.underTest(), "-I", "tap7");
        String names = "[.[].ifname] | sort";
        assertEquals("[\"lo\",\"tap7\"]", IpJson.jq(names, t.addr()), why(r, t));
        assertEquals(IpJson.addresses(r.addr()), IpJson.addresses(t.addr()), why(r, t));
        assertEquals(IpJson.routes(r.routes4()), IpJson.routes(t.routes4()), why(r, t));
        assertEquals(IpJson.routes(r.routes6()), IpJson.routes(t.routes6()), why(r, t));
    }

    @Test
    void nsMacAddrOptionSetsTheTapMac() {
        String mac = "02:00:5e:10:20:30";
        View r = show(Pasta.reference(), "--ns-mac-addr", mac);
        View t = show(Pasta.underTest(), "--ns-mac-addr", mac);
        String tapMac = ".[] | select(.ifname == \"up0\") | .address";
        assertEquals("\"" + mac + "\"", IpJson.jq(tapMac, r.addr()), "reference ignores --ns-mac-addr?" + why(r, t));
        assertEquals("\"" + mac + "\"", IpJson.jq(tapMac, t.addr()), why(r, t));
        assertTrue(t.run().exit() == 0, t.run().describe());
    }
}
