package io.jpasta.splice;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ProcNetTcpTest {
    private static final String TCP = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1
               1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1
               2: 0100007F:1F90 0100007F:D3A2 01 00000000:00000000 00:00000000 00000000  1000        0 3 1
            """;
    private static final String TCP6 = """
              sl  local_address                         remote_address                        st tx_queue
               0: 00000000000000000000000001000000:C350 00000000000000000000000000000000:0000 0A 00000000:0
               1: 00000000000000000000000001000000:0050 00000000000000000000000001000000:8000 06 00000000:0
            """;

    private static int parse(String text, long[] ports) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        return ProcNetTcp.listening(ByteBuffer.wrap(b), b.length, ports);
    }

    @Test
    void listeningRowsOfBothFilesSetTheirPorts() {
        long[] ports = new long[1024];
        assertEquals(2, parse(TCP, ports));
        assertEquals(1, parse(TCP6, ports));
        assertTrue(ProcNetTcp.isSet(ports, 8080));
        assertTrue(ProcNetTcp.isSet(ports, 22));
        assertTrue(ProcNetTcp.isSet(ports, 50000));
    }

    @Test
    void connectedAndTimeWaitRowsAreIgnored() {
        long[] ports = new long[1024];
        parse(TCP6, ports);
        assertFalse(ProcNetTcp.isSet(ports, 80));
        assertFalse(ProcNetTcp.isSet(ports, 0x8000));
    }

    @Test
    void headerOnlyAndTruncatedTextFindNothing() {
        long[] ports = new long[1024];
        assertEquals(0, parse("  sl  local_address rem_address   st\n", ports));
        assertEquals(0, parse("  sl  local\n   0: 0100007F:1F", ports));
        assertEquals(0, parse("", ports));
    }
}
