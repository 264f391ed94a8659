package dev.moratorium.api;

import io.quarkus.narayana.jta.QuarkusTransaction;
import java.util.function.Supplier;

/**
 * A read through the persistence context, in a transaction of its own, for a long answer: outside
 * one, a request keeps the connection of its first statement until it ends, so a long answer would
 * keep it while it waits for its place and while its client takes it (see store.ReadConnections,
 * which the plain-JDBC reads use to the same end). Here the connection is given back when the read
 * ends. Used a chunk at a time, so its transaction's cost is paid once per chunk, not per row.
 */
final class ShortRead {

    private ShortRead() {
    }

    static <T> T of(Supplier<T> read) {
        return QuarkusTransaction.requiringNew().call(read::get);
    }
}
