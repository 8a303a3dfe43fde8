package io.jpasta.launcher.control;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code jpasta-ctl}: the command-line client of the JSON control API ({@code --api PATH}). Prints a readable table
 * by default, the API's own JSON lines with {@code --json}. Exit status 0, 1 on an error reply, 2 on bad usage.
 */
public final class Ctl {
    static final String USAGE = """
            Usage: jpasta-ctl [--json] PATH COMMAND
              PATH                the socket given to pasta's --api
              flows               every flow: protocol, path, addresses, state, bytes, age
              stats               the counters of --stats, drops by reason
              forwards            the forwarding rules
              add -t|-u|-T|-U SPEC     add forwards, as pasta's option would
              delete -t|-u|-T|-U SPEC  delete them
              watch               flows as they open and close (until interrupted)
            """;

    private final JsonFactory json = new JsonFactory();
    private final PrintStream out;
    private final boolean raw;

    private Ctl(PrintStream out, boolean raw) {
        this.out = out;
        this.raw = raw;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** @return the exit status */
    static int run(String[] args, PrintStream out, PrintStream err) {
        boolean raw = args.length > 0 && args[0].equals("--json");
        int a = raw ? 1 : 0;
        if (args.length - a < 2) {
            err.print(USAGE);
            return 2;
        }
        String path = args[a], cmd = args[a + 1];
        List<String> rest = List.of(args).subList(a + 2, args.length);
        boolean change = cmd.equals("add") || cmd.equals("delete");
        if (change ? rest.size() != 2 : !List.of("flows", "stats", "forwards", "watch").contains(cmd) || !rest.isEmpty()) {
            err.print(USAGE);
            return 2;
        }
        Ctl ctl = new Ctl(out, raw);
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            ch.write(ByteBuffer.wrap(ctl.request(cmd, change ? rest.get(0) : null, change ? rest.get(1) : null)));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                    StandardCharsets.UTF_8));
            return ctl.replies(cmd, in, err);
        } catch (IOException e) {
            err.println("jpasta-ctl: " + path + ": " + e.getMessage());
            return 1;
        }
    }

    private byte[] request(String cmd, String option, String spec) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (JsonGenerator g = json.createGenerator(b)) {
            g.writeStartObject();
            g.writeStringField("cmd", cmd);
            if (option != null) {
                g.writeStringField("option", option);
                g.writeStringField("spec", spec);
            }
            g.writeEndObject();
        }
        b.write('\n');
        return b.toByteArray();
    }

    /** Reads and prints the replies of {@code cmd}. @return the exit status */
    private int replies(String cmd, BufferedReader in, PrintStream err) throws IOException {
        if (cmd.equals("flows") && !raw) {
            out.printf("%-6s %-6s %-47s %-47s %12s %12s %8s  %s%n", "PROTO", "PATH", "FROM", "PEER", "BYTES OUT",
                    "BYTES IN", "AGE s", "STATE");
        }
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            Map<String, String> m = flatten(line);
            if (m.containsKey("error")) {
                err.println("jpasta-ctl: " + m.get("error"));
                return 1;
            }
            if (raw) {
                out.println(line);
            } else if (cmd.equals("forwards")) {
                printForwards(line);
            } else {
                print(cmd, m);
            }
            if (!cmd.equals("watch") && (!cmd.equals("flows") || m.containsKey("end"))) {
                return 0;
            }
            out.flush();
        }
        return cmd.equals("watch") ? 0 : 1;
    }

    private void print(String cmd, Map<String, String> m) {
        switch (cmd) {
            case "flows" -> {
                if (!m.containsKey("end")) {
                    out.println(flowLine(m));
                }
            }
            case "watch" -> {
                if (m.containsKey("event")) {
                    out.println(m.get("event") + " " + flowLine(m));
                }
            }
            case "stats" -> printStats(m);
            default -> out.println(m.containsKey("ok") ? "ok" : m.toString());
        }
    }

    /**
     * Prints the counters as {@code --stats} logs them, one line per module ({@code tcp     segs-from-tap 12 ...,
     * drop no flow 1}, drops that are zero left out), then the flow table's use.
     */
    private void printStats(Map<String, String> m) {
        StringBuilder sb = new StringBuilder();
        String module = null;
        for (Map.Entry<String, String> e : m.entrySet()) {
            String[] k = e.getKey().split("\\.", 4);
            if (k.length < 3 || !k[0].equals("stats")) {
                continue;
            }
            if (!k[1].equals(module)) {
                if (module != null) {
                    out.println(sb);
                }
                module = k[1];
                sb.setLength(0);
                sb.append(String.format("%-7s", module));
            }
            if (k[2].equals("drops")) {
                if (k.length == 4 && !e.getValue().equals("0")) {
                    sb.append(", drop ").append(k[3]).append(' ').append(e.getValue());
                }
            } else {
                sb.append(' ').append(k[2]).append(' ').append(e.getValue());
            }
        }
        if (module != null) {
            out.println(sb);
        }
        out.printf("flows   %s in use of %s, refused (table full) %s%n", m.get("flows.in_use"),
                m.get("flows.capacity"), m.get("flows.refused"));
    }

    /** Prints each forwarding table's name, then its rules as pasta and pesto write them, indented. */
    private void printForwards(String line) throws IOException {
        try (JsonParser p = json.createParser(line)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME && p.currentName().equals("table")) {
                    p.nextToken();
                    out.println(p.getText() + ":");
                } else if (t == JsonToken.VALUE_STRING && "rules".equals(p.getParsingContext().getParent()
                        .getCurrentName())) {
                    out.println("    " + p.getText());
                }
            }
        }
    }

    private static String flowLine(Map<String, String> m) {
        return String.format("%-6s %-6s %-47s %-47s %12s %12s %8s  %s", m.get("proto"), m.get("path"),
                m.get("from.pif") + " " + endpoint(m, "from"), m.get("peer.pif") + " " + endpoint(m, "peer"),
                m.get("bytes_out"), m.get("bytes_in"), Long.parseLong(m.get("age_ms")) / 1000, m.get("state"));
    }

    private static String endpoint(Map<String, String> m, String side) {
        String a = m.get(side + ".addr");
        return (a.indexOf(':') >= 0 ? "[" + a + "]" : a) + ":" + m.get(side + ".port");
    }

    /** @return the fields of one JSON object, nested names joined with dots, arrays as their elements joined */
    private Map<String, String> flatten(String line) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        try (JsonParser p = json.createParser(line)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object: " + line);
            }
            fields(p, "", m);
        }
        return m;
    }

    private static void fields(JsonParser p, String prefix, Map<String, String> m) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = prefix + p.currentName();
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_OBJECT) {
                fields(p, name + ".", m);
            } else if (t == JsonToken.START_ARRAY) {
                StringBuilder sb = new StringBuilder();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    if (e == JsonToken.START_OBJECT) {
                        Map<String, String> sub = new LinkedHashMap<>();
                        fields(p, "", sub);
                        sb.append("\n  ").append(sub);
                    } else {
                        sb.append("\n  ").append(p.getText());
                    }
                }
                m.put(name, sb.toString());
            } else {
                m.put(name, p.getText());
            }
        }
    }
}
