package dev.moratorium.embedded;

import java.nio.file.Path;
import java.util.Optional;

/**
 * An extra client listener of the embedded broker that demands SASL/SCRAM-SHA-512 — over TLS when
 * a keystore is given (SASL_SSL, as production brokers do), else in clear (SASL_PLAINTEXT). Used
 * by tests that prove the service's Kafka security settings; dev mode does not use it.
 *
 * @param username the one SCRAM user the broker knows (created when its storage is formatted)
 * @param password its password
 * @param tls      the broker's certificate and key, for SASL_SSL
 */
public record ScramListener(String username, String password, Optional<Tls> tls) {

    /** SCRAM credentials must not contain the characters the formatter's argument syntax uses. */
    public ScramListener {
        for (String s : new String[] {username, password}) {
            if (s == null || s.isEmpty() || s.matches(".*[\\[\\],=\"\\s].*")) {
                throw new IllegalArgumentException("SCRAM user and password must be non-empty, without [ ] , = \" or spaces");
            }
        }
    }

    /** A PKCS#12 keystore holding the broker's key and (self-signed) certificate for {@code localhost}. */
    public record Tls(Path keystore, String password) {
    }

    public String securityProtocol() {
        return tls.isPresent() ? "SASL_SSL" : "SASL_PLAINTEXT";
    }

    /** What a client puts in {@code sasl.jaas.config} to log in as this user. */
    public static String jaasConfig(String username, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + username
                + "\" password=\"" + password + "\";";
    }
}
