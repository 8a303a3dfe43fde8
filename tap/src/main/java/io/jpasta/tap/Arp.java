package io.jpasta.tap;

import io.jpasta.tap.wire.ArpHeader;
import io.jpasta.tap.wire.Be;
import io.jpasta.tap.wire.EthHeader;

import java.lang.foreign.MemorySegment;

/**
 * ARP responder (RFC 826). Every address the guest asks for is answered with our MAC, because everything the
 * guest reaches goes through us; only the guest's own address is not claimed (another host's duplicate address
 * detection, RFC 5227), and announcements (sender address equal to target) and replies are ignored.
 *
 * <p>The reply is padded to the 60-byte Ethernet minimum, as pasta sends it.
 */
final class Arp {
    private final L2Services l2;
    private final ArpHeader req = new ArpHeader();
    private final ArpHeader rep = new ArpHeader();
    private final EthHeader eth = new EthHeader();

    Arp(L2Services l2) {
        this.l2 = l2;
    }

    /**
     * @param l3 offset of the ARP packet, {@code len} bytes available
     * @param srcMac Ethernet source of the request: the reply goes there
     * @return {@link TapHandler#HANDLED} or {@link TapHandler#DROPPED}
     */
    int handle(MemorySegment frame, long l3, int len, long srcMac, TapSink out) {
        l2.stats.received(L2Stats.ARP);
        if (!ArpHeader.fits(frame, l3, len)) {
            return l2.drop(L2Stats.ARP, L2Stats.MALFORMED);
        }
        req.wrap(frame, l3);
        int tpa = req.tpa();
        int spa = req.spa();
        if (req.op() != ArpHeader.ARPOP_REQUEST || tpa == spa || (l2.has4 && tpa == l2.addr4)) {
            l2.stats.ignored(L2Stats.ARP);
            return TapHandler.HANDLED;
        }
        MemorySegment r = l2.reply;
        Be.zero(r, 0, EthHeader.MIN_FRAME);
        eth.wrap(r, 0).dst(srcMac).src(l2.ourMac).type(EthHeader.ETH_P_ARP);
        rep.wrap(r, EthHeader.LEN).init(ArpHeader.ARPOP_REPLY).sender(l2.ourMac, tpa).target(req.sha(), spa);
        out.send(r, 0, EthHeader.MIN_FRAME);
        l2.stats.replied(L2Stats.ARP);
        return TapHandler.HANDLED;
    }
}
