package io.jpasta.bench;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Request/response measurer for the benchmark, the part netperf would play (netperf is not in Debian main).
 * Every mode is bounded in time and prints exactly one {@link ToolLine} result line on stdout.
 *
 * <pre>
 * server --port P [-B ADDR] [--life S]          TCP and UDP echo on ADDR (default: wildcard, both families)
 * rr     --to ADDR --port P [--udp] [--size N] [--duration S] [--warmup S]   one request in flight
 * crr    --to ADDR --port P [--size N] [--duration S]   connect, request, response, close; per second
 * hold   --to ADDR --port P --count N [--life S]       open N connections, prove each, keep them open
 * ready  --to ADDR --port P [--life S] -- CMD...        spawn CMD, time until ADDR:P sends a first byte
 * </pre>
 *
 * TCP messages are framed: a 4-byte header (type 'E' = echo and keep going, 'C' = echo then close; one zero
 * byte; payload length, 16 bits big-endian) then the payload; the server sends the message back whole. UDP
 * datagrams start with an 8-byte sequence number so a late answer is not taken for the current one. The
 * server side closing first puts TIME_WAIT on the server, so {@code crr} does not run out of client ports.
 */
public final class RrTool {
    static final byte ECHO = 'E', ECHO_CLOSE = 'C';
    static final int HEADER = 4;
    /** The ready probe: an empty framed message, echoed by our server; any banner server answers it too. */
    static final byte[] PROBE = {'?', 0, 0, 0};
    /** Latency samples kept at most; a run stops measuring when full (~80 MB). */
    static final int MAX_SAMPLES = 10_000_000;
    static final int UDP_TIMEOUT_MS = 200;
    static final int CONNECT_TIMEOUT_MS = 2000;
    static final int IO_TIMEOUT_MS = 5000;

    private final Map<String, String> opts = new LinkedHashMap<>();
    private final List<String> command = new ArrayList<>();
    private final PrintStream out;

    RrTool(String[] args, PrintStream out) {
        this.out = out;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--")) {
                command.addAll(Arrays.asList(args).subList(i + 1, args.length));
                break;
            }
            if (args[i].equals("-B") && i + 1 < args.length) {
                opts.put("B", args[++i]);
                continue;
            }
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + args[i]);
            }
            String key = args[i].substring(2);
            if (key.equals("udp")) {
                opts.put(key, "true");
            } else if (i + 1 < args.length) {
                opts.put(key, args[++i]);
            } else {
                throw new IllegalArgumentException("--" + key + " needs a value");
            }
        }
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: RrTool server|rr|crr|hold|ready [--options] (see the class Javadoc)");
            System.exit(2);
        }
        int rc = run(args, System.out);
        System.out.flush();
        // Daemon threads may still sit in accept/receive: leave without waiting for them.
        Runtime.getRuntime().halt(rc);
    }

    /**
     * Runs one mode; any failure becomes an {@code error} result line on {@code out}.
     *
     * @return the exit code: 0, or 1 after an error line
     */
    static int run(String[] args, PrintStream out) {
        try {
            return new RrTool(args, out).run(args[0]);
        } catch (IllegalArgumentException | IOException e) {
            out.println(error(args[0] + ": " + e.getMessage()).format());
        } catch (InterruptedException e) {
            out.println(error("interrupted").format());
        }
        return 1;
    }

    int run(String mode) throws IOException, InterruptedException {
        switch (mode) {
            case "server" -> {
                return server();
            }
            case "rr" -> {
                out.println((opts.containsKey("udp") ? rrUdp() : rrTcp()).format());
                return 0;
            }
            case "crr" -> {
                out.println(crr().format());
                return 0;
            }
            case "hold" -> {
                return hold();
            }
            case "ready" -> {
                ToolLine r = ready();
                out.println(r.format());
                return r.mode().equals("error") ? 1 : 0;
            }
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
    }

    private int intOpt(String key, int dflt) {
        return opts.containsKey(key) ? Integer.parseInt(opts.get(key)) : dflt;
    }

    private double secOpt(String key, double dflt) {
        return opts.containsKey(key) ? Double.parseDouble(opts.get(key)) : dflt;
    }

    private InetSocketAddress target() throws IOException {
        String to = opts.get("to");
        if (to == null) {
            throw new IllegalArgumentException("--to ADDR is required");
        }
        return new InetSocketAddress(InetAddress.getByName(to), intOpt("port", 0));
    }

    // ---- server ----

    private int server() throws IOException, InterruptedException {
        int port = intOpt("port", 0);
        double life = secOpt("life", 600);
        // -B ADDR (as iperf3 spells it): answer from the address the client targets; default: wildcard.
        InetAddress bind = opts.containsKey("B") ? InetAddress.getByName(opts.get("B")) : null;
        ServerSocket tcp = new ServerSocket();
        tcp.setReuseAddress(true);
        tcp.bind(new InetSocketAddress(bind, port), 4096);
        DatagramSocket udp = new DatagramSocket(null);
        udp.setReuseAddress(true);
        udp.bind(new InetSocketAddress(bind, tcp.getLocalPort()));
        Thread udpThread = Thread.ofPlatform().daemon().name("udp-echo").start(() -> udpEcho(udp));
        Thread tcpThread = Thread.ofPlatform().daemon().name("tcp-accept").start(() -> acceptLoop(tcp));
        out.println("listening port=" + tcp.getLocalPort());
        out.flush();
        long deadline = System.nanoTime() + (long) (life * 1e9);
        try {
            while (System.nanoTime() < deadline && tcpThread.isAlive() && udpThread.isAlive()) {
                tcpThread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
        } finally {
            tcp.close();
            udp.close();
        }
        return 0;
    }

    private static void acceptLoop(ServerSocket ss) {
        // Pooled platform threads: a virtual thread's wake-up through the poller adds tens of microseconds per
        // round trip, and a new thread per connection would dominate the crr rate.
        ExecutorService pool = Executors.newCachedThreadPool(r -> Thread.ofPlatform().daemon()
                .stackSize(256 * 1024).unstarted(r));
        while (true) {
            Socket s;
            try {
                s = ss.accept();
            } catch (IOException e) {
                return;
            }
            pool.execute(() -> serve(s));
        }
    }

    private static void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(s.getInputStream());
            OutputStream os = s.getOutputStream();
            byte[] buf = new byte[HEADER + 65535];
            while (true) {
                if (in.readNBytes(buf, 0, HEADER) < HEADER) {
                    return;
                }
                int len = ((buf[2] & 0xff) << 8) | (buf[3] & 0xff);
                if (in.readNBytes(buf, HEADER, len) < len) {
                    return;
                }
                os.write(buf, 0, HEADER + len);
                if (buf[0] == ECHO_CLOSE) {
                    return;
                }
            }
        } catch (IOException e) {
            // the peer reset or went away: nothing to report on the server side
        }
    }

    private static void udpEcho(DatagramSocket ds) {
        byte[] buf = new byte[65536];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (true) {
            try {
                p.setLength(buf.length);
                ds.receive(p);
                ds.send(new DatagramPacket(buf, p.getLength(), p.getSocketAddress()));
            } catch (IOException e) {
                if (ds.isClosed()) {
                    return;
                }
            }
        }
    }

    // ---- clients ----

    private ToolLine rrTcp() throws IOException {
        InetSocketAddress to = target();
        int size = intOpt("size", 64);
        long warmupNs = (long) (secOpt("warmup", 0.5) * 1e9);
        long durNs = (long) (secOpt("duration", 5) * 1e9);
        byte[] msg = message(ECHO, size);
        byte[] back = new byte[msg.length];
        Samples lat = new Samples();
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(to, CONNECT_TIMEOUT_MS);
            s.setSoTimeout(IO_TIMEOUT_MS);
            OutputStream os = s.getOutputStream();
            InputStream in = s.getInputStream();
            long start = System.nanoTime();
            long measureFrom = start + warmupNs;
            long end = measureFrom + durNs;
            long now = start;
            while (now < end && !lat.full()) {
                long t0 = System.nanoTime();
                os.write(msg);
                if (in.readNBytes(back, 0, back.length) < back.length) {
                    return error("rr: connection closed by peer after " + lat.n + " transactions");
                }
                now = System.nanoTime();
                if (t0 >= measureFrom) {
                    lat.add(now - t0);
                }
            }
        } catch (SocketTimeoutException e) {
            return error("rr: no answer within " + IO_TIMEOUT_MS + " ms after " + lat.n + " transactions");
        }
        return lat.line("rr", "tcp", size, durNs, 0);
    }

    private ToolLine rrUdp() throws IOException {
        InetSocketAddress to = target();
        int size = Math.max(8, intOpt("size", 64));
        long warmupNs = (long) (secOpt("warmup", 0.5) * 1e9);
        long durNs = (long) (secOpt("duration", 5) * 1e9);
        Samples lat = new Samples();
        long timeouts = 0;
        try (DatagramSocket ds = new DatagramSocket()) {
            ds.connect(to);
            ds.setSoTimeout(UDP_TIMEOUT_MS);
            byte[] msg = new byte[size];
            byte[] back = new byte[size + 64];
            ByteBuffer seqView = ByteBuffer.wrap(msg);
            DatagramPacket req = new DatagramPacket(msg, msg.length);
            DatagramPacket resp = new DatagramPacket(back, back.length);
            long start = System.nanoTime();
            long measureFrom = start + warmupNs;
            long end = measureFrom + durNs;
            long now = start;
            long seq = 0;
            while (now < end && !lat.full()) {
                seq++;
                seqView.putLong(0, seq);
                long t0 = System.nanoTime();
                ds.send(req);
                boolean answered = false;
                while (!answered) {
                    try {
                        resp.setLength(back.length);
                        ds.receive(resp);
                    } catch (SocketTimeoutException e) {
                        break;
                    }
                    answered = resp.getLength() >= 8 && ByteBuffer.wrap(back).getLong(0) == seq;
                }
                now = System.nanoTime();
                if (!answered) {
                    timeouts++;
                } else if (t0 >= measureFrom) {
                    lat.add(now - t0);
                }
                if (timeouts > 10 && lat.n == 0) {
                    return error("udp rr: no answer to " + timeouts + " requests");
                }
            }
        }
        return lat.line("rr", "udp", size, durNs, timeouts);
    }

    private ToolLine crr() throws IOException {
        InetSocketAddress to = target();
        int size = intOpt("size", 64);
        long durNs = (long) (secOpt("duration", 5) * 1e9);
        byte[] msg = message(ECHO_CLOSE, size);
        byte[] back = new byte[msg.length];
        Samples lat = new Samples();
        long start = System.nanoTime();
        long end = start + durNs;
        long now = start;
        while (now < end && !lat.full()) {
            long t0 = System.nanoTime();
            try (Socket s = new Socket()) {
                s.setTcpNoDelay(true);
                s.connect(to, CONNECT_TIMEOUT_MS);
                s.setSoTimeout(IO_TIMEOUT_MS);
                s.getOutputStream().write(msg);
                if (s.getInputStream().readNBytes(back, 0, back.length) < back.length) {
                    return error("crr: connection closed early after " + lat.n + " connections");
                }
            } catch (IOException e) {
                return error("crr: " + e.getMessage() + " after " + lat.n + " connections");
            }
            now = System.nanoTime();
            lat.add(now - t0);
        }
        double secs = (now - start) / 1e9;
        Map<String, String> m = new LinkedHashMap<>();
        m.put("count", Long.toString(lat.n));
        m.put("conn_rate", fmt(lat.n / secs));
        m.put("p50_us", fmt(lat.percentile(50) / 1e3));
        m.put("p99_us", fmt(lat.percentile(99) / 1e3));
        return new ToolLine("crr", m);
    }

    private int hold() throws IOException, InterruptedException {
        InetSocketAddress to = target();
        int count = intOpt("count", 100);
        double life = secOpt("life", 60);
        byte[] msg = message(ECHO, 16);
        byte[] back = new byte[msg.length];
        List<Socket> held = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                Socket s = new Socket();
                held.add(s);
                s.connect(to, CONNECT_TIMEOUT_MS);
                s.setSoTimeout(IO_TIMEOUT_MS);
                s.getOutputStream().write(msg);
                if (s.getInputStream().readNBytes(back, 0, back.length) < back.length) {
                    throw new IOException("connection " + (i + 1) + " closed by peer");
                }
            }
        } catch (IOException e) {
            out.println(error("hold: " + e.getMessage() + " after " + (held.size() - 1) + " of " + count
                    + " connections").format());
            return 1;
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put("count", Integer.toString(held.size()));
        out.println(new ToolLine("held", m).format());
        out.flush();
        Thread.sleep((long) (life * 1000)); // holding the connections is the point; the caller kills us sooner
        for (Socket s : held) {
            s.close();
        }
        return 0;
    }

    private ToolLine ready() throws IOException, InterruptedException {
        InetSocketAddress to = target();
        double life = secOpt("life", 20);
        if (command.isEmpty()) {
            throw new IllegalArgumentException("ready needs -- CMD...");
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        long t0 = System.nanoTime();
        Process p = pb.start();
        long deadline = t0 + (long) (life * 1e9);
        try {
            while (System.nanoTime() < deadline) {
                try (Socket s = new Socket()) {
                    s.connect(to, 200);
                    s.setSoTimeout(1000);
                    // Speak first, as an HTTP client would: pasta 2023 completes the handshake towards the
                    // namespace only with data or a retransmitted SYN-ACK, so a silent probe waits about 1 s.
                    s.getOutputStream().write(PROBE);
                    if (s.getInputStream().read() >= 0) {
                        Map<String, String> m = new LinkedHashMap<>();
                        m.put("ms", fmt((System.nanoTime() - t0) / 1e6));
                        return new ToolLine("ready", m);
                    }
                } catch (IOException e) {
                    // not forwarded yet, or forwarded but nothing listens in the namespace yet: retry
                }
                if (!p.isAlive()) {
                    return error("ready: command exited with " + p.exitValue() + " before the port answered");
                }
                Thread.sleep(1); // polling pace of the probe, not synchronisation
            }
            return error("ready: port " + to + " did not answer within " + life + " s");
        } finally {
            stop(p);
        }
    }

    /** Ends {@code p} and everything it started: TERM, up to 3 s, then KILL. */
    static void stop(Process p) throws InterruptedException {
        List<ProcessHandle> kids = p.descendants().toList();
        p.destroy();
        kids.forEach(ProcessHandle::destroy);
        if (!p.waitFor(3, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        kids.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    static byte[] message(byte type, int payload) {
        if (payload < 0 || payload > 65535) {
            throw new IllegalArgumentException("--size must be 0..65535");
        }
        byte[] m = new byte[HEADER + payload];
        m[0] = type;
        m[2] = (byte) (payload >> 8);
        m[3] = (byte) payload;
        return m;
    }

    static ToolLine error(String message) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("message", message);
        return new ToolLine("error", m);
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /** Latency samples in nanoseconds. */
    static final class Samples {
        long[] ns = new long[1 << 16];
        int n;

        boolean full() {
            return n >= MAX_SAMPLES;
        }

        void add(long v) {
            if (n == ns.length) {
                ns = Arrays.copyOf(ns, Math.min(MAX_SAMPLES, ns.length * 2));
            }
            ns[n++] = v;
        }

        /** @return the nearest-rank percentile, NaN without samples */
        double percentile(double pct) {
            if (n == 0) {
                return Double.NaN;
            }
            long[] sorted = Arrays.copyOf(ns, n);
            Arrays.sort(sorted);
            int rank = (int) Math.ceil(pct / 100 * n);
            return sorted[Math.max(0, Math.min(n - 1, rank - 1))];
        }

        ToolLine line(String mode, String proto, int size, long durNs, long timeouts) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("proto", proto);
            m.put("size", Integer.toString(size));
            m.put("count", Integer.toString(n));
            m.put("p50_us", fmt(percentile(50) / 1e3));
            m.put("p99_us", fmt(percentile(99) / 1e3));
            m.put("rate", fmt(n / (durNs / 1e9)));
            m.put("timeouts", Long.toString(timeouts));
            return new ToolLine(mode, m);
        }
    }
}
