package io.jpasta.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Canonical forms of {@code ip -j} output, made with jq, so that two namespaces configured by two pastas can be
 * compared as strings. What is random or racy is taken out: MAC addresses (the tap driver picks one), link-local
 * and SLAAC addresses derived from them, interface indexes, address lifetimes and DAD state, and what router
 * advertisements add while we look (routes of protocol "ra", expiry times).
 */
public final class IpJson {
    /** {@code ip -j addr}: interfaces by name, lo keeps its (all-zero) MAC. */
    static final String ADDR = """
            map(del(.ifindex, .link_index, .broadcast, .link_netnsid)
                | if .ifname == "lo" then . else del(.address) end
                | .addr_info |= (map(select(.scope != "link" and (.dynamic // false) == false)
                    | del(.valid_life_time, .preferred_life_time, .tentative, .dadfailed, .optimistic))
                    | sort_by(.family, .local)))
            | sort_by(.ifname)""";

    /** {@code ip -j route} and {@code ip -j -6 route}: without what router advertisements add. */
    static final String ROUTES = """
            map(select(.protocol != "ra") | del(.expires)) | sort_by(.dst, .gateway // "", .dev // "")""";

    private IpJson() {
    }

    /** @return {@code json} run through {@code filter} by {@code jq -cS} (compact, sorted keys) */
    public static String jq(String filter, String json) {
        try {
            Process p = new ProcessBuilder("jq", "-cS", filter).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            p.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalArgumentException("jq failed on: " + json);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** @return the canonical form of {@code ip -j addr} output */
    public static String addresses(String json) {
        return jq(ADDR, json);
    }

    /** @return the canonical form of {@code ip -j route} or {@code ip -j -6 route} output */
    public static String routes(String json) {
        return jq(ROUTES, json);
    }
}
