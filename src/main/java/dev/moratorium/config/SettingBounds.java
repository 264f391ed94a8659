package dev.moratorium.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects the settings that are out of their range, each as a sentence naming its key, so that a
 * start fails once with all of them rather than with the first, or not at all. Without it a
 * setting out of range does not fail; it does something else: {@code writers.lock-timeout=0} is
 * PostgreSQL's "no limit" (so is any value under a millisecond, rounded down), a relay
 * {@code batch-size} of 0 publishes nothing while the outbox grows, {@code webhooks.workers=0}
 * delivers to no one.
 */
public final class SettingBounds {

    /** PostgreSQL's timeouts are 32-bit integers of milliseconds. */
    static final long POSTGRES_MAX_MILLIS = Integer.MAX_VALUE;

    private final List<String> problems = new ArrayList<>();

    /** A whole number of at least {@code min}. */
    public SettingBounds atLeast(String key, long value, long min) {
        if (value < min) {
            problems.add(key + " is " + value + "; it must be at least " + min);
        }
        return this;
    }

    /** A whole number from {@code min} to {@code max}. */
    public SettingBounds between(String key, long value, long min, long max) {
        if (value < min || value > max) {
            problems.add(key + " is " + value + "; it must be from " + min + " to " + max);
        }
        return this;
    }

    /** A duration of at least {@code min}. */
    public SettingBounds atLeast(String key, Duration value, Duration min) {
        if (value.compareTo(min) < 0) {
            problems.add(key + " is " + value + "; it must be at least " + min);
        }
        return this;
    }

    /** {@code value} longer than {@code than}, for the reason {@code why} gives. */
    public SettingBounds longer(String key, Duration value, String thanWhat, Duration than, String why) {
        if (value.compareTo(than) <= 0) {
            problems.add(key + " (" + value + ") must be longer than " + thanWhat + " (" + than + "): " + why);
        }
        return this;
    }

    /** A duration longer than zero. */
    public SettingBounds positive(String key, Duration value) {
        if (value.isNegative() || value.isZero()) {
            problems.add(key + " is " + value + "; it must be longer than zero");
        }
        return this;
    }

    /** A duration of zero or more (where zero has a meaning of its own, such as "keep for ever"). */
    public SettingBounds notNegative(String key, Duration value) {
        if (value.isNegative()) {
            problems.add(key + " is " + value + "; it must not be negative");
        }
        return this;
    }

    /**
     * A duration handed on in whole milliseconds to something that reads 0 as "no limit"
     * (PostgreSQL's timeouts): below a millisecond it would lift the limit it was meant to set.
     */
    public SettingBounds wholeMillis(String key, Duration value) {
        if (value.toMillis() < 1) {
            problems.add(key + " is " + value + "; it must be at least 1ms (0 would mean no limit at all)");
        }
        return this;
    }

    /**
     * A PostgreSQL timeout, set in whole milliseconds: at least 1 ms (see {@link #wholeMillis}), and at
     * most PostgreSQL's largest, {@value #POSTGRES_MAX_MILLIS} ms (about 24.8 days), or every
     * transaction that sets it fails ("outside the valid range") and the service retries it as an outage.
     */
    public SettingBounds postgresTimeout(String key, Duration value) {
        wholeMillis(key, value);
        if (value.compareTo(Duration.ofMillis(POSTGRES_MAX_MILLIS)) > 0) {
            problems.add(key + " is " + value + "; it must be at most " + POSTGRES_MAX_MILLIS
                    + "ms (PostgreSQL's largest timeout, about 24.8 days)");
        }
        return this;
    }

    /** {@code lower} no greater than {@code upper}. */
    public SettingBounds ordered(String lowerKey, long lower, String upperKey, long upper) {
        if (lower > upper) {
            problems.add(lowerKey + " (" + lower + ") must not be greater than " + upperKey + " (" + upper + ")");
        }
        return this;
    }

    public SettingBounds ordered(String lowerKey, Duration lower, String upperKey, Duration upper) {
        if (lower.compareTo(upper) > 0) {
            problems.add(lowerKey + " (" + lower + ") must not be longer than " + upperKey + " (" + upper + ")");
        }
        return this;
    }

    public SettingBounds add(SettingBounds other) {
        problems.addAll(other.problems);
        return this;
    }

    public List<String> problems() {
        return List.copyOf(problems);
    }

    /** Fails with every problem, one per line, when there is any. */
    public void enforce() {
        if (!problems.isEmpty()) {
            throw new IllegalStateException(problems.size() == 1 ? "A setting is out of range: " + problems.get(0)
                    : problems.size() + " settings are out of range:\n  " + String.join("\n  ", problems));
        }
    }
}
