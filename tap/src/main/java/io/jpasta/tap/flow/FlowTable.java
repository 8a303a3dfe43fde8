package io.jpasta.tap.flow;

import java.util.Arrays;

/**
 * Table of flows up to a fixed capacity, index-addressed, with a hash index from side keys to flow sides.
 *
 * <p>A flow has a {@link FlowType type} and two sides, 0 and 1 (by convention side 0 is the side the flow was
 * initiated from). A side is named by its "sidx", {@code flow * 2 + side}. Each side holds a {@link Pif}, the
 * endpoint address and port (the peer on that interface) and our address and port on that interface. Addresses
 * are {@link Inany} pairs. Per-flow protocol state lives in the owning module's own arrays, indexed by flow.
 *
 * <p>Lookup key: (IP protocol from the type, pif, endpoint address, endpoint port, our address, our port).
 * A side is only findable after {@link #hash}; sides without a useful key (a socket we never demultiplex by
 * address) need not be hashed. The index is open addressing with linear probing over a power-of-two bucket
 * array at most half full (each flow can hash both sides), with backward-shift deletion so no tombstones
 * accumulate. Buckets hold {@code sidx + 1}; keys are compared against the side arrays, so lookups touch no
 * per-flow objects and allocate nothing. The hash is keyed with a secret so that guests cannot aim collisions.
 *
 * <p>Allocation reuses a freed index (a stack) or takes the lowest never-used one; the arrays start small and double
 * as the highest index in use grows (zeroing and faulting in the full 13 MB cost 14 ms on the first connection, and
 * a table that never holds more than a few flows should not hold that memory). A full table (every index up to the
 * capacity in use) makes {@link #alloc} return {@link #NONE} and counts the
 * refusal ({@link #refusals()}): the caller answers as the protocol would when out of resources (RST, drop).
 * A freed index is retired, not reusable, until the event loop calls {@link #reap} after the batch of epoll events
 * it is handling: events of that batch still name the freed flow (by index, in the epoll data of a socket closed
 * meanwhile), and must find it free rather than a new flow that took its index, and possibly its socket's
 * descriptor number too (a new flow's connect failed on a stale EPOLLHUP before this rule).
 *
 * <p>Every flow also counts what each side sent (bytes of payload and packets, {@link #count}) and when it was opened
 * and last moved something, for the control API's flow list; an optional {@link Watcher} hears of flows opened and
 * closed, once per batch of events (at {@link #reap}, when the engines have filled in both sides).
 * Not thread-safe: owned by the event loop thread.
 */
public final class FlowTable {
    /** Default capacity, as pasta: 128k - 1 flows, so a flow index fits in 17 bits with one value spare. */
    public static final int CAPACITY = (1 << 17) - 1;
    /** No flow / no side. */
    public static final int NONE = -1;

    /** Flows the table grows up to; the arrays hold {@code size} flows, {@code used} of them ever handed out. */
    private final int capacity;
    private int size, used;
    /** Flows the arrays start with. */
    static final int INITIAL = 256;
    private byte[] type;
    private int[] freeStack;
    private int freeTop;
    /** Freed since the last {@link #reap}: free, but not reusable yet. */
    private int[] retired;
    private int retiredCount;
    private int count;
    private final int[] countOfType = new int[FlowType.COUNT];
    private long refusals;

    private byte[] pif;
    private long[] eHi, eLo, oHi, oLo;
    private int[] ports;
    private int[] sideHash;
    private boolean[] hashed;

    private int[] buckets;
    private int mask;
    private final long secret;

    /** Per side: payload bytes and packets that side sent. Per flow: opened and last active (monotonic ns). */
    private long[] bytes, packets, openedNs, activeNs;
    /** The loop's clock as of its current batch of events ({@link #tick}). */
    private long tickNs;
    private Watcher watcher;
    /** Allocated since the last {@link #reap}, for the watcher. */
    private int[] born = new int[16];
    private int bornCount;

    /** Hears of flows opened and closed; called from {@link #reap}, on the loop's thread. */
    public interface Watcher {
        /** {@code flow} was opened since the last batch; its sides are set. */
        void opened(int flow);

        /** {@code flow} was closed; its sides, type and counters are still readable during the call. */
        void closed(int flow);
    }

    /** Table of {@link #CAPACITY} flows. */
    public FlowTable(long secret) {
        this(CAPACITY, secret);
    }

    /**
     * @param capacity number of flows, at least 1, at most {@link #CAPACITY}
     * @param secret hash key; pass a random value
     */
    public FlowTable(int capacity, long secret) {
        if (capacity < 1 || capacity > CAPACITY) {
            throw new IllegalArgumentException("flow table capacity out of range: " + capacity);
        }
        this.capacity = capacity;
        this.secret = secret;
        type = new byte[0];
        freeStack = retired = new int[0];
        pif = new byte[0];
        eHi = eLo = oHi = oLo = new long[0];
        bytes = packets = openedNs = activeNs = new long[0];
        ports = sideHash = new int[0];
        hashed = new boolean[0];
        buckets = new int[0];
        grow(Math.min(INITIAL, capacity));
    }

    /** Resizes every array for {@code n} flows and rebuilds the hash index at its new size. */
    private void grow(int n) {
        size = n;
        type = Arrays.copyOf(type, n);
        freeStack = Arrays.copyOf(freeStack, n);
        retired = Arrays.copyOf(retired, n);
        int sides = n * 2;
        pif = Arrays.copyOf(pif, sides);
        eHi = Arrays.copyOf(eHi, sides);
        eLo = Arrays.copyOf(eLo, sides);
        oHi = Arrays.copyOf(oHi, sides);
        oLo = Arrays.copyOf(oLo, sides);
        ports = Arrays.copyOf(ports, sides);
        sideHash = Arrays.copyOf(sideHash, sides);
        hashed = Arrays.copyOf(hashed, sides);
        bytes = Arrays.copyOf(bytes, sides);
        packets = Arrays.copyOf(packets, sides);
        openedNs = Arrays.copyOf(openedNs, n);
        activeNs = Arrays.copyOf(activeNs, n);
        int nb = Integer.highestOneBit(sides * 2 - 1) << 1;
        buckets = new int[nb];
        mask = nb - 1;
        for (int s = 0; s < used * 2; s++) {
            if (hashed[s]) {
                place(s);
            }
        }
    }

    /** Puts side {@code s} (its {@code sideHash} set) in the first free bucket of its probe run. */
    private void place(int s) {
        int i = sideHash[s] & mask;
        while (buckets[i] != 0) {
            i = (i + 1) & mask;
        }
        buckets[i] = s + 1;
    }

    /** @return the side index of {@code side} (0 or 1) of {@code flow} */
    public static int sidx(int flow, int side) {
        return flow * 2 + side;
    }

    /** @return the flow of side index {@code sidx} */
    public static int flowOf(int sidx) {
        return sidx >>> 1;
    }

    /** @return which side (0 or 1) {@code sidx} is */
    public static int sideOf(int sidx) {
        return sidx & 1;
    }

    /**
     * Takes a free slot for a new flow; its sides start unset ({@link Pif#NONE}) and unhashed.
     *
     * @return the flow index, or {@link #NONE} if the table is full (counted in {@link #refusals()})
     */
    public int alloc(int flowType) {
        if (flowType <= FlowType.FREE || flowType >= FlowType.COUNT) {
            throw new IllegalArgumentException("not a flow type: " + flowType);
        }
        int flow;
        if (freeTop > 0) {
            flow = freeStack[--freeTop];
        } else if (used < capacity) {
            flow = used++;
            if (flow >= size) {
                grow(Math.min(capacity, size * 2));
            }
        } else {
            refusals++;
            return NONE;
        }
        type[flow] = (byte) flowType;
        for (int s = flow * 2; s < flow * 2 + 2; s++) {
            pif[s] = Pif.NONE;
            eHi[s] = eLo[s] = oHi[s] = oLo[s] = 0;
            ports[s] = 0;
            hashed[s] = false;
            bytes[s] = packets[s] = 0;
        }
        openedNs[flow] = activeNs[flow] = tickNs;
        if (watcher != null) {
            if (bornCount == born.length) {
                born = Arrays.copyOf(born, bornCount * 2);
            }
            born[bornCount++] = flow;
        }
        count++;
        countOfType[flowType]++;
        return flow;
    }

    /**
     * Releases {@code flow}, removing its sides from the hash index; its index is reusable after the next
     * {@link #reap}. Freeing a free slot is a no-op.
     */
    public void free(int flow) {
        if (type[flow] == FlowType.FREE) {
            return;
        }
        unhash(flow, 0);
        unhash(flow, 1);
        countOfType[type[flow]]--;
        type[flow] = FlowType.FREE;
        retired[retiredCount++] = flow;
        count--;
    }

    /** Makes the indices freed since the last call reusable; the loop calls it between batches of events. */
    public void reap() {
        if (watcher != null) {
            tell();
        }
        for (int i = 0; i < retiredCount; i++) {
            freeStack[freeTop++] = retired[i];
        }
        retiredCount = 0;
    }

    /** Tells the watcher of the batch's new flows (still open, or opened and closed in it) and closed ones. */
    private void tell() {
        for (int i = 0; i < bornCount; i++) {
            int f = born[i];
            if (type[f] != FlowType.FREE || isRetired(f)) {
                watcher.opened(f);
            }
        }
        bornCount = 0;
        for (int i = 0; i < retiredCount; i++) {
            watcher.closed(retired[i]);
        }
    }

    private boolean isRetired(int flow) {
        for (int i = 0; i < retiredCount; i++) {
            if (retired[i] == flow) {
                return true;
            }
        }
        return false;
    }

    /** Counts {@code pkts} packets with {@code n} payload bytes in all, sent by side {@code sidx}, at {@code nowNs}. */
    public void count(int sidx, long n, int pkts, long nowNs) {
        bytes[sidx] += n;
        packets[sidx] += pkts;
        activeNs[sidx >>> 1] = nowNs;
    }

    /** Like {@link #count(int, long, int, long)}, stamped with the time of {@link #tick}: for engines without a clock. */
    public void count(int sidx, long n, int pkts) {
        count(sidx, n, pkts, tickNs);
    }

    /** @return payload bytes side {@code sidx} sent */
    public long bytes(int sidx) {
        return bytes[sidx];
    }

    /** @return packets side {@code sidx} sent */
    public long packets(int sidx) {
        return packets[sidx];
    }

    /** @return when {@code flow} was opened, by the loop's clock ({@link #tick}) */
    public long openedNs(int flow) {
        return openedNs[flow];
    }

    /** @return when {@code flow} last counted a packet (or was opened), by the engines' clock */
    public long activeNs(int flow) {
        return activeNs[flow];
    }

    /**
     * Sets the time, monotonic ns, that stamps the flows opened and the packets counted from now on without a time
     * of their own: the loop calls it once per batch of events, which costs no clock read per packet.
     */
    public void tick(long nowNs) {
        this.tickNs = nowNs;
    }

    /** Sets, or with null removes, the {@link Watcher}. */
    public void watcher(Watcher w) {
        this.watcher = w;
        bornCount = 0;
    }

    /** Sets the addresses of a side; a hashed side must be {@link #unhash unhashed} first. */
    public void side(int flow, int side, int sidePif, long eAddrHi, long eAddrLo, int ePort,
                     long oAddrHi, long oAddrLo, int oPort) {
        int s = sidx(flow, side);
        if (hashed[s]) {
            throw new IllegalStateException("changing a hashed flow side");
        }
        pif[s] = (byte) sidePif;
        eHi[s] = eAddrHi;
        eLo[s] = eAddrLo;
        oHi[s] = oAddrHi;
        oLo[s] = oAddrLo;
        ports[s] = (ePort & 0xffff) << 16 | (oPort & 0xffff);
    }

    /**
     * Makes a side findable by {@link #lookup}.
     *
     * @return false if another side already has the same key (nothing changed), true otherwise
     */
    public boolean hash(int flow, int side) {
        int s = sidx(flow, side);
        if (hashed[s]) {
            return true;
        }
        int proto = FlowType.proto(type[flow]);
        if (lookup(proto, pif[s], eHi[s], eLo[s], ports[s] >>> 16, oHi[s], oLo[s], ports[s] & 0xffff) != NONE) {
            return false;
        }
        sideHash[s] = hash(proto, pif[s], eHi[s], eLo[s], oHi[s], oLo[s], ports[s]);
        place(s);
        hashed[s] = true;
        return true;
    }

    /** Removes a side from the hash index, if it is there. */
    public void unhash(int flow, int side) {
        int s = sidx(flow, side);
        if (!hashed[s]) {
            return;
        }
        hashed[s] = false;
        int i = sideHash[s] & mask;
        while (buckets[i] != s + 1) {
            i = (i + 1) & mask;
        }
        // Backward-shift deletion: move later entries of the probe run into the hole unless their home bucket
        // lies cyclically after the hole, so that every remaining entry stays reachable from its home.
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            int e = buckets[j];
            if (e == 0) {
                break;
            }
            int home = sideHash[e - 1] & mask;
            boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                buckets[hole] = e;
                hole = j;
            }
        }
        buckets[hole] = 0;
    }

    /**
     * Finds the hashed side with this key.
     *
     * @param proto IP protocol number (6, 17, 1, 58)
     * @return the side index, or {@link #NONE}
     */
    public int lookup(int proto, int sidePif, long eAddrHi, long eAddrLo, int ePort, long oAddrHi, long oAddrLo,
                      int oPort) {
        int p = (ePort & 0xffff) << 16 | (oPort & 0xffff);
        int i = hash(proto, sidePif, eAddrHi, eAddrLo, oAddrHi, oAddrLo, p) & mask;
        for (int e = buckets[i]; e != 0; i = (i + 1) & mask, e = buckets[i]) {
            int s = e - 1;
            if (ports[s] == p && eLo[s] == eAddrLo && oLo[s] == oAddrLo && eHi[s] == eAddrHi && oHi[s] == oAddrHi
                    && pif[s] == sidePif && FlowType.proto(type[s >>> 1]) == proto) {
                return s;
            }
        }
        return NONE;
    }

    private int hash(int proto, int sidePif, long a, long b, long c, long d, int p) {
        long h = secret ^ ((long) proto << 40 | (long) sidePif << 32 | (p & 0xffff_ffffL));
        h = mix(h ^ a);
        h = mix(h ^ b);
        h = mix(h ^ c);
        h = mix(h ^ d);
        return (int) (h ^ (h >>> 32));
    }

    /** @return {@code h} mixed by a 64-bit finaliser with good avalanche (the MurmurHash3 fmix64 constants) */
    public static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    /** @return the type of {@code flow}, {@link FlowType#FREE} if the slot is free */
    public int type(int flow) {
        return flow < type.length ? type[flow] : FlowType.FREE; // an index beyond the arrays was never handed out
    }

    public int pif(int sidx) {
        return pif[sidx];
    }

    public long eAddrHi(int sidx) {
        return eHi[sidx];
    }

    public long eAddrLo(int sidx) {
        return eLo[sidx];
    }

    public int ePort(int sidx) {
        return ports[sidx] >>> 16;
    }

    public long oAddrHi(int sidx) {
        return oHi[sidx];
    }

    public long oAddrLo(int sidx) {
        return oLo[sidx];
    }

    public int oPort(int sidx) {
        return ports[sidx] & 0xffff;
    }

    public boolean isHashed(int sidx) {
        return hashed[sidx];
    }

    /**
     * Iteration over flows in use, for timers: {@code for (int f = t.next(-1); f != NONE; f = t.next(f))}.
     * Freeing the current flow during the iteration is allowed.
     *
     * @return the lowest flow index in use above {@code flow}, or {@link #NONE}
     */
    public int next(int flow) {
        for (int i = flow + 1; i < used; i++) {
            if (type[i] != FlowType.FREE) {
                return i;
            }
        }
        return NONE;
    }

    /** @return number of flows in use */
    public int count() {
        return count;
    }

    /** @return number of flows of type {@code flowType} in use */
    public int count(int flowType) {
        return countOfType[flowType];
    }

    public int capacity() {
        return capacity;
    }

    /** @return one line for {@code --stats}: flows in use of the capacity, by type, and refusals */
    public String statsText() {
        StringBuilder sb = new StringBuilder("flows   ").append(count).append(" of ").append(capacity)
                .append(" in use");
        for (int t = FlowType.FREE + 1; t < FlowType.COUNT; t++) {
            sb.append(t == FlowType.FREE + 1 ? ": " : ", ").append(FlowType.name(t)).append(' ')
                    .append(countOfType[t]);
        }
        return sb.append(", refused (table full) ").append(refusals).toString();
    }

    /** @return allocations refused because the table was full */
    public long refusals() {
        return refusals;
    }

    /**
     * Checks the table's invariants, for tests and fuzzing (it walks every slot and bucket: not for the data path):
     * the counts match the slots' types; the free stack and the retired list hold distinct free slots, and with the
     * slots in use they account for every index handed out; only sides of flows in use are hashed; every hashed side
     * is in exactly one bucket, reachable from its home bucket and found by {@link #lookup}; no bucket names
     * anything else.
     *
     * @return null if consistent, else what is wrong
     */
    public String inconsistency() {
        int inUse = 0;
        int[] ofType = new int[FlowType.COUNT];
        for (int f = 0; f < used; f++) {
            if (type[f] < FlowType.FREE || type[f] >= FlowType.COUNT) {
                return "flow " + f + " has type " + type[f];
            }
            if (type[f] != FlowType.FREE) {
                inUse++;
                ofType[type[f]]++;
            } else if (hashed[f * 2] || hashed[f * 2 + 1]) {
                return "free flow " + f + " has a hashed side";
            }
        }
        if (inUse != count) {
            return "count " + count + " but " + inUse + " flows in use";
        }
        for (int t = FlowType.FREE + 1; t < FlowType.COUNT; t++) {
            if (ofType[t] != countOfType[t]) {
                return "count of " + FlowType.name(t) + " " + countOfType[t] + " but " + ofType[t] + " in use";
            }
        }
        boolean[] seen = new boolean[used];
        for (int i = 0; i < freeTop + retiredCount; i++) {
            int f = i < freeTop ? freeStack[i] : retired[i - freeTop];
            if (f < 0 || f >= used || seen[f] || type[f] != FlowType.FREE) {
                return "free list holds flow " + f + (f >= 0 && f < used && seen[f] ? " twice" : " not free");
            }
            seen[f] = true;
        }
        if (inUse + freeTop + retiredCount != used) {
            return used + " flows handed out but " + inUse + " in use and " + (freeTop + retiredCount) + " free";
        }
        int inBuckets = 0;
        for (int i = 0; i < buckets.length; i++) {
            int e = buckets[i];
            if (e == 0) {
                continue;
            }
            int s = e - 1;
            inBuckets++;
            if (s >= used * 2 || !hashed[s]) {
                return "bucket " + i + " names side " + s + ", not hashed";
            }
            for (int j = sideHash[s] & mask; j != i; j = (j + 1) & mask) {
                if (buckets[j] == 0) {
                    return "side " + s + " in bucket " + i + " is cut off from its home bucket by an empty one";
                }
            }
            int found = lookup(FlowType.proto(type[s >>> 1]), pif[s], eHi[s], eLo[s], ports[s] >>> 16, oHi[s],
                    oLo[s], ports[s] & 0xffff);
            if (found != s) {
                return "lookup of side " + s + "'s key finds " + found;
            }
        }
        int hashedSides = 0;
        for (int s = 0; s < used * 2; s++) {
            hashedSides += hashed[s] ? 1 : 0;
        }
        return hashedSides == inBuckets ? null : hashedSides + " sides hashed, " + inBuckets + " in buckets";
    }
}
