package io.jpasta.launcher;

import sun.misc.Signal;

/**
 * SIGTERM and SIGQUIT end pasta with status 0; SIGINT and SIGHUP too, except in command mode, where the command
 * owns the terminal and pasta ends when it does. Handlers run on the JVM's signal thread and only wake the loop.
 */
final class Signals {
    private Signals() {
    }

    static void install(Loop loop, boolean commandMode) {
        for (String name : new String[] {"TERM", "INT", "HUP", "QUIT"}) {
            int num = Main.signalNumber(name);
            try {
                Signal.handle(new Signal(name), s -> loop.signal(num));
            } catch (IllegalArgumentException e) {
                Log.debug("cannot handle SIG" + name + ": " + e.getMessage());
            }
        }
    }
}
