package io.jpasta.launcher;

/** SCAFFOLD until the CLI branch lands: pasta must print {@link #text()} and exit with {@link #status()}. */
public final class ExitRequest extends Exception {
    private final int status;
    private final String text;
    private final boolean toStdout;

    public ExitRequest(int status, String text, boolean toStdout) {
        super(text, null, false, false);
        this.status = status;
        this.text = text;
        this.toStdout = toStdout;
    }

    public int status() {
        return status;
    }

    public String text() {
        return text;
    }

    public boolean toStdout() {
        return toStdout;
    }
}
