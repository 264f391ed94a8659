package dev.moratorium.policy;

import java.util.regex.Pattern;

/** The form of a {@code policyId}: it travels in URLs and headers, so letters, digits and {@code . _ : @ -}, 1 to 128. */
public final class PolicyIds {

    private static final Pattern POLICY_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");

    private PolicyIds() {
    }

    public static boolean isValid(String policyId) {
        return policyId != null && POLICY_ID.matcher(policyId).matches();
    }
}
