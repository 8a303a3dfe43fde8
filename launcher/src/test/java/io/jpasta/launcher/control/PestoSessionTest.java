package io.jpasta.launcher.control;

import static io.jpasta.launcher.control.PestoWireTest.ALL_CAPS;
import static io.jpasta.launcher.control.PestoWireTest.assertBytes;
import static io.jpasta.launcher.control.PestoWireTest.fixture;
import static io.jpasta.launcher.control.PestoWireTest.startRules;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** pesto's conversation from the server's side, fed with the bytes the real pesto sent the reference pasta. */
class PestoSessionTest {
    /** The tables and the client as the session sees them; records what it did. */
    private static final class World implements PestoSession.Rules, UnixServer.Client {
        RuleSet current;
        RuleSet replaced;
        final ByteArrayOutputStream sent = new ByteArrayOutputStream();
        boolean closed;

        World(RuleSet current) {
            this.current = current;
        }

        @Override
        public RuleSet current() {
            return current;
        }

        @Override
        public void replace(RuleSet next) {
            replaced = next;
        }

        @Override
        public boolean send(byte[] b) {
            sent.writeBytes(b);
            return true;
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public int pid() {
            return 42;
        }
    }

    /**
     * Feeds {@code bytes} as the server does: never more than the session wants, in pieces of at most {@code chunk}.
     *
     * @return how many bytes the session read before it stopped wanting more
     */
    private static int feed(PestoSession s, World w, byte[] bytes, int chunk) {
        int off = 0;
        while (off < bytes.length && !w.closed && s.wants() > 0) {
            int n = Math.min(Math.min(chunk, s.wants()), bytes.length - off);
            s.received(w, Arrays.copyOfRange(bytes, off, off + n), n);
            off += n;
        }
        return off;
    }

    private static RuleSet v4Start() throws Exception {
        return startRules(ALL_CAPS & ~FwdTable.CAP_IPV6, "-4", "-t", "198.51.100.2%up0/8081", "-t",
                "8080-8082:9090-9092,~8081", "-u", "none", "-U", "5353", "-T", "none");
    }

    @Test
    void greetingIsTheCurrentTables() throws Exception {
        World w = new World(v4Start());
        new PestoSession(w).opened(w);
        assertBytes(fixture("greeting-v4.bin"), w.sent.toByteArray());
        assertFalse(w.closed);
    }

    @Test
    void updateFromPestoReplacesTheTablesAsPastaHasThemAfterwards() throws Exception {
        for (int chunk : new int[] {1, 7, 4096}) {
            World w = new World(v4Start());
            PestoSession s = new PestoSession(w);
            s.opened(w);
            byte[] update = fixture("update-v4-add.bin");
            assertEquals(update.length, feed(s, w, update, chunk), "chunk " + chunk);
            assertTrue(w.closed);
            assertNotNull(w.replaced);
            // what the reference pasta greeted the next client with
            assertBytes(fixture("greeting-v4-added.bin"), PestoWire.greeting(w.replaced));
        }
    }

    @Test
    void clearingHostEmptiesItAndKeepsSplice() throws Exception {
        World first = new World(v4Start());
        PestoSession s1 = new PestoSession(first);
        feed(s1, first, fixture("update-v4-add.bin"), 4096);
        World w = new World(first.replaced);
        PestoSession s = new PestoSession(w);
        feed(s, w, fixture("update-v4-clear-host.bin"), 4096);
        assertEquals(List.of(), w.replaced.table(RuleSet.PIF_HOST).rules());
        assertEquals(first.replaced.table(RuleSet.PIF_SPLICE).rules(), w.replaced.table(RuleSet.PIF_SPLICE).rules());
    }

    @Test
    void tableSentTwiceGetsBothListsAndTableNotSentEndsEmpty() throws Exception {
        World w = new World(startRules(ALL_CAPS, "-t", "8080", "-T", "9090"));
        PestoSession s = new PestoSession(w);
        byte[] msg = concat(new byte[] {1, 0, 0, 0, 1}, rule(8090), new byte[] {1, 0, 0, 0, 1}, rule(8091),
                new byte[] {0});
        feed(s, w, msg, 4096);
        assertEquals(List.of("TCP [*]:8090  =>  8090 ", "TCP [*]:8091  =>  8091 "),
                w.replaced.table(RuleSet.PIF_HOST).rules().stream().map(FwdRule::text).toList());
        assertEquals(List.of(), w.replaced.table(RuleSet.PIF_SPLICE).rules());
    }

    @Test
    void bytesAfterTheEndMarkAreNotRead() throws Exception {
        World w = new World(RuleSet.pasta(ALL_CAPS));
        PestoSession s = new PestoSession(w);
        byte[] msg = concat(new byte[] {1, 0, 0, 0, 1}, rule(8090), new byte[] {0}, "garbage".getBytes());
        assertEquals(msg.length - 7, feed(s, w, msg, 4096));
        assertNotNull(w.replaced);
        assertEquals(0, s.wants());
    }

    @Test
    void tableThatDoesNotExistIsRefusedAndTheRestLeftUnread() throws Exception {
        World w = new World(RuleSet.pasta(ALL_CAPS));
        PestoSession s = new PestoSession(w);
        assertEquals(1, feed(s, w, new byte[] {RuleSet.PIF_TAP, 0, 0, 0, 0, 0}, 4096));
        assertTrue(w.closed);
        assertNull(w.replaced);
        assertEquals(0, s.wants());
    }

    @Test
    void countAboveTheLimitIsRefusedBeforeAnyRule() throws Exception {
        World w = new World(RuleSet.pasta(ALL_CAPS));
        PestoSession s = new PestoSession(w);
        assertEquals(5, feed(s, w, concat(new byte[] {1, 0, 0, 1, 0}, rule(8090)), 4096));
        assertTrue(w.closed);
        assertNull(w.replaced);
    }

    @Test
    void badRuleRefusesTheWholeUpdate() throws Exception {
        World w = new World(RuleSet.pasta(ALL_CAPS));
        PestoSession s = new PestoSession(w);
        byte[] zero = rule(0);
        feed(s, w, concat(new byte[] {1, 0, 0, 0, 2}, rule(8090), zero, new byte[] {0}), 4096);
        assertTrue(w.closed);
        assertNull(w.replaced);
    }

    @Test
    void interfaceNameWithoutItsNulIsRefused() throws Exception {
        World w = new World(RuleSet.pasta(ALL_CAPS));
        PestoSession s = new PestoSession(w);
        byte[] r = rule(8090);
        Arrays.fill(r, FwdRule.IFNAME, FwdRule.IFNAME + FwdRule.IFNAMSIZ, (byte) 'x');
        feed(s, w, concat(new byte[] {1, 0, 0, 0, 1}, r, new byte[] {0}), 4096);
        assertTrue(w.closed);
        assertNull(w.replaced);
    }

    @Test
    void clientGoneMidRuleChangesNothing() throws Exception {
        World w = new World(RuleSet.pasta(ALL_CAPS));
        PestoSession s = new PestoSession(w);
        byte[] msg = concat(new byte[] {1, 0, 0, 0, 1}, Arrays.copyOf(rule(8090), 20));
        assertEquals(msg.length, feed(s, w, msg, 4096));
        assertTrue(s.wants() > 0, "still waiting for the rest of the rule");
        s.ended(w);
        assertNull(w.replaced);
    }

    /** @return the wire image of a dual-stack TCP rule for {@code port} */
    private static byte[] rule(int port) {
        byte[] b = new byte[FwdRule.SIZE];
        FwdRule.of(FwdRule.TCP, new byte[16], null, port, port, port, FwdRule.DUAL_STACK_ANY).writeTo(b, 0);
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }
}
