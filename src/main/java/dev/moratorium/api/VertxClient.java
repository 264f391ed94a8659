package dev.moratorium.api;

import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.concurrent.CompletionStage;

/** The connection of the request being answered, as StallGuard waits for it and closes it. */
final class VertxClient implements StallGuard.Client {

    private final HttpServerResponse response;

    private VertxClient(HttpServerResponse response) {
        this.response = response;
    }

    /** The current request's connection; to be called while answering it (in the resource method). */
    static StallGuard.Client of(CurrentVertxRequest request) {
        return new VertxClient(request.getCurrent().response());
    }

    /**
     * An empty write: queued behind what the answer wrote before it, it completes once that has
     * been written to the socket. It puts nothing on the wire (an empty chunk is not the last one).
     */
    @Override
    public CompletionStage<?> drained() {
        return response.write(Buffer.buffer()).toCompletionStage();
    }

    @Override
    public void close() {
        response.reset();
    }
}
