package dev.moratorium.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParseException;
import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

/**
 * Which failures of a request are its client leaving (logged at DEBUG), and which are the
 * service's (ERROR): one rule for {@code api.ErrorMapper} and {@link HttpErrors}.
 */
class ClientGoneTest {

    @Test
    void aConnectionsFailureIsTheClientLeaving() {
        assertThat(HttpErrors.clientGone(new IOException("Connection reset by peer"))).isTrue();
        assertThat(HttpErrors.clientGone(new ClosedChannelException())).isTrue();
        assertThat(HttpErrors.clientGone(new HttpClosedException("Connection was closed"))).isTrue();
        assertThat(HttpErrors.clientGone(new IllegalStateException("write failed", new IOException("Broken pipe"))))
                .isTrue();
    }

    @Test
    void anythingElseIsTheServicesError() {
        assertThat(HttpErrors.clientGone(new IllegalStateException("a bug"))).isFalse();
        assertThat(HttpErrors.clientGone(new JsonParseException(null, "Unexpected character"))).isFalse();
        assertThat(HttpErrors.clientGone(new RuntimeException(new JsonParseException(null, "bad")))).isFalse();
    }
}
