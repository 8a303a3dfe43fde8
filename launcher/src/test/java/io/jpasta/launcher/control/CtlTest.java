package io.jpasta.launcher.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** jpasta-ctl against a server that answers with lines the API writes: the request it sends, what it prints. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class CtlTest {
    @TempDir
    Path dir;

    private record Run(int status, String request, String out, String err) {
    }

    /** Runs the client with {@code args} after PATH against a server that answers with {@code reply}. */
    private Run run(String reply, String... args) throws Exception {
        Path sock = dir.resolve("api.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            CompletableFuture<String> request = CompletableFuture.supplyAsync(() -> {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer b = ByteBuffer.allocate(4096);
                    while (b.position() == 0 || b.get(b.position() - 1) != '\n') {
                        if (c.read(b) < 0) {
                            break;
                        }
                    }
                    c.write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8)));
                    return new String(b.array(), 0, b.position(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
            String[] argv = new String[args.length + 1];
            int raw = args.length > 0 && args[0].equals("--json") ? 1 : 0;
            System.arraycopy(args, 0, argv, 0, raw);
            argv[raw] = sock.toString();
            System.arraycopy(args, raw, argv, raw + 1, args.length - raw);
            int status = Ctl.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(status, request.get(10, TimeUnit.SECONDS), out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void statsPrintsOneLinePerModuleAsStatsLogsThemWithTheDropsThatHappened() throws Exception {
        Run r = run("{\"stats\":{\"tcp\":{\"segs-from-tap\":12,\"segs-to-tap\":10,\"drops\":{\"no flow\":1,"
                + "\"bad address\":0}},\"udp\":{\"datagrams\":3,\"drops\":{}}},"
                + "\"flows\":{\"in_use\":2,\"capacity\":131071,\"refused\":0}}\n", "stats");
        assertEquals(0, r.status(), r.err());
        assertEquals("{\"cmd\":\"stats\"}\n", r.request());
        assertEquals("""
                tcp     segs-from-tap 12 segs-to-tap 10, drop no flow 1
                udp     datagrams 3
                flows   2 in use of 131071, refused (table full) 0
                """, r.out());
    }

    @Test
    void forwardsPrintsEachTableThenItsRulesIndented() throws Exception {
        Run r = run("{\"forwards\":[{\"table\":\"HOST\",\"rules\":[\"TCP [*]:8080  =>  80\"]},"
                + "{\"table\":\"SPLICE\",\"rules\":[]}]}\n", "forwards");
        assertEquals(0, r.status(), r.err());
        assertEquals("HOST:\n    TCP [*]:8080  =>  80\nSPLICE:\n", r.out());
    }

    @Test
    void flowsPrintsAHeaderAndOneRowPerFlowUntilTheEnd() throws Exception {
        Run r = run("{\"flow\":0,\"proto\":\"udp\",\"path\":\"tap\",\"state\":\"active\",\"from\":{\"pif\":\"TAP\","
                + "\"addr\":\"2001:db8:1::2\",\"port\":5353},\"to\":{\"pif\":\"TAP\",\"addr\":\"2001:db8:2::10\","
                + "\"port\":53},\"peer\":{\"pif\":\"HOST\",\"addr\":\"2001:db8:2::10\",\"port\":53},\"bytes_out\":40,"
                + "\"bytes_in\":120,\"packets_out\":1,\"packets_in\":1,\"age_ms\":2500,\"idle_ms\":2400}\n"
                + "{\"end\":\"flows\",\"count\":1}\n", "flows");
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(2, lines.length, r.out());
        assertTrue(lines[0].startsWith("PROTO  PATH   FROM"), lines[0]);
        assertTrue(lines[1].matches("udp +tap +TAP \\[2001:db8:1::2]:5353 +HOST \\[2001:db8:2::10]:53 +40 +120 +2 +"
                + "active"), lines[1]);
    }

    @Test
    void jsonPrintsTheRepliesAsTheyCame() throws Exception {
        Run r = run("{\"ok\":true}\n", "--json", "add", "-t", "8080:80");
        assertEquals(0, r.status(), r.err());
        assertEquals("{\"cmd\":\"add\",\"option\":\"-t\",\"spec\":\"8080:80\"}\n", r.request());
        assertEquals("{\"ok\":true}\n", r.out());
    }

    @Test
    void anErrorReplyIsPrintedOnStderrWithStatusOne() throws Exception {
        Run r = run("{\"error\":\"Forwarding rule attempts to map from port 0\"}\n", "add", "-t", "0");
        assertEquals(1, r.status());
        assertEquals("jpasta-ctl: Forwarding rule attempts to map from port 0\n", r.err());
    }

    @Test
    void badUsageSaysHowWithStatusTwo() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, Ctl.run(new String[] {"/nowhere", "reboot"}, System.out, new PrintStream(err, true,
                StandardCharsets.UTF_8)));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("Usage: jpasta-ctl"), err.toString());
    }
}
