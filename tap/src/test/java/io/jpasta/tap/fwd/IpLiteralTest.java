package io.jpasta.tap.fwd;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class IpLiteralTest {

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "198.51.100.1", "255.255.255.255", "::", "::1", "2001:db8::1", "fe80::1",
        "2001:db8:0:0:0:0:0:1", "1::", "::ffff:1.2.3.4", "2001:DB8::A", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4",
        "::1.2.3.4", "1::8"})
    void acceptsWhatInetPtonAccepts(String s) throws Exception {
        // InetAddress.getByName parses literals without lookup; compare bytes with ours.
        assertArrayEquals(InetAddress.getByName(s).getAddress(), IpLiteral.parse(s).getAddress());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d",
        "1..2.3", "1.2.3.", ":", ":::", "1:::2", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8",
        "[::1]", "fe80::1%eth0", "::1/128", "1:2:3:4:5:6:7:1.2.3.4", "g::", "1:", ":1", "localhost",
        "1.2.3.4:80", "0x1.2.3.4"})
    void rejectsEverythingElse(String s) {
        assertNull(IpLiteral.parse(s));
    }

    @ParameterizedTest
    @CsvSource({"::1:2, 0:0:0:0:0:0:1:2", "1:2::, 1:2:0:0:0:0:0:0", "1::2:3, 1:0:0:0:0:0:2:3"})
    void compressionExpandsInPlace(String compressed, String full) {
        assertArrayEquals(IpLiteral.parse(full).getAddress(), IpLiteral.parse(compressed).getAddress());
    }
}
