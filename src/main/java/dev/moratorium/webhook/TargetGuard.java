package dev.moratorium.webhook;

import dev.moratorium.wire.Sanitize;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.IDN;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * Which URLs a subscription may point at. A webhook makes the service send requests wherever it is
 * told, so unless private targets are allowed, a URL whose host is (or resolves to) a loopback,
 * private, carrier-grade NAT, link-local (cloud metadata at 169.254.169.254 included), unique-local,
 * multicast or unspecified address is refused. The host is resolved when the subscription is
 * written and again before every delivery, so a name that later resolves elsewhere (DNS
 * rebinding) is caught then; and the delivery goes to the address checked ({@link Target}), not
 * to whatever a second lookup of the name would answer.
 */
public final class TargetGuard {

    public static final int MAX_URL_LENGTH = 2048;

    /** Resolves a host name; {@link InetAddress#getAllByName} in the service, a table in tests. */
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final boolean allowPrivate;
    private final Resolver resolver;

    public TargetGuard(boolean allowPrivate, Resolver resolver) {
        this.allowPrivate = allowPrivate;
        this.resolver = resolver;
    }

    /**
     * A URL checked: either the {@code problem} that refuses it, or its parts and the {@code address}
     * its host resolved to when checked, which is where a delivery must connect. Letting the HTTP
     * client resolve the name again left a window between the two lookups: a name served with a
     * short TTL could answer a public address to the check and 169.254.169.254 to the client.
     */
    public record Target(String problem, URI uri, String host, InetAddress address) {

        static Target refused(String problem) {
            return new Target(problem, null, null, null);
        }

        public boolean isRefused() {
            return problem != null;
        }

        public boolean isHttps() {
            return uri.getScheme().equalsIgnoreCase("https");
        }

        /** The URL's port, or its scheme's. */
        public int port() {
            return uri.getPort() != -1 ? uri.getPort() : isHttps() ? 443 : 80;
        }

        /**
         * The {@code Host} header: the URL's host (an IPv6 address in brackets) and its port unless it
         * is the scheme's own, as browsers and the JDK's client write it.
         */
        public String authority() {
            return uri.getPort() == -1 || uri.getPort() == (isHttps() ? 443 : 80)
                    ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
        }

        /**
         * What the request line names: the path (at least "/") and the query, as given, but for
         * characters outside ASCII, percent-encoded in UTF-8. A request line is ASCII; sent as they
         * were, "/høk" reached a receiver as UTF-8 bytes, which it read as "/hÃ¸k".
         */
        public String pathAndQuery() {
            URI ascii = URI.create(uri.toASCIIString());
            String path = ascii.getRawPath() == null || ascii.getRawPath().isEmpty() ? "/" : ascii.getRawPath();
            return ascii.getRawQuery() == null ? path : path + "?" + ascii.getRawQuery();
        }
    }

    /** Empty if the URL may be used; else a sentence saying why not. */
    public Optional<String> problem(String url) {
        return Optional.ofNullable(check(url).problem());
    }

    /** The URL with the address to deliver to, or refused with a sentence saying why. */
    public Target check(String url) {
        if (url == null || url.isBlank()) {
            return Target.refused("url is required");
        }
        if (url.length() > MAX_URL_LENGTH) {
            return Target.refused("url must be at most " + MAX_URL_LENGTH + " characters");
        }
        if (Sanitize.hasLoneSurrogate(url)) {
            // java.net.URI takes it; PostgreSQL's driver would keep "?" in its place (Subscriptions)
            return Target.refused("url must not hold half of a surrogate pair");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return Target.refused("url is not a valid URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return Target.refused("url must be an http or https URL");
        }
        if (uri.getHost() == null && uri.getRawAuthority() != null && !isAscii(uri.getRawAuthority())) {
            Target converted = withAsciiHost(uri);
            if (converted.isRefused()) {
                return converted;
            }
            uri = converted.uri();
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            return Target.refused("url must name a host");
        }
        if (uri.getRawUserInfo() != null) {
            return Target.refused("url must not carry a user name or password");
        }
        if (uri.getRawFragment() != null) {
            return Target.refused("url must not have a fragment");
        }
        if (uri.getPort() != -1 && (uri.getPort() < 1 || uri.getPort() > 65_535)) {
            // java.net.URI takes any number; the HTTP client then refuses the request at every attempt
            return Target.refused("url's port must be from 1 to 65535");
        }
        return checkHost(uri);
    }

    private Target checkHost(URI uri) {
        String host = uri.getHost();
        String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(bare);
        } catch (UnknownHostException e) {
            return Target.refused("url's host " + bare + " does not resolve");
        }
        if (addresses.length == 0) {
            return Target.refused("url's host " + bare + " does not resolve");
        }
        if (!allowPrivate) {
            for (InetAddress address : addresses) {
                if (isInternal(address)) {
                    return Target.refused("url's host " + bare + " is a loopback, private, link-local or metadata"
                            + " address (" + address.getHostAddress() + "); only public addresses may receive webhooks");
                }
            }
        }
        // the first, as InetAddress.getByName (what the JDK's client connected to) answers
        return new Target(null, uri, bare, addresses[0]);
    }

    /**
     * The URL with its internationalized host name in the ASCII form DNS, the {@code Host} header and
     * TLS's server name take ("bücher.example" as "xn--bcher-kva.example"). java.net.URI keeps such a
     * host only as an authority without a host, and the URL was refused as naming none. The JDK
     * converts by IDNA2003, which maps ß, ς and the joiners where IDNA2008 (and browsers) keep them:
     * "straße.example" would be sent to "strasse.example", another domain, so such a host is refused
     * and must be written in its ASCII form.
     */
    private static Target withAsciiHost(URI uri) {
        String authority = uri.getRawAuthority();
        if (authority.contains("@")) {
            return Target.refused("url must not carry a user name or password");
        }
        int colon = authority.lastIndexOf(':');
        String host = colon < 0 ? authority : authority.substring(0, colon);
        String port = colon < 0 ? "" : authority.substring(colon);
        if (!port.matches("(:[0-9]{1,5})?")) {
            return Target.refused("url is not a valid URL");
        }
        if (host.codePoints().anyMatch(c -> c == 0xdf || c == 0x1e9e || c == 0x3c2 || c == 0x200c || c == 0x200d)) {
            return Target.refused("url's host holds ß, ς or a joiner, which the two standards for international"
                    + " domain names convert differently: write the host in its ASCII form (xn--…)");
        }
        try {
            String ascii = IDN.toASCII(host, IDN.USE_STD3_ASCII_RULES);
            return new Target(null, new URI(uri.getScheme() + "://" + ascii + port + uri.getRawPath()
                    + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())
                    + (uri.getRawFragment() == null ? "" : "#" + uri.getRawFragment())), null, null);
        } catch (IllegalArgumentException | URISyntaxException e) {
            return Target.refused("url's host is not a valid international domain name");
        }
    }

    private static boolean isAscii(String text) {
        return text.chars().allMatch(c -> c < 0x80);
    }

    static boolean isInternal(InetAddress a) {
        if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first == 0 // "this network", 0.0.0.0 included
                    || (first == 100 && second >= 64 && second < 128) // carrier-grade NAT, 100.64/10
                    || first >= 240; // reserved and broadcast
        }
        if (a instanceof Inet6Address) {
            if ((b[0] & 0xfe) == 0xfc) {
                return true; // unique local, fc00::/7
            }
            if (isMapped(b) || isNat64(b)) {
                // ::ffff:a.b.c.d and 64:ff9b::a.b.c.d reach the IPv4 address inside
                try {
                    return isInternal(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
                } catch (UnknownHostException e) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isMapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }

    private static boolean isNat64(byte[] b) {
        if (b[0] != 0 || b[1] != 0x64 || (b[2] & 0xff) != 0xff || (b[3] & 0xff) != 0x9b) {
            return false;
        }
        for (int i = 4; i < 12; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
