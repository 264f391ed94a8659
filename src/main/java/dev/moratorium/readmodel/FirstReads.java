package dev.moratorium.readmodel;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One database read at a time per key (a product), and no wait for any other key's: requests that
 * find a read of their key under way wait for it and then answer from what it kept.
 *
 * <p>Gateways ask about the same product together, most after a restart or right after a write;
 * each reading the same rows at once multiplied the database's work by the number of requests (for
 * a history of 80,000 events, seconds each). A fixed set of locks shared by hash did that too, but
 * made a product's first read wait behind another product's whenever their hashes met, which
 * after a restart, with gateways asking about many products at once, is most of the time.
 */
final class FirstReads<K> {

    private final ConcurrentHashMap<K, CompletableFuture<Void>> underWay = new ConcurrentHashMap<>();

    /**
     * {@code kept}'s answer when it has one; otherwise {@code read}'s, made by one caller at a time
     * for this key. A caller that finds a read of the key under way waits for it to end, then asks
     * {@code kept} again (and reads itself if that read kept nothing it can use).
     */
    <T> T answer(K key, Supplier<Optional<T>> kept, Supplier<T> read) {
        while (true) {
            Optional<T> answer = kept.get();
            if (answer.isPresent()) {
                return answer.get();
            }
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> other = underWay.putIfAbsent(key, mine);
            if (other == null) {
                try {
                    // a read may have ended between the look above and the claim
                    answer = kept.get();
                    return answer.isPresent() ? answer.get() : read.get();
                } finally {
                    underWay.remove(key, mine);
                    mine.complete(null);
                }
            }
            other.join();
        }
    }

    /** Keys whose read is under way (for tests). */
    int underWay() {
        return underWay.size();
    }
}
