package dev.moratorium.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParseException;
import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import org.junit.jupiter.api.Test;

/** Which failures of a request are its client leaving (logged at DEBUG), and which are the service's (ERROR). */
class ErrorMapperTest {

    @Test
    void aConnectionsFailureIsTheClientLeaving() {
        assertThat(ErrorMapper.clientGone(new IOException("Connection reset by peer"))).isTrue();
        assertThat(ErrorMapper.clientGone(new ClosedChannelException())).isTrue();
        assertThat(ErrorMapper.clientGone(new HttpClosedException("Connection was closed"))).isTrue();
        assertThat(ErrorMapper.clientGone(new IllegalStateException("write failed", new IOException("Broken pipe"))))
                .isTrue();
    }

    @Test
    void anythingElseIsTheServicesError() {
        assertThat(ErrorMapper.clientGone(new IllegalStateException("a bug"))).isFalse();
        assertThat(ErrorMapper.clientGone(new JsonParseException(null, "Unexpected character"))).isFalse();
        assertThat(ErrorMapper.clientGone(new RuntimeException(new JsonParseException(null, "bad")))).isFalse();
    }
}
