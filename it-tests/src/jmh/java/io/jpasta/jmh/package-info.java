/**
 * JMH micro-benchmarks of the per-frame hot paths that run without a namespace, a tap or native code.
 *
 * <h2>Theory of operation</h2>
 * <p>These sources are compiled only with the Maven profile {@code jmh} of {@code it-tests}, which adds them as
 * test sources next to a test-scoped dependency on the launcher (and through it every other module), runs JMH's
 * annotation processor and then {@code org.openjdk.jmh.Main} with {@code -Djmh.args}. Without the profile the
 * module neither sees nor compiles them, so the end-to-end tests keep driving only the built binary.
 *
 * <p>Each benchmark exercises public API only, on inputs fixed in {@code @Setup}: fixture frames cut from
 * reference captures (read from the directory in system property {@code jpasta.frames}) or values built once.
 * The measured methods allocate nothing unless allocation is what they measure ({@link OptionsBench}); results
 * go back to JMH as return values or into a {@link org.openjdk.jmh.infra.Blackhole}, and inputs live in
 * non-final state fields so the JIT cannot fold them. Every {@code @Setup} checks that its input takes the
 * intended path (a frame answered NOT_MINE really is, a flow lookup that must hit does), so a change in the code
 * under test fails the run instead of measuring something else.
 */
package io.jpasta.jmh;
