package io.jpasta.launcher;

/**
 * The command line asks pasta to stop before doing anything: {@code --help}, {@code --version}, or an error. The
 * caller prints {@link #text()} as is (already newline-terminated, possibly several lines) on stdout if
 * {@link #toStdout()}, else on stderr, and exits with {@link #status()}.
 */
public final class ExitRequest extends Exception {
    private static final long serialVersionUID = 1L;

    /** Exit status of pasta for every command line error. */
    public static final int FAILURE = 1;

    private final int status;
    private final String text;
    private final boolean toStdout;

    /**
     * @param status   process exit status
     * @param text     exact bytes to print, newline-terminated
     * @param toStdout true to print on stdout, false for stderr
     */
    public ExitRequest(int status, String text, boolean toStdout) {
        super(text, null, false, false);
        this.status = status;
        this.text = text;
        this.toStdout = toStdout;
    }

    /** @return an error: {@code message} and a newline on stderr, status 1 (pasta's {@code die()}) */
    static ExitRequest die(String message) {
        return new ExitRequest(FAILURE, message + "\n", false);
    }

    /** @return the exit status: 0 for help and version, 1 for errors */
    public int status() {
        return status;
    }

    /** @return the exact text to print, newline-terminated */
    public String text() {
        return text;
    }

    /** @return true if {@link #text()} goes to stdout, false for stderr */
    public boolean toStdout() {
        return toStdout;
    }
}
