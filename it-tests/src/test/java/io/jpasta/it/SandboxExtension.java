package io.jpasta.it;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The sandbox of a test class, as a JUnit extension: it creates the class's {@link Sandbox} before the first test
 * (skipping the class, with the reason printed, on a machine that cannot run it), gives each test a directory of its
 * own in the sandbox's work directory ({@link #testDir()}), and closes the sandbox after the last test, also when
 * tests failed. A failed test keeps its directory (captures, pid and lease files, what the programs wrote there) and
 * the captures ({@code *.pcap}) at the top of the work directory in {@code target/it-logs/<class>/}, beside the logs
 * of every process, which stay there anyway.
 *
 * <pre>
 * &#64;RegisterExtension
 * static final SandboxExtension NET = new SandboxExtension();
 * ... NET.sandbox().user(TIMEOUT, "label", Pasta.underTest(), "--config-net", "--", "true") ...
 * </pre>
 */
public final class SandboxExtension implements BeforeAllCallback, BeforeEachCallback, AfterTestExecutionCallback,
        AfterAllCallback {
    private Sandbox sandbox;
    private Path testDir;

    /** @return the sandbox of the running test class */
    public Sandbox sandbox() {
        if (sandbox == null) {
            throw new IllegalStateException("no sandbox: used outside of the tests of its class");
        }
        return sandbox;
    }

    /** @return the running test's own directory in the sandbox's work directory, owned by the test user */
    public Path testDir() {
        if (testDir == null) {
            throw new IllegalStateException("no test directory: used outside of a test");
        }
        return testDir;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        sandbox = Sandbox.create(context.getRequiredTestClass().getSimpleName());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        testDir = sandbox().userDir(dirName(context));
    }

    /** A test's directory: its method name, with the invocation's index for parameterized and repeated tests. */
    private static String dirName(ExtensionContext context) {
        String method = context.getRequiredTestMethod().getName();
        String id = context.getUniqueId();
        int at = id.lastIndexOf("-invocation:#");
        return at < 0 ? method : method + "-" + id.substring(at + "-invocation:#".length()).replaceAll("\\W", "");
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        if (context.getExecutionException().isEmpty() || sandbox == null) {
            return;
        }
        System.out.println(context.getRequiredTestClass().getSimpleName() + ": " + context.getDisplayName()
                + " failed; the logs of its processes are in " + sandbox.logs());
        if (testDir != null) {
            sandbox.keep(testDir);
        }
        try (Stream<Path> top = Files.list(sandbox.work())) {
            top.filter(p -> p.getFileName().toString().endsWith(".pcap")).forEach(sandbox::keep);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        testDir = null;
        if (sandbox != null) {
            sandbox.close();
            sandbox = null;
        }
    }
}
