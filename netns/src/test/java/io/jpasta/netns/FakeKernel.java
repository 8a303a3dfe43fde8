package io.jpasta.netns;

import static io.jpasta.netns.NetlinkWire.NLMSG_FLAGS;
import static io.jpasta.netns.NetlinkWire.NLMSG_HDRLEN;
import static io.jpasta.netns.NetlinkWire.NLMSG_SEQ;
import static io.jpasta.netns.NetlinkWire.NLMSG_TYPE;

import io.jpasta.netns.sys.Errno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A scripted rtnetlink peer behind {@link Netlink.Channel}: records every request, answers link lookups from its
 * link table, dumps from fixture bytes (their sequence numbers rewritten to the request's), and every other request
 * with an acknowledgement or the errno {@link #answer} picks. An empty reply queue answers -EAGAIN, as the real
 * socket's receive timeout does.
 */
class FakeKernel implements Netlink.Channel {
    final List<byte[]> requests = new ArrayList<>();
    final Deque<byte[]> replies = new ArrayDeque<>();
    final List<NetlinkLink> links = new ArrayList<>();
    final Map<Integer, byte[]> dumps = new HashMap<>();
    /** errno (positive) or 0 for a change request */
    ThrowingAnswer answer = req -> 0;
    boolean closed;

    @FunctionalInterface
    interface ThrowingAnswer {
        int errno(byte[] req) throws java.io.IOException;
    }

    FakeKernel link(NetlinkLink l) {
        links.add(l);
        return this;
    }

    /** Answers dumps of {@code type} (RTM_GETLINK, ...) with {@code bytes}. */
    FakeKernel dump(int type, byte[] bytes) {
        dumps.put(type, bytes);
        return this;
    }

    @Override
    public long send(ByteBuffer buf, int len) {
        byte[] req = Fixtures.toBytes(buf, len);
        requests.add(req);
        ByteBuffer b = ByteBuffer.wrap(req).order(ByteOrder.nativeOrder());
        int type = Short.toUnsignedInt(b.getShort(NLMSG_TYPE));
        int flags = Short.toUnsignedInt(b.getShort(NLMSG_FLAGS));
        int seq = b.getInt(NLMSG_SEQ);
        if ((flags & NetlinkWire.NLM_F_DUMP) == NetlinkWire.NLM_F_DUMP) {
            byte[] d = dumps.get(type);
            replies.add(d == null ? ack(seq, -Errno.EOPNOTSUPP) : withSeq(d, seq));
        } else if (type == NetlinkWire.RTM_GETLINK) {
            String name = ifname(req);
            NetlinkLink l = links.stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
            if (l == null) {
                replies.add(ack(seq, -Errno.ENODEV));
            } else {
                replies.add(newLink(seq, l));
                replies.add(ack(seq, 0));
            }
        } else {
            try {
                replies.add(ack(seq, -answer.errno(req)));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return len;
    }

    static int type(byte[] msg) {
        return Short.toUnsignedInt(ByteBuffer.wrap(msg).order(ByteOrder.nativeOrder()).getShort(NLMSG_TYPE));
    }

    @Override
    public long recv(ByteBuffer buf) {
        byte[] d = replies.poll();
        if (d == null) {
            return -Errno.EAGAIN;
        }
        buf.put(0, d, 0, Math.min(d.length, buf.capacity()));
        return d.length;
    }

    @Override
    public void close() {
        closed = true;
    }

    /** NLMSG_ERROR: 0 acknowledges, else -errno; followed by the request's header, as the kernel sends it. */
    static byte[] ack(int seq, int error) {
        ByteBuffer b = ByteBuffer.allocate(NLMSG_HDRLEN + 4 + NLMSG_HDRLEN).order(ByteOrder.nativeOrder());
        b.putInt(b.capacity()).putShort((short) NetlinkWire.NLMSG_ERROR).putShort((short) 0x100).putInt(seq)
                .putInt(4242).putInt(error);
        b.putInt(NLMSG_HDRLEN).putShort((short) 0).putShort((short) 0).putInt(seq).putInt(0);
        return b.array();
    }

    /** @return {@code dump} with every message's sequence number set to {@code seq} */
    static byte[] withSeq(byte[] dump, int seq) {
        byte[] out = dump.clone();
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.nativeOrder());
        for (int off = 0; off + NLMSG_HDRLEN <= out.length; ) {
            int len = b.getInt(off);
            b.putInt(off + NLMSG_SEQ, seq);
            if (len < NLMSG_HDRLEN) {
                break;
            }
            off += (len + 3) & ~3;
        }
        return out;
    }

    static byte[] newLink(int seq, NetlinkLink l) {
        ByteBuffer m = ByteBuffer.allocate(512).order(ByteOrder.nativeOrder());
        NetlinkWire.Request r = new NetlinkWire.Request(m, NetlinkWire.RTM_NEWLINK, 0, seq);
        r.u8(0).u8(0).u16(l.type()).u32(l.index()).u32(l.flags()).u32(0);
        r.attrString(NetlinkWire.IFLA_IFNAME, l.name()).attrU32(NetlinkWire.IFLA_MTU, l.mtu());
        if (l.mac() != NetlinkLink.NO_MAC) {
            r.attr(NetlinkWire.IFLA_ADDRESS, NetlinkLink.macBytes(l.mac()));
        }
        return Fixtures.toBytes(m, r.finish());
    }

    private static String ifname(byte[] req) {
        ByteBuffer b = ByteBuffer.wrap(req).order(ByteOrder.nativeOrder());
        for (int a = NLMSG_HDRLEN + NetlinkWire.IFINFOMSG_LEN; a + 4 <= req.length; ) {
            int len = Short.toUnsignedInt(b.getShort(a));
            if (len < 4) {
                break;
            }
            if ((b.getShort(a + 2) & NetlinkWire.NLA_TYPE_MASK) == NetlinkWire.IFLA_IFNAME) {
                int n = 0;
                while (req[a + 4 + n] != 0) {
                    n++;
                }
                return new String(req, a + 4, n);
            }
            a += (len + 3) & ~3;
        }
        return null;
    }

    /**
     * @return a request as a line a reader can check: links by their attributes, addresses and routes through
     *         the parsers of {@link NetlinkWire} (requests and replies share the layout)
     */
    static String describe(byte[] req) throws java.io.IOException {
        ByteBuffer b = ByteBuffer.wrap(req).order(ByteOrder.nativeOrder());
        ByteBuffer m = b;
        int type = Short.toUnsignedInt(b.getShort(NLMSG_TYPE));
        switch (type) {
            case NetlinkWire.RTM_GETLINK:
                return "RTM_GETLINK " + ifname(req);
            case NetlinkWire.RTM_DELADDR: {
                NetlinkAddr a = NetlinkWire.parseAddr(m, 0, req.length);
                return "RTM_DELADDR if " + a.ifindex() + " " + NetlinkWire.text(a.addr()) + "/" + a.prefixLen();
            }
            case NetlinkWire.RTM_DELROUTE: {
                NetlinkRoute r = NetlinkWire.parseRoute(m, 0, req.length);
                return "RTM_DELROUTE " + (r.isDefault() ? "default" : NetlinkWire.text(r.dst()) + "/" + r.dstLen())
                        + (r.gateway() == null ? "" : " via " + NetlinkWire.text(r.gateway())) + " oif " + r.oif()
                        + " metric " + r.metric();
            }
            case NetlinkWire.RTM_NEWADDR: {
                NetlinkAddr a = NetlinkWire.parseAddr(m, 0, req.length);
                return "RTM_NEWADDR if " + a.ifindex() + " " + NetlinkWire.text(a.addr()) + "/" + a.prefixLen()
                        + " flags 0x" + Integer.toHexString(a.flags()) + " scope " + a.scope();
            }
            case NetlinkWire.RTM_NEWROUTE: {
                NetlinkRoute r = NetlinkWire.parseRoute(m, 0, req.length);
                return "RTM_NEWROUTE " + (r.isDefault() ? "default" : NetlinkWire.text(r.dst()) + "/" + r.dstLen())
                        + (r.gateway() == null ? "" : " via " + NetlinkWire.text(r.gateway())) + " oif " + r.oif()
                        + " metric " + r.metric() + " scope " + r.scope() + " flags 0x"
                        + Integer.toHexString(r.flags());
            }
            case NetlinkWire.RTM_NEWLINK: {
                int h = NLMSG_HDRLEN;
                StringBuilder sb = new StringBuilder("RTM_NEWLINK if " + b.getInt(h + 4));
                if (b.getInt(h + 12) != 0) {
                    sb.append(" flags 0x").append(Integer.toHexString(b.getInt(h + 8))).append("/0x")
                            .append(Integer.toHexString(b.getInt(h + 12)));
                }
                for (int a = h + NetlinkWire.IFINFOMSG_LEN; a + 4 <= req.length; ) {
                    int len = Short.toUnsignedInt(b.getShort(a));
                    switch (b.getShort(a + 2) & NetlinkWire.NLA_TYPE_MASK) {
                        case NetlinkWire.IFLA_MTU -> sb.append(" mtu ").append(b.getInt(a + 4));
                        case NetlinkWire.IFLA_ADDRESS -> sb.append(" address ").append(NetlinkLink.macString(
                                NetlinkLink.mac(java.util.Arrays.copyOfRange(req, a + 4, a + 10))));
                        // IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE } }: the u8 at +12 of the outer one
                        case NetlinkWire.IFLA_AF_SPEC -> sb.append(" addrgenmode ").append(req[a + 12]);
                        default -> sb.append(" attr ").append(b.getShort(a + 2));
                    }
                    a += (len + 3) & ~3;
                }
                return sb.toString();
            }
            default:
                return "type " + type;
        }
    }
}
