package io.jpasta.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Captured tool outputs under src/test/resources/bench/. */
final class Samples {
    private Samples() {
    }

    static String read(String name) {
        try (InputStream in = Samples.class.getResourceAsStream("/bench/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource bench/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
