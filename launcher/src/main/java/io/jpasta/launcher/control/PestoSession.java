package io.jpasta.launcher.control;

import io.jpasta.netns.log.Log;

/**
 * One pesto client: the greeting (hello and the current tables), then the client's new tables, read field by
 * field, each rule checked as it arrives (as pasta checks it); at the end mark the new tables replace the current
 * ones as a whole, through {@link Rules#replace}. A refused rule, a table that does not exist, a count above the
 * limit, or the client going away before the end mark close the conversation and change nothing: pasta's answer.
 */
public final class PestoSession implements UnixServer.Session {
    /** Where the tables live: what the greeting shows and what a finished update replaces. */
    public interface Rules {
        /** @return the current tables */
        RuleSet current();

        /** Makes {@code next} the current tables: listeners are bound and closed to match. */
        void replace(RuleSet next);
    }

    private static final int PIF = 0, COUNT = 1, RULE = 2, DONE = 3;

    private final Rules rules;
    private final RuleSet pending;
    private final byte[] field = new byte[FwdRule.SIZE];
    private int state = PIF, need = 1, have;
    private FwdTable table;
    private long left;
    private boolean started;

    public PestoSession(Rules rules) {
        this.rules = rules;
        this.pending = rules.current().emptyCopy();
    }

    @Override
    public void opened(UnixServer.Client c) {
        Log.debug("Accepted configuration client, PID " + c.pid());
        if (!c.send(PestoWire.greeting(rules.current()))) {
            Log.warn("Configuration greeting does not fit the output buffer");
            c.close();
        }
    }

    @Override
    public int wants() {
        return state == DONE ? 0 : need - have;
    }

    @Override
    public void received(UnixServer.Client c, byte[] buf, int n) {
        System.arraycopy(buf, 0, field, have, n);
        have += n;
        started = true;
        if (have == need) {
            have = 0;
            step(c);
        }
    }

    @Override
    public void ended(UnixServer.Client c) {
        if (!started) {
            Log.debug("Configuration client hangup");
        }
    }

    /** Acts on the field just completed. */
    private void step(UnixServer.Client c) {
        switch (state) {
            case PIF -> {
                int pif = field[0] & 0xff;
                if (pif == RuleSet.PIF_NONE) {
                    state = DONE;
                    finish();
                    c.close();
                    return;
                }
                table = pending.table(pif);
                if (table == null) {
                    refuse(c, "Received rules for non-existent table");
                    return;
                }
                state = COUNT;
                need = 4;
            }
            case COUNT -> {
                left = Integer.toUnsignedLong(PestoWire.get32(field, 0));
                if (left > FwdTable.MAX_RULES) {
                    refuse(c, "Received " + left + " rules (maximum " + FwdTable.MAX_RULES + ")");
                    return;
                }
                next();
            }
            case RULE -> {
                FwdRule r = FwdRule.fromWire(field, 0);
                if (!r.ifnameTerminated()) {
                    refuse(c, "Interface name was not NULL terminated");
                    return;
                }
                String problem = table.add(r);
                if (problem != null) {
                    refuse(c, problem);
                    return;
                }
                left--;
                next();
            }
            default -> {
            }
        }
    }

    /** After a count or a rule: another rule of this table, or the next table's pif. */
    private void next() {
        if (left > 0) {
            state = RULE;
            need = FwdRule.SIZE;
        } else {
            state = PIF;
            need = 1;
        }
    }

    private void refuse(UnixServer.Client c, String why) {
        Log.warn(why);
        state = DONE;
        c.close();
    }

    private void finish() {
        if (Log.debug) {
            for (FwdTable t : pending.tables()) {
                Log.debug("New forwarding rules for " + t.name() + ":");
                for (FwdRule r : t.rules()) {
                    Log.debug("    " + r.text());
                }
            }
        }
        rules.replace(pending);
    }
}
