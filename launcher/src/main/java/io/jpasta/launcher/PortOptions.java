package io.jpasta.launcher;

import io.jpasta.launcher.control.CommandLineRules;
import io.jpasta.launcher.control.FwdTable;
import io.jpasta.tap.fwd.PortRules;
import io.jpasta.tap.fwd.PortSpecException;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code -t -u -T -U}, read after every other option in command line order as pasta reads them. Each option's
 * specifications make one {@link PortRules}; where it refuses a line, the message is pasta 2026's, which sees
 * every specification as rules added to a forwarding table: the table's own conflict text ({@link FwdTable#add},
 * e.g. {@code Forwarding configuration conflict: TCP [*]:80  =>  80  versus TCP [*]:80  =>  80 }), and
 * {@code -t none conflicts with previous options} for a {@code none} after rules. A {@code none} before rules
 * gives way to them, a second {@code none} changes nothing.
 */
final class PortOptions {
    private static final String LETTERS = "tuTU";

    private PortOptions() {
    }

    /**
     * @param specs option letter, then its specification, for each port option in command line order
     * @param caps  the forwarding tables' capabilities ({@code FwdTable.CAP_*}), for the text of a conflict
     * @return the rules of {@code -t -u -T -U}, in that order ({@link PortRules#unset()} where not given)
     */
    static PortRules[] rules(List<String> specs, int caps) throws ExitRequest {
        PortRules.Builder[] b = new PortRules.Builder[LETTERS.length()];
        boolean[] none = new boolean[LETTERS.length()];
        List<String> adding = new ArrayList<>(specs.size());
        for (int i = 0; i + 1 < specs.size(); i += 2) {
            char opt = specs.get(i).charAt(0);
            String spec = specs.get(i + 1);
            int k = LETTERS.indexOf(opt);
            if (spec.equals("none")) {
                if (b[k] != null && !none[k]) {
                    throw ExitRequest.die("-" + opt + " none conflicts with previous options");
                }
                b[k] = new PortRules.Builder(true, "-" + opt);
                none[k] = true;
                add(b[k], spec, adding, caps);
                continue;
            }
            if (none[k]) {
                b[k] = null;
                none[k] = false;
            }
            b[k] = b[k] != null ? b[k] : new PortRules.Builder(true, "-" + opt);
            adding.add(String.valueOf(opt));
            adding.add(spec);
            add(b[k], spec, adding, caps);
        }
        PortRules[] out = new PortRules[b.length];
        for (int k = 0; k < b.length; k++) {
            out[k] = b[k] == null ? PortRules.unset() : b[k].build();
        }
        return out;
    }

    private static void add(PortRules.Builder b, String spec, List<String> adding, int caps) throws ExitRequest {
        try {
            b.add(spec);
        } catch (PortSpecException e) {
            throw ExitRequest.die(tableMessage(adding, caps, e.getMessage()));
        }
    }

    /** @return the first line of what pasta's tables say to the rules so far, or {@code fallback} if they take them */
    private static String tableMessage(List<String> adding, int caps, String fallback) {
        try {
            CommandLineRules.of(adding, caps);
            return fallback;
        } catch (IOException e) {
            String m = e.getMessage();
            int nl = m.indexOf('\n');
            return nl < 0 ? m : m.substring(0, nl);
        }
    }

    /** @return the tables' capabilities for the options read so far */
    static int caps(OptionParser.State s) {
        return (s.on(Options.Switch.IPV6_ONLY) ? 0 : FwdTable.CAP_IPV4)
                | (s.on(Options.Switch.IPV4_ONLY) ? 0 : FwdTable.CAP_IPV6) | FwdTable.CAP_TCP | FwdTable.CAP_UDP
                | FwdTable.CAP_SCAN | FwdTable.CAP_IFNAME;
    }
}
