package dev.moratorium.testing;

import dev.moratorium.security.CallerPermissions;
import io.smallrye.jwt.build.Jwt;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.Set;

/**
 * Bearer tokens for tests, signed with an RSA key pair generated when the test infrastructure
 * starts: no private key is ever committed. The service is given only the public key
 * ({@code mp.jwt.verify.publickey}), as production is.
 */
public final class TestTokens {

    public static final String ISSUER = "urn:moratorium";

    /** Set by {@link EmbeddedInfrastructureResource} for each started application. */
    static volatile KeyPair keys;

    private TestTokens() {
    }

    /** A fresh 2048-bit RSA key pair. */
    public static KeyPair generateKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The form of {@code mp.jwt.verify.publickey} (and MP_JWT_VERIFY_PUBLICKEY): base64 of the X.509 key. */
    public static String publicKeySetting(KeyPair keyPair) {
        return Base64.getEncoder().encodeToString(keyPair.getPublic().getEncoded());
    }

    public static String admin() {
        return withGroups(CallerPermissions.ADMIN);
    }

    public static String viewer() {
        return withGroups(CallerPermissions.VIEWER);
    }

    /** A valid token of the service's issuer, for five minutes, with these roles. */
    public static String withGroups(String... groups) {
        return Jwt.issuer(ISSUER).upn("test-user").groups(Set.of(groups)).expiresIn(300).sign(privateKey());
    }

    public static PrivateKey privateKey() {
        if (keys == null) {
            throw new IllegalStateException("no test key pair yet: the test infrastructure has not started");
        }
        return keys.getPrivate();
    }
}
