package io.jpasta.netns;

import io.jpasta.netns.sys.Errno;
import io.jpasta.netns.sys.Linux;
import io.jpasta.netns.sys.Sys;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Not a test: the tool that captured the kernel's dump replies under {@code src/test/resources/netlink/}. It sends
 * the dump requests {@link NetlinkWire} builds and writes every reply datagram, concatenated, to one file per
 * dump, until NLMSG_DONE. Run it inside a throw-away namespace set up with documentation addresses (see
 * {@code src/test/resources/netlink/README.md}), never to publish the host's own state.
 *
 * <pre>java -Djpasta.lib=... -cp target/classes:target/test-classes io.jpasta.netns.NetlinkCapture OUTDIR</pre>
 */
public final class NetlinkCapture {
    private NetlinkCapture() {
    }

    public static void main(String[] args) throws IOException {
        Sys.load();
        Path dir = Path.of(args[0]);
        int fd = (int) Errno.check("socket", Sys.socket(Linux.AF_NETLINK, Linux.SOCK_RAW | Linux.SOCK_CLOEXEC,
                Linux.NETLINK_ROUTE));
        try {
            ByteBuffer buf = Sys.buffer(Netlink.BUFFER_SIZE);
            capture(fd, buf, NetlinkWire.RTM_GETLINK, 0, dir.resolve("dump-links.bin"));
            capture(fd, buf, NetlinkWire.RTM_GETADDR, 0, dir.resolve("dump-addrs.bin"));
            capture(fd, buf, NetlinkWire.RTM_GETROUTE, Linux.AF_INET, dir.resolve("dump-routes4.bin"));
            capture(fd, buf, NetlinkWire.RTM_GETROUTE, Linux.AF_INET6, dir.resolve("dump-routes6.bin"));
        } finally {
            Sys.close(fd);
        }
    }

    private static void capture(int fd, ByteBuffer buf, int type, int family, Path out) throws IOException {
        int len = NetlinkWire.dumpRequest(buf, 1, type, family);
        long at = Sys.address(buf);
        Errno.check("sendto", Sys.sendto(fd, at, len, 0, 0, 0));
        try (OutputStream os = Files.newOutputStream(out)) {
            for (int n = 0; n < 1000; n++) {
                long got = Errno.check("recv", Sys.recvfrom(fd, at, buf.capacity(), 0, 0, 0));
                os.write(Fixtures.toBytes(buf, (int) got));
                for (int off = 0; off < got; off = NetlinkWire.nextMessage(off, NetlinkWire.messageLength(buf, off,
                        (int) got), (int) got)) {
                    if (NetlinkWire.u16(buf, off + NetlinkWire.NLMSG_TYPE) == NetlinkWire.NLMSG_DONE) {
                        return;
                    }
                }
            }
            throw new IOException("no NLMSG_DONE");
        }
    }
}
