package io.jpasta.jmh;

import io.jpasta.launcher.ExitRequest;
import io.jpasta.launcher.Options;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * Option parsing: {@link Options#parse} on the command line podman gives pasta. It runs once per start-up, so it
 * is measured with its allocation (the {@link Options} and its lists) included.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class OptionsBench {
    private String[] podman;

    @Setup(Level.Trial)
    public void setUp() throws ExitRequest {
        podman = new String[] {"--config-net", "-t", "none", "-u", "none", "-T", "none", "-U", "none",
                "--dns-forward", "169.254.1.1", "--no-map-gw", "--quiet", "--netns", "/run/user/1000/netns/x",
                "-P", "/tmp/p", "--map-guest-addr", "169.254.1.2"};
        if (!Options.parse(podman).quiet()) {
            throw new IllegalStateException("podman's command line parsed without --quiet");
        }
    }

    @Benchmark
    public Options podman() throws ExitRequest {
        return Options.parse(podman);
    }
}
