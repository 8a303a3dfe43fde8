package io.jpasta.tap.flow;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlowTableTest {
    static final long GUEST = Inany.v4Lo(0xc6336402), REMOTE = Inany.v4Lo(0xc63364c8);

    @Test
    void defaultCapacityIs128kMinusOne() {
        FlowTable t = new FlowTable(1);
        assertEquals(131071, t.capacity());
    }

    @Test
    void countsByTypeFollowAllocAndFree() {
        FlowTable t = new FlowTable(3, 7);
        int a = t.alloc(FlowType.TCP);
        t.alloc(FlowType.TCP_SPLICE);
        t.alloc(FlowType.TCP_SPLICE);
        assertEquals(FlowTable.NONE, t.alloc(FlowType.PING4));
        assertEquals(1, t.count(FlowType.TCP));
        assertEquals(2, t.count(FlowType.TCP_SPLICE));
        assertEquals("flows   3 of 3 in use: TCP 1, TCP (spliced) 2, ICMP 0, ICMPv6 0, UDP 0, refused (table full) 1",
                t.statsText());
        t.free(a);
        t.free(a);
        assertEquals(0, t.count(FlowType.TCP), "freeing twice counts once");
        assertEquals(2, t.count());
    }

    @Test
    void hashedSideIsFoundByItsKeyAndNotByAnother() {
        FlowTable t = new FlowTable(16, 42);
        int f = t.alloc(FlowType.TCP);
        t.side(f, 0, Pif.TAP, 0, GUEST, 39582, 0, REMOTE, 9400);
        t.side(f, 1, Pif.HOST, 0, REMOTE, 9400, 0, Inany.v4Lo(0xc6336402), 40000);
        assertTrue(t.hash(f, 0));
        assertTrue(t.hash(f, 1));
        assertEquals(FlowTable.sidx(f, 0), t.lookup(6, Pif.TAP, 0, GUEST, 39582, 0, REMOTE, 9400));
        int s1 = t.lookup(6, Pif.HOST, 0, REMOTE, 9400, 0, Inany.v4Lo(0xc6336402), 40000);
        assertEquals(f, FlowTable.flowOf(s1));
        assertEquals(1, FlowTable.sideOf(s1));
        assertEquals(FlowTable.NONE, t.lookup(17, Pif.TAP, 0, GUEST, 39582, 0, REMOTE, 9400), "other protocol");
        assertEquals(FlowTable.NONE, t.lookup(6, Pif.HOST, 0, GUEST, 39582, 0, REMOTE, 9400), "other pif");
        assertEquals(FlowTable.NONE, t.lookup(6, Pif.TAP, 0, GUEST, 39583, 0, REMOTE, 9400), "other port");
        assertEquals(39582, t.ePort(FlowTable.sidx(f, 0)));
        assertEquals(9400, t.oPort(FlowTable.sidx(f, 0)));
        assertTrue(Inany.isV4(t.eAddrHi(0), t.eAddrLo(0)));
        assertEquals(0xc6336402, Inany.v4(t.eAddrLo(0)));
    }

    @Test
    void duplicateKeyIsRefusedByHash() {
        FlowTable t = new FlowTable(16, 1);
        int a = t.alloc(FlowType.UDP);
        int b = t.alloc(FlowType.UDP);
        t.side(a, 0, Pif.TAP, 0, GUEST, 1, 0, REMOTE, 53);
        t.side(b, 0, Pif.TAP, 0, GUEST, 1, 0, REMOTE, 53);
        assertTrue(t.hash(a, 0));
        assertFalse(t.hash(b, 0));
        assertFalse(t.isHashed(FlowTable.sidx(b, 0)));
    }

    @Test
    void fullTableRefusesAndCountsThenAcceptsAfterFree() {
        FlowTable t = new FlowTable(3, 5);
        int a = t.alloc(FlowType.PING4);
        t.alloc(FlowType.PING6);
        t.alloc(FlowType.TCP_SPLICE);
        assertEquals(FlowTable.NONE, t.alloc(FlowType.UDP));
        assertEquals(FlowTable.NONE, t.alloc(FlowType.UDP));
        assertEquals(2, t.refusals());
        assertEquals(3, t.count());
        t.free(a);
        assertEquals(2, t.count());
        assertEquals(FlowTable.NONE, t.alloc(FlowType.UDP), "a freed index waits for the end of the event batch");
        t.reap();
        assertEquals(a, t.alloc(FlowType.UDP));
        assertEquals(FlowType.UDP, t.type(a));
    }

    @Test
    void growsPastItsFirstSizeKeepingEveryHashedSideFindable() {
        int n = FlowTable.INITIAL * 4 + 3; // two doublings and a half-used third size
        FlowTable t = new FlowTable(n, 77);
        for (int i = 0; i < n; i++) {
            assertEquals(i, t.alloc(FlowType.TCP), "never-used indices are handed out lowest first");
            t.side(i, 0, Pif.TAP, 0, GUEST, i, 0, REMOTE, 80);
            assertTrue(t.hash(i, 0));
        }
        assertEquals(FlowTable.NONE, t.alloc(FlowType.TCP), "full at its capacity");
        for (int i = 0; i < n; i++) {
            assertEquals(FlowTable.sidx(i, 0), t.lookup(6, Pif.TAP, 0, GUEST, i, 0, REMOTE, 80), "flow " + i);
        }
        assertEquals(FlowType.FREE, t.type(n + 1000), "an index never handed out is free");
    }

    @Test
    void aFreedIndexIsNotReusedBeforeReap() {
        FlowTable t = new FlowTable(8, 5);
        int a = t.alloc(FlowType.TCP);
        t.free(a);
        assertEquals(FlowType.FREE, t.type(a), "free at once for the handlers of the batch's remaining events");
        for (int i = 0; i < 7; i++) {
            assertNotEquals(a, t.alloc(FlowType.TCP));
        }
        assertEquals(FlowTable.NONE, t.alloc(FlowType.TCP));
        t.reap();
        assertEquals(a, t.alloc(FlowType.TCP));
    }

    @Test
    void freeRemovesSidesFromLookupAndIterationSkipsFreeSlots() {
        FlowTable t = new FlowTable(8, 9);
        int[] f = new int[5];
        for (int i = 0; i < 5; i++) {
            f[i] = t.alloc(FlowType.PING4);
            t.side(f[i], 0, Pif.TAP, 0, GUEST, i, 0, REMOTE, 0);
            assertTrue(t.hash(f[i], 0));
        }
        t.free(f[1]);
        t.free(f[3]);
        assertEquals(FlowTable.NONE, t.lookup(1, Pif.TAP, 0, GUEST, 1, 0, REMOTE, 0));
        assertEquals(FlowTable.sidx(f[4], 0), t.lookup(1, Pif.TAP, 0, GUEST, 4, 0, REMOTE, 0));
        List<Integer> seen = new ArrayList<>();
        for (int i = t.next(-1); i != FlowTable.NONE; i = t.next(i)) {
            seen.add(i);
        }
        assertEquals(List.of(f[0], f[2], f[4]), seen);
    }

    /** Property: after any sequence of alloc/hash/free, lookups agree with a map model (exercises deletion). */
    @Test
    void randomOperationsAgreeWithAMapModel() {
        Random rnd = new Random(11);
        FlowTable t = new FlowTable(64, 0);   // a weak key on purpose: more collisions in a small table
        Map<String, Integer> model = new HashMap<>();
        Map<Integer, String> keyOf = new HashMap<>();
        for (int step = 0; step < 20000; step++) {
            if (rnd.nextInt(3) > 0) {
                int port = rnd.nextInt(200);
                if (rnd.nextInt(4) == 0) {
                    t.reap(); // the end of an event batch
                }
                int f = t.alloc(FlowType.UDP);
                if (f == FlowTable.NONE) {
                    // refused: the table is full, or its free indices wait for the end of the batch
                    int before = t.count();
                    t.reap();
                    int again = t.alloc(FlowType.UDP);
                    assertTrue(before == 64 || again != FlowTable.NONE, "refused with free indices after reap");
                    if (again != FlowTable.NONE) {
                        t.free(again);
                    }
                    continue;
                }
                t.side(f, 0, Pif.TAP, 0, GUEST, port, 0, REMOTE, 53);
                String k = "p" + port;
                boolean ok = t.hash(f, 0);
                assertEquals(!model.containsKey(k), ok, "hash succeeds iff the key is new");
                if (ok) {
                    model.put(k, f);
                    keyOf.put(f, k);
                }
            } else if (!keyOf.isEmpty() || t.count() > 0) {
                int f = t.next(rnd.nextInt(64) - 1);
                if (f == FlowTable.NONE) {
                    f = t.next(-1);
                }
                String k = keyOf.remove(f);
                if (k != null) {
                    model.remove(k);
                }
                t.free(f);
            }
            for (int port = 0; port < 200; port += 7) {
                Integer want = model.get("p" + port);
                int got = t.lookup(17, Pif.TAP, 0, GUEST, port, 0, REMOTE, 53);
                assertEquals(want == null ? FlowTable.NONE : FlowTable.sidx(want, 0), got, "step " + step);
            }
            assertNull(t.inconsistency(), "step " + step);
        }
    }

    @Test
    void consistencyCheckFindsABucketLostFromTheIndex() throws ReflectiveOperationException {
        FlowTable t = new FlowTable(64, 0);
        int f = t.alloc(FlowType.UDP);
        t.side(f, 0, Pif.TAP, 0, GUEST, 1000, 0, REMOTE, 53);
        t.hash(f, 0);
        assertNull(t.inconsistency());
        java.lang.reflect.Field b = FlowTable.class.getDeclaredField("buckets");
        b.setAccessible(true);
        Arrays.fill((int[]) b.get(t), 0);
        assertEquals("1 sides hashed, 0 in buckets", t.inconsistency());
    }

    @Test
    void consistencyCheckFindsAFreedFlowCountedTwice() throws ReflectiveOperationException {
        FlowTable t = new FlowTable(64, 0);
        int f = t.alloc(FlowType.TCP);
        t.free(f);
        t.reap();
        assertNull(t.inconsistency());
        java.lang.reflect.Field top = FlowTable.class.getDeclaredField("freeTop");
        top.setAccessible(true);
        top.setInt(t, 2); // the stack's second slot is 0 too: flow 0 listed twice
        assertEquals("free list holds flow 0 twice", t.inconsistency());
    }
}
