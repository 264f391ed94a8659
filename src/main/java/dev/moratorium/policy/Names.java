package dev.moratorium.policy;

import java.util.Locale;

/** Vendor, product, segment and organization names compare case-insensitively. */
public final class Names {

    /** The segment that stands for every customer. */
    public static final String EVERYONE = "*";

    private Names() {
    }

    /** The form names are indexed and compared by. */
    public static String key(String name) {
        return name == null ? null : name.strip().toLowerCase(Locale.ROOT);
    }

    public static boolean same(String a, String b) {
        return a != null && b != null && key(a).equals(key(b));
    }
}
