package io.jpasta.launcher;

/**
 * Table-driven command line scanner with the semantics of glibc's {@code getopt_long(3)} in the mode pasta uses
 * (option string starting with {@code +}): no permutation, so scanning stops at the first argument that is not an
 * option (a lone {@code -} included) and after {@code --}. Error texts are glibc's, byte for byte, prefixed with
 * the program name ({@code pasta: unrecognized option '--foo'}).
 *
 * <p>Short options: clustered ({@code -46}), the argument attached ({@code -t80}) or in the next word
 * ({@code -t 80}); an optional argument ({@code x::}) only when attached. Long options: {@code --name=value} or
 * {@code --name value} for a required argument, {@code --name=value} only for an optional one; a unique prefix
 * selects an option, an exact name wins over prefixes, and prefixes of several options that take the same
 * argument kind and return the same value are not ambiguous (glibc's rule).
 *
 * <p>Usage: call {@link #next()} until it returns -1; it returns the option's value and sets {@link #optarg()}, or
 * returns {@link #ERROR} with {@link #error()} holding the message line. {@link #optind()} is then the index of the
 * first operand.
 */
public final class Getopt {
    /** Returned by {@link #next()} for an unknown, ambiguous or badly used option (glibc returns '?'). */
    public static final int ERROR = '?';
    /** Returned by {@link #next()} when options end. */
    public static final int END = -1;

    /** The option takes no argument. */
    public static final int NO_ARGUMENT = 0;
    /** The option requires an argument. */
    public static final int REQUIRED_ARGUMENT = 1;
    /** The option takes an argument only if attached ({@code --name=value}, {@code -xvalue}). */
    public static final int OPTIONAL_ARGUMENT = 2;

    /**
     * One entry of the long option table.
     *
     * @param name   name without the leading {@code --}
     * @param hasArg {@link #NO_ARGUMENT}, {@link #REQUIRED_ARGUMENT} or {@link #OPTIONAL_ARGUMENT}
     * @param val    value {@link #next()} returns for it (a short option letter or a private code above 255)
     */
    public record LongOption(String name, int hasArg, int val) {
    }

    private final String prog;
    private final String shortOpts;
    private final LongOption[] longOpts;
    /** Options from this index on are jpasta's own: an abbreviation means one of them only if it means no other. */
    private final int ours;
    private final String[] argv;

    private int optind = 0;       // argv index of the word being scanned
    private int nextChar = 0;     // position inside a short option cluster, 0 when between words
    private String optarg;
    private String error;
    private LongOption last;

    /**
     * @param prog      program name for messages, e.g. {@code pasta}
     * @param shortOpts glibc option string: letters, {@code :} after a letter for a required argument, {@code ::}
     *                  for an optional one; a leading {@code +} is accepted (this scanner never permutes)
     * @param longOpts  long option table, in the order ambiguity messages list candidates
     * @param argv      the arguments, without the program name (unlike C's argv)
     */
    public Getopt(String prog, String shortOpts, LongOption[] longOpts, String[] argv) {
        this(prog, shortOpts, longOpts, longOpts.length, argv);
    }

    /**
     * @param ours index in {@code longOpts} where options of our own begin: an abbreviation that fits an option of
     *             pasta's keeps meaning what it means to pasta (resolved, or ambiguous, among pasta's only), so our
     *             options never change how pasta's command lines parse
     */
    public Getopt(String prog, String shortOpts, LongOption[] longOpts, int ours, String[] argv) {
        this.prog = prog;
        this.shortOpts = shortOpts.startsWith("+") || shortOpts.startsWith("-") ? shortOpts.substring(1) : shortOpts;
        this.longOpts = longOpts;
        this.ours = ours;
        this.argv = argv;
    }

    /** @return the argument of the option last returned, or null if it has none */
    public String optarg() {
        return optarg;
    }

    /** @return the index in {@code argv} of the next word to scan; after {@link #END}, the first operand */
    public int optind() {
        return optind;
    }

    /** @return the message line (newline-terminated) of the last {@link #ERROR}, or null */
    public String error() {
        return error;
    }

    /** @return the long option table entry matched by the last long option returned, or null for a short one */
    public LongOption lastLong() {
        return last;
    }

    /**
     * Scans the next option.
     *
     * @return the option's value, {@link #ERROR} (see {@link #error()}), or {@link #END} when options end
     */
    public int next() {
        optarg = null;
        last = null;
        if (nextChar == 0) {
            if (optind >= argv.length) {
                return END;
            }
            String word = argv[optind];
            if (word.equals("--")) {
                optind++;
                return END;
            }
            if (word.length() < 2 || word.charAt(0) != '-') {
                return END;                                  // first operand: no permutation
            }
            if (word.charAt(1) == '-') {
                optind++;
                return longOption(word);
            }
            nextChar = 1;
        }
        return shortOption();
    }

    private int shortOption() {
        String word = argv[optind];
        char c = word.charAt(nextChar++);
        boolean endOfWord = nextChar == word.length();
        int at = c == ':' ? -1 : shortOpts.indexOf(c);
        if (endOfWord) {
            optind++;
            nextChar = 0;
        }
        if (at < 0) {
            return fail("invalid option -- '" + c + "'");
        }
        boolean takes = at + 1 < shortOpts.length() && shortOpts.charAt(at + 1) == ':';
        if (!takes) {
            return c;
        }
        boolean optional = at + 2 < shortOpts.length() && shortOpts.charAt(at + 2) == ':';
        if (!endOfWord) {
            optarg = word.substring(nextChar);               // -t80
            optind++;
            nextChar = 0;
        } else if (!optional) {
            if (optind >= argv.length) {
                return fail("option requires an argument -- '" + c + "'");
            }
            optarg = argv[optind++];                         // -t 80, even if it starts with '-'
        }
        return c;
    }

    /** @return true if the option name in {@code word} is a prefix of an option in {@code [from, to)} */
    private boolean prefixOfAny(String word, int nameLen, int from, int to) {
        for (int i = from; i < to; i++) {
            if (longOpts[i].name().length() >= nameLen && word.regionMatches(2, longOpts[i].name(), 0, nameLen)) {
                return true;
            }
        }
        return false;
    }

    private int longOption(String word) {
        int eq = word.indexOf('=', 2);
        int nameEnd = eq < 0 ? word.length() : eq;
        int nameLen = nameEnd - 2;
        LongOption found = null;
        for (LongOption o : longOpts) {
            if (o.name().length() == nameLen && word.regionMatches(2, o.name(), 0, nameLen)) {
                found = o;
                break;
            }
        }
        if (found == null) {
            int firstIndex = -1;
            boolean[] ambiguous = null;
            int from = 0, to = ours;
            if (!prefixOfAny(word, nameLen, 0, ours)) {
                from = ours; // fits none of pasta's: ours may take it
                to = longOpts.length;
            }
            for (int i = from; i < to; i++) {
                LongOption o = longOpts[i];
                if (o.name().length() < nameLen || !word.regionMatches(2, o.name(), 0, nameLen)) {
                    continue;
                }
                if (found == null) {
                    found = o;
                    firstIndex = i;
                } else if (found.hasArg() != o.hasArg() || found.val() != o.val()) {
                    if (ambiguous == null) {
                        ambiguous = new boolean[longOpts.length];
                        ambiguous[firstIndex] = true;
                    }
                    ambiguous[i] = true;
                }
            }
            if (ambiguous != null) {
                StringBuilder sb = new StringBuilder("option '").append(word).append("' is ambiguous; possibilities:");
                for (int i = 0; i < longOpts.length; i++) {
                    if (ambiguous[i]) {
                        sb.append(" '--").append(longOpts[i].name()).append('\'');
                    }
                }
                return fail(sb.toString());
            }
            if (found == null) {
                return fail("unrecognized option '" + word + "'");
            }
        }
        last = found;
        if (eq >= 0) {
            if (found.hasArg() == NO_ARGUMENT) {
                return fail("option '--" + found.name() + "' doesn't allow an argument");
            }
            optarg = word.substring(eq + 1);
        } else if (found.hasArg() == REQUIRED_ARGUMENT) {
            if (optind >= argv.length) {
                return fail("option '--" + found.name() + "' requires an argument");
            }
            optarg = argv[optind++];
        }
        return found.val();
    }

    private int fail(String text) {
        error = prog + ": " + text + "\n";
        return ERROR;
    }
}
