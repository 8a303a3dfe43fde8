package io.jpasta.tap.flow;

/** Where a flow side lives ("packet interface"): which address space its addresses and ports belong to. */
public final class Pif {
    /** Side not set. */
    public static final int NONE = 0;
    /** The guest's side of the tap device: addresses as the namespace sees them. */
    public static final int TAP = 1;
    /** A socket in the host's (init) namespace. */
    public static final int HOST = 2;
    /** A socket in the namespace, for spliced loopback flows. */
    public static final int SPLICE = 3;

    private static final String[] NAMES = {"<none>", "TAP", "HOST", "SPLICE"};

    private Pif() {
    }

    public static String name(int pif) {
        return NAMES[pif];
    }
}
