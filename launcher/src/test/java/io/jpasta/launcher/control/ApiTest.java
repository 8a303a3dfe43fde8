package io.jpasta.launcher.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.jpasta.netns.log.Counters;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tap.flow.Inany;
import io.jpasta.tap.flow.Pif;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The JSON control API's replies, field by field, over a real flow table and a client whose buffer can fill. */
class ApiTest {
    private static final long T0 = 1_000_000_000L;
    private static final Set<String> FLOW_FIELDS = Set.of("flow", "proto", "path", "state", "from.pif", "from.addr",
            "from.port", "to.pif", "to.addr", "to.port", "peer.pif", "peer.addr", "peer.port", "bytes_out", "bytes_in",
            "packets_out", "packets_in", "age_ms", "idle_ms");

    private final FlowTable table = new FlowTable(1000, 7);
    private long now = T0;
    private RuleSet rules = CommandLineRules.of(List.of("t", "8080"), caps()).rules();
    private final Counters tcp = new Counters("tcp", new String[] {"segs-from-tap"}, new String[] {"no flow"});
    private final Counters apiStats = ApiServer.counters();
    private final Api api = new Api(new Api.Sources() {
        @Override
        public FlowTable flows() {
            return table;
        }

        @Override
        public String state(int flow) {
            return "ESTABLISHED";
        }

        @Override
        public List<Counters> counters() {
            return List.of(tcp);
        }

        @Override
        public PestoSession.Rules rules() {
            return new PestoSession.Rules() {
                @Override
                public RuleSet current() {
                    return rules;
                }

                @Override
                public void replace(RuleSet next) {
                    rules = next;
                }
            };
        }

        @Override
        public int caps() {
            return ApiTest.caps();
        }

        @Override
        public long nowNs() {
            return now;
        }
    }, apiStats);

    ApiTest() throws IOException {
        table.tick(now);
    }

    private static int caps() {
        return FwdTable.CAP_IPV4 | FwdTable.CAP_IPV6 | FwdTable.CAP_TCP | FwdTable.CAP_UDP | FwdTable.CAP_SCAN
                | FwdTable.CAP_IFNAME;
    }

    /** A client whose output buffer takes {@code room} bytes until it drains. */
    private static final class Client implements ApiServer.Client {
        final List<String> lines = new ArrayList<>();
        int room;
        boolean closed;
        Object state;

        Client(int room) {
            this.room = room;
        }

        @Override
        public boolean send(byte[] b) {
            if (b.length > room) {
                return false;
            }
            room -= b.length;
            String s = new String(b, StandardCharsets.UTF_8);
            assertTrue(s.endsWith("\n") && s.indexOf('\n') == s.length() - 1, "one line per reply: " + s);
            lines.add(s.strip());
            return true;
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public Object state() {
            return state;
        }

        @Override
        public void state(Object s) {
            state = s;
        }
    }

    private void ask(Client c, String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        api.request(c, b, b.length);
    }

    /** Opens a TCP flow from the guest to 198.51.100.200:80 and counts traffic both ways. */
    private int tcpFlow(int sport, long out, long in) {
        int f = table.alloc(FlowType.TCP);
        table.side(f, 0, Pif.TAP, Inany.V4_HI, Inany.v4Lo(0xc6336402), sport, Inany.V4_HI, Inany.v4Lo(0xc63364c8), 80);
        table.side(f, 1, Pif.HOST, Inany.V4_HI, Inany.v4Lo(0xc63364c8), 80, 0, 0, 0);
        table.count(FlowTable.sidx(f, 0), out, 3, now);
        table.count(FlowTable.sidx(f, 1), in, 2, now);
        return f;
    }

    static Map<String, String> fields(String line) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        try (JsonParser p = new JsonFactory().createParser(line)) {
            assertEquals(JsonToken.START_OBJECT, p.nextToken(), line);
            flatten(p, "", m);
            assertEquals(null, p.nextToken(), "one object per line: " + line);
        }
        return m;
    }

    private static void flatten(JsonParser p, String prefix, Map<String, String> m) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = prefix + p.currentName();
            if (p.nextToken() == JsonToken.START_OBJECT) {
                flatten(p, name + ".", m);
            } else {
                m.put(name, p.getValueAsString(p.currentToken().toString()));
                p.skipChildren();
            }
        }
    }

    @Test
    void flowsListsEveryFlowWithItsAddressesCountsAndTimesThenTheEnd() throws IOException {
        int f = tcpFlow(40000, 1000, 250_000);
        now += 3_000_000_000L;
        Client c = new Client(1 << 20);
        ask(c, "{\"cmd\":\"flows\"}");
        assertEquals(2, c.lines.size(), c.lines.toString());
        Map<String, String> m = fields(c.lines.get(0));
        assertEquals(FLOW_FIELDS, m.keySet());
        assertEquals("" + f, m.get("flow"));
        assertEquals("tcp", m.get("proto"));
        assertEquals("tap", m.get("path"));
        assertEquals("198.51.100.2", m.get("from.addr"));
        assertEquals("40000", m.get("from.port"));
        assertEquals("198.51.100.200", m.get("to.addr"));
        assertEquals("HOST", m.get("peer.pif"));
        assertEquals("1000", m.get("bytes_out"));
        assertEquals("250000", m.get("bytes_in"));
        assertEquals("3", m.get("packets_out"));
        assertEquals("2", m.get("packets_in"));
        assertEquals("3000", m.get("age_ms"));
        assertEquals("3000", m.get("idle_ms"));
        assertEquals(Map.of("end", "flows", "count", "1"), fields(c.lines.get(1)));
    }

    @Test
    void aLongListingWaitsForTheClientToReadAndMissesNoFlow() throws IOException {
        for (int i = 0; i < 900; i++) {
            tcpFlow(10000 + i, i, i);
        }
        Client c = new Client(20_000);
        ask(c, "{\"cmd\":\"flows\"}");
        int first = c.lines.size();
        assertTrue(first > 0 && first < 900, "a full buffer stops the listing: " + first);
        for (int turn = 0; turn < 1000 && !c.lines.getLast().startsWith("{\"end\""); turn++) {
            c.room = 20_000;
            api.drained(c);
        }
        assertEquals(901, c.lines.size());
        assertEquals(Map.of("end", "flows", "count", "900"), fields(c.lines.getLast()));
        for (int i = 0; i < 900; i++) {
            assertEquals("" + (10000 + i), fields(c.lines.get(i)).get("from.port"));
        }
    }

    @Test
    void statsHasEveryCounterAndDropReasonAndTheFlowTable() throws IOException {
        tcp.count(0);
        tcp.drop(0);
        tcpFlow(40000, 1, 1);
        Client c = new Client(1 << 20);
        ask(c, "{\"cmd\":\"reboot\"}");
        ask(c, "{\"cmd\":\"stats\"}");
        Map<String, String> m = new LinkedHashMap<>(fields(c.lines.getLast()));
        Map<String, String> api = new LinkedHashMap<>();
        m.keySet().removeIf(k -> k.startsWith("stats.api.") && api.put(k.substring(10), m.get(k)) == null);
        assertEquals(Map.of("stats.tcp.segs-from-tap", "1", "stats.tcp.drops.no flow", "1", "flows.in_use", "1",
                "flows.capacity", "1000", "flows.refused", "0"), m);
        assertEquals(Map.of("clients", "0", "requests", "2", "errors", "1", "events", "0",
                "drops.too many clients", "0", "drops.request too long", "0", "drops.reply did not fit", "0",
                "drops.event did not fit", "0", "drops.idle", "0"), api,
                "the API's own line: what it served and dropped");
    }

    @Test
    void addAndDeleteChangeTheForwardsAsPortOptionsWould() throws IOException {
        Client c = new Client(1 << 20);
        ask(c, "{\"cmd\":\"add\",\"option\":\"-t\",\"spec\":\"9000-9001\"}");
        assertEquals(Map.of("ok", "true"), fields(c.lines.getLast()));
        ask(c, "{\"cmd\":\"forwards\"}");
        assertTrue(c.lines.getLast().contains("\"TCP [*]:9000-9001  =>  9000-9001\""), c.lines.getLast());
        assertTrue(c.lines.getLast().contains("\"TCP [*]:8080  =>  8080\""), c.lines.getLast());
        ask(c, "{\"cmd\":\"delete\",\"option\":\"-t\",\"spec\":\"8080\"}");
        ask(c, "{\"cmd\":\"forwards\"}");
        assertFalse(c.lines.getLast().contains("8080"), c.lines.getLast());
        ask(c, "{\"cmd\":\"add\",\"option\":\"-t\",\"spec\":\"9001\"}");
        assertTrue(fields(c.lines.getLast()).get("error").startsWith("Forwarding configuration conflict"),
                c.lines.getLast());
        RuleSet before = rules;
        ask(c, "{\"cmd\":\"delete\",\"option\":\"-t\",\"spec\":\"9000\"}"); // only 9000-9001 is there
        assertEquals("No such forwarding rule in HOST: TCP [*]:9000  =>  9000", fields(c.lines.getLast()).get("error"));
        assertTrue(before == rules, "nothing changed");
    }

    @Test
    void badRequestsGetAnErrorLineAndTheClientStays() throws IOException {
        Client c = new Client(1 << 20);
        for (String bad : new String[] {"{\"cmd\":", "[1,2]", "{\"cmd\":\"reboot\"}", "{}",
                "{\"cmd\":\"add\",\"option\":\"-x\",\"spec\":\"1\"}", "{\"cmd\":\"add\",\"option\":\"-t\",\"spec\":\"0\"}",
                "\u0000\u0001garbage"}) {
            ask(c, bad);
            assertTrue(fields(c.lines.getLast()).containsKey("error"), bad + " -> " + c.lines.getLast());
        }
        assertFalse(c.closed);
        ask(c, "{\"cmd\":\"stats\"}");
        assertTrue(fields(c.lines.getLast()).containsKey("flows.in_use"));
    }

    @Test
    void watchersHearOfFlowsOpenedAndClosedAtTheEndOfEachBatchAndCountWhatTheyMissed() throws IOException {
        Client w = new Client(1 << 20), slow = new Client(0);
        ask(w, "{\"cmd\":\"watch\"}");
        slow.room = 100;
        ask(slow, "{\"cmd\":\"watch\"}");
        int f = tcpFlow(40000, 0, 0);
        table.reap();
        table.free(f);
        table.reap();
        assertEquals(3, w.lines.size(), w.lines.toString());
        assertEquals("open", fields(w.lines.get(1)).get("event"));
        assertEquals("40000", fields(w.lines.get(1)).get("from.port"));
        assertEquals("close", fields(w.lines.get(2)).get("event"));
        slow.room = 1 << 20;
        tcpFlow(40001, 0, 0);
        table.reap();
        assertEquals("2", fields(slow.lines.getLast()).get("dropped_before"), slow.lines.toString());
        assertEquals(2, apiStats.drops(ApiServer.EVENT_DID_NOT_FIT), "what a watcher missed is counted");
        assertEquals(4, apiStats.get(ApiServer.EVENTS), "w: open, close, open; slow: the last open");
        int heard = w.lines.size();
        api.closed(w);
        api.closed(slow);
        tcpFlow(40002, 0, 0);
        table.reap();
        assertEquals(heard, w.lines.size(), "no events after the watcher left");
    }
}
