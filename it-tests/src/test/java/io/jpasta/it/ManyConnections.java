package io.jpasta.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A program, not a test: the two ends of {@link TcpTapBulkIT}'s many-connections test, run as separate processes
 * in the sandbox's namespaces ({@code java -cp DIR io.jpasta.it.ManyConnections ...}). It uses nothing but the JDK
 * and no lambdas, so the test can copy its one class file into a directory the test user can read.
 *
 * <ul>
 * <li>{@code serve ADDR PORT N}: accepts N connections; only once all N are open at the same time does each echo
 * what it receives until end of stream, then close. Prints {@code open=N echoed=BYTES} and exits 0, or 1 on a
 * timeout or error.
 * <li>{@code connect ADDR PORT N}: opens N connections and keeps them all open, then sends each its own payload
 * (a few hundred bytes, different per connection), half-closes it, and reads back the echo, which must be the
 * payload exactly. Prints {@code ok=N} and exits 0, or names the first connection that failed and exits 1.
 * <li>{@code echo ADDR PORT N} and {@code sequential ADDR PORT N}: the same, one connection after the other (the
 * server echoes each as it comes; the client opens the next as soon as the previous one is closed): churn, where
 * {@code serve}/{@code connect} test concurrency.
 * </ul>
 * Every blocking call is bounded by {@link #TIMEOUT_MS}.
 */
public final class ManyConnections implements Runnable {
    private static final int TIMEOUT_MS = 60_000;

    private static CountDownLatch allOpen;
    private static final AtomicInteger open = new AtomicInteger();
    private static final AtomicInteger maxOpen = new AtomicInteger();
    private static final AtomicLong echoed = new AtomicLong();
    private static final AtomicInteger failures = new AtomicInteger();

    private final Socket s;

    private ManyConnections(Socket s) {
        this.s = s;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: ManyConnections serve|connect|echo|sequential ADDR PORT N");
            System.exit(2);
        }
        InetAddress addr = InetAddress.getByName(args[1]);
        int port = Integer.parseInt(args[2]);
        int n = Integer.parseInt(args[3]);
        System.exit(switch (args[0]) {
            case "serve" -> serve(addr, port, n, true);
            case "echo" -> serve(addr, port, n, false);
            case "sequential" -> sequential(addr, port, n);
            default -> connect(addr, port, n);
        });
    }

    private static int serve(InetAddress addr, int port, int n, boolean together) throws Exception {
        allOpen = new CountDownLatch(together ? n : 0);
        Thread[] handlers = new Thread[n];
        try (ServerSocket ss = new ServerSocket()) {
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(addr, port), n);
            ss.setSoTimeout(TIMEOUT_MS);
            for (int i = 0; i < n; i++) {
                Socket s = ss.accept();
                s.setSoTimeout(TIMEOUT_MS);
                int now = open.incrementAndGet();
                maxOpen.accumulateAndGet(now, Math::max);
                handlers[i] = Thread.ofVirtual().start(new ManyConnections(s));
                allOpen.countDown();
            }
        }
        for (Thread t : handlers) {
            t.join(TIMEOUT_MS);
        }
        System.out.println("open=" + maxOpen.get() + " echoed=" + echoed.get() + " failures=" + failures.get());
        return failures.get() == 0 ? 0 : 1;
    }

    /** One server connection: waits until all are open, echoes until end of stream, closes. */
    @Override
    public void run() {
        try (s) {
            if (!allOpen.await(TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                throw new IOException("not all connections arrived");
            }
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            for (int r; (r = in.read(buf)) > 0; ) {
                s.getOutputStream().write(buf, 0, r);
                echoed.addAndGet(r);
            }
            open.decrementAndGet();
        } catch (IOException | InterruptedException e) {
            failures.incrementAndGet();
            System.err.println("server: " + e);
        }
    }

    private static int connect(InetAddress addr, int port, int n) {
        Socket[] socks = new Socket[n];
        byte[][] sent = new byte[n][];
        int i = 0;
        try {
            for (i = 0; i < n; i++) {
                socks[i] = new Socket();
                socks[i].setSoTimeout(TIMEOUT_MS);
                socks[i].connect(new InetSocketAddress(addr, port), TIMEOUT_MS);
            }
            for (i = 0; i < n; i++) {
                sent[i] = payload(i);
                socks[i].getOutputStream().write(sent[i]);
                socks[i].shutdownOutput();
            }
            for (i = 0; i < n; i++) {
                byte[] got = socks[i].getInputStream().readAllBytes();
                if (!Arrays.equals(sent[i], got)) {
                    System.err.println("connection " + i + ": sent " + sent[i].length + " bytes, echo has "
                            + got.length + (got.length == sent[i].length ? " different bytes" : ""));
                    return 1;
                }
                socks[i].close();
            }
            System.out.println("ok=" + n);
            return 0;
        } catch (IOException e) {
            System.err.println("connection " + i + ": " + e);
            return 1;
        } finally {
            for (Socket s : socks) {
                if (s != null) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // closing on the way out: nothing left to report
                    }
                }
            }
        }
    }

    private static int sequential(InetAddress addr, int port, int n) {
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket()) {
                s.setSoTimeout(TIMEOUT_MS);
                s.connect(new InetSocketAddress(addr, port), TIMEOUT_MS);
                byte[] sent = payload(i);
                s.getOutputStream().write(sent);
                s.shutdownOutput();
                byte[] got = s.getInputStream().readAllBytes();
                if (!Arrays.equals(sent, got)) {
                    System.err.println("connection " + i + ": sent " + sent.length + " bytes, echo has " + got.length);
                    return 1;
                }
            } catch (IOException e) {
                System.err.println("connection " + i + ": " + e);
                return 1;
            }
        }
        System.out.println("ok=" + n);
        return 0;
    }

    /** @return the payload of connection {@code i}: 200 to 1223 bytes, seeded by {@code i} */
    static byte[] payload(int i) {
        Random r = new Random(i * 7919L + 1);
        byte[] b = new byte[200 + r.nextInt(1024)];
        r.nextBytes(b);
        return b;
    }
}
