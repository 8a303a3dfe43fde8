package io.jpasta.tap.fwd;

/**
 * A port specification given to {@code -t/-u/-T/-U} was rejected. The message is pasta's own text for the case,
 * without a trailing newline (for example {@code Invalid port specifier 22-20}); the launcher prints it and exits 1.
 */
public final class PortSpecException extends Exception {
    private static final long serialVersionUID = 1L;

    /** @param message pasta's message for the rejected specification */
    public PortSpecException(String message) {
        super(message, null, false, false);
    }
}
