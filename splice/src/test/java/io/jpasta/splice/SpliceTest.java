package io.jpasta.splice;

import io.jpasta.netns.log.Log;

import static io.jpasta.netns.sys.Errno.ECONNREFUSED;
import static io.jpasta.netns.sys.Errno.ECONNRESET;
import static io.jpasta.netns.sys.Errno.EINPROGRESS;
import static io.jpasta.netns.sys.Errno.EPIPE;
import static io.jpasta.netns.sys.Linux.EPOLLERR;
import static io.jpasta.netns.sys.Linux.EPOLLHUP;
import static io.jpasta.netns.sys.Linux.EPOLLIN;
import static io.jpasta.netns.sys.Linux.EPOLLOUT;
import static io.jpasta.netns.sys.Linux.SPLICE_F_MORE;
import static io.jpasta.splice.SpliceConn.FIN_RCVD_0;
import static io.jpasta.splice.SpliceConn.FIN_SENT_1;
import static io.jpasta.splice.SpliceConn.OUT_WAIT_1;
import static io.jpasta.splice.SpliceConn.SPLICE_CONNECT;
import static io.jpasta.splice.SpliceConn.SPLICE_ESTABLISHED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SpliceTest {
    private final FakeIo io = new FakeIo();
    private final FlowTable flows = new FlowTable(4, 1);
    private final Splice splice = new Splice(io, flows);
    private final FakeIo.Sock client = io.sock(), server = io.sock();
    /** What the engine logged (debug and trace lines), captured for the test. */
    private final List<String> logged = new ArrayList<>();

    @BeforeEach
    void captureLog() {
        Log.configure(false, true, false);
        Log.sink(logged::add);
    }

    @AfterEach
    void releaseLog() {
        Log.sink(null);
        Log.configure(false, false, false);
    }

    /** Opens a connection from {@link #client} to {@link #server} and completes its connect. */
    private int connected() {
        int i = splice.open(client.fd, server.fd, false, 8080);
        splice.onSocket(Splice.epollIndex(i, 1), server.fd, EPOLLOUT);
        return i;
    }

    private void in(int i, FakeIo.Sock s, int side) {
        splice.onSocket(Splice.epollIndex(i, side), s.fd, EPOLLIN);
    }

    private void out(int i, FakeIo.Sock s, int side) {
        splice.onSocket(Splice.epollIndex(i, side), s.fd, EPOLLOUT);
    }

    @Test
    void connectInProgressWaitsForEpollOutThenMovesBothWays() {
        client.readable = 1000;
        int i = splice.open(client.fd, server.fd, false, 8080);
        assertTrue(splice.isOpen(i));
        assertEquals(SPLICE_CONNECT, splice.events(i));
        assertEquals(0, server.received, "nothing moves before the target is connected");
        assertEquals(EPOLLOUT, io.interest(server.fd));
        assertEquals(0, io.interest(client.fd), "client watched only for errors while connecting");

        splice.onSocket(Splice.epollIndex(i, 1), server.fd, EPOLLOUT);
        assertEquals(1000, server.received);
        assertTrue((splice.events(i) & SPLICE_ESTABLISHED) != 0);
        assertEquals(EPOLLIN, io.interest(client.fd));
        assertEquals(EPOLLIN, io.interest(server.fd));

        server.readable = 300;
        in(i, server, 1);
        assertEquals(300, client.received);
        assertEquals(1000, splice.moved(i, 0));
        assertEquals(300, splice.moved(i, 1));
    }

    @Test
    void refusedConnectResetsClientAndFreesEverything() {
        int i = splice.open(client.fd, server.fd, false, 8080);
        server.soError = ECONNREFUSED;
        splice.onSocket(Splice.epollIndex(i, 1), server.fd, EPOLLOUT | EPOLLERR | EPOLLHUP);
        assertFalse(splice.isOpen(i));
        assertTrue(client.aborted, "the client sees a reset, like a refused connection");
        assertTrue(server.closed);
        assertEquals(1, splice.stats().get(Splice.CONNECT_FAILED));
        assertFalse(splice.busy());
    }

    @Test
    void clientResetWhileConnectingResetsTheTargetToo() {
        client.readable = 500;
        int i = splice.open(client.fd, server.fd, false, 8080);
        client.soError = ECONNRESET;
        splice.onSocket(Splice.epollIndex(i, 0), client.fd, EPOLLERR | EPOLLHUP);
        assertFalse(splice.isOpen(i));
        assertTrue(server.aborted, "the server sees the client's reset, not an empty orderly request");
        assertEquals(0, server.received);
        assertEquals(0, flows.count());
    }

    @Test
    void immediateConnectErrorClosesBothAndReturnsMinusOne() {
        io.connectResult = -ECONNREFUSED;
        assertEquals(-1, splice.open(client.fd, server.fd, true, 9));
        assertTrue(client.aborted);
        assertTrue(server.closed);
        assertEquals(0, splice.active());
    }

    @Test
    void writeEagainSetsOutWaitStopsReadingAndResumesOnEpollOut() {
        int i = connected();
        server.room = 4000;
        client.readable = 10_000;
        in(i, client, 0);
        assertEquals(4000, server.received);
        assertTrue((splice.events(i) & OUT_WAIT_1) != 0);
        assertEquals(EPOLLIN | EPOLLOUT, io.interest(server.fd), "wait for room on the receiving socket");
        assertEquals(0, io.interest(client.fd), "stop reading from the sending socket meanwhile");

        server.room = Long.MAX_VALUE;
        out(i, server, 1);
        assertEquals(10_000, server.received);
        assertEquals(0, splice.events(i) & OUT_WAIT_1);
        assertEquals(EPOLLIN, io.interest(client.fd));
        assertEquals(EPOLLIN, io.interest(server.fd));
    }

    @Test
    void shortSplicesDeliverEveryByte() {
        io.maxChunk = 7;
        int i = connected();
        client.readable = 100;
        for (int k = 0; k < 10 && server.received < 100; k++) {
            if ((splice.events(i) & OUT_WAIT_1) != 0) {
                out(i, server, 1);
            } else {
                in(i, client, 0);
            }
        }
        assertEquals(100, server.received);
    }

    @Test
    void clientFinFirstHalfClosesTargetOnlyAfterThePipeIsDrained() {
        int i = connected();
        server.room = 500;
        client.readable = 2000;
        client.eof = true;
        in(i, client, 0);
        assertFalse(server.shutWr, "data still in the pipe: no FIN yet");
        server.room = Long.MAX_VALUE;
        out(i, server, 1);
        assertTrue(server.shutWr);
        assertEquals(2000, server.receivedAtShutdown, "FIN after every byte");
        assertTrue((splice.events(i) & (FIN_RCVD_0 | FIN_SENT_1)) == (FIN_RCVD_0 | FIN_SENT_1));
        assertTrue(splice.isOpen(i), "the other direction is still open");

        server.readable = 700;
        in(i, server, 1);
        assertEquals(700, client.received);
        server.eof = true;
        in(i, server, 1);
        assertTrue(client.shutWr);
        assertFalse(splice.isOpen(i));
        assertTrue(client.closed && server.closed);
        assertFalse(client.aborted || server.aborted, "a clean close on both sides");
        assertEquals(1, splice.stats().get(Splice.CLOSED));
    }

    @Test
    void serverFinFirstHalfClosesClientAndTheConnectionEndsWhenTheClientFinishes() {
        int i = connected();
        server.readable = 50;
        server.eof = true;
        in(i, server, 1);
        assertTrue(client.shutWr);
        assertEquals(50, client.receivedAtShutdown);
        assertEquals(0, io.interest(server.fd), "nothing more to read from the server");

        client.readable = 10;
        client.eof = true;
        in(i, client, 0);
        assertEquals(10, server.received, "the client may still send after the server's FIN");
        assertFalse(splice.isOpen(i));
    }

    @Test
    void epipeOnWriteClosesTheConnectionAndResetsTheSurvivor() {
        int i = connected();
        server.writeErr = EPIPE;
        client.readable = 100;
        in(i, client, 0);
        assertFalse(splice.isOpen(i));
        assertTrue(server.closed);
        assertTrue(client.aborted, "the sender learns that its data was not delivered");
        assertEquals(1, splice.stats().get(Splice.RESETS));
    }

    @Test
    void resetAfterDataStillDeliversWhatWasReadBeforeClosing() {
        int i = connected();
        client.room = 1000;
        server.readable = 5000;
        server.readErr = ECONNRESET;
        in(i, server, 1);
        assertTrue(splice.isOpen(i), "4000 bytes read before the reset are still owed to the client");
        assertEquals(1000, client.received);
        assertTrue(server.closed);
        client.room = Long.MAX_VALUE;
        out(i, client, 0);
        assertEquals(5000, client.received);
        assertFalse(splice.isOpen(i));
        assertTrue(client.closed);
        assertFalse(client.aborted, "data was flushed after the reset: close without discarding it");
    }

    @Test
    void resetWithNothingPendingPropagatesAReset() {
        int i = connected();
        client.soError = ECONNRESET;
        client.readErr = ECONNRESET;
        splice.onSocket(Splice.epollIndex(i, 0), client.fd, EPOLLERR | EPOLLHUP);
        assertFalse(splice.isOpen(i));
        assertTrue(server.aborted);
    }

    @Test
    void fullPipeStopsReadingWithoutStallingTheTransfer() {
        io.pipeCapacity = 1000;
        int i = connected();
        server.room = 0;
        client.readable = 5000;
        in(i, client, 0);
        assertEquals(0, server.received);
        assertEquals(0, io.interest(client.fd), "pipe full, receiver blocked: stop reading");
        for (int k = 0; k < 20 && server.received < 5000; k++) {
            server.room = 1500;
            out(i, server, 1);
        }
        assertEquals(5000, server.received);
        assertEquals(EPOLLIN, io.interest(client.fd));
    }

    @Test
    void yieldingAfterTheRoundLimitRearmsEpollOut() {
        io.maxChunk = 10;
        int i = connected();
        client.readable = 10 * (Splice.ROUNDS + 5);
        int mods = io.epollMods;
        in(i, client, 0);
        assertEquals(10 * Splice.ROUNDS, server.received, "one chunk per round, then yield");
        assertTrue((splice.events(i) & OUT_WAIT_1) != 0, "yielded with data left: woken by EPOLLOUT");
        assertTrue(io.epollMods > mods, "re-registered, so that edge-triggered epoll reports EPOLLOUT again");
        out(i, server, 1);
        assertEquals(10 * (Splice.ROUNDS + 5), server.received);
    }

    @Test
    void moreIsSetOnlyWhileThePipeFillsAndThenPushed() {
        io.pipeCapacity = 1000;
        int i = connected();
        client.readable = 1000;
        in(i, client, 0);
        assertEquals(1000, server.received);
        assertTrue((server.lastWriteFlags & SPLICE_F_MORE) != 0);
        assertEquals(1, io.pushes, "held-back data pushed once the source is drained");
        client.readable = 10;
        in(i, client, 0);
        assertEquals(0, server.lastWriteFlags & SPLICE_F_MORE);
    }

    @Test
    void tableExhaustionRefusesCleanlyAndCounts() {
        for (int k = 0; k < 4; k++) {
            assertTrue(splice.open(io.sock().fd, io.sock().fd, false, 1) >= 0);
        }
        assertFalse(splice.hasRoom());
        logged.clear();
        FakeIo.Sock a = io.sock(), t = io.sock();
        assertEquals(-1, splice.open(a.fd, t.fd, false, 1));
        assertTrue(a.closed && t.closed);
        assertTrue(a.aborted, "the refused client sees a reset (SO_LINGER 0), not an orderly close");
        FakeIo.Sock b = io.sock();
        assertFalse(splice.admit(b.fd), "checked before a socket is spent on the other side");
        assertTrue(b.aborted);
        assertEquals(2, splice.stats().drops(Splice.TABLE_FULL));
        assertEquals(2, splice.stats().dropsTotal(), "every refusal for the full table, none for another reason");
        assertEquals(2, flows.refusals(), "the table counts both refusals too");
        assertEquals(4, splice.active());
        List<String> full = logged.stream().filter(l -> l.contains("Flow table full")).toList();
        assertEquals(1, full.size(), "one debug line per episode of a full table, not one per refusal: " + logged);
    }

    @Test
    void theTableIsSharedWithOtherFlowTypes() {
        int tcp = flows.alloc(FlowType.TCP);
        flows.alloc(FlowType.PING4);
        flows.alloc(FlowType.TCP);
        int i = connected();
        assertEquals(FlowType.TCP_SPLICE, flows.type(i));
        assertEquals(1, flows.count(FlowType.TCP_SPLICE));
        FakeIo.Sock a = io.sock();
        assertFalse(splice.admit(a.fd), "tap and ICMP flows use up the same capacity");
        assertTrue(a.aborted);

        flows.free(tcp);
        flows.reap(); // the loop's next batch
        FakeIo.Sock c2 = io.sock(), s2 = io.sock();
        assertTrue(splice.admit(c2.fd));
        int j = splice.open(c2.fd, s2.fd, false, 2);
        assertEquals(tcp, j, "the freed TCP flow's index serves the spliced connection");
        assertEquals(4, flows.count());
    }

    @Test
    void flowSidesRecordClientListenerAndTarget() {
        logged.clear();
        int i = splice.open(client.fd, server.fd, false, 8080, Pif.HOST, Inany.V4_HI, Inany.v4Lo(0x7f000001),
                40000, 9090);
        int s0 = FlowTable.sidx(i, 0), s1 = FlowTable.sidx(i, 1);
        assertEquals(Pif.HOST, flows.pif(s0));
        assertEquals(40000, flows.ePort(s0));
        assertEquals(9090, flows.oPort(s0));
        assertEquals(Pif.SPLICE, flows.pif(s1));
        assertEquals(8080, flows.ePort(s1));
        assertEquals(Inany.v4Lo(0x7f000001), flows.eAddrLo(s1));
        assertFalse(flows.isHashed(s0) || flows.isHashed(s1));
        assertEquals("Flow " + i + " (TCP (spliced)): HOST [127.0.0.1]:40000 -> [0.0.0.0]:9090 => SPLICE "
                + "[127.0.0.1]:8080", logged.getFirst());
        assertEquals(FlowTable.sidx(i, 1), io.epollIndex.get(server.fd), "epoll index is the flow side index");

        FakeIo.Sock c2 = io.sock(), s2 = io.sock();
        int j = splice.open(c2.fd, s2.fd, true, 22, Pif.SPLICE, 0, 1, 50000, 2222);
        assertEquals(Pif.HOST, flows.pif(FlowTable.sidx(j, 1)), "-T: the target is on the host");
        assertEquals("Flow " + j + " (TCP (spliced)): SPLICE [::1]:50000 -> [::]:2222 => HOST [::1]:22",
                splice.flowText(j));
    }

    @Test
    void manyConnectionsLeaveNoFlowSocketOrPipeBehind() {
        int maxIndex = 0;
        for (int k = 0; k < 10_000; k++) {
            flows.reap(); // each connection in batches of its own
            FakeIo.Sock c = io.sock(), s = io.sock();
            io.pipeFails = k % 7 == 6;
            io.connectResult = k % 11 == 10 ? -ECONNREFUSED : -EINPROGRESS;
            assertTrue(splice.admit(c.fd));
            int i = splice.open(c.fd, s.fd, k % 2 == 0, 80);
            if (i < 0) {
                assertTrue(c.closed && s.closed, "refused at " + k);
                continue;
            }
            maxIndex = Math.max(maxIndex, i);
            splice.onSocket(Splice.epollIndex(i, 1), s.fd, EPOLLOUT);
            c.readable = 1000;
            s.readable = 10;
            switch (k % 3) {
                case 0 -> { // orderly close, client first
                    c.eof = true;
                    in(i, c, 0);
                    s.eof = true;
                    in(i, s, 1);
                }
                case 1 -> { // server resets
                    s.readErr = ECONNRESET;
                    in(i, s, 1);
                    c.eof = true;
                    in(i, c, 0);
                }
                default -> { // client resets with data owed to it
                    s.readable = 500;
                    c.room = 0;
                    in(i, s, 1);
                    c.soError = ECONNRESET;
                    c.writeErr = ECONNRESET;
                    splice.onSocket(Splice.epollIndex(i, 0), c.fd, EPOLLERR);
                    if (splice.isOpen(i)) {
                        s.eof = true;
                        in(i, s, 1);
                    }
                }
            }
            assertFalse(splice.isOpen(i), "connection " + k + " still open: " + splice.describe(i));
            assertTrue(c.closed && s.closed, "connection " + k + " left a socket open");
        }
        assertEquals(0, flows.count(), "every flow given back");
        assertEquals(0, splice.active());
        assertFalse(splice.busy());
        assertTrue(maxIndex < 4, "indices are reused");
        assertTrue(io.openPipes() / 2 <= Splice.PIPE_POOL, "pipes beyond the pool were closed: " + io.openPipes());
        assertEquals(splice.stats().get(Splice.OPENED),
                splice.stats().get(Splice.CLOSED) + splice.stats().get(Splice.CONNECT_FAILED),
                "every opened connection ended once");
        assertEquals(0, splice.stats().drops(Splice.TABLE_FULL));
    }

    @Test
    void pipeExhaustionRefusesAndLeaksNothing() {
        io.pipeFails = true;
        assertEquals(-1, splice.open(client.fd, server.fd, false, 1));
        assertTrue(client.closed && server.closed);
        assertTrue(client.aborted, "refused with a reset");
        assertEquals(0, splice.active());
        assertEquals(0, flows.count(), "the flow was given back");
        assertEquals(1, splice.stats().drops(Splice.NO_RESOURCES));
    }

    @Test
    void cleanPipesAreReusedDirtyOnesClosed() {
        int i = connected();
        client.eof = true;
        server.eof = true;
        in(i, client, 0);
        in(i, server, 1);
        assertFalse(splice.isOpen(i));
        int created = io.pipesCreated;
        FakeIo.Sock c2 = io.sock(), s2 = io.sock();
        int j = splice.open(c2.fd, s2.fd, false, 1);
        assertEquals(created, io.pipesCreated, "pipes came from the pool");

        splice.onSocket(Splice.epollIndex(j, 1), s2.fd, EPOLLOUT);
        c2.room = 0;
        s2.readable = 100;
        in(j, s2, 1);
        s2.soError = ECONNRESET;
        c2.writeErr = ECONNRESET;
        splice.onSocket(Splice.epollIndex(j, 0), c2.fd, EPOLLERR);
        assertFalse(splice.isOpen(j));
        assertTrue(s2.aborted, "reset propagated to the server");
        assertEquals(1, io.openPipes() / 2, "the pipe that held dropped bytes was closed, the clean one pooled");
    }

    @Test
    void eventsForASocketClosedEarlierAreIgnored() {
        int i = connected();
        client.eof = true;
        server.eof = true;
        in(i, client, 0);
        in(i, server, 1);
        assertFalse(splice.isOpen(i));
        in(i, server, 1); // stale event from the same epoll batch: must not touch the closed socket
        assertEquals(0, splice.active());
    }
}
