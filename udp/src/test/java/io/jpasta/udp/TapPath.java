package io.jpasta.udp;

import io.jpasta.tap.Classifier;
import io.jpasta.tap.L2Services;
import io.jpasta.tap.TapConf;
import io.jpasta.tap.TapHandler;
import io.jpasta.tap.TapSink;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/**
 * The way frames reach the udp module's engines in pasta: through the tap module's {@link Classifier}, which parses
 * each frame once and hands ICMP to the ICMP engine and UDP to the UDP engine. Tests deliver their frames here.
 */
final class TapPath {
    private final Classifier classifier;
    private final L2Services l2;

    /** @param icmp the ICMP echo engine, or null; @param udp the UDP engine, or null */
    TapPath(TapHandler icmp, TapHandler udp, TapSink out) {
        TapConf conf = TapConf.builder().mtu(65520).build();
        l2 = new L2Services(conf, new SplittableRandom(1), 0, 0);
        classifier = new Classifier(l2, out);
        if (icmp != null) {
            classifier.icmp(icmp);
        }
        if (udp != null) {
            classifier.udp(udp);
        }
    }

    /** Delivers a frame from off-heap memory, as the tap reader does. @return the classifier's result */
    int frame(byte[] frame, long nowNs) {
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(1, frame.length));
        MemorySegment.copy(frame, 0, seg, ValueLayout.JAVA_BYTE, 0, frame.length);
        return frame(seg, frame.length, nowNs);
    }

    int frame(MemorySegment seg, int len, long nowNs) {
        return classifier.frame(seg, 0, len, nowNs);
    }

    /** @return frames dropped before any engine: by the classifier and the L2 services */
    long dropsBeforeEngines() {
        return classifier.stats().dropsTotal() + l2.stats().dropsTotal();
    }
}
