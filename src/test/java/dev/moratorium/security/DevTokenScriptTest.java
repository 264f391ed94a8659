package dev.moratorium.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.smallrye.jwt.auth.principal.DefaultJWTParser;
import io.smallrye.jwt.auth.principal.JWTAuthContextInfo;
import io.smallrye.jwt.util.KeyUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.jwt.JsonWebToken;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's way to get a token for local use ({@code scripts/dev-token}, openssl) makes tokens
 * that the service's own verifier (SmallRye JWT, same issuer and lifetime limit) accepts.
 */
class DevTokenScriptTest {

    @TempDir
    Path keys;

    @Test
    void mintsTokensTheServiceAccepts() throws Exception {
        assumeTrue(available("openssl", "version"), "openssl is not installed");
        String publicKey = run("public-key");
        assertThat(publicKey).startsWith("MII").doesNotContain("PRIVATE");
        String token = run(CallerPermissions.ADMIN, CallerPermissions.VIEWER);

        JWTAuthContextInfo verification = new JWTAuthContextInfo(KeyUtils.decodePublicKey(publicKey), "urn:moratorium");
        verification.setMaxTimeToLiveSecs(86400L);
        JsonWebToken jwt = new DefaultJWTParser(verification).parse(token);
        assertThat(jwt.getGroups()).containsExactlyInAnyOrder(CallerPermissions.ADMIN, CallerPermissions.VIEWER);
        assertThat(jwt.getExpirationTime() - jwt.getIssuedAtTime()).isEqualTo(3600);
        assertThat(Files.list(keys).map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("private.pem",
                "public.pem");
        assertThat(Files.getPosixFilePermissions(keys.resolve("private.pem")))
                .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    private String run(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("bash", "scripts/dev-token"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("MORATORIUM_DEV_JWT_DIR", keys.toString());
        builder.environment().remove("MP_JWT_VERIFY_ISSUER");
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("scripts/dev-token %s", String.join(" ", args)).isZero();
        return out;
    }

    private static boolean available(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
