/**
 * Every native call of the JVM (JNI over libjpasta.so): results are {@code >= 0} or {@code -errno}, EINTR is
 * retried in C, buffers are off-heap addresses. See {@link io.jpasta.netns.sys.Sys}.
 */
package io.jpasta.netns.sys;
