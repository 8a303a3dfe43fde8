package io.jpasta.launcher;

import io.jpasta.launcher.control.Api;
import io.jpasta.launcher.control.PestoSession;
import io.jpasta.netns.log.Counters;
import io.jpasta.netns.sys.Sys;
import io.jpasta.splice.Splice;
import io.jpasta.tap.flow.FlowTable;
import io.jpasta.tap.flow.FlowType;
import io.jpasta.tcp.Tcp;

import java.util.ArrayList;
import java.util.List;

/** What the JSON control API shows and changes: the flow table, the engines' states and counters, the forwards. */
final class ApiSources implements Api.Sources {
    private final TapEngines tap;
    private final Splice splice;
    private final Forwarding forwarding;
    private final int caps;

    ApiSources(TapEngines tap, Splice splice, Forwarding forwarding, int caps) {
        this.tap = tap;
        this.splice = splice;
        this.forwarding = forwarding;
        this.caps = caps;
    }

    @Override
    public FlowTable flows() {
        return Flows.table();
    }

    @Override
    public String state(int flow) {
        return switch (Flows.table().type(flow)) {
            case FlowType.TCP -> {
                Tcp tcp = tap.tcpIfBuilt();
                yield tcp == null ? "unknown" : tcp.state(flow);
            }
            case FlowType.TCP_SPLICE -> splice.isOpen(flow) ? "spliced" : "closing";
            default -> "active";
        };
    }

    @Override
    public List<Counters> counters() {
        List<Counters> all = new ArrayList<>(tap.stats());
        all.add(splice.stats());
        return all;
    }

    @Override
    public PestoSession.Rules rules() {
        return forwarding;
    }

    @Override
    public int caps() {
        return caps;
    }

    @Override
    public long nowNs() {
        return Sys.monotonicNs();
    }
}
