package io.jpasta.it;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * One {@link Sandbox} per test class, registered as a static field:
 *
 * <pre>
 * &#64;RegisterExtension
 * static final SandboxExtension SANDBOX = new SandboxExtension();
 * </pre>
 *
 * It is made before the class's {@code @BeforeAll} methods run ({@link #get} hands it out) and closed after its
 * {@code @AfterAll} methods; if a test of the class failed, the sandbox's work directory (captures, pid files,
 * what the programs under test wrote) is first copied next to the process logs under {@code target/it-logs/CLASS}.
 */
public final class SandboxExtension implements BeforeAllCallback, AfterAllCallback, TestWatcher {
    private Sandbox sandbox;
    private boolean failed;

    @Override
    public void beforeAll(ExtensionContext context) {
        sandbox = Sandbox.create(context.getRequiredTestClass().getSimpleName());
    }

    /** @return the class's sandbox; only from {@code @BeforeAll} on */
    public Sandbox get() {
        if (sandbox == null) {
            throw new IllegalStateException("no sandbox yet: SandboxExtension.get() before @BeforeAll");
        }
        return sandbox;
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        failed = true;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (sandbox == null) {
            return;
        }
        if (failed || context.getExecutionException().isPresent()) {
            sandbox.keep(sandbox.work());
        }
        sandbox.close();
        sandbox = null;
    }
}
