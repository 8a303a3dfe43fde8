package io.jpasta.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void oddCountMedianIsTheMiddleValue() {
        Stats s = Stats.of(new double[] {5, 1, 3});
        assertEquals(new Stats(3, 1, 5, 3), s);
        assertEquals(4.0 / 3, s.relativeSpread(), 1e-12);
    }

    @Test
    void evenCountMedianIsTheMeanOfTheMiddlePair() {
        assertEquals(2.5, Stats.median(new double[] {4, 1, 2, 3}));
    }

    @Test
    void nanValuesAreIgnoredAndNothingGivesNan() {
        assertEquals(new Stats(2, 2, 2, 1), Stats.of(new double[] {Double.NaN, 2}));
        Stats none = Stats.of(new double[0]);
        assertEquals(0, none.n());
        assertTrue(Double.isNaN(none.median()));
        assertEquals(0, none.relativeSpread());
    }
}
