package io.jpasta.splice;

import static io.jpasta.netns.sys.Errno.ECONNREFUSED;
import static io.jpasta.netns.sys.Errno.ECONNRESET;
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

import org.junit.jupiter.api.Test;

class SpliceTest {
    private final FakeIo io = new FakeIo();
    private final Splice splice = new Splice(io, new FlowSlots.FreeSlots(4));
    private final FakeIo.Sock client = io.sock(), server = io.sock();

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
        assertEquals(1, splice.connectFailed);
        assertFalse(splice.busy());
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
        assertEquals(1, splice.closed);
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
        assertEquals(1, splice.resets);
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
        FakeIo.Sock a = io.sock(), t = io.sock();
        assertEquals(-1, splice.open(a.fd, t.fd, false, 1));
        assertTrue(a.closed && t.closed);
        assertEquals(1, splice.refused);
        assertEquals(4, splice.active());
    }

    @Test
    void pipeExhaustionRefusesAndLeaksNothing() {
        io.pipeFails = true;
        assertEquals(-1, splice.open(client.fd, server.fd, false, 1));
        assertTrue(client.closed && server.closed);
        assertEquals(0, splice.active());
        assertEquals(1, splice.refused);
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
