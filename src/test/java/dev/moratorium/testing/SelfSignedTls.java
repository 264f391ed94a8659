package dev.moratorium.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away TLS identity for {@code localhost}, made at test time with the JDK's keytool: the
 * broker's keystore (key and self-signed certificate) and a truststore holding only that
 * certificate, for the clients. Nothing is committed; it lives in the test's temporary directory.
 */
public record SelfSignedTls(Path keystore, Path truststore, String password) {

    public static SelfSignedTls create(Path dir) {
        try {
            Files.createDirectories(dir);
            Path keystore = dir.resolve("broker.p12");
            Path truststore = dir.resolve("truststore.p12");
            String password = UUID.randomUUID().toString().replace("-", "");
            String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
            Process process = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", "broker", "-keyalg", "RSA",
                    "-keysize", "2048", "-validity", "2", "-dname", "CN=localhost",
                    "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-keystore", keystore.toString(),
                    "-storetype", "PKCS12", "-storepass", password, "-keypass", password))
                    .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("keytool could not make a keystore: " + output);
            }
            KeyStore brokerStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keystore)) {
                brokerStore.load(in, password.toCharArray());
            }
            Certificate certificate = brokerStore.getCertificate("broker");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("broker", certificate);
            try (OutputStream out = Files.newOutputStream(truststore)) {
                trust.store(out, password.toCharArray());
            }
            return new SelfSignedTls(keystore, truststore, password);
        } catch (IOException | InterruptedException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException("could not make a self-signed TLS identity for localhost", e);
        }
    }
}
