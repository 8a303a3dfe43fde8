package io.jpasta.launcher.control;

import java.util.ArrayList;
import java.util.List;

/**
 * The forwarding tables of every pif that has one, by pif number: for pasta HOST (1) and SPLICE (3), with the same
 * capabilities. What pesto shows and replaces as a whole.
 */
public final class RuleSet {
    /** Pif numbers on the wire (pasta's): 0 ends a list, 2 (the tap) has no table. */
    public static final int PIF_NONE = 0, PIF_HOST = 1, PIF_TAP = 2, PIF_SPLICE = 3;
    private static final int PIF_COUNT = 4;

    private final FwdTable[] tables = new FwdTable[PIF_COUNT];

    private RuleSet() {
    }

    /** @return pasta's empty tables, HOST and SPLICE, both with capabilities {@code caps} */
    public static RuleSet pasta(int caps) {
        RuleSet s = new RuleSet();
        s.tables[PIF_HOST] = new FwdTable(PIF_HOST, "HOST", caps);
        s.tables[PIF_SPLICE] = new FwdTable(PIF_SPLICE, "SPLICE", caps);
        return s;
    }

    /** @return the table of {@code pif} (any int), or null if there is none */
    public FwdTable table(int pif) {
        return pif >= 0 && pif < PIF_COUNT ? tables[pif] : null;
    }

    /** @return the tables in pif order */
    public List<FwdTable> tables() {
        List<FwdTable> l = new ArrayList<>(2);
        for (FwdTable t : tables) {
            if (t != null) {
                l.add(t);
            }
        }
        return l;
    }

    /** @return tables of the same pifs and capabilities, without rules */
    public RuleSet emptyCopy() {
        RuleSet s = new RuleSet();
        for (int i = 0; i < PIF_COUNT; i++) {
            s.tables[i] = tables[i] == null ? null : tables[i].emptyCopy();
        }
        return s;
    }
}
