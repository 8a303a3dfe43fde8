package io.jpasta.launcher;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class GetoptTest {
    private static final Getopt.LongOption[] LONG = {
        new Getopt.LongOption("debug", Getopt.NO_ARGUMENT, 'd'),
        new Getopt.LongOption("tcp-ports", Getopt.REQUIRED_ARGUMENT, 't'),
        new Getopt.LongOption("tcp-ns", Getopt.REQUIRED_ARGUMENT, 'T'),
        new Getopt.LongOption("color", Getopt.OPTIONAL_ARGUMENT, 300),
        new Getopt.LongOption("socket", Getopt.REQUIRED_ARGUMENT, 's'),
        new Getopt.LongOption("socket-path", Getopt.REQUIRED_ARGUMENT, 's'),
        new Getopt.LongOption("netns", Getopt.REQUIRED_ARGUMENT, 301),
        new Getopt.LongOption("netns-only", Getopt.NO_ARGUMENT, 302),
    };

    /** Runs the scanner to the end; each entry is "code=arg" or the error line; then "optind=N". */
    private static List<String> scanWith(String shortOpts, String... argv) {
        Getopt g = new Getopt("pasta", shortOpts, LONG, argv);
        List<String> out = new ArrayList<>();
        for (int c = g.next(); c != Getopt.END; c = g.next()) {
            if (c == Getopt.ERROR) {
                out.add(g.error());
                return out;
            }
            out.add((c < 256 ? String.valueOf((char) c) : String.valueOf(c)) + "=" + g.optarg());
        }
        out.add("optind=" + g.optind());
        return out;
    }

    private static List<String> scan(String... argv) {
        return scanWith("+dqt:T:46x::", argv);
    }

    @Test
    void stopsAtFirstOperandWithoutPermuting() {
        assertEquals(List.of("d=null", "optind=1"), scan("-d", "ls", "-q"));
    }

    @Test
    void doubleDashEndsOptionsAndIsConsumed() {
        assertEquals(List.of("d=null", "optind=2"), scan("-d", "--", "-q"));
    }

    @Test
    void loneDashIsAnOperand() {
        assertEquals(List.of("optind=0"), scan("-", "-d"));
    }

    @Test
    void noArgumentsEndsImmediately() {
        assertEquals(List.of("optind=0"), scan());
    }

    @Test
    void clusteredShortOptionsAreSplit() {
        assertEquals(List.of("4=null", "d=null", "optind=1"), scan("-4d"));
    }

    @Test
    void attachedAndDetachedShortArguments() {
        assertEquals(List.of("t=80", "t=90", "optind=3"), scan("-t80", "-t", "90"));
        assertEquals(List.of("d=null", "t=80", "optind=1"), scan("-dt80"));
        assertEquals(List.of("d=null", "t=80", "optind=2"), scan("-dt", "80"));
    }

    @Test
    void detachedArgumentMayStartWithDash() {
        assertEquals(List.of("t=-d", "optind=2"), scan("-t", "-d"));
        assertEquals(List.of("t=--", "optind=2"), scan("--tcp-ports", "--"));
    }

    @Test
    void optionalShortArgumentOnlyWhenAttached() {
        assertEquals(List.of("x=null", "optind=1"), scan("-x", "5"));
        assertEquals(List.of("x=5", "optind=1"), scan("-x5"));
    }

    @Test
    void longOptionArgumentWithEqualsOrNextWord() {
        assertEquals(List.of("t=80", "t=90", "optind=3"), scan("--tcp-ports=80", "--tcp-ports", "90"));
        assertEquals(List.of("t=", "optind=1"), scan("--tcp-ports="));
    }

    @Test
    void optionalLongArgumentOnlyWithEquals() {
        assertEquals(List.of("300=null", "optind=1"), scan("--color", "red"));
        assertEquals(List.of("300=red", "optind=1"), scan("--color=red"));
    }

    @Test
    void uniquePrefixSelectsOption() {
        assertEquals(List.of("d=null", "t=1", "optind=3"), scan("--deb", "--tcp-p", "1"));
    }

    @Test
    void exactNameWinsOverLongerOptions() {
        assertEquals(List.of("301=x", "optind=2"), scan("--netns", "x"));
    }

    @Test
    void ambiguousPrefixListsCandidatesInTableOrder() {
        assertEquals(List.of("pasta: option '--tcp' is ambiguous; possibilities: '--tcp-ports' '--tcp-ns'\n"),
                scan("--tcp", "1"));
        assertEquals(List.of("pasta: option '--tcp=1' is ambiguous; possibilities: '--tcp-ports' '--tcp-ns'\n"),
                scan("--tcp=1"));
        assertEquals(List.of("pasta: option '--net' is ambiguous; possibilities: '--netns' '--netns-only'\n"),
                scan("--net"));
    }

    @Test
    void prefixOfEquivalentOptionsIsNotAmbiguous() {
        assertEquals(List.of("s=p", "optind=2"), scan("--sock", "p"));
    }

    @Test
    void emptyNameIsAmbiguousWithEveryOptionDifferingFromTheFirst() {
        String e = scan("--=x").get(0);
        assertEquals("pasta: option '--=x' is ambiguous; possibilities: '--debug' '--tcp-ports' '--tcp-ns' "
                + "'--color' '--socket' '--socket-path' '--netns' '--netns-only'\n", e);
    }

    @Test
    void glibcMessagesForMisuse() {
        assertEquals(List.of("pasta: unrecognized option '--foo'\n"), scan("--foo"));
        assertEquals(List.of("pasta: unrecognized option '--foo=bar'\n"), scan("--foo=bar"));
        assertEquals(List.of("pasta: invalid option -- 'y'\n"), scan("-y"));
        assertEquals(List.of("d=null", "pasta: invalid option -- 'y'\n"), scan("-dy"));
        assertEquals(List.of("pasta: invalid option -- ':'\n"), scan("-:"));
        assertEquals(List.of("pasta: option requires an argument -- 't'\n"), scan("-t"));
        assertEquals(List.of("pasta: option '--tcp-ports' requires an argument\n"), scan("--tcp-ports"));
        assertEquals(List.of("pasta: option '--tcp-ports' requires an argument\n"), scan("--tcp-p"));
        assertEquals(List.of("pasta: option '--debug' doesn't allow an argument\n"), scan("--debug=1"));
        assertEquals(List.of("pasta: option '--debug' doesn't allow an argument\n"), scan("--de=1"));
    }

    @Test
    void errorIsNullUntilAnErrorHappens() {
        Getopt g = new Getopt("pasta", "d", LONG, new String[] {"-d"});
        assertEquals('d', g.next());
        assertNull(g.error());
        assertNull(g.lastLong());
        assertEquals(Getopt.END, g.next());
    }

    @Test
    void lastLongNamesTheMatchedEntry() {
        Getopt g = new Getopt("pasta", "d", LONG, new String[] {"--netns-o"});
        assertEquals(302, g.next());
        assertEquals("netns-only", g.lastLong().name());
    }

    @Test
    void ourOptionsNeverChangeWhatAnAbbreviationOfPastasMeans() {
        Getopt.LongOption[] opts = {new Getopt.LongOption("address", Getopt.REQUIRED_ARGUMENT, 'a'),
            new Getopt.LongOption("no-copy-routes", Getopt.NO_ARGUMENT, 300),
            new Getopt.LongOption("no-copy-addrs", Getopt.NO_ARGUMENT, 301),
            new Getopt.LongOption("api", Getopt.REQUIRED_ARGUMENT, 400),
            new Getopt.LongOption("no-confine", Getopt.NO_ARGUMENT, 401)};
        Getopt g = new Getopt("pasta", "", opts, 3, new String[] {"--a", "x", "--ap", "y", "--no-con", "--no-co"});
        assertEquals('a', g.next(), "--a is pasta's --address, as without our --api");
        assertEquals(400, g.next(), "--ap fits only ours");
        assertEquals(401, g.next());
        assertEquals(Getopt.ERROR, g.next());
        assertEquals("pasta: option '--no-co' is ambiguous; possibilities: '--no-copy-routes' '--no-copy-addrs'",
                g.error().strip(), "pasta's ambiguity, without ours in it");
    }
}
