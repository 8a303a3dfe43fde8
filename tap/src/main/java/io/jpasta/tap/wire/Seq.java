package io.jpasta.tap.wire;

/**
 * TCP sequence number arithmetic modulo 2^32 (RFC 9293 §3.4, RFC 1982 serial number arithmetic): {@code a}
 * precedes {@code b} if {@code b - a}, taken as a signed 32-bit value, is positive. Sequence numbers are plain
 * {@code int}s and must only be compared through these methods.
 */
public final class Seq {
    private Seq() {
    }

    /** @return true if {@code a} comes before {@code b} */
    public static boolean lt(int a, int b) {
        return b - a > 0;
    }

    /** @return true if {@code a} comes before or equals {@code b} */
    public static boolean le(int a, int b) {
        return b - a >= 0;
    }

    /** @return true if {@code a} comes after {@code b} */
    public static boolean gt(int a, int b) {
        return a - b > 0;
    }

    /** @return true if {@code a} comes after or equals {@code b} */
    public static boolean ge(int a, int b) {
        return a - b >= 0;
    }

    /** @return {@code a - b} as a signed distance: positive when {@code a} is after {@code b} */
    public static int diff(int a, int b) {
        return a - b;
    }
}
