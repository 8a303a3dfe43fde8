package io.jpasta.tcp;

import io.jpasta.netns.log.Counters;
import io.jpasta.tap.flow.FlowTable;

/**
 * What every part of the engine ({@link TcpTap}, {@link TcpSock}, {@link TcpTimers}) works on: the engine, whose
 * other parts it calls, and the state they share, held in final fields of its own for the hot paths.
 */
abstract class TcpPart {
    final Tcp tcp;
    final TcpConn c;
    final FlowTable flows;
    final TcpSocks socks;
    final TcpEmitter emit;
    final Counters stats;

    TcpPart(Tcp tcp) {
        this.tcp = tcp;
        this.c = tcp.c;
        this.flows = tcp.flows;
        this.socks = tcp.socks;
        this.emit = tcp.emit;
        this.stats = tcp.stats;
    }
}
