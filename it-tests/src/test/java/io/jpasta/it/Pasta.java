package io.jpasta.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The two pasta binaries every test runs: the one under test and the reference it must behave like.
 *
 * <p>Under test: system property {@code jpasta.pasta}, else {@code ${jpasta.dist}/bin/pasta} (failsafe sets
 * {@code jpasta.dist} to the repository's {@code dist}). Reference: {@code jpasta.ref}, else Debian's
 * {@code /usr/bin/pasta}. A missing binary skips the test with the reason printed.
 */
public final class Pasta {
    private Pasta() {
    }

    /** @return the binary under test; skips the caller if it is not there */
    public static String underTest() {
        String p = System.getProperty("jpasta.pasta");
        if (p == null || p.isBlank()) {
            String dist = System.getProperty("jpasta.dist", Sandbox.repo().resolve("dist").toString());
            p = Path.of(dist, "bin", "pasta").toString();
        }
        Path abs = Path.of(p).toAbsolutePath().normalize();
        Sandbox.require(Files.isExecutable(abs), "pasta under test " + abs + " is not there (build dist/ first, "
                + "or pass -Djpasta.pasta=PATH)");
        return abs.toString();
    }

    /** @return the reference binary; skips the caller if it is not there */
    public static String reference() {
        String p = referencePath();
        Sandbox.require(Files.isExecutable(Path.of(p)), "reference pasta " + p + " is not there (apt-get install "
                + "passt, or pass -Djpasta.ref=PATH)");
        return p;
    }

    /** @return the reference binary, or empty if it is not there: for a test that only reports what it does */
    public static Optional<String> referenceIfPresent() {
        String p = referencePath();
        return Files.isExecutable(Path.of(p)) ? Optional.of(p) : Optional.empty();
    }

    private static String referencePath() {
        return System.getProperty("jpasta.ref", "/usr/bin/pasta");
    }

    /** @return {@code text} with every occurrence of {@code binary}'s path replaced by "pasta" */
    public static String normalise(String text, String binary) {
        return text.replace(binary, "pasta");
    }
}
