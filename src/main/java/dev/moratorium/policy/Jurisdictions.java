package dev.moratorium.policy;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Where a policy holds and where a caller is (CONTRACT.md §5): an ISO 3166-1 alpha-2 country code,
 * optionally followed by {@code -} and an ISO 3166-2 subdivision code ({@code US}, {@code US-CA},
 * {@code GB}). A subdivision lies inside its country, so a policy for {@code US} applies to a caller
 * in {@code US-CA}, while a policy for {@code US-CA} does not apply to a caller in {@code US} (not
 * known to be in California) nor in {@code US-WA}. Codes compare case-insensitively.
 *
 * <p>The country list is the JDK's ({@link Locale#getISOCountries()}), so no table of our own goes
 * stale; the subdivision part is checked only for its shape (1 to 3 letters or digits), because
 * the JDK carries no ISO 3166-2 list and a gateway must not be refused for a new subdivision.
 */
public final class Jurisdictions {

    private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());

    private Jurisdictions() {
    }

    /** Why this is not a jurisdiction code, or empty when it is one. */
    public static Optional<String> problem(String code) {
        if (code == null || code.isEmpty()) {
            return Optional.of("a jurisdiction must not be empty");
        }
        String upper = code.toUpperCase(Locale.ROOT);
        int dash = upper.indexOf('-');
        String country = dash < 0 ? upper : upper.substring(0, dash);
        if (!COUNTRIES.contains(country)) {
            return Optional.of("\"" + country + "\" is not an ISO 3166-1 alpha-2 country code (such as US, GB, DE)");
        }
        if (dash >= 0 && !isSubdivision(upper.substring(dash + 1))) {
            return Optional.of("the subdivision after \"" + country + "-\" must be 1 to 3 letters or digits"
                    + " (ISO 3166-2, such as US-CA)");
        }
        return Optional.empty();
    }

    public static boolean isValid(String code) {
        return problem(code).isEmpty();
    }

    /**
     * Does a policy for {@code policyJurisdiction} apply to a caller in {@code callerJurisdiction}?
     * A policy without a jurisdiction applies everywhere; a caller who gives none is subject to
     * every policy (the answer of contract v1, which knew no jurisdictions).
     */
    public static boolean applies(String policyJurisdiction, String callerJurisdiction) {
        if (policyJurisdiction == null || callerJurisdiction == null) {
            return true;
        }
        int n = policyJurisdiction.length();
        return callerJurisdiction.regionMatches(true, 0, policyJurisdiction, 0, n)
                && (callerJurisdiction.length() == n || callerJurisdiction.charAt(n) == '-');
    }

    private static boolean isSubdivision(String s) {
        if (s.isEmpty() || s.length() > 3) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')) {
                return false;
            }
        }
        return true;
    }
}
