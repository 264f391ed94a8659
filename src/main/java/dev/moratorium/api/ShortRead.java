package dev.moratorium.api;

import io.quarkus.narayana.jta.QuarkusTransaction;
import java.util.function.Supplier;

/**
 * A read in a transaction of its own, for answers that go on after it. Outside a transaction, a
 * request's persistence context keeps the connection of its first statement until the request
 * ends: a long answer that read its page's plan first kept a connection while it waited for a place
 * and while its client took the answer, and 200 clients asking for a long policy list at once held
 * all 16 of the pool's, so 129 of them, and the outbox relay, failed to get one within 5 s.
 * Here each read gives its connection back when it ends.
 */
final class ShortRead {

    private ShortRead() {
    }

    static <T> T of(Supplier<T> read) {
        return QuarkusTransaction.requiringNew().call(read::get);
    }
}
