package dev.moratorium.testing;

import dev.moratorium.security.CallerPermissions;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Bearer tokens an attacker would try, each claiming role moratorium-admin (unless said otherwise):
 * unsigned, signed with the wrong key or algorithm, expired, from another issuer, tampered with.
 * Built by hand, byte by byte, so that nothing a JWT library refuses to produce is left out.
 */
public final class ForgedTokens {

    /** The one genuine token of the list: hostile to writes, entitled to (restricted) reads. */
    public static final String VIEWER = "valid signature, role moratorium-viewer";

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private ForgedTokens() {
    }

    /** Label → the Authorization header value. None of them may get a write through. */
    public static Map<String, String> all() {
        long now = Instant.now().getEpochSecond();
        String admin = payload(TestTokens.ISSUER, CallerPermissions.ADMIN, now, now + 300);
        KeyPair mallory = TestTokens.generateKeyPair();
        byte[] servicePublicKey = publicKeyOfService();
        Map<String, String> tokens = new LinkedHashMap<>();
        tokens.put("no Authorization header", null);
        tokens.put("empty Authorization", "");
        tokens.put("Bearer without token", "Bearer");
        tokens.put("Bearer and a space", "Bearer ");
        tokens.put("garbage", "Bearer garbage");
        tokens.put("three empty parts", "Bearer ..");
        tokens.put("a.b.c", "Bearer a.b.c");
        tokens.put("Basic admin:admin", "Basic YWRtaW46YWRtaW4=");
        tokens.put("alg none", bearer(unsigned("none", admin)));
        tokens.put("alg None", bearer(unsigned("None", admin)));
        tokens.put("alg NONE", bearer(unsigned("NONE", admin)));
        tokens.put("alg nOnE", bearer(unsigned("nOnE", admin)));
        tokens.put("alg none without trailing dot", bearer(unsigned("none", admin).replaceAll("\\.$", "")));
        tokens.put("alg none with a fake signature", bearer(unsigned("none", admin) + "c2lnbmF0dXJl"));
        tokens.put("no alg at all", bearer(compose("{\"typ\":\"JWT\"}", admin, "")));
        tokens.put("HS256 keyed with the service's public key (DER)",
                bearer(hmac("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", admin, servicePublicKey)));
        tokens.put("HS256 keyed with the service's public key (base64 text)", bearer(hmac("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                admin, Base64.getEncoder().encodeToString(servicePublicKey).getBytes(StandardCharsets.US_ASCII))));
        tokens.put("HS512 keyed with the service's public key", bearer(hmacWith("HmacSHA512",
                "{\"alg\":\"HS512\",\"typ\":\"JWT\"}", admin, servicePublicKey)));
        tokens.put("RS256 signed with another key", bearer(rs256(mallory.getPrivate(), "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", admin)));
        tokens.put("RS256 with the attacker's key embedded (jwk)", bearer(rs256(mallory.getPrivate(),
                "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"jwk\":" + jwk((RSAPublicKey) mallory.getPublic()) + "}", admin)));
        tokens.put("RS256 pointing at the attacker's keys (jku)", bearer(rs256(mallory.getPrivate(),
                "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"jku\":\"http://127.0.0.1:1/jwks.json\"}", admin)));
        tokens.put("HS256 with kid path traversal", bearer(hmac(
                "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"../../../../../../dev/null\"}", admin, new byte[] {0})));
        tokens.put("expired 10 minutes ago", bearer(rs256(TestTokens.privateKey(), header(),
                payload(TestTokens.ISSUER, CallerPermissions.ADMIN, now - 3600, now - 600))));
        tokens.put("not valid before an hour from now (nbf)", bearer(rs256(TestTokens.privateKey(), header(),
                "{\"iss\":\"" + TestTokens.ISSUER + "\",\"upn\":\"mallory\",\"groups\":[\"" + CallerPermissions.ADMIN
                        + "\"],\"iat\":" + now + ",\"nbf\":" + (now + 3600) + ",\"exp\":" + (now + 7200) + "}")));
        tokens.put("valid for ten years", bearer(rs256(TestTokens.privateKey(), header(),
                payload(TestTokens.ISSUER, CallerPermissions.ADMIN, now, now + 10L * 365 * 24 * 3600))));
        tokens.put("expiring before it was issued", bearer(rs256(TestTokens.privateKey(), header(),
                payload(TestTokens.ISSUER, CallerPermissions.ADMIN, now + 600, now + 300))));
        tokens.put("without expiry", bearer(rs256(TestTokens.privateKey(), header(),
                "{\"iss\":\"" + TestTokens.ISSUER + "\",\"upn\":\"mallory\",\"groups\":[\"" + CallerPermissions.ADMIN
                        + "\"],\"iat\":" + now + "}")));
        tokens.put("wrong issuer", bearer(rs256(TestTokens.privateKey(), header(),
                payload("urn:someone-else", CallerPermissions.ADMIN, now, now + 300))));
        tokens.put("issuer with a trailing space", bearer(rs256(TestTokens.privateKey(), header(),
                payload(TestTokens.ISSUER + " ", CallerPermissions.ADMIN, now, now + 300))));
        tokens.put("no issuer", bearer(rs256(TestTokens.privateKey(), header(),
                "{\"upn\":\"mallory\",\"groups\":[\"" + CallerPermissions.ADMIN + "\"],\"iat\":" + now + ",\"exp\":" + (now + 300) + "}")));
        tokens.put("viewer token, payload swapped for admin", bearer(tamper(TestTokens.viewer(), admin)));
        tokens.put(VIEWER, bearer(TestTokens.viewer()));
        tokens.put("valid signature, no groups", bearer(TestTokens.withGroups()));
        tokens.put("valid signature, role in upper case", bearer(TestTokens.withGroups("MORATORIUM-ADMIN")));
        tokens.put("valid signature, role with a suffix", bearer(TestTokens.withGroups(CallerPermissions.ADMIN + "s")));
        tokens.put("valid signature, groups as one string", bearer(rs256(TestTokens.privateKey(), header(),
                "{\"iss\":\"" + TestTokens.ISSUER + "\",\"upn\":\"mallory\",\"groups\":\"moratorium-viewer,"
                        + CallerPermissions.ADMIN.substring(0, 5) + "\",\"iat\":" + now + ",\"exp\":" + (now + 300) + "}")));
        tokens.put("admin token with its signature cut", bearer(cutSignature(TestTokens.admin())));
        tokens.put("admin token in lower-case scheme, signature cut", "bearer " + cutSignature(TestTokens.admin()));
        tokens.put("a 12 KiB token", "Bearer " + "A".repeat(12 * 1024));
        return tokens;
    }

    public static String header() {
        return "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    }

    public static String payload(String issuer, String group, long issuedAt, long expiresAt) {
        return "{\"iss\":\"" + issuer + "\",\"upn\":\"mallory\",\"groups\":[\"" + group + "\"],\"iat\":" + issuedAt
                + ",\"exp\":" + expiresAt + "}";
    }

    private static String bearer(String token) {
        return "Bearer " + token;
    }

    private static String unsigned(String alg, String payload) {
        return compose("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}", payload, "");
    }

    private static String compose(String header, String payload, String signature) {
        return b64(header) + "." + b64(payload) + "." + signature;
    }

    private static String b64(String json) {
        return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String hmac(String header, String payload, byte[] key) {
        return hmacWith("HmacSHA256", header, payload, key);
    }

    private static String hmacWith(String algorithm, String header, String payload, byte[] key) {
        try {
            String input = b64(header) + "." + b64(payload);
            Mac mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            return input + "." + B64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String rs256(PrivateKey key, String header, String payload) {
        try {
            String input = b64(header) + "." + b64(payload);
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key);
            signature.update(input.getBytes(StandardCharsets.US_ASCII));
            return input + "." + B64.encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String tamper(String token, String payload) {
        String[] parts = token.split("\\.");
        return parts[0] + "." + b64(payload) + "." + parts[2];
    }

    private static String cutSignature(String token) {
        return token.substring(0, token.lastIndexOf('.') + 1);
    }

    private static String jwk(RSAPublicKey key) {
        return "{\"kty\":\"RSA\",\"n\":\"" + B64.encodeToString(unsigned(key.getModulus().toByteArray()))
                + "\",\"e\":\"" + B64.encodeToString(unsigned(key.getPublicExponent().toByteArray())) + "\"}";
    }

    private static byte[] unsigned(byte[] bytes) {
        return bytes.length > 1 && bytes[0] == 0 ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    private static byte[] publicKeyOfService() {
        if (TestTokens.keys == null) {
            throw new IllegalStateException("no test key pair yet");
        }
        return TestTokens.keys.getPublic().getEncoded();
    }
}
