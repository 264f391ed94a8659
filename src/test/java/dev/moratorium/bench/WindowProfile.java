package dev.moratorium.bench;

import com.sun.tools.attach.VirtualMachine;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * A CPU profile of the service for one measured window only, so that its start, the preload and
 * the warm-up stay out of it: async-profiler (its {@code libasyncProfiler.so}, named by
 * {@code BENCH_ASYNC_PROFILER}) is loaded into the running service when the window opens and
 * writes collapsed stacks when it closes. Attaching takes a few hundred milliseconds, so it runs
 * off the thread that keeps the benchmark's schedule. ({@code jcmd PID JVMTI.agent_load} would do
 * the same, but it hands async-profiler its options mangled.)
 */
final class WindowProfile {

    private final String library = System.getenv("BENCH_ASYNC_PROFILER");
    private final long pid;
    private final Path file;
    private CompletableFuture<Void> started = CompletableFuture.completedFuture(null);

    WindowProfile(long pid, String name) {
        this.pid = pid;
        this.file = BenchService.OUT.resolve(name + ".collapsed").toAbsolutePath();
    }

    boolean enabled() {
        return library != null && !library.isBlank();
    }

    Path file() {
        return file;
    }

    void start() {
        if (enabled()) {
            started = CompletableFuture.runAsync(() -> command("start,event=itimer,interval=1ms"));
        }
    }

    /** Stops the profile (after its start, if that is still under way) and writes {@link #file()}. */
    void stop() {
        if (enabled()) {
            started.thenRunAsync(() -> command("stop,file=" + file + ",collapsed")).join();
        }
    }

    private void command(String options) {
        try {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            try {
                vm.loadAgentPath(library, options);
            } finally {
                vm.detach();
            }
        } catch (Exception e) {
            throw new IllegalStateException("async-profiler (" + library + ") " + options + ": " + e, e);
        }
    }
}
