package dev.moratorium.security;

import java.util.Locale;
import java.util.Set;

/**
 * Who may do what, as one pure rule (no framework types, table-tested):
 *
 * <ul>
 * <li>a write — any method but GET, HEAD and OPTIONS, on any path — needs {@link #ADMIN};</li>
 * <li>health and metrics ({@code /q/health*}, {@code /q/metrics*}) are open to everyone: Kubernetes
 * probes and Prometheus carry no token;</li>
 * <li>every other read is open, or, with {@code moratorium.security.restrict-reads}, needs
 * {@link #VIEWER} or {@link #ADMIN}.</li>
 * </ul>
 *
 * The write check comes first and ignores the path, so no path trick turns a write into a probe.
 */
public final class CallerPermissions {

    /** May retry rejections (and any later admin action); may read. */
    public static final String ADMIN = "moratorium-admin";
    /** May read when reads are restricted. */
    public static final String VIEWER = "moratorium-viewer";

    private static final Set<String> READ_METHODS = Set.of("GET", "HEAD", "OPTIONS");
    private static final Set<String> OPEN_PATHS = Set.of("/q/health", "/q/metrics");

    private CallerPermissions() {
    }

    /**
     * @param method HTTP method
     * @param path   the normalized request path (dot segments resolved)
     * @param roles  the caller's roles (the token's {@code groups}); empty for an anonymous caller
     */
    public static boolean permits(String method, String path, Set<String> roles, boolean restrictReads) {
        if (!isRead(method)) {
            return roles.contains(ADMIN);
        }
        if (isOpenPath(path) || !restrictReads) {
            return true;
        }
        return roles.contains(VIEWER) || roles.contains(ADMIN);
    }

    public static boolean isRead(String method) {
        return method != null && READ_METHODS.contains(method.toUpperCase(Locale.ROOT));
    }

    static boolean isOpenPath(String path) {
        if (path == null) {
            return false;
        }
        for (String open : OPEN_PATHS) {
            if (path.equals(open) || path.startsWith(open + "/")) {
                return true;
            }
        }
        return false;
    }
}
