package io.jpasta.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesNestedObjectsArraysAndScalars() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, true, null], \"b\": {\"c\": \"x\\ty\\u0041\"}} ");
        assertEquals(1.0, Json.num(v, "a", "0"));
        assertEquals(-2500.0, Json.num(v, "a", "1"));
        assertEquals(Boolean.TRUE, Json.at(v, "a", "2"));
        assertNull(Json.at(v, "a", "3"));
        assertEquals("x\tyA", Json.str(v, "b", "c"));
        assertTrue(Json.at(v) instanceof Map<?, ?>);
    }

    @Test
    void missingPathsGiveNullNanOrEmpty() {
        Object v = Json.parse("{\"a\": [1]}");
        assertNull(Json.at(v, "a", "5"));
        assertNull(Json.at(v, "x", "y"));
        assertTrue(Double.isNaN(Json.num(v, "a")));
        assertEquals(List.of(), Json.list(v, "nope"));
    }

    @Test
    void rejectsTruncatedAndTrailingText() {
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\": 1"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1, 2] x"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse(""));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\" 1}"));
    }

    @Test
    void parsesIperf3TabIndentedOutput() {
        Object v = Json.parse(Samples.read("iperf3-refused.json"));
        assertEquals("unable to connect to server: Connection refused", Json.str(v, "error"));
    }
}
