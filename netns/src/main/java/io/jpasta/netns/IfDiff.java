package io.jpasta.netns;

import java.util.ArrayList;
import java.util.List;

/**
 * What changes between two configurations of the namespace's interface ({@link IfConfig}), the one applied before
 * and the one the host's new state asks for: addresses and routes to remove (those we applied that are no longer
 * wanted) and to add, and the MTU. Pure: no kernel. What the guest added itself was never in an {@link IfConfig},
 * so no diff ever removes it.
 *
 * @param removeAddrs  addresses of the old configuration the new one lacks
 * @param addAddrs     addresses of the new configuration the old one lacks
 * @param removeRoutes routes of the old configuration the new one lacks
 * @param addRoutes    routes of the new configuration the old one lacks
 * @param mtu          the new MTU when it changed, else {@link IfConfig#KEEP_MTU}
 */
public record IfDiff(List<IfConfig.Addr> removeAddrs, List<IfConfig.Addr> addAddrs,
                     List<IfConfig.Route> removeRoutes, List<IfConfig.Route> addRoutes, int mtu) {
    public IfDiff {
        removeAddrs = List.copyOf(removeAddrs);
        addAddrs = List.copyOf(addAddrs);
        removeRoutes = List.copyOf(removeRoutes);
        addRoutes = List.copyOf(addRoutes);
    }

    /** @return what turns {@code before} into {@code after} (both of one interface) */
    public static IfDiff of(IfConfig before, IfConfig after) {
        return new IfDiff(minus(before.addrs(), after.addrs()), minus(after.addrs(), before.addrs()),
                minus(before.routes(), after.routes()), minus(after.routes(), before.routes()),
                after.mtu() != before.mtu() ? after.mtu() : IfConfig.KEEP_MTU);
    }

    /** @return true if nothing changes */
    public boolean isEmpty() {
        return removeAddrs.isEmpty() && addAddrs.isEmpty() && removeRoutes.isEmpty() && addRoutes.isEmpty()
                && mtu == IfConfig.KEEP_MTU;
    }

    /** @return the elements of {@code a} that are not in {@code b}, in {@code a}'s order */
    private static <T> List<T> minus(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>();
        for (T x : a) {
            if (!b.contains(x)) {
                out.add(x);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (IfConfig.Route r : removeRoutes) {
            sb.append(" -route ").append(r);
        }
        for (IfConfig.Addr a : removeAddrs) {
            sb.append(" -addr ").append(a);
        }
        if (mtu != IfConfig.KEEP_MTU) {
            sb.append(" mtu ").append(mtu);
        }
        for (IfConfig.Addr a : addAddrs) {
            sb.append(" +addr ").append(a);
        }
        for (IfConfig.Route r : addRoutes) {
            sb.append(" +route ").append(r);
        }
        return sb.isEmpty() ? "no change" : sb.substring(1);
    }
}
