package io.jpasta.netns.log;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LogTest {
    private static String six(String text) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(InetAddress.getByName(text).getAddress());
        return Log.addr(b.getLong(), b.getLong());
    }

    @Test
    void addressesPrintAsIpPrintsThem() throws Exception {
        assertEquals("198.51.100.2", Log.addr(0, 0xffff_c633_6402L));
        assertEquals("::", six("::"));
        assertEquals("::1", six("::1"));
        assertEquals("2001:db8:1::2", six("2001:db8:1::2"));
        assertEquals("fe80::85c:ddff:fec8:8ca2", six("fe80::85c:ddff:fec8:8ca2"));
        assertEquals("2001:db8:0:1::1", six("2001:db8:0:1:0:0:0:1"));
        assertEquals("2001:db8::1:0:0:1", six("2001:db8:0:0:1:0:0:1"), "the first of two equal runs");
        assertEquals("2001:db8:1:2:3:4:5:6", six("2001:db8:1:2:3:4:5:6"));
        assertEquals("2001:0:1:2:3:4:5:6", six("2001:0:1:2:3:4:5:6"), "one zero group stays");
        assertEquals("[2001:db8::1]:53", Log.addrPort(0x2001_0db8_0000_0000L, 1, 53));
        assertEquals("none", Log.addr(null));
    }

    @Test
    void guardsFollowTheLevelAndTheSinkTakesTheLines() {
        List<String> lines = new ArrayList<>();
        Log.sink(lines::add);
        try {
            Log.configure(false, false, true);
            Log.info("quiet drops info");
            Log.debug("no debug");
            Log.warn("warnings stay");
            Log.configure(true, false, false);
            Log.debug("debug on");
            Log.trace("no trace");
            Log.configure(false, true, false);
            Log.trace("trace implies debug");
        } finally {
            Log.sink(null);
            Log.configure(false, false, false);
        }
        assertEquals(List.of("warnings stay", "debug on", "trace implies debug"), lines);
    }
}
