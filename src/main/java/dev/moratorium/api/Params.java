package dev.moratorium.api;

import dev.moratorium.wire.EventTimes;
import dev.moratorium.wire.Sanitize;
import dev.moratorium.policy.Jurisdictions;
import java.time.Instant;
import java.util.regex.Pattern;

/** Query parameter checks that answer 400 with a sentence naming the parameter. */
final class Params {

    private static final int MAX_LENGTH = 200;
    private static final Pattern OFFSET_AFTER_A_SPACE =
            Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)? [0-9]{2}:[0-9]{2}");

    private Params() {
    }

    static String required(String name, String value) {
        if (value == null || value.isBlank()) {
            throw ApiException.badRequest("missing-parameter", name + " is required");
        }
        return optional(name, value);
    }

    static String optional(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        if (Sanitize.characters(value) > MAX_LENGTH || Sanitize.hasControlCharacters(value)) {
            throw ApiException.badRequest("invalid-parameter", name + " must be at most " + MAX_LENGTH
                    + " characters without control characters");
        }
        return value.strip();
    }

    /**
     * An instant a query asks about, in the years RFC 3339 writes (0000 to 9999): java.time reads
     * years to ±999,999,999, and an instant outside them would come back in an answer (the
     * explanation's {@code at}) in a form no RFC 3339 reader takes, {@code -1000000000-12-31T06:00:00Z}
     * for {@code -999999999-01-01T00:00:00+18:00}.
     */
    static Instant instant(String name, String value, Instant fallback) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        Instant read = EventTimes.parse(value.strip()).orElseThrow(() -> ApiException.badRequest("invalid-parameter",
                name + " \"" + Sanitize.forMessage(value) + "\" is not a date (YYYY-MM-DD) or an RFC 3339 timestamp"
                        + plusReadAsSpace(value.strip())));
        if (!EventTimes.isWritable(read)) {
            throw ApiException.badRequest("invalid-parameter", EventTimes.notWritable(name, value.strip()));
        }
        return read;
    }

    /**
     * A timestamp whose offset's {@code +} was written into the URL as it is, which a query reads as
     * a space ({@code at=2020-06-11T00:00:00+02:00} arrives as {@code 2020-06-11T00:00:00 02:00}): the
     * commonest way a gateway building URLs by hand gets a 400, so the answer says how to write it.
     */
    private static String plusReadAsSpace(String value) {
        if (!OFFSET_AFTER_A_SPACE.matcher(value).matches()) {
            return "";
        }
        String offset = value.substring(value.lastIndexOf(' ') + 1);
        return ": a + in a URL's query is read as a space, so write the offset +" + offset + " as %2B" + offset;
    }

    /** An optional jurisdiction code (ISO 3166-1 alpha-2, optionally with an ISO 3166-2 subdivision). */
    static String jurisdiction(String name, String value) {
        String code = optional(name, value);
        if (code != null) {
            Jurisdictions.problem(code).ifPresent(problem -> {
                throw ApiException.badRequest("invalid-parameter", name + " \"" + Sanitize.forMessage(code)
                        + "\" is not a jurisdiction: " + problem);
            });
        }
        return code;
    }

    /** {@code true} or {@code false} (any case); absent is {@code false}. */
    static boolean flag(String name, String value) {
        if (value == null || value.isBlank()) {
            return false;
        }
        return switch (value.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw ApiException.badRequest("invalid-parameter", name + " must be true or false");
        };
    }

    static int integer(String name, String value, int fallback, int min, int max) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(digits(value));
            if (n < min || n > max) {
                throw ApiException.badRequest("invalid-parameter", name + " must be between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid-parameter", name + " must be a whole number between " + min
                    + " and " + max);
        }
    }

    /**
     * The value, stripped, if it is ASCII digits. {@code Integer.parseInt} and {@code Long.parseLong}
     * also read a sign and every script's digits: {@code ５００} (full-width), {@code ٥٠٠} (Arabic-Indic)
     * and {@code +500} would all be 500, second spellings of one number that a cache, a log search or
     * a rule in front of the service does not see as the same.
     */
    private static String digits(String value) {
        String s = value.strip();
        if (s.isEmpty()) {
            throw new NumberFormatException();
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                throw new NumberFormatException();
            }
        }
        return s;
    }

    static long cursor(String name, String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            return Long.parseLong(digits(value));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid-parameter", name + " must be a sequence number (0 or more)");
        }
    }
}
