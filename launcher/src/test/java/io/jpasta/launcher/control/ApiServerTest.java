package io.jpasta.launcher.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.netns.log.Counters;
import io.jpasta.netns.sys.Epoll;
import io.jpasta.netns.sys.Sys;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API's socket server with the real protocol handler, over a real unix socket and epoll set driven here as the
 * loop drives them: requests sent back to back are answered in order, each reply whole, however long the first.
 */
class ApiServerTest {
    private static final long DEADLINE_NS = 20_000_000_000L;

    @TempDir
    Path dir;
    private Epoll ep;
    private ApiServer server;

    @AfterEach
    void close() {
        if (server != null) {
            server.close();
        }
        if (ep != null) {
            ep.close();
        }
    }

    @Test
    void requestsSentDuringALongListingAreAnsweredAfterItInOrder() throws IOException {
        FlowTable table = new FlowTable(5000, 3);
        for (int i = 0; i < 4000; i++) { // ~1.3 MB of listing: more than the server's buffer and the socket's
            int f = table.alloc(FlowType.UDP);
            table.side(f, 0, Pif.TAP, Inany.V4_HI, Inany.v4Lo(0xc6336402), 10000 + i, Inany.V4_HI,
                    Inany.v4Lo(0xc63364c8), 53);
            table.side(f, 1, Pif.HOST, Inany.V4_HI, Inany.v4Lo(0xc63364c8), 53, 0, 0, 0);
        }
        Sys.load();
        ep = new Epoll();
        Path sock = dir.resolve("api.sock");
        server = ApiServer.open(sock.toString(), 0, ep, stats -> new Api(sources(table), stats), 60_000_000_000L);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sock)));
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            c.write(ByteBuffer.wrap(("{\"cmd\":\"flows\"}\n{\"cmd\":\"stats\"}\n{\"cmd\":\"flows\"}\n"
                    + "{\"cmd\":\"forwards\"}\n").getBytes(StandardCharsets.US_ASCII)));
            c.configureBlocking(false);
            List<String> lines = exchange(c, 2 * 4001 + 2);
            for (int i = 0; i < 4000; i++) {
                assertTrue(lines.get(i).startsWith("{\"flow\":" + i + ","), i + ": " + lines.get(i));
            }
            assertEquals("{\"end\":\"flows\",\"count\":4000}", lines.get(4000));
            assertTrue(lines.get(4001).startsWith("{\"stats\":"), lines.get(4001));
            assertTrue(lines.get(4002).startsWith("{\"flow\":0,"), lines.get(4002));
            assertEquals("{\"end\":\"flows\",\"count\":4000}", lines.get(8002));
            assertTrue(lines.get(8003).startsWith("{\"forwards\":"), lines.get(8003));
        }
    }

    @Test
    void aClientThatSendsNothingIsClosedWhenIdleButAWatcherStays() throws IOException {
        Sys.load();
        ep = new Epoll();
        Path sock = dir.resolve("api.sock");
        server = ApiServer.open(sock.toString(), 0, ep, stats -> new Api(sources(new FlowTable(10, 3)), stats),
                300_000_000L);
        try (SocketChannel idle = SocketChannel.open(UnixDomainSocketAddress.of(sock));
             SocketChannel watcher = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            watcher.write(ByteBuffer.wrap("{\"cmd\":\"watch\"}\n".getBytes(StandardCharsets.US_ASCII)));
            watcher.configureBlocking(false);
            assertEquals(List.of("{\"watching\":true}"), exchange(watcher, 1));
            idle.configureBlocking(false);
            long start = System.nanoTime();
            int got = 0;
            while (got >= 0 && System.nanoTime() - start < DEADLINE_NS) {
                exchange(watcher, 0); // a turn of the loop
                got = idle.read(ByteBuffer.allocate(16));
            }
            assertEquals(-1, got, "the idle client was closed");
            assertTrue(System.nanoTime() - start >= 200_000_000L, "not before it was idle");
            assertEquals(1, server.clients(), "the watcher stays");
            assertEquals(1, server.stats().drops(ApiServer.IDLE));
        }
    }

    @Test
    void aHandlerThatFailsAnswersAnErrorAndTheServerGoesOn() throws IOException {
        Sys.load();
        ep = new Epoll();
        Path sock = dir.resolve("api.sock");
        server = ApiServer.open(sock.toString(), 0, ep, stats -> new ApiServer.Handler() {
            @Override
            public void request(ApiServer.Client c, byte[] line, int len) {
                if (len == 4) {
                    throw new NoClassDefFoundError("com/fasterxml/jackson/core/JsonFactory");
                }
                c.send("{\"ok\":true}\n".getBytes(StandardCharsets.US_ASCII));
            }

            @Override
            public void drained(ApiServer.Client c) {
            }

            @Override
            public void closed(ApiServer.Client c) {
            }
        }, 60_000_000_000L);
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            c.write(ByteBuffer.wrap("boom\nfine, thanks\n".getBytes(StandardCharsets.US_ASCII)));
            c.configureBlocking(false);
            assertEquals(List.of("{\"error\":\"internal error, see jpasta's log\"}", "{\"ok\":true}"),
                    exchange(c, 2));
            assertEquals(1, server.stats().get(ApiServer.ERRORS));
        }
    }

    /** Runs the loop's part (epoll, the server's events) and reads what the client gets until {@code n} lines. */
    private List<String> exchange(SocketChannel c, int n) throws IOException {
        StringBuilder got = new StringBuilder();
        ByteBuffer b = ByteBuffer.allocate(65536);
        long start = System.nanoTime();
        do {
            int k = ep.await(10);
            for (int i = 0; i < k; i++) {
                server.onEvent(Epoll.index(ep.data(i)), Epoll.fd(ep.data(i)), ep.events(i));
            }
            b.clear();
            int r = c.read(b);
            if (r > 0) {
                got.append(new String(b.array(), 0, r, StandardCharsets.UTF_8));
            }
        } while (got.chars().filter(ch -> ch == '\n').count() < n && System.nanoTime() - start < DEADLINE_NS);
        return got.toString().lines().toList();
    }

    private static Api.Sources sources(FlowTable table) {
        RuleSet rules = RuleSet.pasta(FwdTable.CAP_IPV4 | FwdTable.CAP_TCP);
        return new Api.Sources() {
            @Override
            public FlowTable flows() {
                return table;
            }

            @Override
            public String state(int flow) {
                return "active";
            }

            @Override
            public List<Counters> counters() {
                return List.of();
            }

            @Override
            public PestoSession.Rules rules() {
                return new PestoSession.Rules() {
                    @Override
                    public RuleSet current() {
                        return rules;
                    }

                    @Override
                    public void replace(RuleSet next) {
                    }
                };
            }

            @Override
            public int caps() {
                return FwdTable.CAP_IPV4 | FwdTable.CAP_TCP;
            }

            @Override
            public long nowNs() {
                return 0;
            }
        };
    }
}
