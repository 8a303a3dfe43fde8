package io.jpasta.launcher.control;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.jpasta.netns.log.Counters;
import io.jpasta.netns.log.Log;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Pif;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON control API: one request object per line, replies as lines (see the package documentation for every
 * request and reply). Uses jackson-core's streaming parser and generator: no reflection, no object mapping, so the
 * first request costs little, and nothing of it is loaded before one comes.
 *
 * <p>{@code flows} is streamed: {@link #BATCH} flows per call, continued each time the client's buffer drains, so
 * 128k flows never make one big string and a slow reader slows only itself. {@code watch} subscribes to the flow
 * table's {@link FlowTable.Watcher}; an event that does not fit a watcher's buffer is dropped for that watcher and
 * counted, and the count is reported in the next event that fits.
 */
public final class Api implements ApiServer.Handler, FlowTable.Watcher {
    /** Flows written per turn of a listing. */
    static final int BATCH = 256;

    /** What the API shows and changes, as the launcher provides it. */
    public interface Sources {
        /** @return the flow table (built if it was not) */
        FlowTable flows();

        /** @return the protocol state of {@code flow} in words (TCP events, ...) */
        String state(int flow);

        /** @return every module's counters, as {@code --stats} prints them */
        List<Counters> counters();

        /** @return the forwarding tables, current and replaceable (pesto's too) */
        PestoSession.Rules rules();

        /** @return the capabilities of the forwarding tables (for rules built from a port specification) */
        int caps();

        /** @return monotonic time now, ns */
        long nowNs();
    }

    private final Sources src;
    private final Counters stats;
    private final JsonFactory json = new JsonFactory();
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream(512);
    private final List<ApiServer.Client> watchers = new ArrayList<>();

    /** Per client: where a listing stands, and a watcher's dropped events. */
    private static final class State {
        int cursor = -1;
        int listed;
        boolean listing;
        long dropped;
    }

    /** @param stats the API's counters ({@link ApiServer#stats()}): requests, errors, events are counted here */
    public Api(Sources src, Counters stats) {
        this.src = src;
        this.stats = stats;
    }

    @Override
    public void request(ApiServer.Client c, byte[] line, int len) {
        if (len == 0) {
            return;
        }
        stats.count(ApiServer.REQUESTS);
        String cmd, option = null, spec = null;
        try (JsonParser p = json.createParser(line, 0, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                reply(c, error("a request is a JSON object, one per line"));
                return;
            }
            cmd = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                String text = v == JsonToken.VALUE_STRING ? p.getText() : null;
                p.skipChildren();
                switch (name) {
                    case "cmd" -> cmd = text;
                    case "option" -> option = text;
                    case "spec" -> spec = text;
                    default -> {
                    }
                }
            }
        } catch (JsonProcessingException e) {
            reply(c, error("malformed request: " + e.getOriginalMessage()));
            return;
        } catch (IOException e) {
            reply(c, error("malformed request: " + e.getMessage()));
            return;
        }
        if (cmd == null) {
            reply(c, error("no \"cmd\""));
            return;
        }
        switch (cmd) {
            case "flows" -> {
                State s = state(c);
                if (!s.listing) {
                    s.listing = true;
                    s.cursor = -1;
                    s.listed = 0;
                    list(c, s);
                }
            }
            case "stats" -> reply(c, stats());
            case "forwards" -> reply(c, forwards());
            case "add", "delete" -> reply(c, change(cmd.equals("add"), option, spec));
            case "watch" -> {
                if (!watchers.contains(c)) {
                    watchers.add(c);
                    FlowTable t = src.flows();
                    if (t != null) {
                        t.watcher(this);
                    }
                }
                reply(c, object(g -> g.writeBooleanField("watching", true)));
            }
            default -> reply(c, error("unknown command: " + cmd));
        }
    }

    @Override
    public boolean watching(ApiServer.Client c) {
        return watchers.contains(c);
    }

    @Override
    public boolean busy(ApiServer.Client c) {
        State s = (State) c.state();
        return s != null && s.listing;
    }

    @Override
    public void drained(ApiServer.Client c) {
        State s = (State) c.state();
        if (s != null && s.listing) {
            list(c, s);
        }
    }

    @Override
    public void closed(ApiServer.Client c) {
        watchers.remove(c);
        FlowTable t = src.flows();
        if (watchers.isEmpty() && t != null) {
            t.watcher(null);
        }
    }

    @Override
    public void opened(int flow) {
        event("open", flow);
    }

    @Override
    public void closed(int flow) {
        event("close", flow);
    }

    private void event(String what, int flow) {
        if (watchers.isEmpty()) {
            return;
        }
        FlowTable t = src.flows();
        for (ApiServer.Client c : watchers) {
            State s = state(c);
            byte[] line = object(g -> {
                g.writeStringField("event", what);
                flowFields(g, t, flow);
                if (s.dropped > 0) {
                    g.writeNumberField("dropped_before", s.dropped);
                }
            });
            if (c.send(line)) {
                stats.count(ApiServer.EVENTS);
                s.dropped = 0;
            } else {
                stats.drop(ApiServer.EVENT_DID_NOT_FIT);
                s.dropped++;
            }
        }
    }

    /** Writes flows from where the listing stands until the buffer is full or the table ends. */
    private void list(ApiServer.Client c, State s) {
        FlowTable t = src.flows();
        for (int n = 0; n < BATCH; n++) {
            int f = t == null ? FlowTable.NONE : t.next(s.cursor);
            if (f == FlowTable.NONE) {
                int count = s.listed;
                if (c.send(object(g -> {
                    g.writeStringField("end", "flows");
                    g.writeNumberField("count", count);
                }))) {
                    s.listing = false;
                }
                return;
            }
            if (!c.send(object(g -> flowFields(g, t, f)))) {
                return; // continued when the client has read some
            }
            s.cursor = f;
            s.listed++;
        }
    }

    private void flowFields(JsonGenerator g, FlowTable t, int f) throws IOException {
        int type = t.type(f);
        int s0 = FlowTable.sidx(f, 0), s1 = FlowTable.sidx(f, 1);
        long now = src.nowNs();
        g.writeNumberField("flow", f);
        g.writeStringField("proto", proto(type));
        g.writeStringField("path", path(type, t.pif(s0), t.pif(s1)));
        g.writeStringField("state", type == FlowType.FREE ? "closed" : src.state(f));
        side(g, "from", t.pif(s0), t.eAddrHi(s0), t.eAddrLo(s0), t.ePort(s0));
        side(g, "to", t.pif(s0), t.oAddrHi(s0), t.oAddrLo(s0), t.oPort(s0));
        side(g, "peer", t.pif(s1), t.eAddrHi(s1), t.eAddrLo(s1), t.ePort(s1));
        g.writeNumberField("bytes_out", t.bytes(s0));
        g.writeNumberField("bytes_in", t.bytes(s1));
        g.writeNumberField("packets_out", t.packets(s0));
        g.writeNumberField("packets_in", t.packets(s1));
        g.writeNumberField("age_ms", Math.max(0, (now - t.openedNs(f)) / 1_000_000));
        g.writeNumberField("idle_ms", Math.max(0, (now - t.activeNs(f)) / 1_000_000));
    }

    private static void side(JsonGenerator g, String name, int pif, long hi, long lo, int port) throws IOException {
        g.writeObjectFieldStart(name);
        g.writeStringField("pif", Pif.name(pif));
        g.writeStringField("addr", Log.addr(hi, lo));
        g.writeNumberField("port", port);
        g.writeEndObject();
    }

    static String proto(int type) {
        return switch (type) {
            case FlowType.TCP, FlowType.TCP_SPLICE -> "tcp";
            case FlowType.UDP -> "udp";
            case FlowType.PING4 -> "icmp";
            case FlowType.PING6 -> "icmpv6";
            default -> "none";
        };
    }

    /** @return "tap", "splice" or "ping" (echo through ping sockets) */
    static String path(int type, int pif0, int pif1) {
        if (type == FlowType.PING4 || type == FlowType.PING6) {
            return "ping";
        }
        return pif0 == Pif.TAP || pif1 == Pif.TAP ? "tap" : "splice";
    }

    private byte[] stats() {
        return object(g -> {
            g.writeObjectFieldStart("stats");
            List<Counters> all = new ArrayList<>(src.counters());
            all.add(stats);
            for (Counters c : all) {
                g.writeObjectFieldStart(c.name());
                for (int i = 0; i < c.counts(); i++) {
                    g.writeNumberField(c.countName(i), c.get(i));
                }
                g.writeObjectFieldStart("drops");
                for (int i = 0; i < c.reasons(); i++) {
                    g.writeNumberField(c.reasonName(i), c.drops(i));
                }
                g.writeEndObject();
                g.writeEndObject();
            }
            g.writeEndObject();
            FlowTable t = src.flows();
            g.writeObjectFieldStart("flows");
            g.writeNumberField("in_use", t == null ? 0 : t.count());
            g.writeNumberField("capacity", t == null ? FlowTable.CAPACITY : t.capacity());
            g.writeNumberField("refused", t == null ? 0 : t.refusals());
            g.writeEndObject();
        });
    }

    private byte[] forwards() {
        RuleSet set = src.rules().current();
        return object(g -> {
            g.writeArrayFieldStart("forwards");
            for (FwdTable t : set.tables()) {
                g.writeStartObject();
                g.writeStringField("table", t.name());
                g.writeArrayFieldStart("rules");
                for (FwdRule r : t.rules()) {
                    g.writeString(r.text().strip());
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
        });
    }

    /**
     * {@code add} or {@code delete}: the rules of one port option, added to or taken from the current tables, all or
     * none (a rule that conflicts, or is not there to delete, changes nothing).
     */
    private byte[] change(boolean add, String option, String spec) {
        if (option == null || spec == null || !List.of("-t", "-u", "-T", "-U").contains(option)) {
            return error("\"option\" (-t, -u, -T or -U) and \"spec\" are needed");
        }
        RuleSet given;
        try {
            given = CommandLineRules.of(List.of(option.substring(1), spec), src.caps()).rules();
        } catch (IOException | RuntimeException e) {
            return error(e.getMessage());
        }
        RuleSet cur = src.rules().current(), next = cur.emptyCopy();
        for (FwdTable t : cur.tables()) {
            FwdTable g = given.table(t.pif()), n = next.table(t.pif());
            if (!add && g != null) {
                for (FwdRule r : g.rules()) {
                    if (!t.rules().contains(r)) {
                        return error("No such forwarding rule in " + t.name() + ": " + r.text().strip());
                    }
                }
            }
            for (FwdRule r : t.rules()) {
                if (add || g == null || !g.rules().contains(r)) {
                    n.add(r);
                }
            }
            if (add && g != null) {
                for (FwdRule r : g.rules()) {
                    String problem = n.add(r);
                    if (problem != null) {
                        return error(problem);
                    }
                }
            }
        }
        src.rules().replace(next);
        return object(g -> g.writeBooleanField("ok", true));
    }

    private interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    /** @return one JSON object with {@code fields}, and a newline */
    private byte[] object(Fields fields) {
        buf.reset();
        try (JsonGenerator g = json.createGenerator(buf)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e); // writing to memory
        }
        buf.write('\n');
        return buf.toByteArray();
    }

    private byte[] error(String message) {
        stats.count(ApiServer.ERRORS);
        return object(g -> g.writeStringField("error", message));
    }

    private void reply(ApiServer.Client c, byte[] line) {
        if (!c.send(line)) {
            stats.drop(ApiServer.REPLY_DID_NOT_FIT);
            c.close(); // a client that does not read its replies
        }
    }

    private static State state(ApiServer.Client c) {
        State s = (State) c.state();
        if (s == null) {
            s = new State();
            c.state(s);
        }
        return s;
    }
}
