/**
 * Every native call of the JVM (JNI over libjpasta.so): results are {@code >= 0} or {@code -errno}, EINTR is
 * retried in C, buffers are off-heap addresses. See {@link io.jpasta.netns.sys.Sys}.
 *
 * <p>{@link io.jpasta.netns.sys.Confine} ({@code src/main/c/confine.c}) is the native half of the JVM's
 * confinement: a seccomp deny-list synchronised to every thread (TSYNC), and capabilities and Landlock, which the
 * kernel applies per thread, applied on every thread by sending each one (listed in /proc/self/task, in passes
 * until no new one appears) a real-time signal whose handler calls capset and landlock_restrict_self on itself.
 */
package io.jpasta.netns.sys;
