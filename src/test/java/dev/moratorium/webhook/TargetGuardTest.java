package dev.moratorium.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TargetGuardTest {

    /** Names resolve from this table; literal addresses as themselves; anything else does not resolve. */
    private static final Map<String, String> DNS = Map.of(
            "hooks.example.com", "93.184.216.34",
            "rebound.example.com", "127.0.0.1",
            "metadata.example.com", "169.254.169.254",
            "v6.example.com", "2606:2800:220:1:248:1893:25c8:1946",
            "xn--bcher-kva.example", "93.184.216.36",
            "xn--r8jz45g.xn--zckzah", "93.184.216.37",
            "xn--bcher-kva.internal.example", "10.0.0.7");

    private static InetAddress[] resolve(String host) throws UnknownHostException {
        String address = DNS.get(host);
        if (address != null) {
            return new InetAddress[] {InetAddress.getByName(address)};
        }
        if (host.matches("[0-9.]+") || host.contains(":")) {
            return new InetAddress[] {InetAddress.getByName(host)};
        }
        throw new UnknownHostException(host);
    }

    private final TargetGuard strict = new TargetGuard(false, TargetGuardTest::resolve);
    private final TargetGuard lenient = new TargetGuard(true, TargetGuardTest::resolve);

    @ParameterizedTest
    @ValueSource(strings = {"https://hooks.example.com/moratoria", "http://hooks.example.com:8080/x?y=1",
            "https://93.184.216.34/", "https://v6.example.com/", "https://[2606:2800:220:1:248:1893:25c8:1946]/",
            "https://hooks.example.com:1/", "https://hooks.example.com:65535/"})
    void publicTargetsAreAccepted(String url) {
        assertThat(strict.problem(url)).isEmpty();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "ftp://hooks.example.com/|http or https",
            "file:///etc/passwd|http or https",
            "hooks.example.com/x|http or https",
            "https:///nohost|host",
            "https://user:pw@hooks.example.com/|user name or password",
            "https://hooks.example.com/#x|fragment",
            "https://hooks.example.com:0/|port must be from 1 to 65535",
            "https://hooks.example.com:65536/|port must be from 1 to 65535",
            "https://hooks.example.com:99999/|port must be from 1 to 65535",
            "https://nowhere.invalid/|does not resolve",
            "http://exa mple.com/|not a valid URL",
            "http://127.0.0.1:8080/|loopback",
            "http://localhost.localdomain.invalid/|does not resolve",
            "http://[::1]/|loopback",
            "http://10.1.2.3/|private",
            "http://172.16.0.1/|private",
            "http://172.31.255.255/|private",
            "http://192.168.1.1/|private",
            "http://169.254.169.254/latest/meta-data/|metadata",
            "http://metadata.example.com/|metadata",
            "http://169.254.10.10/|link-local",
            "http://0.0.0.0/|private",
            "http://100.64.0.1/|private",
            "http://[fc00::1]/|private",
            "http://[fd12:3456::1]/|private",
            "http://[fe80::1]/|link-local",
            "http://[::ffff:127.0.0.1]/|loopback",
            "http://[::ffff:10.0.0.1]/|private",
            "http://[64:ff9b::a9fe:a9fe]/|metadata",
            "http://rebound.example.com/|loopback"})
    void otherTargetsAreRefusedWithASentence(String url, String saying) {
        assertThat(strict.problem(url)).hasValueSatisfying(p -> assertThat(p).contains(saying));
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:8080/", "http://10.1.2.3/", "http://[::1]/"})
    void privateTargetsAreAcceptedWhenAllowed(String url) {
        assertThat(lenient.problem(url)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://127.0.0.1/", "https://nowhere.invalid/"})
    void allowingPrivateTargetsKeepsTheOtherRules(String url) {
        assertThat(lenient.problem(url)).isPresent();
    }

    @org.junit.jupiter.api.Test
    void aUrlLongerThan2048CharactersIsRefused() {
        String url = "https://hooks.example.com/" + "a".repeat(2048);
        assertThat(strict.problem(url)).hasValueSatisfying(p -> assertThat(p).contains("2048"));
    }

    /** What a delivery is sent with: the address checked, the Host header, the request line's target. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "https://hooks.example.com/moratoria|93.184.216.34|443|hooks.example.com|/moratoria",
            "https://hooks.example.com:443|93.184.216.34|443|hooks.example.com|/",
            "http://hooks.example.com:80/x?y=1|93.184.216.34|80|hooks.example.com|/x?y=1",
            "http://hooks.example.com:8080/a%20b?c=%2F&d|93.184.216.34|8080|hooks.example.com:8080|/a%20b?c=%2F&d",
            "https://hooks.example.com:80/|93.184.216.34|80|hooks.example.com:80|/",
            "https://hooks.example.com/h\u00f8k?q=\u00e9\u20ac|93.184.216.34|443|hooks.example.com|/h%C3%B8k?q=%C3%A9%E2%82%AC",
            "https://hooks.example.com/\ud83d\udd14|93.184.216.34|443|hooks.example.com|/%F0%9F%94%94",
            "https://v6.example.com:8443/|2606:2800:220:1:248:1893:25c8:1946|8443|v6.example.com:8443|/",
            "https://[2606:2800:220:1:248:1893:25c8:1946]/|2606:2800:220:1:248:1893:25c8:1946|443|[2606:2800:220:1:248:1893:25c8:1946]|/",
            "https://bücher.example/hook|93.184.216.36|443|xn--bcher-kva.example|/hook",
            "https://BÜCHER.example:8443/høk?q=1|93.184.216.36|8443|xn--bcher-kva.example:8443|/h%C3%B8k?q=1",
            "https://ｂücher。example|93.184.216.36|443|xn--bcher-kva.example|/",
            "https://例え.テスト/|93.184.216.37|443|xn--r8jz45g.xn--zckzah|/"})
    void aTargetCarriesTheAddressCheckedAndTheNameToSend(String url, String address, int port, String authority,
            String target) throws Exception {
        TargetGuard.Target checked = strict.check(url);

        assertThat(checked.isRefused()).isFalse();
        assertThat(checked.address()).isEqualTo(InetAddress.getByName(address));
        assertThat(checked.port()).isEqualTo(port);
        assertThat(checked.authority()).isEqualTo(authority);
        assertThat(checked.pathAndQuery()).isEqualTo(target);
    }

    /**
     * Half of a surrogate pair, which a JSON escape can name alone and java.net.URI takes: UTF-8
     * cannot hold it, and PostgreSQL's driver kept "?" in its place, a query where the path was.
     */
    @ParameterizedTest
    @ValueSource(strings = {"https://hooks.example.com/a\ud800b", "https://hooks.example.com/a?q=\udc00",
            "https://hooks.example.com/\udd14\ud83d"})
    void halfASurrogatePairIsRefused(String url) {
        assertThat(strict.problem(url)).contains("url must not hold half of a surrogate pair");
    }

    /**
     * An international host name is checked as the ASCII name it is sent to: the rules of the others
     * hold, and what the two IDNA standards convert differently is refused rather than sent to
     * another domain.
     */
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "https://straße.example/|write the host in its ASCII form",
            "https://STRAẞE.example/|write the host in its ASCII form",
            "https://σοφος.example/|write the host in its ASCII form",
            "https://a‍b.example/|write the host in its ASCII form",
            "https://bücher.internal.example/|private",
            "https://bücher.example:x/|not a valid URL",
            "https://bücher.example:99999/|port must be from 1 to 65535",
            "https://ü@hooks.example.com/|user name or password",
            "https://bücher_x.example/|not a valid international domain name",
            "https://bücher.example/#top|fragment",
            "https://bücher.nowhere.invalid/|does not resolve"})
    void internationalHostsAreCheckedAsTheirAsciiName(String url, String saying) {
        assertThat(strict.problem(url)).hasValueSatisfying(p -> assertThat(p).contains(saying));
    }

    @org.junit.jupiter.api.Test
    void aNameWithSeveralAddressesIsSentToTheFirstWhenNoneIsInternal() throws Exception {
        InetAddress first = InetAddress.getByName("93.184.216.34");
        InetAddress second = InetAddress.getByName("93.184.216.35");
        TargetGuard guard = new TargetGuard(false, host -> new InetAddress[] {first, second});

        assertThat(guard.check("https://two.example.com/").address()).isEqualTo(first);
        assertThat(new TargetGuard(false, host -> new InetAddress[] {first, InetAddress.getByName("10.0.0.1")})
                .check("https://two.example.com/").problem()).contains("private");
    }
}
