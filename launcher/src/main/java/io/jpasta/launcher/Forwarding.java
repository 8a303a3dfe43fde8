package io.jpasta.launcher;

import io.jpasta.launcher.control.FwdRule;
import io.jpasta.launcher.control.FwdTable;
import io.jpasta.launcher.control.PestoSession;
import io.jpasta.launcher.control.RuleSet;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The forwarding tables jpasta runs with (what pesto shows and replaces) and their translation into the
 * listeners' terms: HOST's rules are the host's listeners ({@code -t}, {@code -u}), SPLICE's the namespace's
 * ({@code -T}, {@code -U}); a rule is one forward per port, or an {@code auto} range if it is scanned. Each protocol
 * has its listeners ({@link Listeners#replace}); UDP's are absent with {@code --no-udp}.
 */
final class Forwarding implements PestoSession.Rules {
    /** The interface pasta binds {@code -T} and {@code -U} to; our namespace listeners take its loopback addresses. */
    private static final String LOOPBACK_IF = "lo";

    private final Listeners tcp, udp;
    private RuleSet current;

    /**
     * @param initial the tables the listeners were started with ({@link #ports})
     * @param udp     the UDP listeners, or null with {@code --no-udp}
     */
    Forwarding(RuleSet initial, Listeners tcp, Listeners udp) {
        this.current = initial;
        this.tcp = tcp;
        this.udp = udp;
    }

    @Override
    public RuleSet current() {
        return current;
    }

    @Override
    public void replace(RuleSet next) {
        current = next;
        tcp.replace(false, ports(next, false, FwdRule.TCP));
        tcp.replace(true, ports(next, true, FwdRule.TCP));
        if (udp != null) {
            udp.replace(false, ports(next, false, FwdRule.UDP));
            udp.replace(true, ports(next, true, FwdRule.UDP));
        }
    }

    /**
     * @param ns     true for SPLICE's rules (the namespace's listeners), false for HOST's
     * @param proto  {@link FwdRule#TCP} or {@link FwdRule#UDP}
     * @return the forwards of the rules of {@code proto}: one per port of each rule, a scan range per scanned rule
     */
    static Listeners.Ports ports(RuleSet set, boolean ns, int proto) {
        FwdTable t = set.table(ns ? RuleSet.PIF_SPLICE : RuleSet.PIF_HOST);
        List<Listeners.Forward> forwards = new ArrayList<>();
        List<Listeners.Scan> scans = new ArrayList<>();
        for (FwdRule r : t.rules()) {
            if (r.proto() != proto) {
                continue;
            }
            InetAddress addr = r.bindAddress();
            String ifname = r.ifname().isEmpty() ? null : r.ifname();
            if (ns && LOOPBACK_IF.equals(ifname)) {
                ifname = null; // our namespace listeners take 127.0.0.1 and ::1 when given no address
                addr = addr != null && addr.isAnyLocalAddress() ? null : addr;
            }
            if (r.has(FwdRule.SCAN)) {
                scans.add(new Listeners.Scan(r.first(), r.last(), addr, ifname, r.to()));
                continue;
            }
            for (int p = r.first(); p <= r.last(); p++) {
                forwards.add(new Listeners.Forward(addr, ifname, p, r.to() + p - r.first(), !r.has(FwdRule.WEAK)));
            }
        }
        return new Listeners.Ports(forwards, scans);
    }
}
