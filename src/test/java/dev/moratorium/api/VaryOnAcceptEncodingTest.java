package dev.moratorium.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

class VaryOnAcceptEncodingTest {

    @Test
    void anAnswerLeftToTheCompressorVariesByAcceptEncoding() {
        assertThat(vary(MultiMap.caseInsensitiveMultiMap())).isEqualTo("accept-encoding");
        assertThat(vary(MultiMap.caseInsensitiveMultiMap().set("Vary", "Origin"))).isEqualTo("Origin, accept-encoding");
        assertThat(vary(MultiMap.caseInsensitiveMultiMap().set("Vary", "Accept-Encoding, Origin")))
                .isEqualTo("Accept-Encoding, Origin");
        assertThat(vary(MultiMap.caseInsensitiveMultiMap().set("Vary", "*"))).isEqualTo("*");
    }

    @Test
    void anAnswerKeptUncompressedDoesNotVary() {
        // Quarkus's mark on an answer it keeps from the compressor (/access, the live stream, errors)
        assertThat(vary(MultiMap.caseInsensitiveMultiMap().set("Content-Encoding", "identity"))).isNull();
    }

    private static String vary(MultiMap headers) {
        VaryOnAcceptEncoding.addVary(headers);
        return headers.get("Vary");
    }
}
