package io.jpasta.udp;

/**
 * What the kernel queued on a socket's error queue (IP_RECVERR / IPV6_RECVERR, ip(7)): the ICMP or ICMPv6 message
 * that came back for one of our datagrams, from whom, and the start of the datagram it was about. Reused.
 */
public final class SockError {
    /** SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_ICMP6, SO_EE_ORIGIN_LOCAL, ... */
    int origin;
    /** ICMP or ICMPv6 type and code as received; for local errors 0. */
    int type, code;
    /** ee_info: the MTU for "fragmentation needed" and "packet too big". */
    int info;
    /** The host that sent the ICMP message (the destination itself, or a router), flow table form. */
    long offenderHi, offenderLo;

    /** Fills every field; for fakes and the kernel layer alike. */
    public void set(int origin, int type, int code, int info, long offenderHi, long offenderLo) {
        this.origin = origin;
        this.type = type;
        this.code = code;
        this.info = info;
        this.offenderHi = offenderHi;
        this.offenderLo = offenderLo;
    }
}
