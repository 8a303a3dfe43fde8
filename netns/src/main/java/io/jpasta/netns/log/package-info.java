/**
 * How every module logs and counts: {@link io.jpasta.netns.log.Log} (pasta's log lines and levels) and
 * {@link io.jpasta.netns.log.Counters} (named counters and drops by reason, one line each in {@code --stats}).
 *
 * <p>They live in the lowest module so that the protocol engines (tap, tcp, udp, splice) use the same two classes
 * as the launcher, instead of loggers and counter shapes handed down by whoever builds them. Both are cheap when
 * idle: a log guard that is off is one static load; a counter is an array element incremented on the loop thread
 * (another thread reading it, such as a control client, sees a possibly stale but harmless value).
 */
package io.jpasta.netns.log;
