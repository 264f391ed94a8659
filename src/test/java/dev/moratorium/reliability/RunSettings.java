package dev.moratorium.reliability;

import java.time.Duration;

/**
 * What every reliability IT shares: the stream's size and seed (system properties, so that
 * {@code reliability/run-full} runs the same tests larger, and a failing seed can be run again with
 * {@code -Dreliability.seed=…}), and how long a service may take to become ready or to catch up.
 */
final class RunSettings {

    static final int EVENTS = Integer.getInteger("reliability.events", 6_000);
    static final int POLICIES = Integer.getInteger("reliability.policies", 300);
    static final long SEED = Long.getLong("reliability.seed", System.nanoTime());
    static final Duration READY = Duration.ofSeconds(90);
    static final Duration CATCH_UP = Duration.ofMinutes(5);

    private RunSettings() {
    }
}
