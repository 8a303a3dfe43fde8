package io.jpasta.splice;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class SocketPoolTest {
    private final List<Integer> requests = new ArrayList<>();
    private int next = 1000;
    private final SocketPool pool = new SocketPool((v6, count, out) -> {
        requests.add(count);
        for (int i = 0; i < count; i++) {
            out[i] = next++;
        }
        return count;
    });

    @Test
    void emptyPoolFillsInOneBatchOnFirstTake() {
        int fd = pool.take(false);
        assertEquals(1000 + SocketPool.CAPACITY - 1, fd);
        assertEquals(List.of(SocketPool.CAPACITY), requests);
        assertEquals(SocketPool.CAPACITY - 1, pool.available(false));
        assertEquals(0, pool.available(true), "families have separate pools");
    }

    @Test
    void refillHappensOnlyBelowTheLowMarkAndTopsUp() {
        pool.refillIfLow();
        requests.clear();
        for (int i = 0; i < SocketPool.CAPACITY - SocketPool.LOW; i++) {
            pool.take(true);
        }
        pool.refillIfLow();
        assertEquals(List.of(), requests, "exactly LOW left: no refill yet");
        int before = requests.size();
        pool.take(true);
        pool.refillIfLow();
        assertEquals(before + 1, requests.size());
        assertEquals(SocketPool.CAPACITY, pool.available(true));
    }

    @Test
    void failingSourceYieldsMinusOneAndCounts() {
        SocketPool broken = new SocketPool((v6, count, out) -> -24);
        assertEquals(-1, broken.take(false));
        assertEquals(1, broken.refillErrors);
    }
}
