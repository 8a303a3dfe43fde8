package io.jpasta.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RrTool against its own echo server on 127.0.0.1, real sockets, a few hundred milliseconds per run. */
class RrToolTest {
    static Thread server;
    static int port;

    @BeforeAll
    static void startServer() throws InterruptedException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        server = Thread.ofPlatform().daemon().start(() -> {
            try {
                new RrTool(new String[] {"server", "--port", "0", "--life", "30"}, out).run("server");
            } catch (Exception e) {
                out.println("server failed: " + e);
            }
        });
        Pattern listening = Pattern.compile("listening port=(\\d+)");
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            Matcher m = listening.matcher(buf.toString(StandardCharsets.UTF_8));
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
                return;
            }
            server.join(10);
        }
        fail("server did not listen within 10 s: " + buf);
    }

    @AfterAll
    static void stopServer() {
        server.interrupt();
    }

    static ToolLine run(String... args) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        RrTool.run(args, new PrintStream(buf, true, StandardCharsets.UTF_8));
        return ToolLine.find(buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void tcpRequestResponseMeasuresRoundTrips() {
        ToolLine t = run("rr", "--to", "127.0.0.1", "--port", "" + port, "--duration", "0.3", "--warmup", "0.05");
        assertEquals("rr", t.mode(), t.format());
        assertTrue(t.num("count") > 10, t.format());
        assertTrue(t.num("p50_us") > 0 && t.num("p50_us") <= t.num("p99_us"), t.format());
    }

    @Test
    void udpRequestResponseMeasuresRoundTripsWithoutTimeouts() {
        ToolLine t = run("rr", "--udp", "--to", "127.0.0.1", "--port", "" + port, "--duration", "0.3",
                "--warmup", "0.05");
        assertEquals("udp", t.values().get("proto"), t.format());
        assertTrue(t.num("count") > 10, t.format());
    }

    @Test
    void connectRequestResponseCountsConnections() {
        ToolLine t = run("crr", "--to", "127.0.0.1", "--port", "" + port, "--duration", "0.3");
        assertEquals("crr", t.mode(), t.format());
        assertTrue(t.num("conn_rate") > 1, t.format());
    }

    @Test
    void rrToAClosedPortReportsAnError() {
        ToolLine t = run("rr", "--to", "127.0.0.1", "--port", "1", "--duration", "0.2");
        assertEquals("error rr: Connection refused", t.format());
    }

    @Test
    void readyTimesAServerStartedByTheCommand() throws Exception {
        // The command is a second RrTool server on a fixed free port: it answers the probe's byte.
        int p;
        try (var s = new java.net.ServerSocket(0)) {
            p = s.getLocalPort();
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        ToolLine t = run("ready", "--to", "127.0.0.1", "--port", "" + p, "--life", "20", "--", java, "-cp", cp,
                RrTool.class.getName(), "server", "--port", "" + p, "--life", "20");
        assertEquals("ready", t.mode(), t.format());
        assertTrue(t.num("ms") > 0, t.format());
    }
}
