package io.jpasta.tcp;

import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.fwd.AddrMap;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

import static io.jpasta.tcp.TapDsl.ACK;
import static io.jpasta.tcp.TapDsl.FIN;
import static io.jpasta.tcp.TapDsl.PSH;
import static io.jpasta.tcp.TapDsl.RST;
import static io.jpasta.tcp.TapDsl.SYN;
import static io.jpasta.tcp.TapDsl.bytes;
import static io.jpasta.tcp.TapDsl.seg;
import static io.jpasta.tcp.TapDsl.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpEngineTest {
    private final TapDsl tap = new TapDsl();

    @Test
    void synFromGuestConnectsAndSynAckMirrorsMssAndWindowScale() {
        tap.send(seg().syn().seq(1000).mss(1400).ws(7));
        FakeSocks.Sock s = tap.socks.last();
        assertEquals(Inany.v4Lo(0xcb007105), s.addrLo, "connects to the guest's destination");
        assertEquals(80, s.port);
        tap.expectNothing(); // no SYN-ACK before the host connect completes
        tap.sockEvent(TcpSocks.EPOLLOUT);
        tap.expect(tcp().flags(SYN | ACK).seq(5000).ack(1001).mss(1460).ws(Tcp.MAX_WS));
        tap.send(seg().seq(1001).ack(5001));
        assertEquals(TcpConn.ESTABLISHED, tap.tcp.events(tap.flow()));
        assertTrue((s.watched & TcpSocks.EPOLLIN) != 0, "socket watched for data once established");
    }

    @Test
    void aFullFlowTableRefusesTheNextSynWithARstAndServiceResumesAsFlowsEnd() {
        TapDsl small = new TapDsl(1500, c -> io.jpasta.tap.fwd.AddrMap.defaults(c, true), 2);
        small.send(seg().sport(40001).syn().seq(1000));
        small.send(seg().sport(40002).syn().seq(1000));
        assertEquals(2, small.tcp.connections());
        small.send(seg().sport(40003).syn().seq(1000));
        small.expect(tcp().flags(RST | ACK).ack(1001));
        assertEquals(1, small.tcp.stats().drops(Tcp.TABLE_FULL), "counted under its reason");
        assertEquals(2, small.socks.opened.size(), "no socket for the refused SYN");
        small.send(seg().sport(40001).flags(RST).seq(1001)); // one connection ends
        small.flows.reap();
        small.send(seg().sport(40003).syn().seq(1000));
        assertEquals(2, small.tcp.connections(), "the freed place is taken");
        assertEquals(3, small.socks.opened.size());
    }

    @Test
    void dataHalfTheSequenceSpaceAwayIsOldNotACrash() {
        tap.send(seg().syn().seq(1000).mss(1400));
        tap.sockEvent(TcpSocks.EPOLLOUT);
        tap.expect(tcp().flags(SYN | ACK).ack(1001));
        tap.send(seg().seq(1001).ack(5001));
        // seq - expected == Integer.MIN_VALUE: neither after nor before in serial arithmetic (found by TcpFuzzTest)
        tap.send(seg().seq(1001 + Integer.MIN_VALUE).ack(5001).flags(ACK | PSH).data(new byte[300]));
        tap.expect(tcp().flags(ACK).ack(1001));
        assertEquals(0, tap.tcp.held(tap.flow()), "nothing taken from it");
        tap.send(seg().seq(1001).ack(5001).flags(ACK | PSH).data(new byte[10]));
        assertEquals(TcpConn.ESTABLISHED, tap.tcp.events(tap.flow()), "the connection goes on");
    }

    @Test
    void synWithoutWindowScaleGetsNoneBack() {
        tap.send(seg().syn().seq(1000).mss(1460));
        tap.sockEvent(TcpSocks.EPOLLOUT);
        tap.expect(tcp().flags(SYN | ACK).ws(-1));
    }

    @Test
    void ipv6SynIsAnsweredOverIpv6() {
        tap.send(seg().v6().syn().seq(7).mss(1440));
        tap.sockEvent(TcpSocks.EPOLLOUT);
        TapDsl.Got g = tap.expect(tcp().flags(SYN | ACK).ack(8).mss(1440));
        assertTrue(g.v6());
        assertEquals(80, g.sport());
        assertEquals(TapDsl.GUEST_PORT, g.dport());
    }

    @Test
    void immediateConnectFailureGivesGuestRst() {
        tap.socks.connectResult = -FakeSocks.ECONNREFUSED;
        tap.send(seg().syn().seq(1000).mss(1460));
        tap.expect(tcp().flags(RST | ACK).ack(1001));
        assertEquals(0, tap.tcp.connections());
        assertEquals(1, tap.tcp.stats().get(Tcp.CONNECT_FAILED), "counted (EMFILE, ENOBUFS, ... alike)");
    }

    @Test
    void refusedConnectGivesGuestRst() {
        tap.send(seg().syn().seq(1000).mss(1460));
        tap.socks.last().error = FakeSocks.ECONNREFUSED;
        tap.sockEvent(TcpSocks.EPOLLOUT | TcpSocks.EPOLLERR | TcpSocks.EPOLLHUP);
        tap.expect(tcp().flags(RST | ACK).ack(1001));
        assertEquals(0, tap.tcp.connections());
        assertTrue(tap.socks.last().closed);
    }

    @Test
    void connectionToGatewayGoesToHostLoopback() {
        tap.send(seg().syn().seq(1).mss(1460).dst(TapDsl.GW4, 8080));
        assertEquals(Inany.v4Lo(0x7f000001), tap.socks.last().addrLo);
        assertEquals(8080, tap.socks.last().port);
    }

    @Test
    void segmentForNoConnectionGetsRst() {
        tap.send(seg().seq(10).ack(777).data(bytes(5, 1)));
        tap.expect(tcp().flags(RST).seq(777));
    }

    @Test
    void consecutiveSegmentsOfABurstAreCoalescedIntoOneWrite() {
        tap.establish(1000, 1460, 65535);
        byte[] a = bytes(1000, 1), b = bytes(1000, 2), c = bytes(500, 3);
        tap.burst(seg().seq(1001).ack(5001).data(a), seg().seq(2001).ack(5001).data(b),
                seg().seq(3001).ack(5001).data(c));
        FakeSocks.Sock s = tap.socks.last();
        assertEquals(1, s.sends, "one write for the burst");
        assertArrayEquals(concat(a, b, c), s.written.toByteArray());
        tap.expect(tcp().flags(ACK).ack(3501).len(0));
        tap.expectNothing();
    }

    @Test
    void acksOfABurstReleaseTheSocketOnceAndSendOnce() {
        tap.establish(1000, 1000, 4000);
        FakeSocks.Sock s = tap.socks.last();
        byte[] data = bytes(8000, 5);
        s.peerSends(data);
        tap.sockEvent(TcpSocks.EPOLLIN);
        for (int i = 0; i < 4; i++) {
            tap.expect(tcp().seq(5001 + 1000 * i).len(1000)); // the guest's window is full
        }
        int peeks = s.peeks;
        tap.burst(seg().seq(1001).ack(6001).win(4000), seg().seq(1001).ack(7001).win(4000),
                seg().seq(1001).ack(8001).win(4000), seg().seq(1001).ack(9001).win(4000));
        assertEquals(1, s.discards, "one release for the burst's four ACKs");
        assertEquals(4000, s.consumed);
        assertEquals(1, s.peeks - peeks, "one peek for the window the burst opened");
        for (int i = 0; i < 4; i++) {
            tap.expect(tcp().seq(9001 + 1000 * i).len(1000).data(java.util.Arrays.copyOfRange(data, 4000 + 1000 * i,
                    5000 + 1000 * i)));
        }
        tap.expectNothing();
    }

    @Test
    void aStaleEventOfAClosedFlowDoesNotReachTheConnectionOpenedInTheSameBatch() {
        tap.establish(1000, 1000, 10000);
        int old = tap.flow();
        tap.send(seg().seq(1001).ack(5001).rst()); // the guest resets: socket closed, flow freed
        // later in the same batch of events: the guest's next connection, and the closed socket's hang-up
        tap.send(seg().syn().sport(TapDsl.GUEST_PORT + 1).seq(2000).mss(1000).win(10000));
        assertNotEquals(old, tap.flow(), "a freed index waits for the end of the batch");
        tap.tcp.sockEvent(old, TcpSocks.EPOLLHUP | TcpSocks.EPOLLERR, tap.now);
        tap.sockEvent(TcpSocks.EPOLLOUT);
        tap.expect(tcp().flags(SYN | ACK).ack(2001));
        tap.flows.reap();
        assertEquals(1, tap.tcp.connections());
    }

    @Test
    void perConnectionStateGrowsPastItsFirstSizeAndKeepsEveryConnection() {
        TapDsl big = new TapDsl(1500, c -> AddrMap.defaults(c, true), 1000);
        int n = Tcp.INITIAL_FLOWS * 2 + 10; // two doublings
        for (int i = 0; i < n; i++) {
            big.send(seg().syn().sport(1024 + i).seq(1000).mss(1000).win(10000));
            big.sockEvent(TcpSocks.EPOLLOUT);
            big.expect(tcp().flags(SYN | ACK).ack(1001));
            big.send(seg().sport(1024 + i).seq(1001).ack(5001).win(10000));
        }
        assertEquals(n, big.tcp.connections());
        // data on the first connection, whose state was copied twice, still finds it established
        big.send(seg().sport(1024).seq(1001).ack(5001).win(10000).data(bytes(100, 1)));
        assertArrayEquals(bytes(100, 1), big.socks.opened.getFirst().written.toByteArray());
    }

    @Test
    void windowAdvertisedIsWhatTheSocketCanTake() {
        tap.establish(1000, 1460, 65535);
        tap.socks.last().space = 3000;
        tap.send(seg().seq(1001).ack(5001).data(bytes(1000, 1)));
        // 2000 bytes of room left; scaled by our shift of 8 (the guest sent no scaling, so none: raw)
        tap.expect(tcp().flags(ACK).ack(2001).win(2000));
    }

    @Test
    void dataTheSocketDidNotTakeIsHeldAndWrittenWhenItDrains() {
        tap.establish(1000, 1460, 65535);
        FakeSocks.Sock s = tap.socks.last();
        s.space = 600;
        byte[] d = bytes(1000, 9);
        tap.send(seg().seq(1001).ack(5001).data(d));
        assertEquals(600, s.written.size());
        assertEquals(400, tap.tcp.held(tap.flow()));
        tap.expect(tcp().flags(ACK).ack(2001).win(0)); // held data is acknowledged, window closed
        assertTrue((s.watched & TcpSocks.EPOLLOUT) != 0, "waits for room");
        s.space = 10000;
        tap.sockEvent(TcpSocks.EPOLLOUT);
        assertArrayEquals(d, s.written.toByteArray());
        assertEquals(0, tap.tcp.held(tap.flow()));
        tap.expect(tcp().flags(ACK).ack(2001).win(10000 - 400)); // window update
        assertFalse((s.watched & TcpSocks.EPOLLOUT) != 0);
    }

    @Test
    void zeroWindowIsReopenedByTimerWhenSocketDrainsWithoutEvent() {
        tap.establish(1000, 1460, 65535);
        FakeSocks.Sock s = tap.socks.last();
        s.space = 1000;
        tap.send(seg().seq(1001).ack(5001).data(bytes(1000, 9)));
        tap.expect(tcp().flags(ACK).ack(2001).win(0));
        s.space = 5000;
        tap.advanceMs(10);
        tap.expect(tcp().flags(ACK).ack(2001).win(5000));
    }

    @Test
    void socketDataGoesOutInMssFramesWithinTheGuestWindow() {
        tap.establish(1000, 1000, 3000);
        FakeSocks.Sock s = tap.socks.last();
        byte[] d = bytes(5000, 4);
        s.peerSends(d);
        tap.sockEvent(TcpSocks.EPOLLIN);
        tap.expect(tcp().flags(ACK).seq(5001).ack(1001).data(Arrays.copyOfRange(d, 0, 1000)));
        tap.expect(tcp().flags(ACK).seq(6001).data(Arrays.copyOfRange(d, 1000, 2000)));
        tap.expect(tcp().flags(ACK | PSH).seq(7001).data(Arrays.copyOfRange(d, 2000, 3000)));
        tap.expectNothing();
        assertEquals(5000, s.queued(), "nothing consumed before the guest acknowledges");
        tap.send(seg().seq(1001).ack(7001).win(3000));
        assertEquals(3000, s.queued(), "acknowledged bytes released from the socket");
        tap.expect(tcp().seq(8001).data(Arrays.copyOfRange(d, 3000, 4000)));
        tap.expect(tcp().seq(9001).data(Arrays.copyOfRange(d, 4000, 5000)));
        tap.expectNothing();
    }

    @Test
    void closedGuestWindowStopsDataUntilWindowUpdate() {
        tap.establish(1000, 1000, 0);
        FakeSocks.Sock s = tap.socks.last();
        s.peerSends(bytes(1500, 2));
        tap.sockEvent(TcpSocks.EPOLLIN);
        tap.expectNothing();
        tap.send(seg().seq(1001).ack(5001).win(2000));
        tap.expect(tcp().seq(5001).len(1000));
        tap.expect(tcp().seq(6001).len(500));
    }

    @Test
    void unacknowledgedDataIsRetransmittedFromTheAckedPointOnTimeout() {
        tap.establish(1000, 1000, 10000);
        FakeSocks.Sock s = tap.socks.last();
        byte[] d = bytes(2000, 3);
        s.peerSends(d);
        tap.sockEvent(TcpSocks.EPOLLIN);
        tap.expect(tcp().seq(5001).len(1000));
        tap.expect(tcp().seq(6001).len(1000));
        tap.send(seg().seq(1001).ack(6001).win(10000));
        tap.advanceMs(199);
        tap.expectNothing();
        tap.advanceMs(2);
        tap.expect(tcp().seq(6001).data(Arrays.copyOfRange(d, 1000, 2000)));
        tap.expectNothing();
        // backoff: the next retransmission waits twice as long
        tap.advanceMs(399);
        tap.expectNothing();
        tap.advanceMs(2);
        tap.expect(tcp().seq(6001).len(1000));
        assertEquals(2, tap.tcp.stats().get(Tcp.RETRANSMITS));
    }

    @Test
    void eachSideCountsTheBytesItSentOnceThoughSomeWereSentTwice() {
        tap.establish(1000, 1000, 10000);
        FakeSocks.Sock s = tap.socks.last();
        int guest = io.jpasta.tap.flow.FlowTable.sidx(tap.flow(), Tcp.TAPSIDE);
        int peer = io.jpasta.tap.flow.FlowTable.sidx(tap.flow(), Tcp.SOCKSIDE);
        s.peerSends(bytes(2000, 3));
        tap.sockEvent(TcpSocks.EPOLLIN);
        tap.expect(tcp().seq(5001).len(1000));
        tap.expect(tcp().seq(6001).len(1000));
        tap.send(seg().seq(1001).ack(6001).win(10000));
        assertEquals(1000, tap.flows.bytes(peer), "counted as the guest acknowledges them");
        tap.advanceMs(201);
        tap.expect(tcp().seq(6001).len(1000)); // sent again
        tap.send(seg().seq(1001).ack(7001).win(10000));
        assertEquals(2000, tap.flows.bytes(peer), "resent bytes count once");
        assertEquals(3, tap.flows.packets(peer), "frames: two, and one sent again");
        s.eof = true;
        tap.sockEvent(TcpSocks.EPOLLIN | TcpSocks.EPOLLRDHUP);
        tap.expect(tcp().flags(FIN | ACK).seq(7001));
        tap.send(seg().seq(1001).ack(7002).win(10000));
        assertEquals(2000, tap.flows.bytes(peer), "our FIN is no byte");
        byte[] up = bytes(2000, 5);
        tap.send(seg().seq(1001).ack(7002).data(Arrays.copyOfRange(up, 0, 1000)));
        tap.send(seg().seq(1501).ack(7002).data(Arrays.copyOfRange(up, 500, 2000))); // overlaps what we have
        assertArrayEquals(up, s.written.toByteArray());
        assertEquals(2000, tap.flows.bytes(guest), "the guest's bytes, the overlap once");
    }

    @Test
    void threeDuplicateAcksTriggerFastRetransmit() {
        tap.establish(1000, 1000, 10000);
        FakeSocks.Sock s = tap.socks.last();
        s.peerSends(bytes(4000, 3));
        tap.sockEvent(TcpSocks.EPOLLIN);
        for (int i = 0; i < 4; i++) {
            tap.expect(tcp().len(1000));
        }
        tap.send(seg().seq(1001).ack(6001).win(10000));
        tap.send(seg().seq(1001).ack(6001).win(10000));
        tap.send(seg().seq(1001).ack(6001).win(10000));
        tap.expectNothing();
        tap.send(seg().seq(1001).ack(6001).win(10000));
        tap.expect(tcp().seq(6001).len(1000));
        tap.expect(tcp().seq(7001).len(1000));
        tap.expect(tcp().seq(8001).len(1000));
        assertEquals(1, tap.tcp.stats().get(Tcp.FAST_RETRANSMITS));
    }

    @Test
    void duplicateAcksForResentDataStartNoSecondRetransmission() {
        tap.establish(1000, 1000, 10000);
        FakeSocks.Sock s = tap.socks.last();
        s.peerSends(bytes(4000, 3));
        tap.sockEvent(TcpSocks.EPOLLIN);
        for (int i = 0; i < 4; i++) {
            tap.expect(tcp().len(1000));
        }
        for (int i = 0; i < 4; i++) {
            tap.send(seg().seq(1001).ack(6001).win(10000));
        }
        for (int i = 0; i < 3; i++) {
            tap.expect(tcp().len(1000)); // the fast retransmit resends 6001..9000
        }
        // the resent copies draw more duplicate ACKs at the same point: they answer the resend, no new rewind
        for (int i = 0; i < 6; i++) {
            tap.send(seg().seq(1001).ack(6001).win(10000));
        }
        tap.expectNothing();
        assertEquals(1, tap.tcp.stats().get(Tcp.FAST_RETRANSMITS));
        // once the guest acknowledges past the recovery point, duplicate ACKs count again
        s.peerSends(bytes(2000, 4));
        tap.send(seg().seq(1001).ack(9001).win(10000));
        tap.sockEvent(TcpSocks.EPOLLIN);
        tap.expect(tcp().seq(9001).len(1000));
        tap.expect(tcp().seq(10001).len(1000));
        for (int i = 0; i < 4; i++) {
            tap.send(seg().seq(1001).ack(9001).win(10000));
        }
        tap.expect(tcp().seq(9001).len(1000));
        assertEquals(2, tap.tcp.stats().get(Tcp.FAST_RETRANSMITS));
    }

    @Test
    void outOfOrderSegmentIsNotWrittenAndGetsDuplicateAck() {
        tap.establish(1000, 1460, 65535);
        FakeSocks.Sock s = tap.socks.last();
        tap.send(seg().seq(2001).ack(5001).data(bytes(1000, 1)));
        tap.expect(tcp().flags(ACK).ack(1001));
        tap.send(seg().seq(3001).ack(5001).data(bytes(1000, 2)));
        tap.expect(tcp().flags(ACK).ack(1001));
        assertEquals(0, s.written.size());
        byte[] first = bytes(1000, 0);
        tap.send(seg().seq(1001).ack(5001).data(first));
        assertArrayEquals(first, s.written.toByteArray());
        tap.expect(tcp().flags(ACK).ack(2001));
    }

    @Test
    void retransmittedSegmentOverlappingReceivedDataWritesOnlyTheNewPart() {
        tap.establish(1000, 1460, 65535);
        FakeSocks.Sock s = tap.socks.last();
        byte[] d = bytes(2000, 5);
        tap.send(seg().seq(1001).ack(5001).data(Arrays.copyOfRange(d, 0, 1000)));
        tap.send(seg().seq(1501).ack(5001).data(Arrays.copyOfRange(d, 500, 2000)));
        assertArrayEquals(d, s.written.toByteArray());
    }

    @Test
    void finFromGuestFirstHalfClosesThenSocketEofClosesFlow() {
        tap.establish(1000, 1460, 65535);
        FakeSocks.Sock s = tap.socks.last();
        byte[] d = bytes(100, 1);
        tap.send(seg().seq(1001).ack(5001).data(d).fin());
        assertTrue(s.shutWr, "FIN goes to the socket as shutdown(SHUT_WR)");
        assertArrayEquals(d, s.written.toByteArray());
        tap.expect(tcp().flags(ACK).ack(1102));
        // the peer still sends, then closes
        byte[] back = bytes(300, 2);
        s.peerSends(back);
        s.eof = true;
        
        tap.sockEvent(TcpSocks.EPOLLIN | TcpSocks.EPOLLRDHUP);
        tap.expect(tcp().seq(5001).data(back));
        tap.expect(tcp().flags(FIN | ACK).seq(5301).ack(1102));
        assertFalse(s.closed);
        tap.send(seg().seq(1102).ack(5302));
        assertTrue(s.closed && !s.reset, "closed gracefully");
        assertEquals(0, tap.tcp.connections());
    }

    @Test
    void finFromSocketFirstThenGuestFin() {
        tap.establish(1000, 1460, 65535);
        FakeSocks.Sock s = tap.socks.last();
        s.eof = true;
        tap.sockEvent(TcpSocks.EPOLLRDHUP);
        tap.expect(tcp().flags(FIN | ACK).seq(5001).ack(1001));
        tap.send(seg().seq(1001).ack(5002));
        assertTrue((tap.tcp.events(tap.flow()) & TcpConn.TAP_FIN_ACKED) != 0);
        assertFalse(s.closed, "the guest may still send");
        byte[] d = bytes(50, 3);
        tap.send(seg().seq(1001).ack(5002).data(d).fin());
        assertArrayEquals(d, s.written.toByteArray());
        tap.expect(tcp().flags(ACK).ack(1052));
        assertTrue(s.shutWr && s.closed && !s.reset);
        assertEquals(0, tap.tcp.connections());
    }

    @Test
    void rstFromGuestResetsSocket() {
        tap.establish(1000, 1460, 65535);
        FakeSocks.Sock s = tap.socks.last();
        tap.send(seg().rst().seq(1001));
        assertTrue(s.reset);
        assertEquals(0, tap.tcp.connections());
        tap.expectNothing();
    }

    @Test
    void resetOnSocketGivesGuestRst() {
        tap.establish(1000, 1460, 65535);
        FakeSocks.Sock s = tap.socks.last();
        s.receiveError = FakeSocks.ECONNRESET;
        tap.sockEvent(TcpSocks.EPOLLIN | TcpSocks.EPOLLHUP);
        tap.expect(tcp().flags(RST | ACK).seq(5001).ack(1001));
        assertEquals(0, tap.tcp.connections());
    }

    @Test
    void connectThatNeverCompletesIsResetAfterSynTimeout() {
        tap.send(seg().syn().seq(1000).mss(1460));
        tap.advanceMs(9_999);
        tap.expectNothing();
        tap.advanceMs(2);
        tap.expect(tcp().flags(RST | ACK).ack(1001));
        assertTrue(tap.socks.last().reset);
        assertEquals(0, tap.tcp.connections());
    }

    @Test
    void synAckIsRepeatedThenConnectionResetWhenGuestNeverAcks() {
        tap.send(seg().syn().seq(1000).mss(1460));
        tap.sockEvent(TcpSocks.EPOLLOUT);
        tap.expect(tcp().flags(SYN | ACK));
        tap.advanceMs(201);
        tap.expect(tcp().flags(SYN | ACK).seq(5000));
        for (int i = 0; i < 20 && tap.tcp.connections() > 0; i++) {
            tap.advanceMs(60_000);
        }
        assertEquals(0, tap.tcp.connections());
    }

    @Test
    void guestRetransmittedSynGetsSynAckAgain() {
        tap.send(seg().syn().seq(1000).mss(1460));
        tap.sockEvent(TcpSocks.EPOLLOUT);
        tap.expect(tcp().flags(SYN | ACK));
        tap.send(seg().syn().seq(1000).mss(1460));
        tap.expect(tcp().flags(SYN | ACK).ack(1001));
        assertEquals(1, tap.socks.opened.size(), "no second socket");
    }

    @Test
    void dataRetransmissionsWithoutProgressEndInReset() {
        tap.establish(1000, 1000, 10000);
        tap.socks.last().peerSends(bytes(100, 1));
        tap.sockEvent(TcpSocks.EPOLLIN);
        tap.expect(tcp().len(100));
        for (int i = 0; i < 40 && tap.tcp.connections() > 0; i++) {
            tap.advanceMs(30_000);
        }
        assertEquals(0, tap.tcp.connections());
        assertTrue(tap.socks.last().reset);
    }

    @Test
    void idleConnectionIsResetAfterInactivityTimeout() {
        tap.establish(1000, 1000, 10000);
        tap.advanceMs(7_199_000);
        assertEquals(1, tap.tcp.connections());
        tap.advanceMs(2_000);
        assertEquals(0, tap.tcp.connections());
    }

    @Test
    void idleGuestGetsAKeepaliveEveryThirtySeconds() {
        tap.establish(1000, 1000, 10000);
        tap.advanceMs(29_999);
        tap.expectNothing();
        tap.advanceMs(2);
        // one below our next sequence, acknowledging what we took: the guest must answer with an ACK
        tap.expect(tcp().flags(ACK).seq(5000).ack(1001).len(0));
        tap.expectNothing();
        tap.send(seg().seq(1001).ack(5001).win(10000));
        tap.expectNothing();
        tap.advanceMs(29_999);
        tap.expectNothing();
        tap.advanceMs(2);
        tap.expect(tcp().flags(ACK).seq(5000).ack(1001).len(0));
        assertEquals(2, tap.tcp.stats().get(Tcp.KEEPALIVES));
        assertEquals(1, tap.tcp.connections());
    }

    @Test
    void guestThatSendsGetsNoKeepalive() {
        tap.establish(1000, 1000, 10000);
        FakeSocks.Sock s = tap.socks.last();
        int seq = 1001;
        for (int i = 0; i < 10; i++) {
            tap.advanceMs(20_000);
            tap.expectNothing();
            tap.send(seg().seq(seq).ack(5001).win(10000).data(bytes(10, i)));
            seq += 10;
            tap.expect(tcp().flags(ACK).ack(seq).len(0));
        }
        tap.expectNothing();
        assertEquals(0, tap.tcp.stats().get(Tcp.KEEPALIVES));
        assertEquals(100, s.written.size());
    }

    @Test
    void unacknowledgedDataIsProbedByRetransmissionNotKeepalive() {
        tap.establish(1000, 1000, 10000);
        tap.advanceMs(25_000);
        tap.socks.last().peerSends(bytes(100, 1));
        tap.sockEvent(TcpSocks.EPOLLIN);
        tap.expect(tcp().seq(5001).len(100));
        tap.advanceMs(6_000); // past the keepalive time: the data is resent, no keepalive
        tap.expect(tcp().seq(5001).len(100));
        tap.expectNothing();
        assertEquals(0, tap.tcp.stats().get(Tcp.KEEPALIVES));
    }

    @Test
    void guestAnsweringKeepaliveWithRstResetsTheSocket() {
        tap.establish(1000, 1000, 10000);
        FakeSocks.Sock s = tap.socks.last();
        tap.advanceMs(30_001);
        tap.expect(tcp().flags(ACK).seq(5000).ack(1001));
        tap.send(seg().rst().seq(1001));
        assertTrue(s.reset, "the peer sees the connection reset");
        assertEquals(0, tap.tcp.connections());
    }

    @Test
    void answeredKeepalivesDoNotStopTheInactivityTimeout() {
        tap.establish(1000, 1000, 10000);
        FakeSocks.Sock s = tap.socks.last();
        int answered = 0;
        for (int i = 0; i < 300 && tap.tcp.connections() > 0; i++) {
            tap.advanceMs(30_000);
            while (tap.tcp.connections() > 0 && !tap.out.isEmpty()) {
                tap.expect(tcp().flags(ACK).seq(5000).ack(1001).len(0));
                tap.send(seg().seq(1001).ack(5001).win(10000));
                answered++;
            }
        }
        assertEquals(0, tap.tcp.connections());
        assertTrue(s.reset);
        assertEquals(Tcp.ACT_TIMEOUT / Tcp.KEEPALIVE_INTERVAL - 1, answered, "keepalives until the 2 h timeout");
        tap.expect(tcp().flags(RST | ACK).seq(5001).ack(1001));
    }

    @Test
    void activityOnEitherSideRestartsTheInactivityTimeout() {
        tap.establish(1000, 1000, 10000);
        FakeSocks.Sock s = tap.socks.last();
        tap.advanceMs(7_000_000);
        tap.send(seg().seq(1001).ack(5001).win(10000).data(bytes(10, 1))); // from the guest
        tap.advanceMs(7_000_000);
        assertEquals(1, tap.tcp.connections());
        s.peerSends(bytes(10, 2)); // from the socket
        tap.sockEvent(TcpSocks.EPOLLIN);
        tap.send(seg().seq(1011).ack(5011).win(10000));
        tap.advanceMs(7_000_000);
        assertEquals(1, tap.tcp.connections());
        tap.advanceMs(300_000);
        assertEquals(0, tap.tcp.connections(), "2 h after the last activity");
        assertTrue(s.reset);
    }

    @Test
    void sequenceNumbersWrapAroundBothWays() {
        tap.tcp.isnForTest = 0xffff_ff00;
        int gIsn = 0xffff_fff0;
        tap.send(seg().syn().seq(gIsn).mss(100));
        tap.sockEvent(TcpSocks.EPOLLOUT);
        tap.expect(tcp().flags(SYN | ACK).seq(0xffff_ff00).ack(gIsn + 1));
        tap.send(seg().seq(gIsn + 1).ack(0xffff_ff01).win(60000));
        FakeSocks.Sock s = tap.socks.last();
        // guest to socket across 2^32
        byte[] up = bytes(100, 1);
        tap.send(seg().seq(gIsn + 1).ack(0xffff_ff01).data(up));
        assertArrayEquals(up, s.written.toByteArray());
        tap.expect(tcp().flags(ACK).ack(gIsn + 101));
        // socket to guest across 2^32
        byte[] down = bytes(1000, 2);
        s.peerSends(down);
        tap.sockEvent(TcpSocks.EPOLLIN);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int expectSeq = 0xffff_ff01;
        for (int i = 0; i < 10; i++) {
            TapDsl.Got g = tap.expect(tcp().seq(expectSeq).len(100));
            got.writeBytes(g.data());
            expectSeq += 100;
        }
        assertArrayEquals(down, got.toByteArray());
        tap.send(seg().seq(gIsn + 101).ack(0xffff_ff01 + 1000).win(60000));
        assertEquals(0, s.queued());
        // out-of-order detection also works across the wrap
        tap.send(seg().seq(gIsn + 301).ack(0xffff_ff01 + 1000).data(bytes(10, 3)));
        tap.expect(tcp().flags(ACK).ack(gIsn + 101));
        assertEquals(100, s.written.size());
    }

    @Test
    void connectionFromHostListenerOpensTowardGuest() {
        FakeSocks.Sock s = tap.socks.accept();
        long peerLo = Inany.v4Lo(0xcb007109);
        int f = tap.tcp.accepted(s.fd, false, Inany.V4_HI, peerLo, 55555, 8080, tap.now);
        TapDsl.Got syn = tap.expect(tcp().flags(SYN).seq(5000).ws(Tcp.MAX_WS));
        assertEquals(55555, syn.sport(), "client's port preserved");
        assertEquals(8080, syn.dport());
        // guest answers: from its port 8080 to the client's address and port
        tap.send(seg().syn().ack(5001).seq(90000).mss(1460).ws(7).sport(8080).dst("203.0.113.9", 55555)
                .win(1000));
        tap.expect(tcp().flags(ACK).seq(5001).ack(90001));
        assertEquals(TcpConn.ESTABLISHED, tap.tcp.events(f));
        s.peerSends(bytes(10, 1));
        tap.tcp.sockEvent(f, TcpSocks.EPOLLIN, tap.now);
        tap.expect(tcp().seq(5001).len(10));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }
}
